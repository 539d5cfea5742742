"""The set-up the docs/make_*_screenshot*.py scripts share: the app offscreen with its theme, runs and settings
in a scratch folder (the user's are never touched), main windows at a given size, and saving them to docs/img.

Import it before anything from Qt: it selects the offscreen platform and puts the checkout first on the path.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QSettings, QStandardPaths  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

IMG = Path(__file__).resolve().parent / "img"
SIZES = ((1400, 900, ""), (1024, 700, "-1024x700"))  # (width, height, file name suffix)


def start_app() -> tuple[QApplication, Path]:
    """The application with the app's theme, and a scratch folder that holds the runs (``WORKBENCH_RUNS``)."""
    scratch = Path(tempfile.mkdtemp(prefix="workbench-screenshot-"))
    os.environ["WORKBENCH_RUNS"] = str(scratch / "runs")
    QStandardPaths.setTestModeEnabled(True)
    from workbench.gui import style
    from workbench.gui.gc_guard import collect_on_gui_thread

    app = QApplication.instance() or QApplication([])
    style.apply_theme(app)
    collect_on_gui_thread(app)
    IMG.mkdir(parents=True, exist_ok=True)
    return app, scratch


def new_window(scratch: Path, spec: str, size: tuple[int, int] = SIZES[0][:2]):
    """A shown main window on ``spec`` (a preset name or a spec file), with its settings in ``scratch``."""
    from workbench.gui.app import create_main_window

    settings = QSettings(str(scratch / f"{Path(spec).stem}-{size[0]}.ini"), QSettings.Format.IniFormat)
    window = create_main_window(settings, spec)
    window.resize(*size)
    window.show()
    return window


def close(window) -> None:
    """Close ``window`` without asking about unsaved changes."""
    window.document.undo_stack.setClean()
    window.close()


def settle(app: QApplication, seconds: float = 1.0) -> None:
    """Process events for ``seconds`` (layouts, redraws)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def wait(app: QApplication, condition, timeout_s: float) -> None:
    """Process events until ``condition()``; exit when it takes longer than ``timeout_s``."""
    end = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > end:
            raise SystemExit("timed out")
        app.processEvents()
        time.sleep(0.02)


def save(widget, name: str) -> Path:
    """Save ``widget`` as docs/img/``name``."""
    path = IMG / name
    widget.grab().save(str(path))
    print(f"wrote {path}")
    return path


def save_sizes(app: QApplication, window, name: str) -> None:
    """Save ``name`` at every size of :data:`SIZES` (``main-window.png``, ``main-window-1024x700.png``)."""
    for width, height, suffix in SIZES:
        window.resize(width, height)
        settle(app)
        save(window, name.replace(".png", f"{suffix}.png"))
    window.resize(*SIZES[0][:2])
