"""Make the screenshot of a ResNet in the editor (offscreen, nothing opens on screen):

- docs/img/editor-resnet.png: resnet-20 at 1400×900, a stage's block expanded with its body and shortcut;
- with ``--out DIR --size W H``: the same window at another size, into DIR (to check the layout).

    python docs/make_editor_screenshot.py [--out docs/img] [--size 1400 900]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from screenshot_window import IMG, close, new_window, settle, start_app

PRESET, SELECT = "resnet-20", "s2conv1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=IMG, help="folder for editor-resnet.png")
    parser.add_argument("--size", type=int, nargs=2, default=(1400, 900), metavar=("W", "H"))
    args = parser.parse_args()
    app, scratch = start_app()
    window = new_window(scratch, PRESET, tuple(args.size))
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
    close(window)


if __name__ == "__main__":
    main()
