"""Make the screenshots of the learning-rate range test (offscreen, nothing opens on screen):

- docs/img/lr-find.png: the "Find learning rate" dialog after the range test of a small conv net (two convs,
  global average pooling, dense) with SGD at lr 10 on the shapes;
- docs/img/lr-find-settings.png: the Training panel's Settings tab with its "Find learning rate…" button, in a
  1024×700 window.

    python docs/make_lr_find_screenshot.py

Nothing in the user's settings or runs folder is touched.
"""

from __future__ import annotations

from pathlib import Path

from screenshot_window import close, new_window, save, settle, start_app, wait

SPEC = Path(__file__).resolve().parents[1] / "tests" / "data" / "lr-sgd-10.yaml"


def main() -> None:
    app, scratch = start_app()
    window = new_window(scratch, str(SPEC), (1024, 700))
    training = window.panels.training
    training.tabs.setCurrentWidget(training.settings)
    settle(app)
    save(window, "lr-find-settings.png")
    dialog = training.find_learning_rate()
    wait(app, lambda: dialog.result is not None, 600)
    dialog.resize(760, 540)
    settle(app)
    save(dialog, "lr-find.png")
    dialog.close()
    close(window)


if __name__ == "__main__":
    main()
