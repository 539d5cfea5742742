"""The short texts a layer card shows: key parameters, shape, size and receptive field."""

from __future__ import annotations

from typing import Any

from workbench.analysis import LayerInfo
from workbench.analysis.formatting import human_bytes, human_count, rf_text
from workbench.spec.layer_kinds import KINDS
from workbench.spec.model import Layer


LONG_WORD = 16  # characters: a longer word (a layer name) may break after its _ . - on a narrow card


def breakable(text: str) -> str:
    """``text`` with a zero-width space after each ``_``, ``.`` and ``-`` of its long words: a word-wrapped label
    may break a long layer name (``a_very_long_layer_name``) there instead of being cut at the card's edge, while
    a short one (``fc7_1``) stays whole."""
    return " ".join("".join(c + "\u200b" if c in "_.-" else c for c in word) if len(word) > LONG_WORD else word
                    for word in text.split(" "))


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


def block_title(layer: Layer, info: LayerInfo | None) -> str:
    """'3 × residual 16→32' (channels in → out when known); 'parallel' for one copy of unknown shape."""
    repeat = layer.get("repeat")
    text = (f"{repeat} × " if isinstance(repeat, int) and repeat > 1 else "") + layer.type
    if info is not None and info.in_shape and info.out_shape:
        text += f" {info.in_shape[0]}→{info.out_shape[0]}"
    return text


def shortcut_text(info: LayerInfo | None) -> str:
    """What the first copy's shortcut is: 'identity', '1×1 conv projection' or '' when unknown."""
    copy = info.copies[0] if info is not None and info.copies else None
    if copy is None or copy.shortcut is None:
        return ""
    return "1×1 conv projection" if copy.shortcut == "projection" else copy.shortcut


def join_text(layer: Layer, info: LayerInfo | None) -> str:
    """The join under a block's stacks: '⊕ add identity shortcut · relu' or '‖ concat · none'."""
    if layer.type == "residual":
        shortcut = shortcut_text(info) or f"{layer.get('shortcut')} shortcut"
        head = f"⊕ add {shortcut}" + (" shortcut" if shortcut in ("identity", "1×1 conv projection") else "")
    else:
        head = "⊕ add the branches" if layer.get("merge") == "add" else "‖ concat the branches' channels"
    activation = layer.get("activation")
    return head + (f" · then {activation}" if activation != "none" else "")


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
    elif layer.type == "depthwise":
        parts = [f"×{get('multiplier')}", size_text(get("kernel"))]
        if get("stride") != 1:
            parts.append(f"stride {step_text(get('stride'))}")
        parts.append(str(get("padding")) if isinstance(get("padding"), str) else f"pad {get('padding')}")
        if get("dilation") != 1:
            parts.append(f"dilation {get('dilation')}")
        parts.append(str(get("activation")))
    elif layer.type == "se":
        parts = [f"reduction {get('reduction')}"]
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
    elif layer.type == "residual":
        parts = [f"shortcut {get('shortcut')}"] + (["zero-init"] if get("zero_init") else [])
    elif layer.type == "parallel":
        parts = [f"{len(layer.stacks)} branches", f"merge {get('merge')}"]
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
    rf = rf_text(info.rf, info.jump).replace(" ", "\u00a0").replace("/", "/\u2060")  # no break inside '5 /1'
    return f"{params} · RF\u00a0{rf}"


def totals_lines(analysis) -> list[tuple[str, str]]:
    """(label, value) pairs for the totals under the stack."""
    return [
        ("Parameters", f"{analysis.total_params:,} ({human_count(analysis.total_params)})"),
        ("MACs / image", human_count(analysis.total_macs)),
        ("Model size", human_bytes(analysis.model_bytes)),
        ("Activations / image", human_bytes(analysis.activation_bytes)),
    ]
