"""Spec edits as plain data, so a fix can be applied, undone, and printed as JSON.

An edit is a dict with an ``op``:
``{"op": "set", "layer": L, "key": K, "value": V}`` (``value: None`` removes the key, back to its default;
``K`` may be ``init.bias``-style to edit one entry of a mapping parameter),
``{"op": "remove", "layer": L}``,
``{"op": "insert", "after": L or None, "layer": {name, type, ...}}`` (``None``: at the start of the top stack),
``{"op": "insert", "before": L, "layer": {...}}`` (in the stack that holds ``L``, e.g. a block's body),
``{"op": "move", "layer": L, "after": M}``,
``{"op": "training", "key": K, "value": V}``,
``{"op": "wrap", "layers": [L, ...], "block": {name, type, ...}}`` (consecutive layers of one stack into a block),
``{"op": "unwrap", "layer": B}``.
"""

from __future__ import annotations

import copy

from workbench import block_edits
from workbench.spec.model import Layer, ModelSpec


def set_param(layer: str, key: str, value) -> dict:
    return {"op": "set", "layer": layer, "key": key, "value": value}


def remove_layer(layer: str) -> dict:
    return {"op": "remove", "layer": layer}


def insert_layer(after: str | None, layer: dict) -> dict:
    return {"op": "insert", "after": after, "layer": dict(layer)}


def insert_before(before: str, layer: dict) -> dict:
    return {"op": "insert", "before": before, "layer": dict(layer)}


def move_layer(layer: str, after: str) -> dict:
    return {"op": "move", "layer": layer, "after": after}


def wrap_layers(layers: list[str], block: dict) -> dict:
    return {"op": "wrap", "layers": list(layers), "block": dict(block)}


def set_training(key: str, value) -> dict:
    return {"op": "training", "key": key, "value": value}


def _layer_from(data: dict) -> Layer:
    params = {k: copy.deepcopy(v) for k, v in data.items() if k not in ("name", "type")}
    return Layer(data["name"], data["type"], params)


def _set(params: dict, path: list[str], value) -> None:
    """Set (or, with None, remove) ``params[path[0]][path[1]]...``; drop mappings left empty."""
    key = path[0]
    if len(path) > 1:
        inner = dict(params.get(key) or {})
        _set(inner, path[1:], value)
        if inner:
            params[key] = inner
        else:
            params.pop(key, None)
    elif value is None:
        params.pop(key, None)
    else:
        params[key] = copy.deepcopy(value)


def apply_edit(spec: ModelSpec, edit: dict) -> None:
    """Apply one edit in place; raise KeyError when it names a layer the spec lacks."""
    op = edit["op"]
    if op == "set":
        _set(spec.layer(edit["layer"]).params, edit["key"].split("."), edit["value"])
    elif op == "remove":
        del spec.stack_of(edit["layer"])[spec.index_of(edit["layer"])]
    elif op == "insert" and "before" in edit:
        spec.stack_of(edit["before"]).insert(spec.index_of(edit["before"]), _layer_from(edit["layer"]))
    elif op == "insert":
        stack = spec.layers if edit["after"] is None else spec.stack_of(edit["after"])
        at = 0 if edit["after"] is None else spec.index_of(edit["after"]) + 1
        stack.insert(at, _layer_from(edit["layer"]))
    elif op == "move":
        layer = spec.stack_of(edit["layer"]).pop(spec.index_of(edit["layer"]))
        spec.stack_of(edit["after"]).insert(spec.index_of(edit["after"]) + 1, layer)
    elif op == "wrap":
        block = dict(edit["block"])
        wrapped, name = block_edits.wrap(spec, edit["layers"], block.pop("type"))
        new = wrapped.layer(name)
        new.name, new.params = block.pop("name"), block
        spec.layers[:] = wrapped.layers
    elif op == "unwrap":
        spec.layers[:] = block_edits.unwrap(spec, edit["layer"]).layers
    elif op == "training":
        spec.training[edit["key"]] = copy.deepcopy(edit["value"])
    else:
        raise ValueError(f"unknown edit op {op!r}")


def apply_edits(spec: ModelSpec, edits) -> ModelSpec:
    """A copy of ``spec`` with ``edits`` applied in order."""
    out = spec.copy()
    for edit in edits:
        apply_edit(out, edit)
    return out
