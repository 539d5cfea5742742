"""The parts of a built network by their path in the spec's tree, in the order the network runs them.

A part is a plain layer (``stage2.0.body.conv1``), a projection shortcut (``stage2.0.shortcut``) or one copy
of a block (``stage2.0``: its output is the join, the sum or concatenation after the block's activation).
These are the names the summary, the cards and the exported tensors use; containers that only pass on the
output of their last child (a block's row of copies, a body) and a block's own activation are not parts.
The doctor's probes during training, the insight views and the histograms walk these parts.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from workbench.block_modules import ParallelBlock, Projection, ResidualBlock
from workbench.builder import ConvLayer, DenseLayer, SqueezeExcite
from workbench.spec import tree

LAYER, SHORTCUT, COPY = "layer", "shortcut", "copy"
# Modules the builder makes for one plain layer out of modules of their own (not walked into).
COMPOSITE_LAYERS = (ConvLayer, DenseLayer, SqueezeExcite, Projection)


@dataclass(frozen=True)
class Part:
    """One part of the network: its module path, its module and what it is (``layer``, ``shortcut``, ``copy``)."""

    path: str
    module: nn.Module
    kind: str


def model_parts(model: nn.Module) -> list[Part]:
    """Every part of ``model`` in running order: a block copy after its body (or branches) and its shortcut.

    Another module made of modules comes after its own parts, as a copy does.
    """
    out: list[Part] = []
    _walk(model, None, out)
    return out


def _walk(module: nn.Module, prefix: str | None, out: list[Part]) -> None:
    for name, child in module.named_children():
        path = tree.child_path(prefix, name)
        if isinstance(child, ResidualBlock):
            _walk(child.body, f"{path}.body", out)
            if not isinstance(child.shortcut, nn.Identity):
                out.append(Part(f"{path}.shortcut", child.shortcut, SHORTCUT))
            out.append(Part(path, child, COPY))
        elif isinstance(child, ParallelBlock):
            _walk(child.branches, f"{path}.branches", out)
            out.append(Part(path, child, COPY))
        elif isinstance(child, (nn.Sequential, nn.ModuleList)):
            _walk(child, path, out)
        elif isinstance(child, COMPOSITE_LAYERS) or next(child.children(), None) is None:
            out.append(Part(path, child, LAYER))
        else:
            _walk(child, path, out)
            out.append(Part(path, child, COPY))
