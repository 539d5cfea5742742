"""Each static rule: a broken spec it catches for the right reason, and the same spec after its fix, which passes."""

import time

import pytest

from workbench.doctor import static_findings
from workbench.presets import load_preset
from workbench.spec import Layer, ModelSpec

from .helpers import make_spec, sick_spec

HEALTHY = ["overfeat-small", "overfeat-small-fixed", "nin-gap", "lenet5", "tiny-vgg", "fc-as-conv", "fc-as-dense"]

CONV = "  - {name: conv1, type: conv, filters: 8, kernel: 3, padding: same, activation: relu}\n"
POOL = "  - {name: pool1, type: maxpool, kernel: 2}\n"
HEAD = "  - {name: gap, type: gap}\n  - {name: logits, type: conv, filters: 3, kernel: 1, activation: none}\n"

BROKEN = {
    "dropout-on-logits": (CONV + HEAD + "  - {name: drop9, type: dropout, rate: 0.5}\n", ("drop9",)),
    "activation-on-logits": (CONV + "  - {name: gap, type: gap}\n  - {name: logits, type: conv, filters: 3, kernel: 1, activation: relu}\n", ("logits",)),
    "spatial-logits": (CONV + "  - {name: logits, type: conv, filters: 3, kernel: 1, activation: none}\n  - {name: pool9, type: maxpool, kernel: 2}\n", ("logits",)),
    "classifier-kernel": (CONV + POOL + "  - {name: logits, type: conv, filters: 3, kernel: 3, activation: none}\n", ("logits",)),
    "linear-stack": ("  - {name: conv1, type: conv, filters: 8, kernel: 3, padding: same, activation: none}\n"
                     "  - {name: conv2, type: conv, filters: 8, kernel: 3, padding: same, activation: relu}\n" + HEAD, ("conv1",)),
    "vanishing-map": (CONV + "  - {name: pool1, type: maxpool, kernel: 16}\n"
                      "  - {name: conv2, type: conv, filters: 8, kernel: 3, padding: same, activation: relu}\n" + HEAD, ("conv2",)),
    "bias-init-relu": ("  - {name: conv1, type: conv, filters: 8, kernel: 3, padding: same, activation: relu, init: {bias: 0.1}}\n"
                       "  - {name: conv2, type: conv, filters: 8, kernel: 3, padding: same, activation: relu, init: {bias: 0.1}}\n" + HEAD,
                       ("conv1", "conv2")),
    "weight-init-scale": ("  - {name: conv1, type: conv, filters: 8, kernel: 3, padding: same, activation: relu, init: {weight: trunc_normal, std: 0.005}}\n" + HEAD,
                          ("conv1",)),
    "bias-before-batchnorm": ("  - {name: conv1, type: conv, filters: 8, kernel: 3, padding: same, activation: none}\n"
                              "  - {name: bn1, type: batchnorm}\n  - {name: relu1, type: activation}\n" + HEAD, ("conv1",)),
    "dropout-before-batchnorm": (CONV + "  - {name: drop1, type: dropout, rate: 0.3}\n  - {name: bn1, type: batchnorm}\n" + HEAD, ("drop1",)),
    "dropout-rate-high": (CONV + "  - {name: drop1, type: dropout, rate: 0.8}\n" + HEAD, ("drop1",)),
}


def _rules(spec):
    return {f.rule: f for f in static_findings(spec)}


@pytest.mark.parametrize("rule", sorted(BROKEN))
def test_rule_catches_broken_spec_and_passes_after_its_fix(rule):
    layers, where = BROKEN[rule]
    spec = make_spec(layers)
    found = _rules(spec)
    assert rule in found, f"{rule} not found; got {sorted(found)}"
    finding = found[rule]
    assert finding.layers == where
    assert finding.severity in ("error", "warning", "info") and finding.source and finding.explanation
    fixed = finding.fixes[0](spec)
    assert fixed != spec
    assert rule not in _rules(fixed), f"{rule} still fires after '{finding.fixes[0].label}'"


def test_parameter_hog_shows_the_gap_alternative_and_its_fix_removes_the_hog():
    spec = make_spec("  - {name: conv1, type: conv, filters: 64, kernel: 3, padding: same, activation: relu}\n"
                     "  - {name: flatten, type: flatten}\n"
                     "  - {name: fc1, type: dense, units: 256, activation: relu}\n"
                     "  - {name: logits, type: dense, units: 3, activation: none}\n", size=16)
    hog = _rules(spec)["parameter-hog"]
    assert hog.layers == ("fc1",)
    assert hog.measured["params"] == 64 * 16 * 16 * 256 + 256
    assert hog.measured["alternative_params"] == 64 * 256 + 256
    assert "1×1 conv" in hog.explanation and "global average pooling" in hog.explanation
    fixed = hog.fixes[0](spec)
    assert [layer.type for layer in fixed.layers] == ["conv", "conv", "gap", "dense"]
    assert "parameter-hog" not in _rules(fixed)


def test_conv_batchnorm_activation_is_not_a_linear_stack():
    spec = make_spec("  - {name: conv1, type: conv, filters: 8, kernel: 3, padding: same, bias: false, activation: none}\n"
                     "  - {name: bn1, type: batchnorm}\n  - {name: relu1, type: activation}\n"
                     "  - {name: conv2, type: conv, filters: 8, kernel: 3, padding: same, activation: relu}\n" + HEAD,
                     epochs=10)  # 30 steps: long enough to leave chance
    assert static_findings(spec) == []


def test_question_head_gets_dropout_and_init_findings_on_the_right_layers():
    found = _rules(sick_spec())
    assert found["dropout-on-logits"].severity == "error"
    assert found["dropout-on-logits"].layers == ("drop9",)
    assert found["bias-init-relu"].layers == ("fc6", "fc7", "fc7_1")
    scale = found["weight-init-scale"]
    assert set(scale.layers) >= {"fc6", "fc7", "fc7_1"}
    assert all(scale.measured[n]["ratio"] < 0.3 for n in ("fc6", "fc7", "fc7_1"))


def test_preset_fc7_1_static_numbers():
    scale = _rules(load_preset("overfeat-small-fc7_1"))["weight-init-scale"]
    fc6 = scale.measured["fc6"]
    assert fc6["fan_in"] == 2304
    assert fc6["ratio"] == pytest.approx(0.005 * 0.8796 / (2 / 2304) ** 0.5, rel=1e-3)


@pytest.mark.parametrize("name", HEALTHY)
def test_healthy_presets_get_no_static_errors_or_warnings(name):
    assert [f.rule for f in static_findings(load_preset(name)) if f.severity != "info"] == []


def test_static_rules_are_fast_on_a_hundred_layers():
    layers = [Layer("conv0", "conv", {"filters": 8, "kernel": 3, "padding": "same"})]
    layers += [Layer(f"conv{i}", "conv", {"filters": 8, "kernel": 3, "padding": "same"}) for i in range(1, 99)]
    layers += [Layer("gap", "gap"), Layer("logits", "conv", {"filters": 3, "kernel": 1, "activation": "none"})]
    spec = ModelSpec(name="deep", layers=layers)
    from workbench.analysis import analyze

    analysis = analyze(spec)
    start = time.perf_counter()
    for _ in range(5):
        static_findings(spec, analysis)
    assert (time.perf_counter() - start) / 5 < 0.02
