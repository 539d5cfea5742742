"""Every run of this session and those on disk; tick runs to overlay their curves, open a run's spec."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QGridLayout,
    QHeaderView,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.training.curves import RunCurves
from workbench.gui.training.run_names import run_label
from workbench.training.runs import RunRecord, list_runs

COLUMNS = ("Spec", "Date", "Status", "Best acc")


def best_accuracy(record: RunRecord) -> float | None:
    """The best validation accuracy of a run (from its epochs), None before the first epoch ends."""
    values = [e["val_acc"] for e in record.epochs if e.get("val_acc") is not None]
    return max(values) if values else None


def run_date(record: RunRecord) -> str:
    started = str(record.meta.get("started", ""))
    return started.replace("T", " ")[:19] if started else record.path.name[:15]


class RunsList(QWidget):
    """A table of runs, newest first. Ticked runs are overlaid in the plots."""

    overlaysChanged = Signal(list)  # [(label, RunCurves)]
    openSpecRequested = Signal(str)  # path of the run's spec.yaml
    continueRequested = Signal(str)  # path of a stopped run to continue from its last checkpoint
    resultsRequested = Signal(str)  # path of a run whose validation results to show
    exportRequested = Signal(str)  # path of a run to export
    followRequested = Signal(str)  # path of a run another process is training, to follow live

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.session_runs: set[str] = set()
        self._records: dict[str, RunRecord] = {}
        self._curves: dict[str, RunCurves] = {}
        self.tree = QTreeWidget()
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setWordWrap(True)  # long run names take two lines instead of being cut to "overfeat-sm…"
        self.tree.setTextElideMode(Qt.TextElideMode.ElideNone)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in range(1, len(COLUMNS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.itemChanged.connect(self._item_changed)
        self.tree.currentItemChanged.connect(self._update_buttons)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.open_button = QPushButton("Open spec")
        self.open_button.setToolTip("Open the exact spec this run trained, in the editor.")
        self.open_button.clicked.connect(self._open_spec)
        self.continue_button = QPushButton("Continue run")
        self.continue_button.setToolTip("Train a stopped run further from its last checkpoint.")
        self.continue_button.clicked.connect(lambda: self._emit_current(self.continueRequested))
        self.results_button = QPushButton("Show results")
        self.results_button.setToolTip("Predict the validation images with this run's best checkpoint.")
        self.results_button.clicked.connect(lambda: self._emit_current(self.resultsRequested))
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Export this run's trained model (bundle, ONNX, PyTorch or Python source).")
        self.export_button.clicked.connect(lambda: self._emit_current(self.exportRequested))
        self.follow_button = QPushButton("Follow live")
        self.follow_button.setToolTip("Plot a run that is training in another process (e.g. on the command line) "
                                      "as it goes; Stop stops it and keeps its checkpoint.")
        self.follow_button.clicked.connect(lambda: self._emit_current(self.followRequested))
        self.buttons = QGridLayout()  # one row where the six buttons fit, else two (a laptop-sized window)
        self._button_columns = 0
        self._arrange_buttons(3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree)
        layout.addLayout(self.buttons)
        self.refresh()

    def _arrange_buttons(self, columns: int) -> None:
        """The buttons in rows of ``columns``. A single row never sets the list's minimum width (each button
        claims 1 px), so a narrower panel can shrink the list, which then goes back to two rows."""
        if columns == self._button_columns:
            return
        self._button_columns = columns
        for i, button in enumerate(self._button_order()):
            self.buttons.removeWidget(button)
            self.buttons.addWidget(button, i // columns, i % columns)
            button.setMinimumWidth(1 if columns == 6 else 0)
        for column in range(7):
            self.buttons.setColumnStretch(column, 1 if column == columns else 0)

    def _button_order(self) -> tuple[QPushButton, ...]:
        return (self.refresh_button, self.open_button, self.results_button, self.continue_button,
                self.follow_button, self.export_button)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        one_row = sum(b.sizeHint().width() for b in self._button_order()) + 5 * max(self.buttons.horizontalSpacing(), 6)
        self._arrange_buttons(6 if one_row <= self.width() else 3)

    def add_session_run(self, path: str) -> None:
        self.session_runs.add(str(path))
        self.refresh()

    def refresh(self) -> None:
        """Re-read the runs folder, keeping ticks and the selection."""
        ticked = set(self.checked_paths())
        current = self.current_path()
        self._records = {str(r.path): r for r in list_runs()}
        self._curves.clear()
        self.tree.blockSignals(True)
        self.tree.clear()
        bold = QFont()
        bold.setBold(True)
        for path, record in self._records.items():
            best = best_accuracy(record)
            label, changes = run_label(record)
            item = QTreeWidgetItem([label, run_date(record), record.status, "—" if best is None else f"{best:.1%}"])
            item.setData(0, Qt.ItemDataRole.UserRole, path)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(0, Qt.CheckState.Checked if path in ticked else Qt.CheckState.Unchecked)
            session = " (this session)" if path in self.session_runs else ""
            item.setToolTip(0, f"{label}\n{changes + chr(10) if changes else ''}{path}{session}")
            item.setTextAlignment(3, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if path in self.session_runs:
                for col in range(len(COLUMNS)):
                    item.setFont(col, bold)
            self.tree.addTopLevelItem(item)
            if path == current:
                self.tree.setCurrentItem(item)
        self.tree.blockSignals(False)
        self._update_buttons()
        if ticked:
            self._emit_overlays()

    def checked_paths(self) -> list[str]:
        return [
            self.tree.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole)
            for i in range(self.tree.topLevelItemCount())
            if self.tree.topLevelItem(i).checkState(0) == Qt.CheckState.Checked
        ]

    def set_checked(self, path: str, checked: bool) -> None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.data(0, Qt.ItemDataRole.UserRole) == str(path):
                item.setCheckState(0, Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def current_path(self) -> str | None:
        item = self.tree.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item else None

    def record(self, path: str) -> RunRecord:
        return self._records[str(path)]

    def _item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if column == 0:
            self._emit_overlays()

    def _emit_overlays(self) -> None:
        runs = []
        for path in self.checked_paths():
            record = self._records[path]
            if path not in self._curves:
                self._curves[path] = RunCurves.from_record(record.steps, record.epochs)
            runs.append((f"{run_label(record)[0]} {run_date(record)[-8:]}", self._curves[path]))
        self.overlaysChanged.emit(runs)

    def _update_buttons(self) -> None:
        path = self.current_path()
        self.open_button.setEnabled(path is not None)
        record = self._records.get(path) if path else None
        self.results_button.setEnabled(record is not None and record.checkpoint_path("best").is_file())
        resumable = record is not None and record.status == "stopped" and record.checkpoint_path("last").is_file()
        self.continue_button.setEnabled(bool(resumable))
        self.follow_button.setEnabled(record is not None and record.status == "running")
        self.export_button.setEnabled(
            record is not None and any(record.checkpoint_path(w).is_file() for w in ("best", "last"))
        )

    def _open_spec(self) -> None:
        path = self.current_path()
        if path:
            self.openSpecRequested.emit(str(Path(path) / "spec.yaml"))

    def _emit_current(self, signal) -> None:
        path = self.current_path()
        if path:
            signal.emit(path)
