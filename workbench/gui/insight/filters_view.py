"""What a layer learned: the first conv's kernels as colour tiles, any other layer's per-channel weight norms."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QLabel, QListView, QListWidget, QListWidgetItem, QStackedWidget, QVBoxLayout, QWidget

from workbench.gui.insight.pictures import rgb_pixmap
from workbench.gui.style import ACCENT, MUTED
from workbench.insight.errors import InsightError
from workbench.insight.filters import channel_norms, first_conv, kernel_tiles

TILE = 40


class FiltersView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet(f"color: {MUTED};")
        self.tiles = QListWidget()
        self.tiles.setViewMode(QListView.ViewMode.IconMode)
        self.tiles.setResizeMode(QListView.ResizeMode.Adjust)
        self.tiles.setMovement(QListView.Movement.Static)
        self.tiles.setIconSize(QSize(TILE, TILE))
        self.tiles.setGridSize(QSize(TILE + 14, TILE + 22))
        self.norms = pg.PlotWidget()
        self.norms.setBackground("w")
        self.norms.setLabel("bottom", "output channel")
        self.norms.setLabel("left", "weight norm")
        self.norms.setMouseEnabled(x=False, y=False)
        self.bars: pg.BarGraphItem | None = None
        self.stack = QStackedWidget()
        self.stack.addWidget(self.tiles)
        self.stack.addWidget(self.norms)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.stack, 1)

    def show_layer(self, model, name: str) -> None:
        """Kernels for the first conv, norms for a conv or dense layer, a note for a layer without weights."""
        try:
            if name == first_conv(model):
                self._show_tiles(kernel_tiles(model, name), name)
                return
        except InsightError:
            pass
        try:
            norms = channel_norms(model, name)
        except InsightError as exc:
            self.caption.setText(f"{exc.message}. Pick a conv or dense layer to see its weights.")
            self.stack.setCurrentWidget(self.tiles)
            self.tiles.clear()
            return
        self._show_norms(norms, name)

    def _show_tiles(self, tiles: np.ndarray, name: str) -> None:
        self.tiles.clear()
        for index, tile in enumerate(tiles):
            rgb = np.repeat(tile, 3, axis=2) if tile.shape[2] == 1 else tile
            item = QListWidgetItem(QIcon(rgb_pixmap(rgb, TILE)), f"#{index}")
            self.tiles.addItem(item)
        self.caption.setText(f"{name}: {len(tiles)} kernels of {tiles.shape[1]}×{tiles.shape[2]} on the image "
                             "(grey is zero; each kernel stretched to its own largest weight).")
        self.stack.setCurrentWidget(self.tiles)

    def _show_norms(self, norms: np.ndarray, name: str) -> None:
        if self.bars is not None:
            self.norms.removeItem(self.bars)
        self.bars = pg.BarGraphItem(x=np.arange(len(norms)), height=norms, width=0.8, brush=ACCENT)
        self.norms.addItem(self.bars)
        self.norms.autoRange()
        weak = int((norms < 0.1 * norms.max()).sum()) if norms.size and norms.max() > 0 else 0
        self.caption.setText(f"{name}: the L2 norm of each output channel's weights ({len(norms)} channels; "
                             f"{weak} below a tenth of the largest).")
        self.stack.setCurrentWidget(self.norms)
