"""Where the network looks: Captum's attribution methods, each reduced to one H×W map over the input image.

``gradcam`` is Captum's LayerGradCam on a spatial layer (default: the last one), upsampled to the input with
``LayerAttribution.interpolate``; ``saliency``, ``ig`` (integrated gradients from the all-zero normalised
image, i.e. the data mean) and ``occlusion`` attribute to the input pixels and are summed over channels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from captum.attr import IntegratedGradients, LayerAttribution, LayerGradCam, Occlusion, Saliency
from torch import nn

from workbench.insight.errors import InsightError
from workbench.insight.layers import module_named, spatial_layer
from workbench.insight.methods import METHODS

IG_STEPS = 32


@dataclass
class Attribution:
    """One image's attribution map (float32 H×W at the input's size) for class ``target``."""

    method: str
    layer: str | None  # the layer Grad-CAM used; None for the input methods
    target: int
    heat: np.ndarray


def _occlusion_window(height: int, width: int) -> tuple[int, int]:
    window = max(2, min(height, width) // 6)
    return window, max(1, window // 2)


def attribute(model: nn.Module, image: torch.Tensor, target: int, method: str = "gradcam",
              layer: str | None = None) -> Attribution:
    """The ``method`` map of normalised ``image`` (C×H×W) for class index ``target``.

    ``layer`` is used by Grad-CAM only; :class:`InsightError` when it does not exist or has no spatial size.
    """
    if method not in METHODS:
        raise InsightError(f"unknown method '{method}'", f"use one of: {', '.join(METHODS)}")
    model.eval()
    x = image.unsqueeze(0) if image.dim() == 3 else image
    x = x.detach().clone()
    c, h, w = x.shape[1:]
    used = None
    if method == "gradcam":
        used = spatial_layer(model, (c, h, w), layer).name
        cam = LayerGradCam(model, module_named(model, used)).attribute(x, target=target, relu_attributions=True)
        heat = LayerAttribution.interpolate(cam.detach(), (h, w), interpolate_mode="bilinear")[0, 0]
    elif method == "saliency":
        heat = Saliency(model).attribute(x.requires_grad_(), target=target, abs=True)[0].amax(dim=0)
    elif method == "ig":
        ig = IntegratedGradients(model).attribute(x, baselines=torch.zeros_like(x), target=target, n_steps=IG_STEPS)
        heat = ig[0].sum(dim=0).abs()
    else:
        window, stride = _occlusion_window(h, w)
        occ = Occlusion(model).attribute(x, target=target, sliding_window_shapes=(c, window, window),
                                         strides=(c, stride, stride), baselines=0.0)
        heat = occ[0].mean(dim=0)
    return Attribution(method, used, int(target), heat.detach().float().cpu().numpy())
