"""How each layer type transforms its input: output shape, parameters, MACs and receptive field.

Shapes are ``(C, H, W)`` for feature maps and ``(F,)`` for flat vectors. Every rule mirrors what
PyTorch accepts, so a stack the analysis passes is one PyTorch builds and runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.spec.model import Layer, as_conv, se_hidden
from workbench.spec.params import pair

Shape = tuple[int, ...]


class ShapeError(Exception):
    """The layer cannot take this input; ``hint`` says what to change."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.hint = hint


@dataclass
class Step:
    """What one layer does to the tensor and to the receptive field."""

    out: Shape
    params: int = 0
    buffers: int = 0
    macs: int = 0
    rf: tuple[int, int] = (1, 1)
    jump: tuple[int, int] = (1, 1)


def fmt_shape(shape: Shape) -> str:
    return "×".join(str(s) for s in shape)


def _need_map(layer: Layer, shape: Shape) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise ShapeError(
            f"{layer.type} needs a C×H×W feature map but gets a flat vector of {shape[0]} values",
            "move it before the flatten/dense layer",
        )
    return shape  # type: ignore[return-value]


def _grow(rf: tuple[int, int], jump: tuple[int, int], kernel: tuple[int, int], stride: tuple[int, int]):
    new_rf = (rf[0] + (kernel[0] - 1) * jump[0], rf[1] + (kernel[1] - 1) * jump[1])
    return new_rf, (jump[0] * stride[0], jump[1] * stride[1])


def _conv(layer: Layer, shape: Shape, rf, jump) -> Step:
    c, h, w = _need_map(layer, shape)
    filters, groups = layer.get("filters"), layer.get("groups")
    kernel_value, padding = layer.get("kernel"), layer.get("padding")
    stride, dilation = pair(layer.get("stride")), pair(layer.get("dilation"))
    if kernel_value == "full":
        if padding not in ("valid", 0, [0, 0]):
            raise ShapeError("kernel: full covers the whole map and takes no padding", "set padding: valid")
        kernel = (h, w)
    else:
        kernel = pair(kernel_value)
    if c % groups or filters % groups:
        raise ShapeError(
            f"groups={groups} must divide both the {c} input channels and the {filters} filters",
            "choose groups that divides both, or 1",
        )
    eff = (dilation[0] * (kernel[0] - 1) + 1, dilation[1] * (kernel[1] - 1) + 1)
    if padding == "same":
        if stride != (1, 1):
            raise ShapeError("padding: same works only with stride 1", "use an integer padding, e.g. (kernel-1)//2")
        out_hw = (h, w)
    else:
        pad = (0, 0) if padding == "valid" else pair(padding)
        ph, pw = h + 2 * pad[0], w + 2 * pad[1]
        if eff[0] > ph or eff[1] > pw:
            raise ShapeError(
                f"the {fmt_shape(eff)} kernel is larger than its {h}×{w} input",
                "use a smaller kernel, padding: same, or kernel: full",
            )
        out_hw = ((ph - eff[0]) // stride[0] + 1, (pw - eff[1]) // stride[1] + 1)
    weights = filters * (c // groups) * kernel[0] * kernel[1]
    params = weights + (filters if layer.get("bias") else 0)
    macs = out_hw[0] * out_hw[1] * weights
    new_rf, new_jump = _grow(rf, jump, eff, stride)
    return Step((filters, *out_hw), params, 0, macs, new_rf, new_jump)


def _depthwise(layer: Layer, shape: Shape, rf, jump) -> Step:
    c, _, _ = _need_map(layer, shape)
    return _conv(as_conv(layer, c), shape, rf, jump)


def _se(layer: Layer, shape: Shape, rf, jump) -> Step:
    """Squeeze-and-excitation: two fc layers on the channel means, then every value scaled by its channel's
    gate; each output sees the whole map (through the mean)."""
    c, h, w = _need_map(layer, shape)
    hidden = se_hidden(c, layer.get("reduction"))
    params = 2 * c * hidden + hidden + c
    new_rf, _ = _grow(rf, jump, (h, w), (1, 1))
    return Step(shape, params, 0, 2 * c * hidden + c * h * w, new_rf, jump)


def _pool(layer: Layer, shape: Shape, rf, jump) -> Step:
    c, h, w = _need_map(layer, shape)
    kernel = pair(layer.get("kernel"))
    stride = pair(layer.get("stride") if layer.get("stride") is not None else layer.get("kernel"))
    pad = pair(layer.get("padding"))
    if pad[0] > kernel[0] // 2 or pad[1] > kernel[1] // 2:
        raise ShapeError("padding must be at most half the kernel size", f"use padding ≤ {min(kernel) // 2}")
    oh = (h + 2 * pad[0] - kernel[0]) // stride[0] + 1
    ow = (w + 2 * pad[1] - kernel[1]) // stride[1] + 1
    if oh < 1 or ow < 1:
        raise ShapeError(
            f"the {fmt_shape(kernel)} window is larger than its {h}×{w} input; nothing is left",
            "remove this pool or use a smaller kernel",
        )
    new_rf, new_jump = _grow(rf, jump, kernel, stride)
    return Step((c, oh, ow), 0, 0, 0, new_rf, new_jump)


def _global_pool(layer: Layer, shape: Shape, rf, jump) -> Step:
    c, h, w = _need_map(layer, shape)
    new_rf, new_jump = _grow(rf, jump, (h, w), (h, w))
    return Step((c, 1, 1), 0, 0, 0, new_rf, new_jump)


def _same(layer: Layer, shape: Shape, rf, jump) -> Step:
    return Step(shape, rf=rf, jump=jump)


def _batchnorm(layer: Layer, shape: Shape, rf, jump) -> Step:
    c = shape[0]
    numel = 1
    for s in shape:
        numel *= s
    return Step(shape, 2 * c, 2 * c + 1, numel, rf, jump)


def _whole(shape: Shape, rf, jump):
    if len(shape) == 3:
        return _grow(rf, jump, (shape[1], shape[2]), (shape[1], shape[2]))
    return rf, jump


def _flatten(layer: Layer, shape: Shape, rf, jump) -> Step:
    numel = 1
    for s in shape:
        numel *= s
    new_rf, new_jump = _whole(shape, rf, jump)
    return Step((numel,), rf=new_rf, jump=new_jump)


def _dense(layer: Layer, shape: Shape, rf, jump) -> Step:
    if len(shape) == 3 and (shape[1], shape[2]) != (1, 1):
        raise ShapeError(
            f"dense needs a flat vector but gets a {fmt_shape(shape)} map",
            "add a flatten or gap layer before it",
        )
    fan_in = shape[0]
    units = layer.get("units")
    params = fan_in * units + (units if layer.get("bias") else 0)
    new_rf, new_jump = _whole(shape, rf, jump)
    return Step((units,), params, 0, fan_in * units, new_rf, new_jump)


RULES = {
    "conv": _conv,
    "depthwise": _depthwise,
    "se": _se,
    "maxpool": _pool,
    "avgpool": _pool,
    "gap": _global_pool,
    "gmp": _global_pool,
    "dropout": _same,
    "activation": _same,
    "batchnorm": _batchnorm,
    "flatten": _flatten,
    "dense": _dense,
}


def apply_rule(layer: Layer, shape: Shape, rf, jump) -> Step:
    """The :class:`Step` for ``layer`` on an input of ``shape``; raises :class:`ShapeError`."""
    return RULES[layer.type](layer, shape, rf, jump)
