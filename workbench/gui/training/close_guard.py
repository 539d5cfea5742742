"""Closing the window while a training runs: stop it with a resumable checkpoint, close when it ends, or cancel."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QMainWindow, QMessageBox, QWidget

STOP, CLOSE_WHEN_DONE, CANCEL = "stop", "close-when-done", "cancel"
TITLE = "A training is running"


def ask_about_running_training(parent: QWidget | None) -> str:
    """Ask what to do with a running training when the window closes: STOP, CLOSE_WHEN_DONE or CANCEL."""
    box = QMessageBox(QMessageBox.Icon.Question, TITLE, "A training is running.", parent=parent)
    box.setObjectName("runningCloseBox")
    box.setInformativeText(
        "Stop it now and keep a resumable checkpoint (Continue run goes on from the next batch), "
        "keep training and close the window when the run ends, or cancel and go back to the window."
    )
    stop = box.addButton("Stop and keep a resumable checkpoint", QMessageBox.ButtonRole.AcceptRole)
    later = box.addButton("Keep training, close when done", QMessageBox.ButtonRole.ActionRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.exec()
    clicked = box.clickedButton()
    box.deleteLater()
    return STOP if clicked is stop else CLOSE_WHEN_DONE if clicked is later else CANCEL


class RunningCloseGuard(QObject):
    """Asks before ``window`` closes during a run of ``panel`` (a TrainingPanel); stopping is left to shutdown."""

    def __init__(self, window: QMainWindow, panel):
        super().__init__(window)
        self.window, self.panel = window, panel
        self.closing_when_done = False
        window.add_close_check(self.may_close)

    def may_close(self) -> bool:
        if not self.panel.is_running:
            return True
        if self.closing_when_done:
            return False
        choice = ask_about_running_training(self.window)
        if choice == CLOSE_WHEN_DONE:
            self.closing_when_done = True
            self.panel.idle.connect(self._close_now, Qt.ConnectionType.SingleShotConnection)
            self.panel.controls.banner.show_message("The window closes when this run ends.", "warning")
        return choice == STOP

    def _close_now(self) -> None:
        self.closing_when_done = False
        self.window.close()
