"""Make the screenshots of the main window (offscreen, nothing opens on screen), at the default 1400×900 and
at a laptop's 1024×700 (the same names with ``-1024x700``):

- docs/img/main-window.png: the default preset after a short run;
- docs/img/main-window-doctor.png: overfeat-small-fc7_1 with the Doctor panel after "Check at initialisation";
- docs/img/main-window-stuck.png: overfeat-small-fc7_1 trained as it is: the loss on the chance line and what
  the doctor said during the run (with ``--stuck-epochs N``, N > 0; minutes on a CPU).

    python docs/make_app_screenshot.py [--epochs 3] [--stuck-epochs 12]

Runs go to a temporary folder; nothing in the user's settings or runs folder is touched.
"""

from __future__ import annotations

import argparse
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


def settle(app: QApplication, seconds: float = 1.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def wait(app: QApplication, condition, timeout_s: float) -> None:
    end = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > end:
            raise SystemExit("timed out")
        app.processEvents()
        time.sleep(0.02)


def new_window(scratch: Path, preset: str):
    from workbench.gui.app import create_main_window

    window = create_main_window(QSettings(str(scratch / f"{preset}.ini"), QSettings.Format.IniFormat), preset)
    window.resize(1400, 900)
    window.show()
    return window


def train(app: QApplication, window, epochs: int, select: str) -> None:
    """Train the open spec for ``epochs`` epochs in the window, then show the curves."""
    spec = window.document.spec.copy()
    spec.training["epochs"] = epochs
    window.document.apply(spec, "Set epochs")
    window.document.undo_stack.setClean()
    window.controller.select(select)
    training = window.panels.training
    window.show_panel(training)
    assert training.start(), training.controls.banner.label.text()
    wait(app, lambda: training.worker is None, 60 * 60)
    training.tabs.setCurrentWidget(training.curves_page)
    settle(app)


def save(window, name: str) -> None:
    path = IMG / name
    window.grab().save(str(path))
    print(f"wrote {path}")


def save_sizes(app: QApplication, window, name: str) -> None:
    """Save ``name`` at every size of :data:`SIZES` (``main-window.png``, ``main-window-1024x700.png``)."""
    for width, height, suffix in SIZES:
        window.resize(width, height)
        settle(app)
        save(window, name.replace(".png", f"{suffix}.png"))
    window.resize(*SIZES[0][:2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=3, help="epochs of the default preset's run")
    parser.add_argument("--stuck-epochs", type=int, default=0, help="epochs of overfeat-small-fc7_1's run (0: none)")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="workbench-screenshot-"))
    os.environ["WORKBENCH_RUNS"] = str(scratch / "runs")
    QStandardPaths.setTestModeEnabled(True)

    from workbench.doctor import check_init
    from workbench.gui import style
    from workbench.gui.gc_guard import collect_on_gui_thread

    app = QApplication.instance() or QApplication([])
    style.apply_theme(app)
    collect_on_gui_thread(app)
    IMG.mkdir(parents=True, exist_ok=True)

    window = new_window(scratch, "overfeat-small")
    train(app, window, args.epochs, "fc7")
    save_sizes(app, window, "main-window.png")
    window.close()

    window = new_window(scratch, "overfeat-small-fc7_1")
    doctor = window.panels.doctor
    window.controller.select("fc7_1")
    window.show_panel(doctor)
    doctor.show_init_report(check_init(window.document.spec), window.document.spec)
    settle(app)
    save_sizes(app, window, "main-window-doctor.png")
    if args.stuck_epochs:
        train(app, window, args.stuck_epochs, "fc7_1")
        window.panels.training.bottom_tabs.setCurrentWidget(window.panels.training.log)
        settle(app)
        save_sizes(app, window, "main-window-stuck.png")
    window.close()


if __name__ == "__main__":
    main()
