"""After a run: the confusion matrix with per-class accuracy, and validation images with their predictions."""

from __future__ import annotations

from html import escape

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QGridLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.gui.training.images import Thumbnail
from workbench.training.validation import ValidationResults

GRID_COLUMNS = 6
MISTAKE_COLOUR = "#c62828"
RIGHT_COLOUR = "#2e7d32"


def cell_colour(share: float) -> QColor:
    """White for 0 up to a strong blue for 1."""
    share = 0.0 if np.isnan(share) else float(share)
    return QColor(int(255 - 200 * share), int(255 - 150 * share), 255)


class ResultsView(QWidget):
    """Empty until :meth:`show_results` gets the predictions of a finished run. Clicking a validation image
    emits ``imageClicked(run_dir, index)`` (an index into ``results``)."""

    imageClicked = Signal(str, int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.results: ValidationResults | None = None
        self.run_dir: str | None = None  # the run the results belong to
        self.summary = QLabel("Results appear here when a run ends.")
        self.summary.setWordWrap(True)
        self.matrix = QTableWidget()
        self.matrix.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.matrix.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.matrix.setToolTip("Rows: true class. Columns: predicted class. Last column: per-class accuracy.")
        self.grid_title = QLabel()
        self.grid = QWidget()
        self.grid_layout = QGridLayout(self.grid)
        self.grid_layout.setContentsMargins(0, 0, 0, 0)
        self.grid_layout.setSpacing(2)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addWidget(self.summary)
        layout.addWidget(QLabel("Confusion matrix (rows: true, columns: predicted)"))
        layout.addWidget(self.matrix)
        layout.addWidget(self.grid_title)
        layout.addWidget(self.grid)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    def show_results(self, results: ValidationResults, source: str = "") -> None:
        """Show ``results``; ``source`` says which run (and weights) they come from."""
        self.results = results
        names, confusion = results.class_names, results.confusion
        total = int(confusion.sum())
        mistakes = total - int(np.trace(confusion))
        text = f"alidation accuracy {results.accuracy:.1%} on {total} images ({mistakes} mistakes)."
        self.summary.setText(f"<b>{escape(source[0].upper() + source[1:])}</b>: v{text}" if source else f"V{text}")
        self._fill_matrix(names, confusion, results.per_class_accuracy)
        self._fill_grid(results)

    def _fill_matrix(self, names: list[str], confusion: np.ndarray, per_class: np.ndarray) -> None:
        n = len(names)
        self.matrix.clear()
        self.matrix.setRowCount(n)
        self.matrix.setColumnCount(n + 1)
        self.matrix.setHorizontalHeaderLabels(list(names) + ["accuracy"])
        self.matrix.setVerticalHeaderLabels(list(names))
        rows = confusion.sum(axis=1, keepdims=True)
        shares = confusion / np.maximum(rows, 1)
        for r in range(n):
            for c in range(n):
                item = QTableWidgetItem(str(int(confusion[r, c])))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                item.setBackground(QBrush(cell_colour(shares[r, c])))
                item.setForeground(QBrush(QColor("white" if shares[r, c] > 0.6 else "black")))
                item.setToolTip(f"true {names[r]}, predicted {names[c]}: {int(confusion[r, c])}")
                self.matrix.setItem(r, c, item)
            acc = per_class[r]
            item = QTableWidgetItem("—" if np.isnan(acc) else f"{acc:.0%}")
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            self.matrix.setItem(r, n, item)
        height = self.matrix.horizontalHeader().height() + sum(self.matrix.rowHeight(r) for r in range(n)) + 4
        self.matrix.setFixedHeight(min(height, 420))

    def _fill_grid(self, results: ValidationResults) -> None:
        while self.grid_layout.count():
            self.grid_layout.takeAt(0).widget().deleteLater()
        names = results.class_names
        total = int(results.confusion.sum())
        mistakes = total - int(np.trace(results.confusion))
        self.grid_title.setText(f"{len(results.true)} of {total} validation images, mistakes first "
                                f"({mistakes} mistake{'s' if mistakes != 1 else ''} in all)")
        for i, (image, true, predicted) in enumerate(zip(results.images, results.true, results.predicted)):
            right = true == predicted
            caption = names[true] if right else f"{names[true]} → {names[predicted]}"
            tooltip = f"true: {names[true]}\npredicted: {names[predicted]}\nclick: where the model looks (Inside panel)"
            thumb = Thumbnail(image, caption, size=64, colour=RIGHT_COLOUR if right else MISTAKE_COLOUR, tooltip=tooltip)
            thumb.clicked.connect(lambda i=i: self.run_dir and self.imageClicked.emit(str(self.run_dir), i))
            self.grid_layout.addWidget(thumb, i // GRID_COLUMNS, i % GRID_COLUMNS)
