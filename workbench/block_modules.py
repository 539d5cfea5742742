"""The PyTorch modules of blocks: a residual block (``body`` + ``shortcut``) and a parallel block
(``branches``), plain ``nn.Module``s whose submodule names follow the spec's tree."""

from __future__ import annotations

import torch
from torch import nn

ACTIVATION_MODULES = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}


def make_activation(name: str) -> nn.Module:
    return ACTIVATION_MODULES[name]() if name != "none" else nn.Identity()


def every_stride_th(x: torch.Tensor, stride: tuple[int, int]) -> torch.Tensor:
    """Every ``stride``-th pixel of an (N, C, H, W) map, from the first: what a strided 1×1 convolution without
    padding reads.

    A 1×1 convolution on these pixels gives the same numbers as the strided one; the workbench builds strided
    1×1 convolutions so because torch's CPU kernel for a strided 1×1 convolution's weight gradient writes past
    its buffer in the channels-last layout when the input has fewer channels than the kernel's block (torch
    2.13 with oneDNN's AVX2 kernels: wrong gradients, crashes).
    """
    return x[:, :, :: stride[0], :: stride[1]]


class ResidualBlock(nn.Module):
    """``act(body(x) + shortcut(x))``: the shortcut is ``nn.Identity`` or a 1×1 conv projection."""

    def __init__(self, body: nn.Module, shortcut: nn.Module, activation: str = "relu"):
        super().__init__()
        self.body = body
        self.shortcut = shortcut
        self.act = make_activation(activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.body(x) + self.shortcut(x))


class ParallelBlock(nn.Module):
    """Every branch on the same input, joined by concatenating channels or by summing."""

    def __init__(self, branches: list[nn.Module], merge: str = "concat", activation: str = "none"):
        super().__init__()
        self.branches = nn.ModuleList(branches)
        self.merge = merge
        self.act = make_activation(activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs = [branch(x) for branch in self.branches]
        if self.merge == "concat":
            return self.act(torch.cat(outs, dim=1))
        total = outs[0]
        for out in outs[1:]:
            total = total + out
        return self.act(total)

    def extra_repr(self) -> str:
        return f"merge={self.merge!r}"


class Projection(nn.Module):
    """The shortcut of a residual block whose body changes the shape: a 1×1 conv without bias with the body's
    stride, then batch norm; the conv runs on every ``stride``-th pixel (see :func:`every_stride_th`)."""

    def __init__(self, in_channels: int, out_channels: int, stride: tuple[int, int], norm: bool):
        super().__init__()
        self.stride = tuple(stride)
        self.conv = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.bn = nn.BatchNorm2d(out_channels) if norm else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.conv(every_stride_th(x, self.stride)))

    def extra_repr(self) -> str:
        return f"stride={self.stride}"
