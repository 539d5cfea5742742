"""One layer's channels for one image as a grid of grey tiles, each with its mean; dead channels marked."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QBrush, QColor, QIcon
from PySide6.QtWidgets import QListView, QListWidget, QListWidgetItem

from workbench.gui.insight.pictures import grey_map, rgb_pixmap
from workbench.gui.style import ERROR
from workbench.insight.features import FeatureMaps

TILE = 56


class ChannelGrid(QListWidget):
    """Tiles share one grey scale (the layer's min to max on this image), so channels compare by brightness."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setIconSize(QSize(TILE, TILE))
        self.setGridSize(QSize(TILE + 22, TILE + 34))
        self.setWordWrap(True)
        self.setSpacing(2)
        self.maps: FeatureMaps | None = None

    def show_maps(self, maps: FeatureMaps) -> None:
        self.maps = maps
        self.clear()
        values = maps.maps
        low, high = float(values.min()), float(values.max())
        for index, (channel, mean, dead) in enumerate(zip(values, maps.channel_means, maps.dead)):
            text = f"#{index}\n{'dead' if dead else f'{mean:.3g}'}"
            item = QListWidgetItem(QIcon(rgb_pixmap(grey_map(channel, low, high), TILE)), text)
            item.setToolTip(f"channel {index}: mean activation {mean:.4g}, max {channel.max():.4g}"
                            + (" — zero everywhere on this image (dead)" if dead else ""))
            if dead:
                item.setForeground(QBrush(QColor(ERROR)))
            self.addItem(item)
