"""The short texts a layer card shows: key parameters, shape, size and receptive field."""

from __future__ import annotations

from typing import Any

from workbench.analysis import LayerInfo
from workbench.analysis.formatting import human_bytes, human_count, rf_text
from workbench.spec.layer_kinds import KINDS
from workbench.spec.model import Layer


def size_text(value: Any) -> str:
    """3 -> '3×3'; [3, 5] -> '3×5'; 'full' -> 'full'."""
    if isinstance(value, list) and len(value) == 2:
        return f"{value[0]}×{value[1]}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value}×{value}"
    return str(value)


def step_text(value: Any) -> str:
    """2 -> '2'; [2, 1] -> '2×1'."""
    if isinstance(value, list) and len(value) == 2:
        return f"{value[0]}×{value[1]}"
    return str(value)


def kind_label(layer: Layer) -> str:
    if layer.type == "conv" and layer.params.get("kernel") == 1:
        return "1×1 conv"
    kind = KINDS.get(layer.type)
    return kind.label if kind else layer.type


def key_params_text(layer: Layer) -> str:
    """The parameters that matter most, e.g. '128 · 3×3 · same · relu' or '2×2 /2'."""
    get = layer.get
    parts: list[str] = []
    if layer.type == "conv":
        parts = [str(get("filters")), size_text(get("kernel"))]
        if get("stride") != 1:
            parts.append(f"stride {step_text(get('stride'))}")
        parts.append(str(get("padding")) if isinstance(get("padding"), str) else f"pad {get('padding')}")
        if get("dilation") != 1:
            parts.append(f"dilation {get('dilation')}")
        if get("groups") != 1:
            parts.append(f"{get('groups')} groups")
        parts.append(str(get("activation")))
    elif layer.type in ("maxpool", "avgpool"):
        stride = get("stride") if get("stride") is not None else get("kernel")
        parts = [size_text(get("kernel")), f"stride {step_text(stride)}"]
        if get("padding"):
            parts.append(f"pad {get('padding')}")
    elif layer.type == "dropout":
        parts = [f"rate {get('rate')}"]
    elif layer.type == "batchnorm":
        parts = [f"momentum {get('momentum')}"]
    elif layer.type == "activation":
        parts = [str(get("activation"))]
    elif layer.type == "dense":
        parts = [f"{get('units')} units", str(get("activation"))]
    return " · ".join(parts)


def shape_text(info: LayerInfo | None) -> str:
    if info is None or info.status != "ok" or info.out_shape is None:
        return "—"
    return info.shape_text


def stats_text(info: LayerInfo | None) -> str:
    """'147k params · RF 5 /1' for a layer that works; '' otherwise."""
    if info is None or info.status != "ok":
        return ""
    params = f"{human_count(info.params)} params" if info.params else "no params"
    return f"{params} · RF {rf_text(info.rf, info.jump)}"


def totals_lines(analysis) -> list[tuple[str, str]]:
    """(label, value) pairs for the totals under the stack."""
    return [
        ("Parameters", f"{analysis.total_params:,} ({human_count(analysis.total_params)})"),
        ("MACs / image", human_count(analysis.total_macs)),
        ("Model size", human_bytes(analysis.model_bytes)),
        ("Activations / image", human_bytes(analysis.activation_bytes)),
    ]
