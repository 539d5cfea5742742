"""Rules that read only the spec and its analysis: cheap enough to run on every edit."""

from __future__ import annotations

from workbench.analysis import Analysis, analyze
from workbench.analysis.formatting import human_count
from workbench.doctor.edits import insert_before, insert_layer, move_layer, remove_layer, set_param
from workbench.doctor.findings import Finding, Fix
from workbench.doctor.init_rules import bias_init_rule, weight_scale_rule
from workbench.doctor.stack import (SPATIAL_TYPES, first_of_each, head_index, is_weight, kernel_hw, layer_nodes,
                                    next_index)
from workbench.doctor.training_rules import training_settings
from workbench.spec.model import Layer, ModelSpec

HOG_SHARE = 0.5
HOG_MIN_PARAMS = 1_000_000
MAX_DROPOUT = 0.5


def dropout_on_logits(spec: ModelSpec, analysis: Analysis) -> list[Finding]:
    last = head_index(spec)
    if last is None:
        return []
    drops = [layer.name for layer in spec.layers[last + 1 :] if layer.type == "dropout"]
    if not drops:
        return []
    rates = ", ".join(f"{n} (rate {spec.layer(n).get('rate'):g})" for n in drops)
    return [Finding(
        "dropout-on-logits", "error", "Dropout is applied to the logits",
        f"{rates} comes after the classifier {spec.layers[last].name}, so during training random class scores "
        "are zeroed: the loss sees scores the network never produced, and a zeroed correct score cannot be "
        "pushed up. Dropout belongs on hidden features, before the classifier.",
        "Srivastava et al. 2014; AutoTrainer and TheDeepChecker output-layer checks",
        tuple(drops),
        (Fix(f"Remove {', '.join(drops)} after the classifier", tuple(remove_layer(n) for n in drops)),),
        {"dropout_layers": drops},
    )]


def activation_on_logits(spec: ModelSpec, analysis: Analysis) -> list[Finding]:
    last = head_index(spec)
    if last is None:
        return []
    head = spec.layers[last]
    acts = [layer for layer in spec.layers[last + 1 :] if layer.type == "activation"]
    own = head.get("activation")
    if own == "none" and not acts:
        return []
    names = ([head.name] if own != "none" else []) + [a.name for a in acts]
    used = ", ".join(([own] if own != "none" else []) + [a.get("activation") for a in acts])
    edits = ([set_param(head.name, "activation", "none")] if own != "none" else []) + [remove_layer(a.name) for a in acts]
    return [Finding(
        "activation-on-logits", "error", "The logits pass through an activation",
        f"The class scores go through {used}. Cross-entropy applies its own softmax and needs unbounded scores: "
        "ReLU makes negative scores impossible (and zero gradient below 0), tanh/sigmoid cap them.",
        "TheDeepChecker (last-layer activation rule)",
        tuple(names),
        (Fix(f"Set activation: none on {head.name}", tuple(edits)),),
        {"activation": used},
    )]


def spatial_logits(spec: ModelSpec, analysis: Analysis) -> list[Finding]:
    last = head_index(spec)
    if last is None or not spec.layers or analysis.layers[-1].out_shape is None:
        return []
    out = analysis.layers[-1].out_shape
    if len(out) != 3 or (out[1], out[2]) == (1, 1):
        return []
    head = spec.layers[last]
    fixes = [Fix("Average the class maps: add global average pooling at the end",
                 (insert_layer(spec.layers[-1].name, {"name": spec.unique_name("gap"), "type": "gap"}),))]
    rule, title = "spatial-logits", "The head leaves spatial logits"
    text = (f"The network ends with a {out[0]}×{out[1]}×{out[2]} map, one score per class per position, "
            f"not one score per class per image.")
    if head.type == "conv" and head.get("kernel") != "full" and analysis.layers[last].in_shape is not None \
            and analysis.layers[last].out_shape == out:
        kh, kw = kernel_hw(head, analysis.layers[last])
        _, h, w = analysis.layers[last].in_shape
        if (kh, kw) != (h, w):
            rule, title = "classifier-kernel", "The classifier's kernel does not cover its input"
            text += (f" The classifier {head.name} has a {kh}×{kw} kernel on a {h}×{w} input; a fully connected "
                     "classifier needs the kernel to match the input (kernel: full).")
            fixes.insert(0, Fix(f"Make {head.name} fully connected (kernel: full)",
                                (set_param(head.name, "kernel", "full"), set_param(head.name, "padding", None))))
    return [Finding(rule, "error", title, text, "Lin et al. 2014 (Network in Network); Long et al. 2015 (FCN)",
                    (head.name,), tuple(fixes), {"output_shape": list(out)})]


def _factorised(layer: Layer) -> bool:
    """A depthwise or grouped conv: with the conv next to it, fewer weights than the one conv the pair
    multiplies out to (a depthwise-separable pair), so a missing nonlinearity there is a choice."""
    return layer.type == "depthwise" or (layer.type == "conv" and layer.get("groups") != 1)


def linear_stack(spec: ModelSpec, analysis: Analysis) -> list[Finding]:
    pairs = []
    for node in first_of_each(layer_nodes(spec, analysis)):
        layer = node.layer
        if not is_weight(layer) or layer.get("activation") != "none" or _factorised(layer):
            continue
        j = next_index(node.stack, node.index)
        if j is not None and is_weight(node.stack[j]) and not _factorised(node.stack[j]):
            pairs.append((node, node.sibling_path(node.stack[j].name)))
    if not pairs:
        return []
    text = "; ".join(f"{a.path} → {b}" for a, b in pairs)
    firsts = tuple(a.path for a, _ in pairs)
    return [Finding(
        "linear-stack", "warning", "Linear layers follow each other with no nonlinearity",
        f"{text}: a linear layer followed by another linear layer is one linear layer with more parameters; "
        "the extra depth adds nothing but harder optimisation.",
        "Goodfellow et al. 2016 (Deep Learning, ch. 6)",
        firsts,
        (Fix("Add ReLU to " + ", ".join(firsts), tuple(set_param(a.layer.name, "activation", "relu") for a, _ in pairs)),),
        {"pairs": [[a.path, b] for a, b in pairs]},
    )]


def vanishing_map(spec: ModelSpec, analysis: Analysis) -> list[Finding]:
    hits, seen = [], set()
    for node in layer_nodes(spec, analysis):
        layer = node.layer
        if layer.name in seen or not node.usable or len(node.info.in_shape) != 3:
            continue
        _, h, w = node.info.in_shape
        spatial_conv = layer.type in ("conv", "depthwise") and layer.get("kernel") != "full" \
            and kernel_hw(layer, node.info) != (1, 1)
        if h * w <= 1 and (spatial_conv or layer.type in SPATIAL_TYPES):
            seen.add(layer.name)
            hits.append(node)
    if not hits:
        return []
    edits = []
    for node in hits:
        if node.layer.type in ("conv", "depthwise"):
            edits += [set_param(node.layer.name, "kernel", 1), set_param(node.layer.name, "padding", None)]
        else:
            edits.append(remove_layer(node.layer.name))
    paths = tuple(node.path for node in hits)
    return [Finding(
        "vanishing-map", "warning", "The map has shrunk to 1×1 before more spatial layers",
        f"{', '.join(paths)} receive a 1×1 map: a k×k kernel or a pooling window on one pixel only sees that "
        "pixel (zero padding fills the rest), so these layers cost parameters without spatial context.",
        "Dumoulin & Visin 2016 (convolution arithmetic)",
        paths,
        (Fix("Make " + ", ".join(paths) + " 1×1 / drop the pooling", tuple(edits)),),
        {},
    )]


def parameter_hog(spec: ModelSpec, analysis: Analysis) -> list[Finding]:
    total = analysis.total_params
    out = []
    nodes = layer_nodes(spec, analysis)
    in_shapes = {node.path: node.info.in_shape for node in nodes}
    for node in first_of_each(nodes):
        layer, info = node.layer, node.info
        if layer.type not in ("conv", "dense") or not node.usable or info.params < HOG_MIN_PARAMS \
                or info.params < HOG_SHARE * total:
            continue
        shape = info.in_shape
        if len(shape) == 3:
            c, n = shape[0], info.out_shape[0]
        else:  # dense after a flatten: look at the map that reaches the flatten (and dropout) before it
            k = node.index
            while k > 0 and node.stack[k - 1].type in ("flatten", "dropout"):
                k -= 1
            before = in_shapes.get(node.sibling_path(node.stack[k].name))
            if before is None or len(before) != 3:
                continue
            c, n = before[0], layer.get("units")
        bias = n if layer.get("bias") else 0
        alt = c * n + bias
        if alt >= info.params:
            continue
        gap = spec.unique_name("gap")
        edits = [insert_layer(layer.name, {"name": gap, "type": "gap"}), remove_layer(layer.name)]
        if layer.type == "dense" and node.index > 0 and node.stack[node.index - 1].type == "flatten":
            edits.append(remove_layer(node.stack[node.index - 1].name))
        conv = {"name": layer.name, "type": "conv", "filters": n, "kernel": 1, "activation": layer.get("activation")}
        conv.update({k: v for k, v in layer.params.items() if k in ("bias", "init")})
        edits.append(insert_before(gap, conv))
        out.append(Finding(
            "parameter-hog", "warning", f"{node.path} holds most of the parameters",
            f"{node.path} has {human_count(info.params)} of the model's {human_count(total)} parameters "
            f"({info.params / total:.0%}). A 1×1 conv with {n} filters followed by global average pooling "
            f"needs {human_count(alt)} parameters ({alt / info.params:.1%} of it) and still sees the whole image.",
            "Lin et al. 2014 (Network in Network)",
            (node.path,),
            (Fix(f"Replace {node.path} by a 1×1 conv + global average pooling", tuple(edits)),),
            {"params": info.params, "share": info.params / total, "alternative_params": alt},
        ))
    return out


def batchnorm_neighbours(spec: ModelSpec, analysis: Analysis) -> list[Finding]:
    biased, dropped = [], []
    for node in first_of_each(layer_nodes(spec, analysis)):
        layer = node.layer
        if node.index + 1 >= len(node.stack) or node.stack[node.index + 1].type != "batchnorm":
            continue
        nxt = node.stack[node.index + 1]
        if is_weight(layer) and layer.get("bias"):
            biased.append(node)
        if layer.type == "dropout":
            dropped.append((node, nxt))
    out = []
    if biased:
        paths = [node.path for node in biased]
        out.append(Finding(
            "bias-before-batchnorm", "info", "A bias right before batch norm does nothing",
            f"{', '.join(paths)} add a bias that the following batch norm subtracts again with the mean; "
            "batch norm's own shift replaces it.",
            "Ioffe & Szegedy 2015", tuple(paths),
            (Fix("Set bias: false on " + ", ".join(paths), tuple(set_param(n.layer.name, "bias", False) for n in biased)),), {},
        ))
    if dropped:
        out.append(Finding(
            "dropout-before-batchnorm", "warning", "Dropout directly before batch norm",
            "; ".join(f"{d.path} → {d.sibling_path(b.name)}" for d, b in dropped) + ": dropout changes the variance "
            "between training and evaluation, so the statistics batch norm learns in training are wrong at evaluation time.",
            "Li et al. 2019 (dropout and batch normalization disharmony); Ioffe & Szegedy 2015",
            tuple(d.path for d, _ in dropped),
            (Fix("Move dropout after batch norm", tuple(move_layer(d.layer.name, b.name) for d, b in dropped)),), {},
        ))
    return out


def dropout_rate(spec: ModelSpec, analysis: Analysis) -> list[Finding]:
    high = [node for node in first_of_each(layer_nodes(spec, analysis))
            if node.layer.type == "dropout" and node.layer.get("rate") > MAX_DROPOUT]
    if not high:
        return []
    paths = [d.path for d in high]
    return [Finding(
        "dropout-rate-high", "warning", "Dropout rate above 0.5",
        ", ".join(f"{d.path} drops {d.layer.get('rate'):.0%}" for d in high) + " of its inputs; more than half thrown "
        "away slows learning a lot and rarely helps.",
        "Srivastava et al. 2014", tuple(paths),
        (Fix("Set rate 0.5 on " + ", ".join(paths), tuple(set_param(d.layer.name, "rate", 0.5) for d in high)),),
        {"rates": {d.path: d.layer.get("rate") for d in high}},
    )]


STATIC_RULES = (
    dropout_on_logits, activation_on_logits, spatial_logits, linear_stack, vanishing_map, parameter_hog,
    weight_scale_rule, bias_init_rule, batchnorm_neighbours, dropout_rate, training_settings,
)


def static_findings(spec: ModelSpec, analysis: Analysis | None = None) -> list[Finding]:
    """Every static finding for ``spec`` (uses ``analysis`` when the caller already has it)."""
    analysis = analysis if analysis is not None else analyze(spec)
    out = []
    for rule in STATIC_RULES:
        out += rule(spec, analysis)
    return out
