"""Edits of a layer stack as pure functions: each takes a spec and returns a new one.

The editor, drag-and-drop and any command-line tool go through these same functions, so an edit
means the same thing wherever it is made. None of them changes the spec it is given.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from workbench.spec import tree
from workbench.spec.layer_kinds import KINDS, PALETTE
from workbench.spec.model import InputShape, Layer, ModelSpec, fresh_name
from workbench.spec.names import name_problem
from workbench.spec.params import Param, check_value
from workbench.spec.sections import SECTIONS, section_param


class EditError(ValueError):
    """An edit that cannot be made, with a message for the user."""


# Stem of the name given to a new layer of each type ("conv" -> conv1, conv2, ...).
NAME_STEMS = {
    "conv": "conv",
    "depthwise": "dw",
    "se": "se",
    "maxpool": "pool",
    "avgpool": "avgpool",
    "gap": "gap",
    "gmp": "gmp",
    "dropout": "drop",
    "batchnorm": "bn",
    "activation": "act",
    "flatten": "flatten",
    "dense": "fc",
    "residual": "res",
    "parallel": "mix",
}


def palette_entry(label: str) -> tuple[str, dict]:
    """The (type, preset parameters) of the palette entry named ``label``."""
    for entry_label, kind, params, _tooltip in PALETTE:
        if entry_label == label:
            return kind, dict(params)
    raise EditError(f"no palette entry named '{label}'")


def _layer_index(spec: ModelSpec, name: str) -> int:
    try:
        return spec.index_of(name)
    except KeyError:
        raise EditError(f"no layer named '{name}'") from None


def insert_layer(spec: ModelSpec, index: int, kind: str, params: dict | None = None) -> tuple[ModelSpec, str]:
    """Insert a new layer of type ``kind`` before position ``index``; returns the new spec and the layer's name."""
    if kind not in KINDS:
        raise EditError(f"unknown layer type '{kind}'")
    out = spec.copy()
    index = max(0, min(index, len(out.layers)))
    name = out.unique_name(NAME_STEMS[kind] + "1")
    out.layers.insert(index, Layer(name, kind, dict(params or {})))
    return out, name


def move_layer(spec: ModelSpec, name: str, index: int) -> ModelSpec:
    """Move layer ``name`` within the stack that holds it so that it lands before what is now at
    position ``index`` (``len`` = the end)."""
    src = _layer_index(spec, name)
    out = spec.copy()
    stack = out.stack_of(name)
    layer = stack.pop(src)
    if index > src:
        index -= 1
    stack.insert(max(0, min(index, len(stack))), layer)
    return out


def delete_layer(spec: ModelSpec, name: str) -> ModelSpec:
    index = _layer_index(spec, name)
    out = spec.copy()
    del out.stack_of(name)[index]
    return out


def duplicate_layer(spec: ModelSpec, name: str) -> tuple[ModelSpec, str]:
    """Insert a copy of layer ``name`` right after it (a block with renamed copies of its layers)."""
    index = _layer_index(spec, name)
    out = spec.copy()
    stack = out.stack_of(name)
    copy_ = renamed_copy(stack[index], out)
    stack.insert(index + 1, copy_)
    return out, copy_.name


def renamed_copy(layer: Layer, spec: ModelSpec) -> Layer:
    """A deep copy of ``layer`` whose name, and every inner layer's name, no layer of ``spec`` uses."""
    taken = set(tree.names(spec.layers))

    def fresh(item: Layer) -> Layer:
        name = fresh_name(item.name, taken)
        taken.add(name)
        return Layer(name, item.type, copy.deepcopy(item.params), [[fresh(c) for c in s] for s in item.stacks])

    return fresh(layer)


def rename_problem(spec: ModelSpec, old: str, new: str) -> str | None:
    """Why layer ``old`` cannot be renamed to ``new``, or None when it can."""
    if new == old:
        return None
    problem = name_problem(new)
    if problem:
        return problem
    if new in tree.names(spec.layers):
        return f"another layer is already named '{new}'"
    return None


def rename_layer(spec: ModelSpec, old: str, new: str) -> ModelSpec:
    index = _layer_index(spec, old)
    problem = rename_problem(spec, old, new)
    if problem:
        raise EditError(problem)
    out = spec.copy()
    out.stack_of(old)[index].name = new
    return out


def _store(values: dict, key: str, value: Any) -> None:
    """Set ``key``, or remove it when ``value`` is None (so that the default applies)."""
    if value is None:
        values.pop(key, None)
    else:
        values[key] = value


def set_param(spec: ModelSpec, name: str, key: str, value: Any) -> ModelSpec:
    """Set parameter ``key`` of layer ``name``; ``None`` removes it so that the default applies.

    Out-of-range values are stored as given: the analysis reports them on the layer.
    """
    index = _layer_index(spec, name)
    layer = spec.stack_of(name)[index]
    if key not in KINDS[layer.type].param_names:
        raise EditError(f"a {layer.type} layer has no parameter '{key}'")
    out = spec.copy()
    _store(out.stack_of(name)[index].params, key, value)
    return out


def set_section_value(spec: ModelSpec, section: str, key: str, value: Any) -> ModelSpec:
    """Set ``key`` of the ``data`` or ``training`` section; ``None`` removes it so that the default applies.

    Unlike layer parameters, section values are checked here: nothing else would report them before a run.
    """
    try:
        param = section_param(section, key)
    except KeyError:
        known = ", ".join(p.name for p in SECTIONS[section])
        raise EditError(f"the {section} section has no key '{key}' (keys: {known})") from None
    if value is not None:
        problem = check_value(param, value)
        if problem:
            raise EditError(problem)
    out = spec.copy()
    _store(out.data if section == "data" else out.training, key, value)
    return out


def set_input(spec: ModelSpec, channels: int, height: int, width: int) -> ModelSpec:
    for label, value in (("channels", channels), ("height", height), ("width", width)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise EditError(f"input {label} must be an integer ≥ 1, got {value!r}")
    out = spec.copy()
    out.input = InputShape(channels, height, width)
    return out


def set_classes(spec: ModelSpec, classes: int | list[str]) -> ModelSpec:
    """Set the classes: a count (≥ 2) or a list of distinct names."""
    if isinstance(classes, list):
        if len(classes) < 2 or len(set(classes)) != len(classes) or not all(classes):
            raise EditError("give at least two distinct, non-empty class names")
    elif isinstance(classes, bool) or not isinstance(classes, int) or classes < 2:
        raise EditError(f"the number of classes must be an integer ≥ 2, got {classes!r}")
    out = spec.copy()
    out.classes = classes
    return out


def parse_classes(text: str) -> int | list[str]:
    """'3' -> 3; 'cat, dog' -> ['cat', 'dog']."""
    text = text.strip()
    if re.fullmatch(r"\d+", text):
        return int(text)
    names = [part.strip() for part in text.split(",")]
    if len(names) < 2 or not all(names):
        raise EditError("enter a number of classes or names separated by commas, e.g. 'cat, dog'")
    return names


_PAIR_SPLIT = re.compile(r"\s*[,x×]\s*")
_KEYWORDS = {"kernel": ("full",), "padding": ("same", "valid"), "size": ()}


def parse_param_text(param: Param, text: str) -> Any:
    """Read a value typed for ``param``: '3', '3,5' or '3×5', 'full', 'same', a number, or '' for the default.

    Raises :class:`EditError` when the text cannot be read at all; range checks are left to the analysis.
    """
    text = text.strip().strip("[]()").strip()
    if not text:
        return None
    if param.kind in _KEYWORDS:
        if text.lower() in _KEYWORDS[param.kind]:
            return text.lower()
        parts = _PAIR_SPLIT.split(text)
        try:
            numbers = [int(p) for p in parts]
        except ValueError:
            raise EditError(f"{param.name} must be {param.range_text()}") from None
        if len(numbers) == 1:
            return numbers[0]
        if len(numbers) == 2:
            return numbers if numbers[0] != numbers[1] else numbers[0]
        raise EditError(f"{param.name} takes one number or a pair h, w")
    if param.kind == "int":
        try:
            return int(text)
        except ValueError:
            raise EditError(f"{param.name} must be an integer") from None
    if param.kind == "float":
        try:
            return float(text)
        except ValueError:
            raise EditError(f"{param.name} must be a number") from None
    raise EditError(f"{param.name} cannot be typed as text")
