"""Shared test set-up: Qt offscreen, small torch thread pools, and a temporary runs folder."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)  # the tests train tiny models, often beside a GUI thread, on two cores

from workbench.spec import load_spec  # noqa: E402

DATA_DIR = os.path.join(os.path.dirname(__file__), "data")


@pytest.fixture(autouse=True)
def _runs_in_tmp(tmp_path, monkeypatch):
    """Runs written by a test land in its own temporary folder, never in the checkout."""
    monkeypatch.setenv("WORKBENCH_RUNS", str(tmp_path / "runs"))


@pytest.fixture
def tiny_spec():
    """The documented example spec (tests/data/tiny-shapes.yaml)."""
    return load_spec(os.path.join(DATA_DIR, "tiny-shapes.yaml"))


@pytest.fixture(autouse=True)
def _gc_on_the_gui_thread(request):
    """Tests with Qt collect garbage on the GUI thread only, as the app does (see workbench.gui.gc_guard)."""
    if "qtbot" in request.fixturenames or "qapp" in request.fixturenames:
        from workbench.gui.gc_guard import collect_on_gui_thread

        collect_on_gui_thread(request.getfixturevalue("qapp"))


from tests.insight.models import shapes_run, trained  # noqa: E402,F401  (a trained model for insight and app tests)
