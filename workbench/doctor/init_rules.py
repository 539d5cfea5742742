"""Static rules on initialisation: weight scale against He/Glorot/LeCun, and bias constants in ReLU stacks."""

from __future__ import annotations

from workbench.analysis import Analysis
from workbench.builder import init_std
from workbench.doctor.edits import set_param
from workbench.doctor.findings import Finding, Fix
from workbench.doctor.stack import TRUNC_2SIGMA, fans, first_of_each, following_activation, is_weight, layer_nodes
from workbench.spec.layer_kinds import RELU_FAMILY
from workbench.spec.model import Layer, ModelSpec

SCALE_BAND = (0.5, 2.0)
INIT_SOURCE = "He et al. 2015; Glorot & Bengio 2010; LeCun et al. 1998"


def _with_scheme(layer: Layer, scheme: str) -> Layer:
    return Layer(layer.name, layer.type, dict(layer.params, init={"weight": scheme}))


def recommended_std(layer: Layer, activation: str, fan_in: int, fan_out: int) -> tuple[str, float]:
    """The scheme and std that suit ``activation``: He for the ReLU family, else Glorot."""
    if activation in RELU_FAMILY:
        return "He", init_std(_with_scheme(layer, "he"), fan_in, fan_out, activation)
    return "Glorot", init_std(_with_scheme(layer, "glorot"), fan_in, fan_out, activation)


def effective_std(layer: Layer, fan_in: int, fan_out: int, activation: str) -> float | None:
    """The weight std the layer's init really gives before ``activation`` (truncation included); None for
    PyTorch's default."""
    std = init_std(layer, fan_in, fan_out, activation)
    if std is None:
        return None
    return std * TRUNC_2SIGMA if layer.init(activation)["weight"] == "trunc_normal" else std


def _ratio(layer: Layer, activation: str, fan_in: int, fan_out: int) -> tuple[float, str, float, float] | None:
    """(std / recommended std, the scheme, the recommended std, the std) or None for PyTorch's default."""
    std = effective_std(layer, fan_in, fan_out, activation)
    if std is None:
        return None
    scheme, want = recommended_std(layer, activation, fan_in, fan_out)
    if activation not in RELU_FAMILY:  # LeCun is as good a reference as Glorot here
        lecun = init_std(_with_scheme(layer, "lecun"), fan_in, fan_out, activation)
        if abs(std / lecun - 1) < abs(std / want - 1):
            scheme, want = "LeCun", lecun
    return std / want, scheme, want, std


def weight_scale_rule(spec: ModelSpec, analysis: Analysis) -> list[Finding]:
    off, measured, seen = [], {}, set()
    for node in layer_nodes(spec, analysis):
        layer = node.layer
        if layer.name in seen or not is_weight(layer) or not node.usable:
            continue
        act = following_activation(node.stack, node.index)
        if act == "batchnorm":
            continue
        fan_in, fan_out = fans(layer, node.info)
        got = _ratio(layer, act, fan_in, fan_out)
        if got is None or SCALE_BAND[0] <= got[0] <= SCALE_BAND[1]:
            continue
        seen.add(layer.name)  # the first copy that is off speaks for the layer
        ratio, scheme, want, std = got
        off.append((node, ratio, scheme, want, std, fan_in))
        measured[node.path] = {"std": std, "recommended": want, "ratio": ratio, "fan_in": fan_in}
    if not off:
        return []
    parts = [
        f"{node.path}: std {std:.3g} on fan-in {fan_in} is {ratio:.2f}× {scheme} "
        f"({want:.3g}): it passes on about {ratio ** 2:.2g}× the variance {scheme} would"
        for node, ratio, scheme, want, std, fan_in in off
    ]
    paths = tuple(x[0].path for x in off)
    small = all(x[1] < 1 for x in off)
    return [Finding(
        "weight-init-scale", "warning", "Weight initialisation far from He/Glorot/LeCun",
        "; ".join(parts) + ". " + ("Stacked, these layers make the part of the output that depends on the image "
                                   "smaller and smaller." if small else "Too large a scale saturates or explodes activations."),
        INIT_SOURCE, paths,
        (Fix("Use the default initialisation (He for ReLU, Glorot otherwise) on " + ", ".join(paths),
             tuple(set_param(x[0].layer.name, "init", None) for x in off)),),
        measured,
    )]


def bias_init_rule(spec: ModelSpec, analysis: Analysis) -> list[Finding]:
    hits = [
        node for node in first_of_each(layer_nodes(spec, analysis))
        if is_weight(node.layer) and following_activation(node.stack, node.index) in RELU_FAMILY
        and node.layer.get("bias") and float(node.layer.init()["bias"]) != 0.0
    ]
    if len(hits) < 2:
        return []
    paths = tuple(h.path for h in hits)
    biases = ", ".join(f"{h.path} {float(h.layer.init()['bias']):g}" for h in hits)
    edits = [set_param(h.layer.name, "init.bias", None) for h in hits]
    return [Finding(
        "bias-init-relu", "warning", "Non-zero bias initialisation in a ReLU stack",
        f"Biases start at {biases}. A constant added at every layer is the same for every image; through a stack "
        "of ReLU layers it adds up and can swamp the part of the activation that depends on the input.",
        INIT_SOURCE, paths,
        (Fix("Start the biases of " + ", ".join(paths) + " at 0", tuple(edits)),),
        {"bias": {h.path: float(h.layer.init()["bias"]) for h in hits}},
    )]
