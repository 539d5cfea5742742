"""Legends in a row of their own above a plot: as many entries side by side as the plot's width holds."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt


def fit_columns(legend: pg.LegendItem, view: pg.GraphicsView, room: float) -> None:
    """Lay ``legend``'s entries out in the most columns that fit ``room`` pixels (at least one column), then
    lay ``view``'s plots out again: a legend that was wider would otherwise keep them wider than the view, cut
    off at its right edge."""
    for columns in range(max(1, len(legend.items)), 0, -1):
        legend.setColumnCount(columns)
        if legend.layout.effectiveSizeHint(Qt.SizeHint.PreferredSize).width() <= room:
            break
    pg.GraphicsView.setRange(view, view.range, padding=0, disableAutoPixel=False)
