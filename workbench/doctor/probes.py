"""Quick looks into a model during training: its weight layers, the first non-finite layer, dead ReLUs.

Each walks every part of the network's tree (:mod:`workbench.model_parts`) and names it by its module path
(``stage2.0.body.conv1``; a block copy ``stage2.0``), as the cards and the summary do.
"""

from __future__ import annotations

import torch
from torch import nn

from workbench.builder import ConvLayer, DenseLayer
from workbench.doctor.measure import dead_channel_fraction, has_relu_output
from workbench.model_parts import COPY, model_parts


def weight_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The conv, depthwise and dense layers of a built spec, inside blocks too, by module path in running order."""
    return [(p.path, p.module) for p in model_parts(model) if isinstance(p.module, (ConvLayer, DenseLayer))]


def _run_with_hooks(model: nn.Module, inputs: torch.Tensor, record) -> None:
    """One eval-mode, no-grad forward on ``inputs`` calling ``record(path, module, output)`` per part, in the
    order the parts finish (a block copy after the layers inside it)."""
    was_training = model.training
    hooks = [p.module.register_forward_hook(lambda mod, _i, out, n=p.path: record(n, mod, out)) for p in model_parts(model)]
    try:
        model.eval()
        with torch.no_grad():
            model(inputs)
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)


def first_non_finite_layer(model: nn.Module, inputs: torch.Tensor | None) -> str | None:
    """The first part whose weights or output (on ``inputs``) hold NaN/Inf, or None: a layer inside a block by
    its path, a block copy whose join overflows by the copy's path."""
    for part in model_parts(model):
        if part.kind != COPY and any(not bool(torch.isfinite(p).all()) for p in part.module.parameters()):
            return part.path
    if inputs is None:
        return None
    bad: list[str] = []
    _run_with_hooks(model, inputs, lambda n, _m, out: bad.append(n) if not bad and not bool(torch.isfinite(out).all()) else None)
    return bad[0] if bad else None


def dead_fractions(model: nn.Module, inputs: torch.Tensor) -> dict[str, float]:
    """Per part whose output comes out of a ReLU (a layer's own, or a block's after its join): share of
    channels that are 0 for every image of ``inputs``."""
    out: dict[str, float] = {}

    def record(name, module, value):
        if has_relu_output(module):
            out[name] = dead_channel_fraction(value)

    _run_with_hooks(model, inputs, record)
    return out
