"""The layers of a built model as the insight views see them: named modules in the order they run.

Names come from ``named_modules()``, so a layer inside a block (``stage2.0.body.conv1``) is found by the same
name its card and its findings use. One forward pass with hooks records every module's output.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn

from workbench.builder import ConvLayer, DenseLayer
from workbench.insight.errors import InsightError


@dataclass(frozen=True)
class LayerOutput:
    """One named module and the shape of its output for one image (without the batch dimension)."""

    name: str
    shape: tuple[int, ...]

    @property
    def spatial(self) -> bool:
        """True for a (C, H, W) output larger than 1×1: a map one can look at and attribute to."""
        return len(self.shape) == 3 and self.shape[1] * self.shape[2] > 1


def is_internal(name: str, modules: dict[str, nn.Module]) -> bool:
    """The activation inside a conv or dense layer: the same output as its layer, under a second name."""
    parent, _, last = name.rpartition(".")
    return last == "act" and isinstance(modules.get(parent), (ConvLayer, DenseLayer))


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
    """Every named module with the shape of its output, in the order they run (a conv layer's own
    activation, which has the layer's output, is left out unless ``internal``)."""
    modules = dict(model.named_modules())
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    with recording(model) as outputs, torch.no_grad():
        model(torch.zeros(1, *input_shape, device=device))
    return [LayerOutput(name, tuple(out.shape[1:])) for name, out in outputs.items() if internal or not is_internal(name, modules)]


def spatial_layer(model: nn.Module, input_shape: tuple[int, int, int], name: str | None = None) -> LayerOutput:
    """The layer ``name`` (default: the last one with a spatial output); :class:`InsightError` when it does
    not exist or has no spatial size."""
    layers = layer_outputs(model, input_shape, internal=True)
    modules = dict(model.named_modules())
    spatial = [layer for layer in layers if layer.spatial and not is_internal(layer.name, modules)]
    choices = ", ".join(layer.name for layer in spatial) or "none"
    if name is None:
        if not spatial:
            raise InsightError("this model has no layer with a spatial output", "add a convolution before the classifier")
        return spatial[-1]
    found = next((layer for layer in layers if layer.name == name), None)
    if found is None:
        if name and name in modules:
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
