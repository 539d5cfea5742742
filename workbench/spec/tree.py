"""The one walk over a spec's tree of layers and the one naming scheme for what it builds.

A block (``residual`` or ``parallel``) holds child stacks: a residual block one ``body``, a parallel
block its ``branches``. Every stack is a list of layers, so blocks nest to any depth.

Names: every layer has a name unique across the whole tree (what edits and the editor use). The
built network names each *instance* by its path, as ``nn.Module.named_modules()`` gives it: block
``stage2`` with ``repeat: 3`` holds copies ``stage2.0`` … ``stage2.2``; the body of a copy is
``stage2.0.body`` and its layers ``stage2.0.body.conv1``; branch 1 of ``mix`` is
``mix.0.branches.1``. A doctor finding, an exported tensor and a card use the same string.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from workbench.spec.layer_kinds import KINDS


@dataclass(frozen=True)
class Place:
    """Where one layer sits in the spec's tree."""

    stack: list  # the list of layers holding it
    index: int  # its position in that list
    parent: Any  # the block holding the stack, or None at the top
    slot: int  # which of the parent's stacks (0 for a body)
    depth: int  # 0 at the top
    yaml_path: tuple  # key path in the file, e.g. ("layers", 2, "body", 0)


def is_block(layer: Any) -> bool:
    kind = KINDS.get(layer.type)
    return kind is not None and kind.is_block


def stacks_key(layer: Any) -> str | None:
    """``"body"`` or ``"branches"`` for a block, None for a plain layer."""
    kind = KINDS.get(layer.type)
    return kind.stacks_key if kind else None


def stack_yaml_path(layer_path: tuple, key: str, slot: int) -> tuple:
    """The key path of one child stack of the block at ``layer_path``."""
    return layer_path + ((key,) if key == "body" else (key, slot))


def walk(layers: list, yaml_path: tuple = ("layers",), parent: Any = None, slot: int = 0, depth: int = 0) -> Iterator[tuple[Any, Place]]:
    """Every layer of the tree once, depth first in reading order (a block before its children)."""
    for i, layer in enumerate(layers):
        here = yaml_path + (i,)
        yield layer, Place(layers, i, parent, slot, depth, here)
        key = stacks_key(layer)
        if key:
            for s, stack in enumerate(layer.stacks):
                yield from walk(stack, stack_yaml_path(here, key, s), layer, s, depth + 1)


def layer_name(path: str) -> str:
    """The name of the spec layer a module path is an instance of: ``conv1`` for ``stage2.0.body.conv1``, the
    block ``stage2`` for its copy ``stage2.0`` (layer names are identifiers, never numbers)."""
    parts = path.split(".")
    return parts[-2] if len(parts) > 1 and parts[-1].isdigit() else parts[-1]


def find(layers: list, name: str) -> Place:
    """The place of the layer called ``name`` anywhere in the tree, or of the layer a module path names
    (:func:`layer_name`: ``stage2.0.body.conv1``, or the copy ``stage2.0`` of block ``stage2``); KeyError when
    there is none."""
    name = layer_name(name)
    for layer, place in walk(layers):
        if layer.name == name:
            return place
    raise KeyError(name)


def names(layers: list) -> list[str]:
    """Every layer name in the tree, in walk order."""
    return [layer.name for layer, _ in walk(layers)]


def copy_path(block_path: str, copy: int) -> str:
    return f"{block_path}.{copy}"


def stack_path(copy_path_: str, key: str, slot: int) -> str:
    """The module path of one child stack of a block copy: ``x.0.body`` or ``x.0.branches.1``."""
    return f"{copy_path_}.{key}" if key == "body" else f"{copy_path_}.{key}.{slot}"


def child_path(stack_path_: str | None, name: str) -> str:
    return name if not stack_path_ else f"{stack_path_}.{name}"


def stack_label(key: str, slot: int) -> str:
    """How messages call a child stack: 'the body' or 'branch 2' (counted from 1)."""
    return "the body" if key == "body" else f"branch {slot + 1}"
