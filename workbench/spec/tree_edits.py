"""Edits that change the shape of the tree, in place: wrap consecutive layers of one stack in a block,
unwrap a block back into its stack. The editor, the command line and the doctor's fixes use these."""

from __future__ import annotations

from workbench.spec import tree
from workbench.spec.layer_kinds import KINDS
from workbench.spec.model import Layer


def consecutive(layers: list, names: list[str]) -> tuple[list, int]:
    """The stack holding ``names`` and the index of the first; ValueError unless they follow each other there."""
    if not names:
        raise ValueError("select at least one layer")
    place = tree.find(layers, names[0])
    run = [layer.name for layer in place.stack[place.index : place.index + len(names)]]
    if run != list(names):
        raise ValueError("the layers must follow each other in one stack")
    return place.stack, place.index


def wrap(layers: list, names: list[str], block: Layer) -> None:
    """Move the consecutive layers ``names`` into ``block`` (a residual block's body, or a parallel block's
    single branch) and put the block where they were."""
    if not KINDS[block.type].is_block:
        raise ValueError(f"'{block.type}' is not a block type")
    stack, start = consecutive(layers, names)
    block.stacks = [stack[start : start + len(names)]]
    stack[start : start + len(names)] = [block]


def unwrap(layers: list, name: str) -> list[str]:
    """Put the layers of block ``name`` back in its place (a parallel block's branches one after another);
    returns their names."""
    place = tree.find(layers, name)
    block = place.stack[place.index]
    if not tree.is_block(block):
        raise ValueError(f"'{name}' is not a block")
    inner = [layer for stack in block.stacks for layer in stack]
    place.stack[place.index : place.index + 1] = inner
    return [layer.name for layer in inner]
