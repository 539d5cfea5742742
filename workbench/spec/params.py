"""Parameter descriptions and value checks shared by layers and spec sections.

A :class:`Param` says what one key accepts (its kind, range, choices and default). The same
descriptions drive YAML validation, the analysis and the editor's forms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

INIT_SCHEMES = ("he", "glorot", "lecun", "torch", "trunc_normal")
ACTIVATIONS = ("relu", "leaky_relu", "elu", "gelu", "tanh", "sigmoid")


@dataclass(frozen=True)
class Param:
    """One key of a layer or section: kind, default, bounds and a one-line help text."""

    name: str
    kind: str  # int, float, bool, choice, str, size, kernel, padding, init
    default: Any = None
    doc: str = ""
    minimum: float | None = None
    maximum: float | None = None
    exclusive_max: bool = False
    choices: tuple = field(default_factory=tuple)
    required: bool = False
    nullable: bool = False

    @property
    def min_size(self) -> int:
        """Smallest allowed entry of a ``size`` parameter."""
        return 1 if self.minimum is None else int(self.minimum)

    def range_text(self) -> str:
        """Human text for the valid values, used in hints and the inspector."""
        if self.kind == "choice":
            return "one of " + ", ".join(str(c) for c in self.choices)
        if self.kind == "bool":
            return "true or false"
        if self.kind == "kernel":
            return "a positive integer, a pair [h, w], or 'full'"
        if self.kind == "size":
            return f"an integer ≥ {self.min_size} or a pair [h, w]"
        if self.kind == "padding":
            return "'same', 'valid', an integer ≥ 0 or a pair [h, w]"
        if self.kind == "init":
            return "a mapping {weight: " + "|".join(INIT_SCHEMES) + ", std: >0, bias: number}"
        if self.kind == "str":
            return "a text"
        lo = "" if self.minimum is None else f"≥ {self.minimum:g}"
        hi = "" if self.maximum is None else f"{'<' if self.exclusive_max else '≤'} {self.maximum:g}"
        kind = "an integer" if self.kind == "int" else "a number"
        return " ".join(p for p in (kind, lo, "and" if lo and hi else "", hi) if p)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_number(param: Param, value: Any, integer: bool) -> str | None:
    if integer and not _is_int(value):
        return f"{param.name} must be an integer, got {value!r}"
    if not integer and not _is_number(value):
        return f"{param.name} must be a number, got {value!r}"
    if not math.isfinite(value):
        return f"{param.name} must be a finite number, got {value!r}"
    if param.minimum is not None and value < param.minimum:
        return f"{param.name} must be {param.range_text()}, got {value!r}"
    if param.maximum is not None:
        too_big = value >= param.maximum if param.exclusive_max else value > param.maximum
        if too_big:
            return f"{param.name} must be {param.range_text()}, got {value!r}"
    return None


def _check_pair(param: Param, value: Any, minimum: int) -> str | None:
    items = value if isinstance(value, list) else [value]
    if isinstance(value, list) and len(value) != 2:
        return f"{param.name} must be an integer or a pair [h, w], got {value!r}"
    for item in items:
        if not _is_int(item):
            return f"{param.name} must be {param.range_text()}, got {value!r}"
        if item < minimum:
            return f"{param.name} must be ≥ {minimum}, got {value!r}"
    return None


def _check_init(param: Param, value: Any) -> str | None:
    if not isinstance(value, dict):
        return f"{param.name} must be {param.range_text()}, got {value!r}"
    unknown = set(value) - {"weight", "std", "bias"}
    if unknown:
        return f"{param.name} has unknown key(s) {sorted(unknown)}; use weight, std and bias"
    weight = value.get("weight", None)
    if weight is not None and weight not in INIT_SCHEMES:
        return f"{param.name}.weight must be one of {', '.join(INIT_SCHEMES)}, got {weight!r}"
    if weight == "trunc_normal" and "std" not in value:
        return f"{param.name}: trunc_normal needs a std, e.g. {{weight: trunc_normal, std: 0.01}}"
    if "std" in value:
        std = value["std"]
        if not _is_number(std) or not math.isfinite(std) or std <= 0:
            return f"{param.name}.std must be a finite number > 0, got {std!r}"
        if weight != "trunc_normal":
            return f"{param.name}.std applies only to weight: trunc_normal"
    if "bias" in value:
        bias = value["bias"]
        if not _is_number(bias) or not math.isfinite(bias):
            return f"{param.name}.bias must be a finite number, got {bias!r}"
    return None


def check_value(param: Param, value: Any) -> str | None:
    """Return a message saying why ``value`` is not acceptable for ``param``, or None."""
    if value is None:
        return None if param.nullable else f"{param.name} needs a value ({param.range_text()})"
    kind = param.kind
    if kind == "int":
        return _check_number(param, value, integer=True)
    if kind == "float":
        return _check_number(param, value, integer=False)
    if kind == "bool":
        return None if isinstance(value, bool) else f"{param.name} must be true or false, got {value!r}"
    if kind == "str":
        return None if isinstance(value, str) and value else f"{param.name} must be a non-empty text"
    if kind == "choice":
        if value in param.choices:
            return None
        return f"{param.name} must be {param.range_text()}, got {value!r}"
    if kind == "size":
        return _check_pair(param, value, param.min_size)
    if kind == "kernel":
        return None if value == "full" else _check_pair(param, value, 1)
    if kind == "padding":
        return None if value in ("same", "valid") else _check_pair(param, value, 0)
    if kind == "init":
        return _check_init(param, value)
    raise ValueError(f"unknown parameter kind {kind!r}")


def pair(value: Any) -> tuple[int, int]:
    """An int or a two-item list as an (h, w) tuple."""
    if isinstance(value, (list, tuple)):
        return int(value[0]), int(value[1])
    return int(value), int(value)
