"""A tiny trained run (one epoch on 60 shapes images of 3×16×16) and image files, shared by the export tests."""

from __future__ import annotations

import pytest
from PIL import Image

from workbench.data.shapes import generate_shapes
from workbench.spec import loads_spec
from workbench.training import Trainer

from tests.export.specs import TINY_SPEC


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory):
    """A finished run folder (best and last checkpoints) of the tiny spec."""
    run_dir = tmp_path_factory.mktemp("runs") / "tiny-run"
    ended = Trainer(loads_spec(TINY_SPEC), run_dir=run_dir, device="cpu").run()
    assert ended.status == "completed", ended.reason
    return run_dir


@pytest.fixture(scope="session")
def image_files(tmp_path_factory):
    """Shape images on disk in sizes and modes other than the model's input (RGB 24×20, gray, RGBA)."""
    folder = tmp_path_factory.mktemp("images")
    images, _ = generate_shapes(3, 3, 3, 20, 24, seed=5)
    paths = []
    for i, (img, mode) in enumerate(zip(images, ("RGB", "L", "RGBA"))):
        pil = Image.fromarray(img.permute(1, 2, 0).numpy()).convert(mode)
        paths.append(folder / f"shape{i}.png")
        pil.save(paths[-1])
    return paths


@pytest.fixture(scope="session")
def bundle_path(trained_run, tmp_path_factory):
    """The tiny run exported as a bundle."""
    from workbench.export import export_model

    report = export_model(trained_run, "wbm", tmp_path_factory.mktemp("bundle") / "tiny.wbm")
    assert report.ok, report.message
    return report.path


@pytest.fixture(scope="session")
def onnx_path(trained_run, tmp_path_factory):
    """The tiny run exported as ONNX."""
    from workbench.export import export_model

    report = export_model(trained_run, "onnx", tmp_path_factory.mktemp("onnx") / "tiny.onnx")
    assert report.ok, report.message
    return report.path
