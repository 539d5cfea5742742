"""Quick looks into a model during training: its weight layers, the first non-finite layer, dead ReLUs."""

from __future__ import annotations

import torch
from torch import nn

from workbench.builder import ConvLayer, DenseLayer
from workbench.doctor.measure import dead_channel_fraction, has_relu_output


def weight_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The conv and dense layers of a built spec, by name."""
    return [(n, m) for n, m in model.named_children() if isinstance(m, (ConvLayer, DenseLayer))]


def _run_with_hooks(model: nn.Module, inputs: torch.Tensor, record) -> None:
    """One eval-mode, no-grad forward on ``inputs`` calling ``record(name, module, output)`` per layer."""
    was_training = model.training
    hooks = [m.register_forward_hook(lambda mod, _i, out, n=n: record(n, mod, out)) for n, m in model.named_children()]
    try:
        model.eval()
        with torch.no_grad():
            model(inputs)
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)


def first_non_finite_layer(model: nn.Module, inputs: torch.Tensor | None) -> str | None:
    """The first layer whose weights or output (on ``inputs``) hold NaN/Inf, or None."""
    for name, module in model.named_children():
        if any(not bool(torch.isfinite(p).all()) for p in module.parameters(recurse=False)):
            return name
    if inputs is None:
        return None
    bad: list[str] = []
    _run_with_hooks(model, inputs, lambda n, _m, out: bad.append(n) if not bad and not bool(torch.isfinite(out).all()) else None)
    return bad[0] if bad else None


def dead_fractions(model: nn.Module, inputs: torch.Tensor) -> dict[str, float]:
    """Per ReLU layer: share of channels that are 0 for every image of ``inputs``."""
    out: dict[str, float] = {}

    def record(name, module, value):
        if has_relu_output(module):
            out[name] = dead_channel_fraction(value)

    _run_with_hooks(model, inputs, record)
    return out
