"""Make the screenshots of the learning-rate range test (offscreen, nothing opens on screen):

- docs/img/lr-find.png: the "Find learning rate" dialog after the range test of a small conv net (two convs,
  global average pooling, dense) with SGD at lr 50 on the shapes;
- docs/img/lr-find-settings.png: the Training panel's Settings tab with its "Find learning rate…" button, in a
  1024×700 window.

    python docs/make_lr_find_screenshot.py

Nothing in the user's settings or runs folder is touched.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_app_screenshot import IMG, settle, wait  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

SPEC = Path(__file__).resolve().parents[1] / "tests" / "data" / "lr-sgd-10.yaml"


def main() -> None:
    from workbench.gui.app import create_main_window
    from workbench.spec import load_spec

    app = QApplication.instance() or QApplication(sys.argv)
    with tempfile.TemporaryDirectory() as scratch:
        window = create_main_window(QSettings(str(Path(scratch) / "s.ini"), QSettings.Format.IniFormat), "lenet5")
        window.resize(1024, 700)
        window.show()
        window.document.reset(load_spec(SPEC), None)
        training = window.panels.training
        training.tabs.setCurrentWidget(training.settings)
        settle(app)
        window.grab().save(str(IMG / "lr-find-settings.png"))
        dialog = training.find_learning_rate()
        wait(app, lambda: dialog.result is not None, 600)
        dialog.resize(760, 540)
        settle(app)
        dialog.grab().save(str(IMG / "lr-find.png"))
        print(f"wrote {IMG / 'lr-find.png'} and {IMG / 'lr-find-settings.png'}")
        dialog.close()
        window.document.undo_stack.clear()
        window.close()


if __name__ == "__main__":
    main()
