"""The check at initialisation: each rule on a broken spec and after its fix, and the presets."""

import pytest
import torch

from workbench.builder import build_model
from workbench.data.dataset import load_data
from workbench.doctor import apply_top_fixes, check_init, diagnose_init, static_findings
from workbench.doctor.batch import balanced_indices, init_batch
from workbench.doctor.measure import signal_share
from workbench.presets import load_preset

from .helpers import make_spec, sick_spec

HEAD = "  - {name: gap, type: gap}\n  - {name: logits, type: conv, filters: 3, kernel: 1, activation: none}\n"


def _diagnose(spec):
    return diagnose_init(spec, *init_batch(spec, load_data(spec)))


def _rules(report):
    return {f.rule: f for f in report.findings}


def test_signal_share_is_one_for_centred_units_and_zero_for_constants():
    x = torch.tensor([[1.0, 5.0], [-1.0, 5.0]])
    assert signal_share(x[:, :1]) == pytest.approx(1.0)
    assert signal_share(x[:, 1:]) == pytest.approx(0.0)
    assert signal_share(torch.zeros(4, 3)) == 0.0


def test_balanced_batch_takes_the_classes_in_turn():
    labels = torch.tensor([0] * 10 + [1] * 10 + [2] * 2)
    picked = labels[balanced_indices(labels, 7)]
    assert sorted(picked.tolist()) == [0, 0, 0, 1, 1, 2, 2]
    assert set(picked[:3].tolist()) == {0, 1, 2}


def test_dead_relus_at_init_and_the_fix():
    spec = make_spec("  - {name: conv1, type: conv, filters: 8, kernel: 3, padding: same, activation: relu, init: {bias: -20.0}}\n"
                     "  - {name: conv2, type: conv, filters: 8, kernel: 3, padding: same, activation: relu}\n" + HEAD, images=60)
    found = _rules(_diagnose(spec))
    assert found["dead-relu-init"].layers[0] == "conv1"
    assert found["dead-relu-init"].measured["dead_fraction"]["conv1"] == 1.0
    assert "dead-relu-init" not in _rules(_diagnose(found["dead-relu-init"].fixes[0](spec)))


def test_vanishing_gradient_ratio_and_its_fix():
    spec = sick_spec(images=60)
    report = _diagnose(spec)
    assert _rules(report)["vanishing-gradient-init"].layers == ("conv1", "fc9")
    assert not next(c for c in report.checks if c.name.startswith("gradient")).passed
    batch_norm = _rules(report)["weak-signal"].fixes[0]
    assert _diagnose(batch_norm(spec)).findings == []


def test_huge_initial_loss_is_only_information():
    spec = make_spec("  - {name: conv1, type: conv, filters: 8, kernel: 3, padding: same, activation: relu}\n"
                     "  - {name: gap, type: gap}\n"
                     "  - {name: logits, type: conv, filters: 3, kernel: 1, activation: none, init: {weight: trunc_normal, std: 20.0}}\n",
                     images=60)
    finding = _rules(_diagnose(spec))["init-loss-high"]
    assert finding.severity == "info" and finding.measured["loss"] > 3


def test_non_finite_activations_name_the_first_bad_layer():
    spec = make_spec("  - {name: conv1, type: conv, filters: 8, kernel: 3, padding: same, activation: relu, init: {weight: trunc_normal, std: 1.0e+38}}\n"
                     "  - {name: conv2, type: conv, filters: 8, kernel: 3, padding: same, activation: relu}\n"
                     + HEAD, images=60)
    finding = _rules(_diagnose(spec))["non-finite-init"]
    assert finding.severity == "error" and finding.layers == ("conv1",)


@pytest.fixture(scope="module")
def question_reports():
    torch.set_num_threads(2)
    return {name: check_init(load_preset(name)) for name in ("overfeat-small-fc7_1", "overfeat-small-question")}


def test_fc7_1_preset_is_an_error_on_fc6_fc7_fc7_1_although_the_usual_checks_pass(question_reports):
    report = question_reports["overfeat-small-fc7_1"]
    weak = _rules(report)["weak-signal"]
    assert weak.severity == "error" and weak.layers == ("fc6", "fc7", "fc7_1")
    assert all(check.passed for check in report.checks)
    assert report.measurement.loss == pytest.approx(report.measurement.chance_loss, abs=0.01)
    assert [f.label for f in weak.fixes][0].startswith("Batch norm after fc6, fc7, fc7_1")


def test_question_preset_carries_the_same_weakness_one_layer_less_deep(question_reports):
    weak = _rules(question_reports["overfeat-small-question"])["weak-signal"]
    assert weak.severity == "warning" and weak.layers == ("fc6", "fc7")
    deeper = question_reports["overfeat-small-fc7_1"].measurement.logit_share
    assert deeper * 5 < question_reports["overfeat-small-question"].measurement.logit_share


@pytest.mark.parametrize("name", ["overfeat-small", "overfeat-small-fixed", "nin-gap", "lenet5", "tiny-vgg",
                                  "fc-as-conv", "fc-as-dense"])
def test_healthy_presets_get_no_errors_or_warnings_at_init(name):
    torch.set_num_threads(2)
    report = check_init(load_preset(name))
    assert [f.rule for f in report.findings if f.severity != "info"] == []


def test_top_fixes_on_fc7_1_build_exactly_the_repaired_preset(question_reports):
    spec = load_preset("overfeat-small-fc7_1")
    fixed, applied = apply_top_fixes(spec, static_findings(spec) + question_reports["overfeat-small-fc7_1"].findings)
    assert applied[:2] == ["Remove drop9 after the classifier",
                           "Batch norm after fc6, fc7, fc7_1 (conv → batch norm → ReLU) and default init on fc9"]
    reference = load_preset("overfeat-small-fixed")
    assert [layer.type for layer in fixed.layers] == [layer.type for layer in reference.layers]
    ours, theirs = build_model(fixed).state_dict().values(), build_model(reference).state_dict().values()
    assert all(torch.equal(a, b) for a, b in zip(ours, theirs))  # same seed, same weights: same training run
