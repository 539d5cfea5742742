"""Would skips help? A deep plain stack measured beside its residual version (the same layers, each run of
two shape-keeping conv layers wrapped in a residual block), on the same batch and seed."""

from __future__ import annotations

import torch

from workbench.analysis import analyze
from workbench.doctor.edits import apply_edits, wrap_layers
from workbench.doctor.findings import Finding, Fix
from workbench.doctor.measure import Measurement, measure
from workbench.spec import tree
from workbench.spec.model import ModelSpec

MIN_WEIGHT_LAYERS = 8  # shallower plain stacks train without skips
WEAK_SHARE = 0.05
HELPS = 2.0  # the residual version must keep at least this many times the plain share
FOLLOWERS = ("batchnorm", "activation", "dropout")


def residual_groups(spec: ModelSpec) -> list[list[str]]:
    """Runs of two conv units (a conv and the batch norm / activation / dropout after it) that keep the
    shape, in the top stack, not overlapping and not including the classifier."""
    analysis = analyze(spec)
    infos, layers = analysis.layers, spec.layers
    units, i = [], 0
    while i < len(layers):
        if layers[i].type != "conv":
            i += 1
            continue
        j = i + 1
        while j < len(layers) and layers[j].type in FOLLOWERS:
            j += 1
        units.append((i, j))
        i = j
    groups, u = [], 0
    last_weight = max((k for k, layer in enumerate(layers) if layer.type in ("conv", "dense")), default=-1)
    while u + 1 < len(units):
        (a, _), (b, end) = units[u], units[u + 1]
        keeps = infos[a].in_shape == infos[end - 1].out_shape and b == units[u][1]
        if keeps and end - 1 < last_weight:
            groups.append([layer.name for layer in layers[a:end]])
            u += 2
        else:
            u += 1
    return groups


def wrap_fix(spec: ModelSpec, groups: list[list[str]]) -> Fix:
    taken = set(tree.names(spec.layers))
    edits = []
    for k, names in enumerate(groups, start=1):
        name = next(f"res{n}" for n in range(k, k + len(taken) + 2) if f"res{n}" not in taken)
        taken.add(name)
        edits.append(wrap_layers(names, {"name": name, "type": "residual", "activation": "none"}))
    return Fix(f"Wrap in residual blocks ({len(groups)} blocks of two conv layers with an identity shortcut)", tuple(edits))


def _share_after(m: Measurement, name: str) -> float:
    return m.layer(name).signal_share


def skip_findings(spec: ModelSpec, inputs: torch.Tensor, targets: torch.Tensor, plain: Measurement,
                  seed: int | None = None) -> list[Finding]:
    """Offer skips when the plain stack loses its input-dependent signal and the residual version keeps it."""
    if any(tree.is_block(layer) for layer in spec.layers):
        return []
    weights = [layer.name for layer in spec.layers if layer.type in ("conv", "dense")]
    groups = residual_groups(spec)
    if len(weights) < MIN_WEIGHT_LAYERS or len(groups) < 2:
        return []
    after = spec.layers[spec.index_of(groups[-1][-1]) + 1].name
    first = weights[0]
    before, end = _share_after(plain, first), _share_after(plain, after)
    if end >= WEAK_SHARE:
        return []
    fix = wrap_fix(spec, groups)
    residual = measure(apply_edits(spec, fix.edits), inputs, targets, seed=seed)
    kept = _share_after(residual, after)
    if kept < HELPS * end or kept < WEAK_SHARE:
        return []
    depth = sum(1 for names in groups for n in names if spec.layer(n).type == "conv")
    return [Finding(
        "skips-keep-signal", "warning", "Skip connections would keep the image-dependent signal",
        f"In this plain stack the input-dependent share falls from {before:.2g} after {first} to {end:.2g} at {after}, "
        f"over {depth} conv layers; the same layers wrapped in residual blocks, measured on the same batch and seed, "
        f"keep {kept:.2g} at {after}. An identity shortcut carries the signal past layers that shrink it.",
        "He et al. 2016 (deep residual learning)", (first, after), (fix,),
        {"plain_share": {first: before, after: end}, "residual_share": {after: kept}, "conv_layers": depth}, "init")]
