"""Batched augmentation as tensor ops on the training device: flip, padded random crop, brightness/contrast."""

from __future__ import annotations

import torch


class Augmenter:
    """Random flips, crops and jitter for float image batches in 0..1 units, drawn from ``generator``."""

    def __init__(self, flip: bool = False, crop_padding: int = 0, jitter: float = 0.0, generator: torch.Generator | None = None):
        self.flip = bool(flip)
        self.crop_padding = int(crop_padding)
        self.jitter = float(jitter)
        self.generator = generator

    @property
    def active(self) -> bool:
        return self.flip or self.crop_padding > 0 or self.jitter > 0

    def _rand(self, *shape: int, device) -> torch.Tensor:
        return torch.rand(*shape, generator=self.generator, device=device)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.flip:
            x = self._flip(x)
        if self.crop_padding > 0:
            x = self._crop(x)
        if self.jitter > 0:
            x = self._jitter(x)
        return x

    def _flip(self, x: torch.Tensor) -> torch.Tensor:
        mask = self._rand(x.shape[0], device=x.device) < 0.5
        return torch.where(mask.view(-1, 1, 1, 1), x.flip(3), x)

    def _crop(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        p = self.crop_padding
        padded = torch.nn.functional.pad(x, (p, p, p, p))
        offsets = (self._rand(2, n, device=x.device) * (2 * p + 1)).long().clamp_(max=2 * p)
        rows = (torch.arange(h, device=x.device).view(1, h) + offsets[0].view(n, 1)).view(n, 1, h, 1)
        cols = (torch.arange(w, device=x.device).view(1, w) + offsets[1].view(n, 1)).view(n, 1, 1, w)
        padded = padded.gather(2, rows.expand(n, c, h, w + 2 * p))
        return padded.gather(3, cols.expand(n, c, h, w))

    def _jitter(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        factors = 1.0 + self.jitter * (2.0 * self._rand(2, n, device=x.device) - 1.0)
        brightness = factors[0].view(n, 1, 1, 1)
        contrast = factors[1].view(n, 1, 1, 1)
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        return ((x - mean) * contrast + mean).mul_(brightness).clamp_(0.0, 1.0)
