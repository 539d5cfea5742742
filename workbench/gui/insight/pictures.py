"""numpy pictures as Qt pixmaps, enlarged with sharp pixels."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap


def rgb_pixmap(rgb: np.ndarray, size: int) -> QPixmap:
    """A uint8 H×W×3 picture scaled to ``size`` pixels on its longer side (nearest pixel, so pixels stay sharp)."""
    data = np.ascontiguousarray(rgb[..., :3], dtype=np.uint8)
    height, width = data.shape[:2]
    image = QImage(data.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()
    return QPixmap.fromImage(image).scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.FastTransformation)


def grey_map(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """uint8 H×W×3 grey picture of one feature map, ``low`` black and ``high`` white."""
    span = max(high - low, 1e-12)
    grey = np.clip((values - low) / span * 255.0, 0, 255).astype(np.uint8)
    return np.repeat(grey[..., None], 3, axis=2)
