"""Edits of the spec's tree of blocks, as pure functions like those in :mod:`workbench.edits`.

A stack is addressed by a :data:`StackRef`: ``(None, 0)`` is the top stack, ``("stage1", 0)`` the
body of block ``stage1`` and ``("mix", 2)`` the third branch of block ``mix``.
"""

from __future__ import annotations

from workbench.edits import NAME_STEMS, EditError
from workbench.spec import tree
from workbench.spec.layer_kinds import KINDS
from workbench.spec.model import Layer, ModelSpec

StackRef = tuple[str | None, int]
TOP: StackRef = (None, 0)
NEW_STACKS = {"residual": 1, "parallel": 2}  # empty stacks a new block starts with


def stack_at(spec: ModelSpec, ref: StackRef) -> list[Layer]:
    """The list of layers ``ref`` names in ``spec`` (the list itself, not a copy)."""
    block, slot = ref
    if block is None:
        return spec.layers
    try:
        layer = spec.layer(block)
    except KeyError:
        raise EditError(f"no layer named '{block}'") from None
    if not tree.is_block(layer) or not 0 <= slot < len(layer.stacks):
        raise EditError(f"'{block}' has no stack {slot + 1}")
    return layer.stacks[slot]


def ref_of(spec: ModelSpec, name: str) -> StackRef:
    """The stack that holds the layer ``name``."""
    try:
        place = tree.find(spec.layers, name)
    except KeyError:
        raise EditError(f"no layer named '{name}'") from None
    return (place.parent.name, place.slot) if place.parent is not None else TOP


def insert_into(spec: ModelSpec, ref: StackRef, index: int, kind: str, params: dict | None = None) -> tuple[ModelSpec, str]:
    """Insert a new layer of type ``kind`` before position ``index`` of stack ``ref``; a new block
    starts with empty stacks to drop layers into. Returns the new spec and the layer's name."""
    if kind not in KINDS:
        raise EditError(f"unknown layer type '{kind}'")
    out = spec.copy()
    stack = stack_at(out, ref)
    name = out.unique_name(NAME_STEMS[kind] + "1")
    stack.insert(max(0, min(index, len(stack))), Layer(name, kind, dict(params or {}), [[] for _ in range(NEW_STACKS.get(kind, 0))]))
    return out, name


def _inside(spec: ModelSpec, ref: StackRef, name: str) -> bool:
    """True when stack ``ref`` lies inside the layer ``name`` (so ``name`` cannot move there)."""
    block = ref[0]
    while block is not None:
        if block == name:
            return True
        block = ref_of(spec, block)[0]
    return False


def move_into(spec: ModelSpec, name: str, ref: StackRef, index: int) -> ModelSpec:
    """Move layer ``name`` to stack ``ref``, before what is now at position ``index`` there."""
    src = ref_of(spec, name)
    if _inside(spec, ref, name):
        raise EditError(f"'{name}' cannot be moved into itself")
    out = spec.copy()
    source = stack_at(out, src)
    at = out.index_of(name)
    target = stack_at(out, ref)
    if target is source and index > at:
        index -= 1
    layer = source.pop(at)
    target.insert(max(0, min(index, len(target))), layer)
    return out


def consecutive(spec: ModelSpec, names: list[str]) -> tuple[StackRef, int, int]:
    """The stack, first index and end index of ``names`` when they are neighbours in one stack."""
    if not names:
        raise EditError("select the layers to wrap")
    refs = {ref_of(spec, n) for n in names}
    if len(refs) > 1:
        raise EditError("select neighbouring layers of one stack")
    ref = refs.pop()
    indices = sorted(spec.index_of(n) for n in names)
    if indices != list(range(indices[0], indices[0] + len(indices))):
        raise EditError("select neighbouring layers with nothing between them")
    return ref, indices[0], indices[-1] + 1


def wrap(spec: ModelSpec, names: list[str], kind: str) -> tuple[ModelSpec, str]:
    """Put the neighbouring layers ``names`` into a new ``residual`` block's body, or into the one
    branch of a new ``parallel`` block, where they stood. Returns the new spec and the block's name."""
    if kind not in NEW_STACKS:
        raise EditError(f"'{kind}' is not a block type")
    ref, start, end = consecutive(spec, names)
    out = spec.copy()
    stack = stack_at(out, ref)
    block = Layer(out.unique_name(NAME_STEMS[kind] + "1"), kind, {}, [stack[start:end]])
    stack[start:end] = [block]
    return out, block.name


def unwrap(spec: ModelSpec, name: str) -> ModelSpec:
    """Replace block ``name`` by the layers of its body (or of its only branch)."""
    ref = ref_of(spec, name)
    layer = spec.layer(name)
    if not tree.is_block(layer):
        raise EditError(f"'{name}' is not a block")
    if len(layer.stacks) > 1:
        raise EditError(f"'{name}' has {len(layer.stacks)} branches: move or remove all but one before unwrapping")
    if layer.get("repeat") != 1:
        raise EditError(f"'{name}' repeats {layer.get('repeat')} times: set repeat to 1 before unwrapping")
    out = spec.copy()
    stack = stack_at(out, ref)
    at = out.index_of(name)
    stack[at : at + 1] = out.layer(name).stacks[0] if layer.stacks else []
    return out


def add_branch(spec: ModelSpec, name: str) -> ModelSpec:
    """Add an empty branch (passing its input through as it is) at the end of parallel block ``name``."""
    out = spec.copy()
    layer = out.layer(name) if name in tree.names(out.layers) else None
    if layer is None or layer.type != "parallel":
        raise EditError(f"'{name}' is not a parallel block")
    layer.stacks.append([])
    return out


def remove_branch(spec: ModelSpec, name: str, slot: int) -> ModelSpec:
    """Remove branch ``slot`` (and the layers in it) from parallel block ``name``; one always stays."""
    out = spec.copy()
    stack_at(out, (name, slot))
    layer = out.layer(name)
    if layer.type != "parallel" or len(layer.stacks) < 2:
        raise EditError(f"'{name}' keeps at least one branch")
    del layer.stacks[slot]
    return out
