"""Start / Pause / Stop, the time estimate, the progress bar and an inline error banner."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.training.estimate import format_duration

BANNER_STYLES = {
    "error": "background: #fdecea; color: #8e1b10; border: 1px solid #f5c2bd; border-radius: 4px;",
    "warning": "background: #fff4e5; color: #7a4b00; border: 1px solid #ffd8a8; border-radius: 4px;",
}


class Banner(QFrame):
    """A dismissible message shown inside the panel (errors of a run, a diverged run)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setStyleSheet("border: none; background: transparent;")
        close = QToolButton(text="✕", autoRaise=True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self.hide()

    def show_message(self, text: str, kind: str = "error") -> None:
        self.setStyleSheet(f"Banner {{{BANNER_STYLES[kind]}}}")
        self.label.setText(text)
        self.show()


class RunControls(QWidget):
    """The always-visible strip at the top of the training panel."""

    startClicked = Signal()
    pauseClicked = Signal()
    resumeClicked = Signal()
    stopClicked = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.estimate = QLabel("Estimating the time per epoch…")
        self.estimate.setStyleSheet("color: #555555;")
        self.estimate.setWordWrap(True)  # a narrow panel gives it a second line rather than cutting it
        self.start_button = QPushButton("Start")
        self.start_button.setToolTip("Train a snapshot of the current spec.")
        self.start_button.clicked.connect(self.startClicked)
        self.pause_button = QPushButton("Pause")
        self.pause_button.clicked.connect(self._pause_or_resume)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop after the current batch; the last checkpoint is kept.")
        self.stop_button.clicked.connect(self.stopClicked)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setFormat("%p%")
        self.status = QLabel("Ready.")
        self.status.setWordWrap(True)
        self.banner = Banner()
        buttons = QHBoxLayout()
        for button in (self.start_button, self.pause_button, self.stop_button):
            buttons.addWidget(button)
        buttons.addWidget(self.progress, 1)
        lines = QHBoxLayout()
        lines.addWidget(self.status, 1)
        lines.addWidget(self.estimate, 1)
        self.estimate.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addLayout(lines)
        layout.addWidget(self.banner)
        self.set_state("idle")

    def set_state(self, state: str) -> None:
        """``idle``, ``running``, ``paused`` or ``stopping``."""
        self.state = state
        self.start_button.setEnabled(state == "idle")
        self.pause_button.setEnabled(state in ("running", "paused"))
        self.pause_button.setText("Resume" if state == "paused" else "Pause")
        self.stop_button.setEnabled(state in ("running", "paused"))

    def _pause_or_resume(self) -> None:
        if self.state == "paused":
            self.resumeClicked.emit()
        else:
            self.pauseClicked.emit()

    def show_progress(
        self, epoch: int, epochs: int, step: int, steps: int, images_per_s: float, seconds_left: float | None
    ) -> None:
        self.progress.setRange(0, max(steps, 1))
        self.progress.setValue(min(step, steps))
        parts = [f"Epoch {epoch}/{epochs}", f"step {step}/{steps}", f"{images_per_s:,.0f} img/s"]
        if seconds_left is not None:
            parts.append(f"{format_duration(seconds_left)} left")
        self.status.setText(" · ".join(parts))
