"""Make the screenshot of a ResNet in the editor (offscreen, nothing opens on screen):

- docs/img/editor-resnet.png: resnet-20 at 1400×900, a stage's block expanded with its body and shortcut;
- with ``--out DIR --size W H``: the same window at another size, into DIR (to check the layout).

    python docs/make_editor_screenshot.py [--out docs/img] [--size 1400 900]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QSettings, QStandardPaths  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_app_screenshot import settle  # noqa: E402

IMG = Path(__file__).resolve().parent / "img"
PRESET, SELECT = "resnet-20", "s2conv1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=IMG, help="folder for editor-resnet.png")
    parser.add_argument("--size", type=int, nargs=2, default=(1400, 900), metavar=("W", "H"))
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="workbench-screenshot-"))
    os.environ["WORKBENCH_RUNS"] = str(scratch / "runs")
    QStandardPaths.setTestModeEnabled(True)

    from workbench.gui import style
    from workbench.gui.app import create_main_window

    app = QApplication.instance() or QApplication([])
    style.apply_theme(app)
    window = create_main_window(QSettings(str(scratch / "editor.ini"), QSettings.Format.IniFormat), PRESET)
    window.resize(*args.size)
    window.show()
    settle(app, 0.5)
    view = window.stack_view
    for name in ("stage1", "stage3"):  # the middle stage open, the others folded to one card each
        view.toggle_collapsed(name)
    window.controller.select(SELECT)
    settle(app)
    view.ensureWidgetVisible(view.card("stage2"), 0, 0)
    view.verticalScrollBar().setValue(view.card("stage2").y() - 8)
    settle(app)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "editor-resnet.png"
    window.grab().save(str(path))
    print(f"wrote {path}")
    window.close()


if __name__ == "__main__":
    main()
