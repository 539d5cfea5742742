"""Turn a spec into a ``torch.nn.Module`` whose submodules carry the layer names.

Blocks become plain modules named by the tree (``stage2.0.body.conv1``): a block layer is an
``nn.Sequential`` of its copies, each a :class:`ResidualBlock` or :class:`ParallelBlock`.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import torch
from torch import nn

from workbench.analysis import analyze
from workbench.analysis.analyze import CopyInfo, LayerInfo
from workbench.analysis.block_rules import projection_stride
from workbench.block_modules import ParallelBlock, Projection, ResidualBlock, every_stride_th, make_activation
from workbench.spec.model import Layer, ModelSpec, activation_after, as_conv, se_hidden
from workbench.spec.params import pair
from workbench.spec.problems import SpecError

_GAINS = {"relu": "relu", "leaky_relu": "leaky_relu", "elu": "relu", "gelu": "relu", "tanh": "tanh", "sigmoid": "sigmoid"}


class ConvLayer(nn.Conv2d):
    """A convolution followed by its activation; state_dict keys stay ``<name>.weight``/``.bias``.

    A strided 1×1 convolution without padding runs as a 1×1 convolution on every stride-th pixel (see
    :func:`~workbench.block_modules.every_stride_th`): the same numbers, without torch's CPU kernel for the
    strided one.
    """

    def __init__(self, *args, activation: str = "none", **kwargs):
        super().__init__(*args, **kwargs)
        self.act = make_activation(activation)
        self.subsamples = self.kernel_size == (1, 1) and self.stride != (1, 1) and self.padding == (0, 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.subsamples:
            x = every_stride_th(x, self.stride)
            return self.act(nn.functional.conv2d(x, self.weight, self.bias, 1, 0, self.dilation, self.groups))
        return self.act(super().forward(x))


class DenseLayer(nn.Linear):
    """A fully connected layer on the flattened input, followed by its activation."""

    def __init__(self, *args, activation: str = "none", **kwargs):
        super().__init__(*args, **kwargs)
        self.act = make_activation(activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(super().forward(x.flatten(1)))


class GlobalAvgPool(nn.Module):
    """Global average pooling of an (N, C, H, W) map to (N, C, 1, 1); refuses flat input."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4:
            raise ValueError(f"global average pooling needs an (N, C, H, W) input, got {tuple(x.shape)}")
        return x.mean(dim=(2, 3), keepdim=True)


class SqueezeExcite(nn.Module):
    """Squeeze-and-excitation (Hu et al. 2018): each channel of ``x`` scaled by a gate in (0, 1),
    ``sigmoid(fc2(relu(fc1(mean of the channel))))``."""

    def __init__(self, channels: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(channels, hidden)
        self.fc2 = nn.Linear(hidden, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4:
            raise ValueError(f"squeeze-and-excitation needs an (N, C, H, W) input, got {tuple(x.shape)}")
        gate = torch.sigmoid(self.fc2(torch.relu(self.fc1(x.mean(dim=(2, 3))))))
        return x * gate[:, :, None, None]


class SpecModel(nn.Module):
    """The network a spec describes; ``forward`` returns logits of shape (batch, classes)."""

    def __init__(self, names: list[str], modules: list[nn.Module]):
        super().__init__()
        self.layer_names = list(names)
        for name, module in zip(names, modules):
            self.add_module(name, module)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for name in self.layer_names:
            x = getattr(self, name)(x)
        return x.flatten(1)


def _conv(layer: Layer, shape) -> nn.Module:
    padding = layer.get("padding")
    if layer.get("kernel") == "full":
        if padding not in ("valid", 0, [0, 0]):
            raise ValueError("kernel: full takes no padding")
        kernel = (shape[1], shape[2])
    else:
        kernel = pair(layer.get("kernel"))
    if padding == "valid":
        padding = 0
    elif padding != "same":
        padding = pair(padding)
    return ConvLayer(
        shape[0],
        layer.get("filters"),
        kernel,
        stride=pair(layer.get("stride")),
        padding=padding,
        dilation=pair(layer.get("dilation")),
        groups=layer.get("groups"),
        bias=layer.get("bias"),
        activation=layer.get("activation"),
    )


def _pool(layer: Layer, shape) -> nn.Module:
    cls = nn.MaxPool2d if layer.type == "maxpool" else nn.AvgPool2d
    stride = layer.get("stride")
    return cls(pair(layer.get("kernel")), stride=pair(stride if stride is not None else layer.get("kernel")), padding=pair(layer.get("padding")))


def build_layer(layer: Layer, shape: tuple[int, ...]) -> nn.Module:
    """The module for one layer given its input shape (C, H, W) or (F,), without initialisation."""
    t = layer.type
    if t in ("conv", "depthwise"):
        return _conv(as_conv(layer, shape[0]), shape)
    if t == "se":
        return SqueezeExcite(shape[0], se_hidden(shape[0], layer.get("reduction")))
    if t in ("maxpool", "avgpool"):
        return _pool(layer, shape)
    if t == "gap":
        return GlobalAvgPool()
    if t == "gmp":
        return nn.AdaptiveMaxPool2d(1)
    if t == "dropout":
        return nn.Dropout(layer.get("rate"))
    if t == "batchnorm":
        cls = nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d
        return cls(shape[0], eps=layer.get("eps"), momentum=layer.get("momentum"))
    if t == "activation":
        return make_activation(layer.get("activation"))
    if t == "flatten":
        return nn.Flatten()
    if t == "dense":
        fan_in = shape[0]
        return DenseLayer(fan_in, layer.get("units"), bias=layer.get("bias"), activation=layer.get("activation"))
    raise ValueError(f"unknown layer type {t!r}")


def init_std(layer: Layer, fan_in: int, fan_out: int, activation: str | None = None) -> float | None:
    """The weight standard deviation the layer's init gives, or None for PyTorch's default.

    ``activation`` is the nonlinearity the layer's output meets (default: its own): it picks the default
    scheme and He's gain.
    """
    act = activation if activation is not None else layer.own_activation()
    init = layer.init(act)
    scheme = init["weight"]
    if scheme == "trunc_normal":
        return float(init["std"])
    if scheme == "torch":
        return None
    if scheme == "he":
        gain = nn.init.calculate_gain(_GAINS.get(act, "linear"), 0.01 if act == "leaky_relu" else None)
        return gain / math.sqrt(fan_in)
    if scheme == "lecun":
        return 1.0 / math.sqrt(fan_in)
    return math.sqrt(2.0 / (fan_in + fan_out))  # glorot


def _initialise_se(module: SqueezeExcite) -> None:
    """He for the fc before the ReLU, Glorot for the fc before the sigmoid, zero biases."""
    with torch.no_grad():
        nn.init.normal_(module.fc1.weight, 0.0, math.sqrt(2.0 / module.fc1.in_features))
        nn.init.normal_(module.fc2.weight, 0.0, math.sqrt(2.0 / (module.fc2.in_features + module.fc2.out_features)))
        nn.init.zeros_(module.fc1.bias)
        nn.init.zeros_(module.fc2.bias)


def _initialise(layer: Layer, module: nn.Module, activation: str) -> None:
    if layer.type == "se":
        _initialise_se(module)
    if layer.type not in ("conv", "depthwise", "dense"):
        return
    weight = module.weight
    receptive = weight[0][0].numel() if weight.dim() > 2 else 1
    fan_in = weight.shape[1] * receptive
    fan_out = weight.shape[0] * receptive
    std = init_std(layer, fan_in, fan_out, activation)
    init = layer.init(activation)
    with torch.no_grad():
        if init["weight"] == "trunc_normal":
            nn.init.trunc_normal_(weight, mean=0.0, std=std, a=-2 * std, b=2 * std)
        elif std is not None:
            nn.init.normal_(weight, 0.0, std)
        if module.bias is not None and (init["weight"] != "torch" or "bias" in (layer.params.get("init") or {})):
            nn.init.constant_(module.bias, float(init["bias"]))


def _zero_last(body: nn.Sequential) -> None:
    """Zero the last batch norm's scale of a body, or its last conv/dense weight when it has none."""
    modules = list(body.children())
    norms = [m for m in modules if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d))]
    weighted = [m for m in modules if isinstance(m, (ConvLayer, DenseLayer))]
    target = norms[-1] if norms else weighted[-1] if weighted else None
    if target is not None:
        with torch.no_grad():
            target.weight.zero_()


def _modules(infos: list[LayerInfo]) -> list[nn.Module]:
    """The initialised modules of one stack; each weight layer's init follows the activation its output meets."""
    layers = [info.layer for info in infos]
    return [_module(info, activation_after(layers, i)) for i, info in enumerate(infos)]


def _stack(infos: list[LayerInfo]) -> nn.Sequential:
    return nn.Sequential(OrderedDict(zip((info.name for info in infos), _modules(infos))))


def _copy(info: LayerInfo, copy: CopyInfo) -> nn.Module:
    layer = info.layer
    stacks = [_stack(infos) for infos in copy.stacks]
    if layer.type == "parallel":
        return ParallelBlock(stacks, layer.get("merge"), layer.get("activation"))
    if copy.shortcut == "projection":
        stride = projection_stride(copy.in_shape, copy.out_shape)
        shortcut = Projection(copy.in_shape[0], copy.out_shape[0], stride, layer.get("shortcut_norm"))
        nn.init.kaiming_normal_(shortcut.conv.weight, nonlinearity="relu")
    else:
        shortcut = nn.Identity()
    if layer.get("zero_init"):
        _zero_last(stacks[0])
    return ResidualBlock(stacks[0], shortcut, layer.get("activation"))


def _module(info: LayerInfo, activation: str) -> nn.Module:
    """The initialised module of one analysed layer; a block's copies in a row."""
    if info.copies:
        return nn.Sequential(OrderedDict((str(c), _copy(info, copy)) for c, copy in enumerate(info.copies)))
    module = build_layer(info.layer, info.in_shape)
    _initialise(info.layer, module, activation)
    return module


def build_model(spec: ModelSpec, seed: int | None = None) -> SpecModel:
    """Build the PyTorch model for ``spec``; raise :class:`SpecError` if the spec has errors.

    The same ``seed`` (default: ``training.seed``) always gives the same weights.
    """
    analysis = analyze(spec)
    if not analysis.ok:
        raise SpecError(analysis.problems)
    seed = spec.training_value("seed") if seed is None else seed
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        modules = _modules(analysis.layers)
    return SpecModel([info.name for info in analysis.layers], modules)
