"""A horizontal bar chart of class probabilities (pyqtgraph), best class on top, with percent labels."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QFontMetrics

from workbench.gui.style import ACCENT, ACCENT_SOFT, MUTED, TEXT
from workbench.predict import ClassScore
from workbench.safe_text import printable_line

INSIDE_FROM = 0.7  # bars longer than this show their percentage inside
MIN_AXIS_WIDTH = 60


class ProbabilityChart(pg.PlotWidget):
    """Bars for the top classes of one image; ``labels`` and ``values`` hold what is shown."""

    def __init__(self, parent=None):
        super().__init__(parent, background="w")
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.setXRange(0, 1.15, padding=0)
        self.getAxis("bottom").setLabel("probability")
        self.getAxis("bottom").setTicks([[(v / 4, f"{v * 25}%") for v in range(5)]])
        self.getAxis("left").setWidth(MIN_AXIS_WIDTH)
        self.setMinimumHeight(160)
        self.labels: list[str] = []
        self.values: list[float] = []
        self.bars: pg.BarGraphItem | None = None
        self._texts: list[pg.TextItem] = []
        self.show_scores([])

    def show_scores(self, scores: list[ClassScore]) -> None:
        """Replace the bars with ``scores`` (already sorted, best first)."""
        self.clear()
        self._texts = []
        self.labels = [printable_line(s.name) for s in scores]
        self.values = [s.probability for s in scores]
        count = len(scores)
        if not count:
            self.bars = None
            self.getAxis("left").setTicks([[]])
            self.setYRange(0, 1, padding=0)
            placeholder = pg.TextItem("class probabilities appear here", color=MUTED, anchor=(0.5, 0.5))
            placeholder.setPos(0.55, 0.5)
            self.addItem(placeholder)
            return
        ys = [count - 1 - i for i in range(count)]
        brushes = [pg.mkBrush(ACCENT if i == 0 else ACCENT_SOFT) for i in range(count)]
        self.bars = pg.BarGraphItem(x0=0, y=ys, height=0.6, width=self.values, brushes=brushes, pen=pg.mkPen(ACCENT))
        self.addItem(self.bars)
        for y, value in zip(ys, self.values):
            inside = value > INSIDE_FROM  # a long bar carries its label inside, so "95.0%" is not cut at the edge
            text = pg.TextItem(f"{value:.1%}", color="w" if inside else TEXT, anchor=(1, 0.5) if inside else (0, 0.5))
            text.setPos(value - 0.01 if inside else value + 0.01, y)
            self.addItem(text)
            self._texts.append(text)
        self.getAxis("left").setTicks([[(y, name) for y, name in zip(ys, self.labels)]])
        widest = max(QFontMetrics(self.getAxis("left").font()).horizontalAdvance(name) for name in self.labels)
        self.getAxis("left").setWidth(max(MIN_AXIS_WIDTH, widest + 14))  # whole class names, not "squ"
        self.setYRange(-0.6, count - 0.4, padding=0)
        self.setXRange(0, 1.15, padding=0)

    @property
    def percent_texts(self) -> list[str]:
        return [t.toPlainText() for t in self._texts]
