"""Facts about a spec's layers that several doctor rules need: every layer of the tree with its module path,
weight layers, fan-in, what follows a layer in its stack."""

from __future__ import annotations

import math
from dataclasses import dataclass

from workbench.analysis import Analysis, LayerInfo
from workbench.spec import tree
from workbench.spec.model import PASS_THROUGH, Layer, ModelSpec, activation_after, as_conv

WEIGHT_TYPES = ("conv", "depthwise", "dense")
SPATIAL_TYPES = ("maxpool", "avgpool")
# Truncating a normal distribution at ±2σ shrinks its standard deviation by this factor.
TRUNC_2SIGMA = math.sqrt(1 - 4 * math.exp(-2) / math.sqrt(2 * math.pi) / math.erf(2 / math.sqrt(2)))


@dataclass(frozen=True)
class Node:
    """One plain layer of the built network: its module path (``stage2.0.body.conv1``; the name at the top),
    the spec's layer (what a fix edits), the stack that holds it with its position there, and what the
    analysis says about this instance."""

    path: str
    layer: Layer
    stack: list
    index: int
    info: LayerInfo

    def sibling_path(self, name: str) -> str:
        """The module path of the layer ``name`` of the same stack, in the same block copy."""
        return tree.child_path(self.path.rpartition(".")[0], name)

    @property
    def usable(self) -> bool:
        """Whether the analysis knows this instance's input and output shapes."""
        return usable(self.info)


def layer_nodes(spec: ModelSpec, analysis: Analysis) -> list[Node]:
    """Every plain layer of the tree (blocks left out) in the order the network runs them; a layer inside a
    repeated block once per copy, as the copies may see different shapes."""
    places = {layer.name: place for layer, place in tree.walk(spec.layers)}
    out = []
    for info in analysis.nodes:
        place = places.get(info.name)
        if place is None:
            continue
        layer = place.stack[place.index]
        if not tree.is_block(layer):
            out.append(Node(info.path, layer, place.stack, place.index, info))
    return out


def first_of_each(nodes: list[Node]) -> list[Node]:
    """The first instance of each layer: a rule that reads only the spec's layer reports it once."""
    seen: set[str] = set()
    out = []
    for node in nodes:
        if node.layer.name not in seen:
            seen.add(node.layer.name)
            out.append(node)
    return out


def is_weight(layer: Layer) -> bool:
    return layer.type in WEIGHT_TYPES


def last_weight_index(spec: ModelSpec) -> int | None:
    """Index of the classifier: the last weight layer (conv, depthwise or dense) of the top stack."""
    for i in range(len(spec.layers) - 1, -1, -1):
        if is_weight(spec.layers[i]):
            return i
    return None


def head_index(spec: ModelSpec) -> int | None:
    """Index of the classifier in the top stack (:func:`last_weight_index`), or None when a block comes after it:
    such a network's logits come out of the block, and the head rules stay silent about it."""
    last = last_weight_index(spec)
    if last is None or any(tree.is_block(layer) for layer in spec.layers[last + 1:]):
        return None
    return last


def kernel_hw(layer: Layer, info: LayerInfo) -> tuple[int, int]:
    """The kernel size a conv really uses (``full`` resolved against its input)."""
    k = layer.get("kernel")
    if k == "full":
        return info.in_shape[1], info.in_shape[2]
    return (k, k) if isinstance(k, int) else (int(k[0]), int(k[1]))


def fans(layer: Layer, info: LayerInfo) -> tuple[int, int] | None:
    """(fan_in, fan_out) of a conv, depthwise or dense layer, or None when its input shape is unknown."""
    if info.in_shape is None or info.status != "ok":
        return None
    if layer.type == "dense":
        return math.prod(info.in_shape), layer.get("units")
    conv = as_conv(layer, info.in_shape[0])
    kh, kw = kernel_hw(conv, info)
    groups = conv.get("groups")
    return info.in_shape[0] // groups * kh * kw, conv.get("filters") // groups * kh * kw


def next_index(stack: list[Layer], i: int, skip=PASS_THROUGH) -> int | None:
    """Index of the first layer after ``i`` in ``stack`` whose type is not in ``skip``."""
    for j in range(i + 1, len(stack)):
        if stack[j].type not in skip:
            return j
    return None


def following_activation(stack: list[Layer], i: int) -> str:
    """The nonlinearity the output of weight layer ``stack[i]`` meets: its own, a following activation layer,
    ``"batchnorm"`` when batch norm comes first (it rescales, so init scale matters little), or ``"none"``
    (the same activation the default initialisation follows)."""
    j = next_index(stack, i)
    if stack[i].get("activation") == "none" and j is not None and stack[j].type == "batchnorm":
        return "batchnorm"
    return activation_after(stack, i)


def usable(info: LayerInfo | None) -> bool:
    """Whether the analysis knows a layer's input and output shapes."""
    return info is not None and info.in_shape is not None and info.out_shape is not None and info.status == "ok"
