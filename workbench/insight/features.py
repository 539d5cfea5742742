"""Feature maps: one layer's output channels for one image, with each channel's mean and whether it is dead."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from workbench.insight.errors import InsightError
from workbench.insight.layers import module_named, recording


@dataclass
class FeatureMaps:
    """A layer's output for one image: ``maps`` is float32 C×H×W (C×1×1 for a flat output)."""

    layer: str
    maps: np.ndarray

    @property
    def channel_means(self) -> np.ndarray:
        return self.maps.reshape(self.maps.shape[0], -1).mean(axis=1)

    @property
    def dead(self) -> np.ndarray:
        """True for a channel that is zero everywhere on this image (a ReLU that never fired)."""
        return np.abs(self.maps.reshape(self.maps.shape[0], -1)).max(axis=1) == 0.0


def _as_maps(output: torch.Tensor) -> np.ndarray:
    out = output[0].detach().float().cpu()
    if out.dim() == 1:
        out = out.view(-1, 1, 1)
    elif out.dim() != 3:
        raise InsightError(f"the layer's output has shape {tuple(out.shape)}, not channels × height × width")
    return out.numpy().astype(np.float32, copy=False)


def feature_maps(model: nn.Module, image: torch.Tensor, layers) -> dict[str, FeatureMaps]:
    """The outputs of ``layers`` (names) for one normalised image (C×H×W or 1×C×H×W), from one forward pass."""
    names = [layers] if isinstance(layers, str) else list(layers)
    for name in names:
        module_named(model, name)
    x = image if image.dim() == 4 else image.unsqueeze(0)
    was_training = model.training
    model.eval()
    try:
        with recording(model, names) as outputs, torch.no_grad():
            model(x)
    finally:
        model.train(was_training)
    missing = [n for n in names if n not in outputs]
    if missing:
        raise InsightError(f"layer '{missing[0]}' does not run in this model's forward pass")
    return {name: FeatureMaps(name, _as_maps(outputs[name])) for name in names}
