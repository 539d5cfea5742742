"""Make docs/img/main-window.png: the main window after a short run of the default preset (offscreen).

    python docs/make_app_screenshot.py [--epochs N] [--preset NAME]

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

OUT = Path(__file__).resolve().parent / "img" / "main-window.png"


def wait(app: QApplication, condition, timeout_s: float) -> None:
    end = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > end:
            raise SystemExit("timed out waiting for the run")
        app.processEvents()
        time.sleep(0.02)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--preset", default="overfeat-small")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="workbench-screenshot-"))
    os.environ["WORKBENCH_RUNS"] = str(scratch / "runs")
    QStandardPaths.setTestModeEnabled(True)

    from workbench.gui import style
    from workbench.gui.app import create_main_window
    from workbench.gui.gc_guard import collect_on_gui_thread

    app = QApplication.instance() or QApplication([])
    style.apply_theme(app)
    collect_on_gui_thread(app)
    window = create_main_window(QSettings(str(scratch / "settings.ini"), QSettings.Format.IniFormat), args.preset)
    window.resize(1400, 900)
    window.show()
    spec = window.document.spec.copy()
    spec.training["epochs"] = args.epochs
    window.document.apply(spec, "Set epochs")
    window.document.undo_stack.setClean()
    window.controller.select("fc7")

    training = window.panels.training
    window.show_panel(training)
    assert training.start(), training.controls.banner.label.text()
    wait(app, lambda: training.worker is None, 30 * 60)
    training.tabs.setCurrentWidget(training.curves_page)
    for _ in range(20):
        app.processEvents()
        time.sleep(0.05)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(OUT))
    print(f"wrote {OUT} ({training.ended.status if training.ended else 'no run'})")
    window.close()


if __name__ == "__main__":
    main()
