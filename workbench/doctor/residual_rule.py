"""Residual blocks without normalisation: each block adds its body's output to its input, so at
initialisation the amplitude grows block after block. Measured, with the usual remedies as fixes:
start each body at zero (``zero_init``) or end it with batch norm."""

from __future__ import annotations

from workbench.doctor.edits import insert_layer, set_param
from workbench.doctor.findings import Finding, Fix
from workbench.doctor.measure import Measurement
from workbench.spec import tree
from workbench.spec.model import ModelSpec

GROWTH = 4.0  # the image-dependent amplitude may at most grow this much through the unnormalised blocks


def first_leaf(layer, prefix: str | None = None) -> str | None:
    """The module path of the first plain layer the input of ``layer`` reaches (None: an empty stack first)."""
    path = tree.child_path(prefix, layer.name)
    key = tree.stacks_key(layer)
    if not key:
        return path
    if not layer.stacks or not layer.stacks[0]:
        return None
    return first_leaf(layer.stacks[0][0], tree.stack_path(tree.copy_path(path, 0), key, 0))


def _unnormalised(spec: ModelSpec) -> list[int]:
    """Top-level residual blocks whose body has no batch norm and does not start at zero."""
    return [
        i for i, layer in enumerate(spec.layers)
        if layer.type == "residual" and not layer.get("zero_init") and layer.stacks and layer.stacks[0]
        and not any(child.type == "batchnorm" for child, _ in tree.walk(layer.stacks[0]))
    ]


def growth_findings(spec: ModelSpec, m: Measurement) -> list[Finding]:
    """Warn when the amplitude grows more than :data:`GROWTH` times through unnormalised residual blocks."""
    blocks = _unnormalised(spec)
    if not blocks or blocks[-1] + 1 >= len(spec.layers):
        return []
    first = spec.layers[blocks[0]]
    start, after = first_leaf(first), first_leaf(spec.layers[blocks[-1] + 1])
    if start is None or after is None:
        return []
    a, b = m.layer(start).in_signal_std, m.layer(after).in_signal_std
    if not a > 0 or b / a <= GROWTH:
        return []
    names = [spec.layers[i].name for i in blocks]
    zero = Fix(f"Start every body at zero (zero_init on {', '.join(names)})", tuple(set_param(n, "zero_init", True) for n in names))
    edits = []
    for n in names:
        last = spec.layers[spec.index_of(n)].stacks[0][-1].name
        edits.append(insert_layer(last, {"name": spec.unique_name(f"bn_{n}"), "type": "batchnorm"}))
    norm = Fix(f"End every body with batch norm ({', '.join(names)})", tuple(edits))
    return [Finding(
        "residual-growth", "warning", "The signal grows block after block: residual blocks without normalisation",
        f"Each of {', '.join(names)} adds its body's output to its input, and no batch norm rescales the sum: the "
        f"image-dependent amplitude grows from {a:.3g} entering {first.name} to {b:.3g} entering {after} "
        f"(×{b / a:.3g} over {len(names)} blocks). Deeper stacks of such blocks overflow or train erratically.",
        "Goyal et al. 2017 and Zhang et al. 2019 (zero-initialised residual branches); He et al. 2016",
        tuple(names), (zero, norm), {"amplitude": {start: a, after: b}, "growth": b / a, "blocks": len(names)}, "init")]
