"""The layers of a built model as the insight views see them: the parts of its tree in the order they run.

Names are module paths (:mod:`workbench.model_parts`), so a layer inside a block (``stage2.0.body.conv1``),
a block copy's join (``stage2.0``) and a projection shortcut (``stage2.0.shortcut``) are found by the same
name their card, the summary and the findings use. One forward pass with hooks records every output.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn

from workbench.insight.errors import InsightError
from workbench.model_parts import model_parts


@dataclass(frozen=True)
class LayerOutput:
    """One named module and the shape of its output for one image (without the batch dimension)."""

    name: str
    shape: tuple[int, ...]

    @property
    def spatial(self) -> bool:
        """True for a (C, H, W) output larger than 1×1: a map one can look at and attribute to."""
        return len(self.shape) == 3 and self.shape[1] * self.shape[2] > 1


@contextmanager
def recording(model: nn.Module, names=None):
    """Within the block, every forward pass fills the yielded dict ``{name: output}`` in running order.

    ``names`` limits the recording to those modules (default: every named module but the root).
    """
    modules = dict(model.named_modules())
    wanted = [n for n in modules if n] if names is None else list(names)
    outputs: dict[str, torch.Tensor] = {}
    handles = []
    for name in wanted:
        def hook(_module, _inputs, output, name=name):
            if isinstance(output, torch.Tensor):
                outputs[name] = output
        handles.append(modules[name].register_forward_hook(hook))
    try:
        yield outputs
    finally:
        for handle in handles:
            handle.remove()


def layer_outputs(model: nn.Module, input_shape: tuple[int, int, int], internal: bool = False) -> list[LayerOutput]:
    """Every part of the model's tree with the shape of its output, in the order they run; with ``internal``,
    every named module instead (a conv layer's own activation, a block's body, its row of copies too)."""
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    with recording(model) as outputs, torch.no_grad():
        model(torch.zeros(1, *input_shape, device=device))
    parts = {p.path for p in model_parts(model)}
    return [LayerOutput(name, tuple(out.shape[1:])) for name, out in outputs.items() if internal or name in parts]


def spatial_layer(model: nn.Module, input_shape: tuple[int, int, int], name: str | None = None) -> LayerOutput:
    """The layer ``name`` (any named module that runs; default: the last part with a spatial output);
    :class:`InsightError` when it does not exist or has no spatial size."""
    by_name = {layer.name: layer for layer in layer_outputs(model, input_shape, internal=True)}
    parts = {p.path for p in model_parts(model)}
    spatial = [layer for name, layer in by_name.items() if name in parts and layer.spatial]
    choices = ", ".join(layer.name for layer in spatial) or "none"
    if name is None:
        if not spatial:
            raise InsightError("this model has no layer with a spatial output", "add a convolution before the classifier")
        return spatial[-1]
    found = by_name.get(name)
    if found is None:
        if name and name in dict(model.named_modules()):
            raise InsightError(f"layer '{name}' does not run in this model's forward pass", f"choose one of: {choices}")
        raise InsightError(f"no layer named '{name}' in this model", f"choose one of: {choices}")
    if not found.spatial:
        size = "×".join(map(str, found.shape))
        raise InsightError(f"layer '{name}' has no spatial size (its output is {size})", f"choose one of: {choices}")
    return found


def module_named(model: nn.Module, name: str) -> nn.Module:
    modules = dict(model.named_modules())
    if not name or name not in modules:
        raise InsightError(f"no layer named '{name}' in this model", "see the model's layer names with 'summary'")
    return modules[name]
