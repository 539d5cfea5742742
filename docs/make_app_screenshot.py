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

from screenshot_window import close, new_window, save_sizes, settle, start_app, wait


def train(app, window, epochs: int, select: str) -> None:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=3, help="epochs of the default preset's run")
    parser.add_argument("--stuck-epochs", type=int, default=0, help="epochs of overfeat-small-fc7_1's run (0: none)")
    args = parser.parse_args()
    app, scratch = start_app()

    from workbench.doctor import check_init

    window = new_window(scratch, "overfeat-small")
    train(app, window, args.epochs, "fc7")
    save_sizes(app, window, "main-window.png")
    close(window)

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
    close(window)


if __name__ == "__main__":
    main()
