"""Pictures of heat maps: a colour map over the image, at a size a person can see."""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps

COLORMAP = "inferno"
MIN_SIDE = 240


def normalised(heat: np.ndarray) -> np.ndarray:
    """``heat`` scaled to 0–1 by its largest positive value (negative evidence shows as zero)."""
    positive = np.clip(np.nan_to_num(heat.astype(np.float32)), 0.0, None)
    top = float(positive.max()) if positive.size else 0.0
    return positive / top if top > 0 else positive


def colourise(heat: np.ndarray) -> np.ndarray:
    """uint8 H×W×3 colours of a heat map (normalised first)."""
    rgba = colormaps[COLORMAP](normalised(heat))
    return (rgba[..., :3] * 255).round().astype(np.uint8)


def as_rgb(image: np.ndarray) -> np.ndarray:
    """uint8 H×W×3 from a uint8 C×H×W image with 1 or 3 channels."""
    hwc = np.transpose(image, (1, 2, 0))
    return np.repeat(hwc, 3, axis=2) if hwc.shape[2] == 1 else hwc[..., :3]


def overlay(image: np.ndarray, heat: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """uint8 H×W×3: the uint8 C×H×W ``image`` in grey with the heat map's colours laid over it,
    more opaque where the heat is higher."""
    rgb = as_rgb(image).astype(np.float32)
    grey = rgb.mean(axis=2, keepdims=True).repeat(3, axis=2)
    weight = alpha + (1 - alpha) * normalised(heat)[..., None] * 0.6
    mixed = grey * (1 - weight) + colourise(heat).astype(np.float32) * weight
    return mixed.round().clip(0, 255).astype(np.uint8)


def upscale(rgb: np.ndarray, min_side: int = MIN_SIDE) -> np.ndarray:
    """``rgb`` enlarged by a whole factor (pixels stay square and sharp) until its short side is ``min_side``."""
    factor = max(1, -(-min_side // max(1, min(rgb.shape[:2]))))
    return rgb.repeat(factor, axis=0).repeat(factor, axis=1)


def explanation_picture(image: np.ndarray, heat: np.ndarray) -> np.ndarray:
    """The image and the map over it, side by side, enlarged to be seen (uint8 H×W×3)."""
    gap = np.full((image.shape[1], 2, 3), 255, dtype=np.uint8)
    return upscale(np.concatenate([as_rgb(image), gap, overlay(image, heat)], axis=1))
