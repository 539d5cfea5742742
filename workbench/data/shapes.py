"""The built-in ``shapes`` data: filled shapes on noisy backgrounds, generated from a seed.

Every image holds one lighter shape of a random size, position and colour on a darker background
of a random colour, with pixel noise. Drawing is vectorised: one coordinate grid, one
mask per shape kind, all images of a chunk at once.
"""

from __future__ import annotations

import math

import torch

SHAPE_CLASSES = ("circle", "square", "triangle", "cross", "star", "hexagon")

_CHUNK = 2048
_SQRT3 = math.sqrt(3.0)


def _shape_mask(kind: int, dx: torch.Tensor, dy: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
    """Boolean (N, H, W) mask of pixels at offsets ``dx``/``dy`` from the centre inside a shape of size ``r``."""
    ax, ay = dx.abs(), dy.abs()
    if kind == 0:  # circle
        return dx * dx + dy * dy <= r * r
    if kind == 1:  # square of side 1.6 r, about the area of the circle
        return torch.maximum(ax, ay) <= 0.8 * r
    if kind == 2:  # triangle pointing up: apex at -r, base at +r/2
        return (dy >= -r) & (dy <= 0.5 * r) & (_SQRT3 * ax <= dy + r)
    if kind == 3:  # cross of two bars of width 2r/3
        third = r / 3.0
        return ((ax <= r) & (ay <= third)) | ((ay <= r) & (ax <= third))
    if kind == 4:  # five-pointed star: the radius varies with the angle
        spikes = torch.remainder((torch.atan2(dy, dx) + math.pi / 2) * (5 / (2 * math.pi)), 1.0)
        edge = r * (0.45 + 1.1 * (spikes - 0.5).abs())
        return dx * dx + dy * dy <= edge * edge
    # hexagon with flat top and bottom
    return (ay <= 0.866 * r) & (0.866 * ax + 0.5 * ay <= 0.866 * r)


def _masks(labels: torch.Tensor, dx: torch.Tensor, dy: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
    """Boolean (N, H, W) masks, each image drawn with the shape its label names."""
    mask = torch.empty(dx.shape, dtype=torch.bool)
    for kind in labels.unique().tolist():
        idx = (labels == kind).nonzero().squeeze(1)
        mask[idx] = _shape_mask(kind, dx[idx], dy[idx], r[idx])
    return mask


def _chunk(labels: torch.Tensor, channels: int, height: int, width: int,
           gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    n = labels.shape[0]
    short = min(height, width)
    r = (0.25 + 0.17 * torch.rand(n, generator=gen)) * short
    cx = r + torch.rand(n, generator=gen) * (width - 1 - 2 * r)
    cy = r + torch.rand(n, generator=gen) * (height - 1 - 2 * r)
    ys = torch.arange(height, dtype=torch.float32).view(1, height, 1)
    xs = torch.arange(width, dtype=torch.float32).view(1, 1, width)
    dx = (xs - cx.view(-1, 1, 1)).expand(n, height, width)
    dy = (ys - cy.view(-1, 1, 1)).expand(n, height, width)
    mask = _masks(labels, dx, dy, r.view(-1, 1, 1)).unsqueeze(1)  # N,1,H,W

    # a lighter shape on a darker background, each level and colour drawn per image
    bg_level = 0.05 + 0.30 * torch.rand(n, 1, generator=gen)
    fg_level = 0.65 + 0.30 * torch.rand(n, 1, generator=gen)
    fg = (fg_level + 0.25 * (torch.rand(n, channels, generator=gen) - 0.5)).view(n, channels, 1, 1)
    bg = (bg_level + 0.15 * (torch.rand(n, channels, generator=gen) - 0.5)).view(n, channels, 1, 1)
    img = torch.where(mask, fg, bg)
    img += 0.24 * (torch.rand(n, channels, height, width, generator=gen) - 0.5)  # uniform noise, std 0.07
    return img.clamp_(0.0, 1.0).mul_(255.0).round_().to(torch.uint8), mask[:, 0]


def generate_shapes(
    count: int, num_classes: int = 3, channels: int = 3, height: int = 60, width: int = 60, seed: int = 0,
    masks: bool = False,
):
    """``count`` images (uint8 N×C×H×W) and labels (int64 N) of the first ``num_classes`` shapes.

    Classes are balanced and shuffled; the same arguments always give the same images. With ``masks`` a
    third tensor (bool N×H×W) marks each image's shape pixels.
    """
    if not 1 <= num_classes <= len(SHAPE_CLASSES):
        raise ValueError(f"the shapes data has 1 to {len(SHAPE_CLASSES)} classes, not {num_classes}")
    if min(height, width) < 8:
        raise ValueError(f"shapes need an input of at least 8×8 pixels, not {height}×{width}")
    gen = torch.Generator().manual_seed(int(seed))
    labels = (torch.arange(count) % num_classes)[torch.randperm(count, generator=gen)]
    images = torch.empty(count, channels, height, width, dtype=torch.uint8)
    shape_masks = torch.empty(count, height, width, dtype=torch.bool) if masks else None
    for start in range(0, count, _CHUNK):
        end = min(start + _CHUNK, count)
        images[start:end], chunk_masks = _chunk(labels[start:end], channels, height, width, gen)
        if masks:
            shape_masks[start:end] = chunk_masks
    return (images, labels.to(torch.int64), shape_masks) if masks else (images, labels.to(torch.int64))
