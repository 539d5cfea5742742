"""The model spec: a stack of layers (blocks hold stacks of their own) plus input shape, classes, data
and training settings.

Only values the user set explicitly are stored; defaults come from the parameter descriptions, so a
file saves back exactly as it was written.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from workbench.spec import tree
from workbench.spec.layer_kinds import KINDS, RELU_FAMILY
from workbench.spec.sections import SECTIONS

SCHEMA_VERSION = 2
# Layers between a weight layer and its activation layer that leave the activation's choice of init alone.
PASS_THROUGH = ("dropout", "flatten")


def default_init_scheme(activation: str) -> str:
    """The weight init a layer gets when none is set: He before a ReLU-family activation, else Glorot."""
    return "he" if activation in RELU_FAMILY else "glorot"


def activation_after(stack: list, index: int) -> str:
    """The nonlinearity the output of ``stack[index]`` meets: its own, else that of an activation layer after it
    in the same stack with only dropout or flatten between; "none" otherwise."""
    own = stack[index].own_activation()
    if own != "none":
        return own
    for layer in stack[index + 1:]:
        if layer.type not in PASS_THROUGH:
            return layer.get("activation") if layer.type == "activation" else "none"
    return "none"


@dataclass
class Layer:
    """One layer: a unique ``name``, its ``type``, the parameters set explicitly and, for a block, its
    child stacks (a residual block's ``body``; a parallel block's ``branches``)."""

    name: str
    type: str
    params: dict[str, Any] = field(default_factory=dict)
    stacks: list[list[Layer]] = field(default_factory=list)

    def get(self, key: str) -> Any:
        """The parameter's value, or its default when it is not set."""
        if key in self.params:
            return self.params[key]
        return KINDS[self.type].param(key).default

    def own_activation(self) -> str:
        """The layer's ``activation`` parameter ("none" for kinds without one)."""
        return self.get("activation") if "activation" in KINDS[self.type].param_names else "none"

    def init(self, activation: str | None = None) -> dict[str, Any]:
        """The effective initialisation: ``{weight, std, bias}`` with defaults filled in.

        ``activation`` is the nonlinearity the layer's output meets (:meth:`ModelSpec.activation_after`;
        default: the layer's own); the default scheme follows it.
        """
        given = self.params.get("init") or {}
        default = default_init_scheme(activation if activation is not None else self.own_activation())
        return {"weight": given.get("weight", default), "std": given.get("std"), "bias": given.get("bias", 0.0)}

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type}
        kind = KINDS.get(self.type)
        order = kind.param_names if kind else ()
        for key in order:
            if key in self.params:
                out[key] = copy.deepcopy(self.params[key])
        for key in self.params:
            if key not in out:
                out[key] = copy.deepcopy(self.params[key])
        key = kind.stacks_key if kind else None
        if key == "body":
            out["body"] = [layer.to_dict() for layer in (self.stacks[0] if self.stacks else [])]
        elif key == "branches":
            out["branches"] = [[layer.to_dict() for layer in stack] for stack in self.stacks]
        return out


# The conv parameters a depthwise layer shares with the conv it stands for.
DEPTHWISE_SHARED = ("kernel", "stride", "padding", "dilation", "bias", "activation", "init")


def as_conv(layer: Layer, in_channels: int) -> Layer:
    """The ``conv`` layer a ``depthwise`` layer is on ``in_channels`` channels: groups = channels, filters =
    channels × multiplier (any other layer is returned as it is)."""
    if layer.type != "depthwise":
        return layer
    params = {k: v for k, v in layer.params.items() if k in DEPTHWISE_SHARED}
    params.update(filters=in_channels * layer.get("multiplier"), groups=in_channels)
    return Layer(layer.name, "conv", params)


def se_hidden(channels: int, reduction: int) -> int:
    """Units of a squeeze-and-excitation layer's hidden fc: channels ÷ reduction, at least 1."""
    return max(1, channels // reduction)


@dataclass
class InputShape:
    channels: int = 3
    height: int = 60
    width: int = 60

    def to_dict(self) -> dict[str, int]:
        return {"channels": self.channels, "height": self.height, "width": self.width}


@dataclass
class SourceInfo:
    """Where a spec was read from: the file and the line of each key path (for messages)."""

    file: str = "<spec>"
    lines: dict[tuple, int] = field(default_factory=dict)

    def line_of(self, *path: Any) -> int | None:
        """The line of the deepest known prefix of ``path``."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


@dataclass
class ModelSpec:
    """Everything the workbench knows about one network; the single source of truth."""

    name: str = "untitled"
    description: str = ""
    input: InputShape = field(default_factory=InputShape)
    classes: int | list[str] = 3
    layers: list[Layer] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION
    source: SourceInfo | None = field(default=None, compare=False, repr=False)

    @property
    def num_classes(self) -> int:
        return self.classes if isinstance(self.classes, int) else len(self.classes)

    @property
    def class_names(self) -> list[str]:
        if isinstance(self.classes, int):
            return [f"class{i}" for i in range(self.classes)]
        return list(self.classes)

    def data_value(self, key: str) -> Any:
        return _section_value(self.data, "data", key)

    def training_value(self, key: str) -> Any:
        return _section_value(self.training, "training", key)

    def layer(self, name: str) -> Layer:
        """The layer called ``name`` anywhere in the tree."""
        place = tree.find(self.layers, name)
        return place.stack[place.index]

    def index_of(self, name: str) -> int:
        """The position of ``name`` in the stack that holds it (the top stack or a block's)."""
        return tree.find(self.layers, name).index

    def stack_of(self, name: str) -> list[Layer]:
        """The stack (top level or a block's body or branch) that holds the layer ``name``."""
        return tree.find(self.layers, name).stack

    def activation_after(self, index: int) -> str:
        """The nonlinearity the output of top-level layer ``index`` meets (see :func:`activation_after`)."""
        return activation_after(self.layers, index)

    def activation_after_layer(self, name: str) -> str:
        """The nonlinearity the output of the layer ``name`` meets, in the stack that holds it."""
        place = tree.find(self.layers, name)
        return activation_after(place.stack, place.index)

    def unique_name(self, base: str) -> str:
        """A layer name starting with ``base`` that no layer of the tree uses yet."""
        return fresh_name(base, set(tree.names(self.layers)))

    def copy(self) -> ModelSpec:
        clone = copy.deepcopy(self)
        return clone

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "name": self.name,
            "description": self.description,
            "input": self.input.to_dict(),
            "classes": copy.deepcopy(self.classes),
            "layers": [layer.to_dict() for layer in self.layers],
            "data": copy.deepcopy(self.data),
            "training": copy.deepcopy(self.training),
        }


def fresh_name(base: str, taken: set[str]) -> str:
    """``base``, or ``base`` with its trailing number changed, so that it is not in ``taken``."""
    if base not in taken:
        return base
    stem = base.rstrip("0123456789_") or base
    i = 1
    while f"{stem}{i}" in taken:
        i += 1
    return f"{stem}{i}"


def _section_value(values: dict[str, Any], section: str, key: str) -> Any:
    if key in values:
        return values[key]
    for p in SECTIONS[section]:
        if p.name == key:
            return p.default
    raise KeyError(f"{section}.{key}")
