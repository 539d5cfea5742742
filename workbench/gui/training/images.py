"""Show network-sized images (uint8 C×H×W arrays) as labelled thumbnails."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


def to_pixmap(image: np.ndarray, size: int) -> QPixmap:
    """A C×H×W uint8 array (1, 3 or 4 channels) scaled to ``size`` pixels on its longer side."""
    channels, height, width = image.shape
    if channels == 1:
        rgb = np.repeat(image, 3, axis=0)
    else:
        rgb = image[:3] if channels >= 3 else np.repeat(image[:1], 3, axis=0)
    data = np.ascontiguousarray(rgb.transpose(1, 2, 0))
    qimage = QImage(data.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()
    return QPixmap.fromImage(qimage).scaled(
        size, size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation
    )


class Thumbnail(QWidget):
    """An image with a caption under it; the caption may be coloured (e.g. red for a mistake). Emits
    ``clicked`` when clicked."""

    clicked = Signal()

    def __init__(self, image: np.ndarray, caption: str, size: int = 56, colour: str | None = None, tooltip: str = ""):
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(1)
        picture = QLabel()
        picture.setPixmap(to_pixmap(image, size))
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption = QLabel(caption)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setWordWrap(True)
        self.caption.setMaximumWidth(size + 24)
        if colour:
            self.caption.setStyleSheet(f"color: {colour};")
        layout.addWidget(picture)
        layout.addWidget(self.caption)
        self.setToolTip(tooltip or caption)

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mousePressEvent(event)
