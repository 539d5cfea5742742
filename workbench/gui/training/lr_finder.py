"""The "Find learning rate" dialog: runs the range test on a worker thread (progress, Cancel), draws the loss
against the learning rate on a log axis with the configured and suggested values marked, and applies the
suggestion as one undoable edit."""

from __future__ import annotations

import math
import threading

import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from workbench.doctor.edits import apply_edits
from workbench.doctor.lr_find import LRFindResult, lr_find
from workbench.doctor.lr_rules import fmt_lr, lr_findings, suggested_fix
from workbench.gui.document import SpecDocument
from workbench.gui.style import ACCENT, ERROR, SURFACE
from workbench.gui.training.tasks import BackgroundTask, wait_or_keep

RAW = (100, 116, 139, 110)  # the muted colour, translucent: the per-step loss is context for the smoothed curve


class _Progress(QObject):
    """Carries the range test's progress from the worker thread to the GUI thread."""

    step = Signal(int, int, float, float)


class LRCurve(pg.PlotWidget):
    """Raw and smoothed loss against the learning rate (log x), the configured lr as a line, the suggestion marked."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, background=SURFACE)
        self.setLogMode(x=True)
        self.showGrid(x=True, y=True, alpha=0.25)
        self.getAxis("bottom").setLabel("learning rate")
        self.getAxis("left").setLabel("training loss")
        self.legend = self.addLegend(offset=(10, 10))
        self.setMinimumHeight(220)

    def show_result(self, result: LRFindResult) -> None:
        self.clear()
        finite = [(lr, loss) for lr, loss in zip(result.lrs, result.losses) if math.isfinite(loss)]
        if finite:
            self.plot(*zip(*finite), pen=pg.mkPen(RAW, width=1), name="loss per step")
        smooth = [(lr, s) for lr, s in zip(result.lrs, result.smoothed) if math.isfinite(s)]
        if smooth:
            self.plot(*zip(*smooth), pen=pg.mkPen(ACCENT, width=2), name="smoothed")
        self.addItem(pg.InfiniteLine(pos=math.log10(result.configured_lr), angle=90,
                                     pen=pg.mkPen(ERROR, style=Qt.PenStyle.DashLine),
                                     label=f"configured {result.configured_lr:g}",
                                     labelOpts={"color": ERROR, "position": 0.92}))
        if result.suggested is not None:
            i = result.suggested_index
            self.plot([result.suggested], [result.smoothed[i]], pen=None, symbol="o", symbolSize=11,
                      symbolBrush=ACCENT, name=f"suggested {fmt_lr(result.suggested)}")
        ends = [math.log10(x) for x in (result.lrs[0], result.lrs[-1], result.configured_lr)]
        self.setXRange(min(ends), max(ends), padding=0.05)  # the configured lr may lie outside the tested range
        if smooth:  # a diverging end would flatten the part that matters
            low = min(s for _, s in smooth)
            self.setYRange(0.9 * low, max(1.2 * result.start_loss, low * 1.1), padding=0.05)


class LRFinderDialog(QDialog):
    """Runs the range test on a snapshot of ``document``'s spec; "Use suggested" sets the lr as one edit."""

    finished_test = Signal(object)  # the LRFindResult (None when it failed)

    def __init__(self, document: SpecDocument, device: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Find learning rate")
        self.document = document
        self.device = device
        self.result: LRFindResult | None = None
        self.task: BackgroundTask | None = None
        self._stop = threading.Event()
        self._progress = _Progress(self)
        self._progress.step.connect(self._show_step)

        self.status = QLabel()
        self.status.setWordWrap(True)
        self.bar = QProgressBar()
        self.curve = LRCurve()
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.cancel_button = QPushButton("Cancel")
        self.use_button = QPushButton("Use suggested")
        self.use_button.setEnabled(False)
        self.close_button = QPushButton("Close")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.cancel_button, self.use_button, self.close_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.bar)
        layout.addWidget(self.curve, 1)
        layout.addWidget(self.summary)
        layout.addLayout(buttons)
        self.cancel_button.clicked.connect(self._stop.set)
        self.use_button.clicked.connect(self.use_suggested)
        self.close_button.clicked.connect(self.close)
        self.resize(720, 520)

    def start(self) -> None:
        """Run the range test on the worker thread."""
        spec = self.document.snapshot()
        spec.training["device"] = self.device
        self.status.setText(f"Range test of {spec.name}: the learning rate grows each step on a copy of the model.")
        self.bar.setRange(0, 0)
        self._stop.clear()
        self.cancel_button.setEnabled(True)
        self.use_button.setEnabled(False)
        self.task = BackgroundTask(lambda: lr_find(spec, progress=self._progress.step.emit, should_stop=self._stop.is_set), self)
        self.task.done.connect(self._done)
        self.task.error.connect(self._failed)
        self.task.start()

    def _show_step(self, step: int, steps: int, lr: float, loss: float) -> None:
        self.bar.setRange(0, steps)
        self.bar.setValue(step)
        self.status.setText(f"Step {step}/{steps}: lr {lr:.3g}, smoothed loss {loss:.4f}")

    def _done(self, result: LRFindResult) -> None:
        self.result = result
        self.cancel_button.setEnabled(False)
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        self.curve.show_result(result)
        self.status.setText(f"Range test: {len(result.lrs)} steps, {result.stopped}.")
        suggested = (f"suggested lr {fmt_lr(result.suggested)} ({result.method})" if result.suggested is not None
                     else "no suggestion: the loss did not fall at any learning rate of the test")
        stable = (f"largest stable {fmt_lr(result.max_stable)}" if result.max_stable is not None
                  else f"stable up to {fmt_lr(result.lrs[-1])}")
        lines = [f"Configured lr {result.configured_lr:g}; {suggested}; {stable}."]
        lines += [f"{f.severity}: {f.title}" for f in lr_findings(result)]
        self.summary.setText("\n".join(lines))
        self.use_button.setEnabled(bool(suggested_fix(result)) and result.stopped != "cancelled")
        self.finished_test.emit(result)

    def _failed(self, message: str) -> None:
        self.cancel_button.setEnabled(False)
        self.bar.setRange(0, 1)
        self.status.setText("The range test failed: " + message)
        self.finished_test.emit(None)

    def use_suggested(self) -> None:
        """Set the document's lr to the suggestion: one undoable edit."""
        fix = suggested_fix(self.result) if self.result is not None else ()
        if fix:
            self.document.apply(apply_edits(self.document.spec, fix[0].edits), "Set learning rate (range test)")
            self.use_button.setEnabled(False)
            self.summary.setText(self.summary.text() + f"\nApplied: {fix[0].label}.")

    def closeEvent(self, event) -> None:
        self._stop.set()
        wait_or_keep(self.task, 3000)
        super().closeEvent(event)
