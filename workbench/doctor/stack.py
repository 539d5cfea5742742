"""Facts about a layer stack that several doctor rules need: weight layers, fan-in, what follows a layer."""

from __future__ import annotations

import math

from workbench.analysis import Analysis, LayerInfo
from workbench.spec.model import PASS_THROUGH, Layer, ModelSpec

WEIGHT_TYPES = ("conv", "dense")
SPATIAL_TYPES = ("maxpool", "avgpool")
# Truncating a normal distribution at ±2σ shrinks its standard deviation by this factor.
TRUNC_2SIGMA = math.sqrt(1 - 4 * math.exp(-2) / math.sqrt(2 * math.pi) / math.erf(2 / math.sqrt(2)))


def is_weight(layer: Layer) -> bool:
    return layer.type in WEIGHT_TYPES


def last_weight_index(spec: ModelSpec) -> int | None:
    """Index of the classifier: the last conv or dense layer."""
    for i in range(len(spec.layers) - 1, -1, -1):
        if is_weight(spec.layers[i]):
            return i
    return None


def kernel_hw(layer: Layer, info: LayerInfo) -> tuple[int, int]:
    """The kernel size a conv really uses (``full`` resolved against its input)."""
    k = layer.get("kernel")
    if k == "full":
        return info.in_shape[1], info.in_shape[2]
    return (k, k) if isinstance(k, int) else (int(k[0]), int(k[1]))


def fans(layer: Layer, info: LayerInfo) -> tuple[int, int] | None:
    """(fan_in, fan_out) of a conv or dense layer, or None when its input shape is unknown."""
    if info.in_shape is None or info.status != "ok":
        return None
    if layer.type == "dense":
        return math.prod(info.in_shape), layer.get("units")
    kh, kw = kernel_hw(layer, info)
    groups = layer.get("groups")
    return info.in_shape[0] // groups * kh * kw, layer.get("filters") // groups * kh * kw


def next_index(spec: ModelSpec, i: int, skip=PASS_THROUGH) -> int | None:
    """Index of the first layer after ``i`` whose type is not in ``skip``."""
    for j in range(i + 1, len(spec.layers)):
        if spec.layers[j].type not in skip:
            return j
    return None


def following_activation(spec: ModelSpec, i: int) -> str:
    """The nonlinearity a weight layer's output meets: its own, a following activation layer,
    ``"batchnorm"`` when batch norm comes first (it rescales, so init scale matters little), or ``"none"``
    (the same activation the default initialisation follows)."""
    j = next_index(spec, i)
    if spec.layers[i].get("activation") == "none" and j is not None and spec.layers[j].type == "batchnorm":
        return "batchnorm"
    return spec.activation_after(i)


def usable(analysis: Analysis, i: int) -> bool:
    """Whether the analysis knows layer ``i``'s input and output shapes."""
    info = analysis.layers[i] if i < len(analysis.layers) else None
    return info is not None and info.in_shape is not None and info.out_shape is not None and info.status == "ok"
