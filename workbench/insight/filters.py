"""What a layer has learned, from its weights: the first conv's kernels as image tiles, deeper layers'
per-output-channel weight norms."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from workbench.insight.errors import InsightError
from workbench.insight.layers import module_named


def weighted_layers(model: nn.Module) -> list[str]:
    """Names of the conv and dense layers (modules with a weight of two or more dimensions), in model order."""
    return [name for name, m in model.named_modules()
            if name and isinstance(getattr(m, "weight", None), torch.Tensor) and m.weight.dim() >= 2
            and isinstance(m, (nn.Conv2d, nn.Linear))]


def first_conv(model: nn.Module) -> str:
    """The first convolution that sees the image (1 or 3 input channels)."""
    for name, module in model.named_modules():
        if isinstance(module, nn.Conv2d) and module.in_channels in (1, 3) and module.groups == 1:
            return name
    raise InsightError("this model has no convolution on the image", "add a conv layer first")


def kernel_tiles(model: nn.Module, name: str | None = None) -> np.ndarray:
    """uint8 tiles O×kh×kw×C (C = 1 or 3) of a conv's kernels, each stretched to the full 0–255 range
    around zero so that a kernel's sign and pattern show; default: the first conv."""
    name = name or first_conv(model)
    module = module_named(model, name)
    if not isinstance(module, nn.Conv2d) or module.in_channels not in (1, 3) or module.groups != 1:
        raise InsightError(f"layer '{name}' is not a convolution on a 1- or 3-channel image",
                           "kernels show as images only for the first conv; deeper layers show weight norms")
    w = module.weight.detach().float().cpu()
    scale = w.flatten(1).abs().amax(dim=1).clamp_min(1e-12).view(-1, 1, 1, 1)
    tiles = (w / scale * 127.5 + 127.5).round().clamp(0, 255).to(torch.uint8)
    return tiles.permute(0, 2, 3, 1).numpy()


def channel_norms(model: nn.Module, name: str) -> np.ndarray:
    """The L2 norm of each output channel's weights (float32, one per channel) of a conv or dense layer."""
    module = module_named(model, name)
    weight = getattr(module, "weight", None)
    if not isinstance(weight, torch.Tensor) or weight.dim() < 2:
        raise InsightError(f"layer '{name}' has no weights to show", f"choose one of: {', '.join(weighted_layers(model))}")
    return weight.detach().float().cpu().flatten(1).norm(dim=1).numpy()
