"""A fix clears the finding it was offered for: every fix of every static and init finding on the rules'
trigger specs, applied, and the spec checked again."""

import math

import pytest

from workbench.builder import build_model
from workbench.data.dataset import load_data
from workbench.doctor import static_findings
from workbench.doctor.findings import SEVERITIES
from workbench.doctor.report import diagnose

from .helpers import make_spec, sick_spec
from .test_static_rules import BROKEN, HEAD

# conv1 has no activation of its own; the ReLU is a layer of its own. Its fan-out (16 × 9) is much larger
# than its fan-in (3 × 9), so Glorot's std is far below He's.
SEPARATE_RELU = ("  - {name: conv1, type: conv, filters: 16, kernel: 3, padding: same, activation: none, INIT}\n"
                 "  - {name: relu1, type: activation, activation: relu}\n" + HEAD)
STATIC_TRIGGERS = {rule: layers for rule, (layers, _where) in BROKEN.items()}
STATIC_TRIGGERS["weight-init-scale (separate ReLU)"] = SEPARATE_RELU.replace("INIT", "init: {weight: trunc_normal, std: 0.005}")
INIT_TRIGGERS = {
    "dead-relu-init": lambda: make_spec(
        "  - {name: conv1, type: conv, filters: 8, kernel: 3, padding: same, activation: relu, init: {bias: -20.0}}\n"
        "  - {name: conv2, type: conv, filters: 8, kernel: 3, padding: same, activation: relu}\n" + HEAD, images=60),
    "weak-signal": lambda: sick_spec(images=60),
}


def _worst(findings, rule):
    """The most severe finding of ``rule`` (None when it does not fire)."""
    hits = [f for f in findings if f.rule == rule]
    return min(hits, key=lambda f: SEVERITIES.index(f.severity)) if hits else None


def _check_every_fix(spec, findings_of):
    """Apply every fix of every finding; each must clear its finding (or, for a fix that removes one of
    several weak layers, at least lower its severity)."""
    checked = 0
    for finding in findings_of(spec):
        for fix in finding.fixes:
            after = _worst(findings_of(fix(spec)), finding.rule)
            assert after is None or SEVERITIES.index(after.severity) > SEVERITIES.index(finding.severity), \
                f"{finding.rule} still fires ({after.severity}) after “{fix.label}”"
            checked += 1
    return checked


@pytest.mark.parametrize("name", sorted(STATIC_TRIGGERS))
def test_every_static_fix_clears_its_finding(name):
    spec = make_spec(STATIC_TRIGGERS[name])
    assert _check_every_fix(spec, static_findings) >= 1


@pytest.mark.parametrize("name", sorted(INIT_TRIGGERS))
def test_every_init_fix_clears_its_finding(name):
    spec = INIT_TRIGGERS[name]()
    data = load_data(spec)
    rule = name
    assert _worst(diagnose(spec, data=data).findings, rule) is not None
    assert _check_every_fix(spec, lambda s: diagnose(s, data=data).findings) >= 1


def test_a_conv_before_a_separate_relu_layer_is_initialised_for_the_relu():
    spec = make_spec(SEPARATE_RELU.replace(", INIT", ""))
    weight = build_model(spec).conv1.weight
    assert float(weight.detach().std()) == pytest.approx(math.sqrt(2 / 27), rel=0.1)  # He on fan-in 27, not Glorot
    assert not [f for f in static_findings(spec) if f.rule == "weight-init-scale"]


def test_the_init_scale_finding_quotes_the_std_the_layer_really_gets():
    spec = make_spec(SEPARATE_RELU.replace("INIT", "init: {weight: glorot}"))
    finding = next(f for f in static_findings(spec) if f.rule == "weight-init-scale")
    glorot = math.sqrt(2 / (27 + 144))
    assert f"std {glorot:.3g} on fan-in 27" in finding.explanation
    assert finding.measured["conv1"]["std"] == pytest.approx(glorot)
