"""What a run records besides its metrics: histograms every N steps and TensorBoard event files (both off by
default; histograms cost a little time on their record steps)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSpinBox, QWidget

from workbench.gui.style import MUTED
from workbench.insight.recording import DEFAULT_HISTOGRAM_EVERY, Recorders, run_recorders
from workbench.insight.tensorboard import INSTALL_HINT, tensorboard_available


class RecordingOptions(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.histograms = QCheckBox("Histograms every")
        self.histograms.setToolTip("Record histograms of each layer's weights, gradients and activations into the "
                                   "run folder (shown in the Inside panel)")
        self.every = QSpinBox()
        self.every.setRange(1, 100_000)
        self.every.setValue(DEFAULT_HISTOGRAM_EVERY)
        self.every.setSuffix(" steps")
        self.every.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # no wheel edits while scrolling past
        self.every.setEnabled(False)
        self.histograms.toggled.connect(self.every.setEnabled)
        self.tensorboard = QCheckBox("TensorBoard files")
        self.tensorboard.setToolTip("Write TensorBoard event files into the run folder's tensorboard/ folder")
        self.missing = QLabel()
        self.missing.setStyleSheet(f"color: {MUTED};")
        self.missing.setWordWrap(True)
        if not tensorboard_available():
            self.tensorboard.setEnabled(False)
            self.missing.setText(f"TensorBoard is not installed; {INSTALL_HINT}")
            self.missing.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 0, 2, 0)
        layout.addWidget(QLabel("Record:"))
        layout.addWidget(self.histograms)
        layout.addWidget(self.every)
        layout.addWidget(self.tensorboard)
        layout.addWidget(self.missing, 1)
        layout.addStretch(0)

    def recorders(self) -> Recorders:
        """Callbacks and listeners for the next run as ticked now."""
        every = self.every.value() if self.histograms.isChecked() else 0
        return run_recorders(every, self.tensorboard.isChecked())
