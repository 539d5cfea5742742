"""A layer's histograms over training steps as heat-map strips (weights, gradients, activations)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from workbench.gui.style import MUTED
from workbench.insight.histograms import KINDS, Histogram

ROWS = 64  # value bins of the common scale each strip is drawn on
KIND_TITLES = {"weight": "weights", "grad": "gradients", "activation": "activations"}


def strip_image(hist: Histogram, rows: int = ROWS) -> tuple[np.ndarray, float, float]:
    """steps × ``rows`` shares of each step's values on one value scale for all steps, and that scale's range.

    Each recorded bin's count goes to the common bin holding its centre; steps with no record stay zero.
    """
    valid = np.isfinite(hist.low) & np.isfinite(hist.high)
    if not valid.any():
        return np.zeros((len(hist.steps), rows)), 0.0, 1.0
    low, high = float(hist.low[valid].min()), float(hist.high[valid].max())
    span = max(high - low, 1e-12)
    image = np.zeros((len(hist.steps), rows))
    for step in np.flatnonzero(valid):
        edges = hist.edges(step)
        centres = (edges[:-1] + edges[1:]) / 2
        index = np.clip(((centres - low) / span * rows).astype(int), 0, rows - 1)
        np.add.at(image[step], index, hist.counts[step])
        total = image[step].sum()
        if total > 0:
            image[step] /= total
    return image, low, high


class HistogramStrips(QWidget):
    """Three strips, one per kind, over the record steps; brighter cells hold more of the values."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.caption = QLabel("Train with histograms on (Settings below the Start button) to see them here.")
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet(f"color: {MUTED};")
        self.plots: dict[str, pg.PlotWidget] = {}
        self.images: dict[str, pg.ImageItem] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        colours = pg.colormap.get("inferno")
        for kind in KINDS:
            plot = pg.PlotWidget()
            plot.setBackground("w")
            plot.setMinimumHeight(60)
            plot.setLabel("left", KIND_TITLES[kind])
            plot.setMouseEnabled(x=False, y=False)
            image = pg.ImageItem()
            image.setColorMap(colours)
            plot.addItem(image)
            self.plots[kind], self.images[kind] = plot, image
            layout.addWidget(plot, 1)
        self.plots[KINDS[-1]].setLabel("bottom", "step")
        self.shown: dict[str, np.ndarray] = {}

    def show_layer(self, histograms: list[Histogram], layer: str) -> None:
        mine = {h.kind: h for h in histograms if h.layer == layer}
        self.shown = {}
        for kind in KINDS:
            hist = mine.get(kind)
            plot, image = self.plots[kind], self.images[kind]
            if hist is None or len(hist.steps) == 0:
                image.clear()
                plot.setTitle(None)
                continue
            strip, low, high = strip_image(hist)
            self.shown[kind] = strip
            image.setImage(np.sqrt(strip), levels=(0.0, float(np.sqrt(strip).max()) or 1.0))
            first, last = float(hist.steps[0]), float(hist.steps[-1])
            width = max(last - first, 1.0) * (len(hist.steps) / max(len(hist.steps) - 1, 1))
            image.setRect(QRectF(first, low, width, max(high - low, 1e-12)))
            plot.autoRange()
        if not histograms:
            self.caption.setText("This run recorded no histograms. Tick \"Histograms every N steps\" before "
                                 "training to record them.")
        elif not mine:
            self.caption.setText(f"No histograms for {layer} (nothing was recorded for it).")
        else:
            steps = next(iter(mine.values())).steps
            self.caption.setText(f"{layer}: {len(steps)} records from step {steps[0]} to {steps[-1]}; each column "
                                 "is one step, brighter where more of the values lie.")
