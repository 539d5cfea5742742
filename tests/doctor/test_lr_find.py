"""The learning-rate range test: its curve, suggestion, largest stable value, cache and findings, and the
instant training-settings checks."""

import json
import math

import pytest
import torch

from workbench.builder import build_model
from workbench.cli import main
from workbench.data.dataset import load_data
from workbench.doctor.edits import apply_edits
from workbench.doctor.lr_find import LRFindResult, cached_lr_find, lr_find, lr_schedule, stable_index, suggested_index
from workbench.doctor.lr_rules import lr_findings
from workbench.doctor.static_rules import static_findings
from workbench.doctor.trial import AS_IS, TrialResult, learning_verdict, lr_candidates
from workbench.presets import load_preset, preset_names
from workbench.spec import load_spec

from .helpers import make_spec

TINY = """
  - {name: c1, type: conv, filters: 4, kernel: 3, padding: same, activation: relu}
  - {name: gap, type: gap}
  - {name: out, type: dense, units: 3, activation: none}
"""


def _curve(n=100, best=70, start=1.1, low=0.6, end=2.0):
    """A range-test-like smoothed curve: flat, falling to ``low`` at ``best``, rising to ``end``."""
    out = []
    for i in range(n):
        if i < 30:
            out.append(start)
        elif i <= best:
            out.append(start - (start - low) * (1 - math.cos(math.pi * (i - 30) / (best - 30))) / 2)
        else:
            out.append(low + (end - low) * (i - best) / (n - 1 - best))
    return out


def _result(configured, smoothed=None, optimizer="sgd"):
    smoothed = smoothed or _curve()
    lrs = lr_schedule()[: len(smoothed)]
    s, b = suggested_index(lrs, smoothed, smoothed), stable_index(smoothed)
    return LRFindResult(lrs, list(smoothed), list(smoothed), lrs[s] if s is not None else None, s,
                        lrs[b] if b is not None else None, b, configured, optimizer, "test")


def test_schedule_grows_exponentially_from_start_to_end():
    lrs = lr_schedule(1e-7, 10.0, 100)
    assert len(lrs) == 100 and lrs[0] == pytest.approx(1e-7) and lrs[-1] == pytest.approx(10.0)
    assert lrs[50] / lrs[49] == pytest.approx(lrs[1] / lrs[0])


def test_suggestion_is_on_the_falling_part_and_max_stable_at_the_lowest_point():
    curve = _curve()
    lrs = lr_schedule()
    s, b = suggested_index(lrs, curve, curve), stable_index(curve)
    assert b == 70 and lrs[s] == pytest.approx(lrs[70] / 10, rel=0.1)  # a decade below the lowest point
    flat = [1.1] * 100
    assert suggested_index(lrs, flat, flat) is None and stable_index(flat) is None  # nothing to suggest
    falling = _curve(best=99)
    assert stable_index(falling) is None  # stable to the end of the range


def test_lr_too_high_and_too_low_quote_the_measurement_and_set_the_suggestion():
    ok = _result(configured=1e-3)
    assert lr_findings(ok) == []
    high = lr_findings(_result(configured=50.0))
    assert [f.rule for f in high] == ["lr-too-high"] and high[0].severity == "error"
    suggested = _result(50.0).suggested
    edit = high[0].fixes[0].edits[0]
    assert edit["op"] == "training" and edit["key"] == "lr" and edit["value"] < 50.0
    assert edit["value"] == pytest.approx(suggested, rel=0.05)
    assert f"{edit['value']:g}" in high[0].fixes[0].label
    low = lr_findings(_result(configured=1e-7))
    assert [f.rule for f in low] == ["lr-too-low"] and low[0].severity == "error"
    assert low[0].fixes[0].edits[0]["value"] > 1e-7
    mild = lr_findings(_result(configured=suggested / 100))
    assert [f.severity for f in mild] == ["warning"]
    assert lr_findings(_result(configured=1e-7, smoothed=[1.1] * 100)) == []  # no suggestion: silence


def _tiny(**kwargs):
    return make_spec(TINY, size=8, images=60, **kwargs)


def test_range_test_leaves_the_users_model_and_spec_untouched_and_is_cached():
    spec = _tiny(optimizer="sgd", lr=0.01)
    before = spec.to_dict()
    torch.manual_seed(0)
    model = build_model(spec)
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    result = lr_find(spec, model=model, steps=30)
    assert all(torch.equal(weights[k], v) for k, v in model.state_dict().items())
    assert spec.to_dict() == before
    assert len(result.lrs) == len(result.losses) == len(result.smoothed) <= 30
    assert cached_lr_find(spec) is None  # a run from given weights is not the spec's own
    result = lr_find(spec, steps=30)
    other_lr = spec.copy()
    other_lr.training.update(lr=5.0, epochs=99)
    cached = cached_lr_find(other_lr)
    assert cached is not None and cached.lrs == result.lrs and cached.configured_lr == 5.0
    for key, value in (("batch_size", 16), ("optimizer", "adam"), ("weight_decay", 1e-4)):
        changed = spec.copy()
        changed.training[key] = value
        assert cached_lr_find(changed) is None, key
    json.dumps(result.to_dict())


def test_cancel_stops_the_range_test():
    spec = _tiny()
    result = lr_find(spec, steps=100, should_stop=lambda: True)
    assert result.stopped == "cancelled" and len(result.lrs) < 100


def test_lr_find_cli_prints_json_and_applies_the_suggestion(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    out = tmp_path / "fixed.yaml"
    spec = load_spec("tests/data/lr-adam-1e-7.yaml")
    spec.data["images"] = 150
    from workbench.spec import save_spec

    save_spec(spec, path)
    code = main(["lr-find", str(path), "--json", "--apply", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    data = json.loads(captured.out)
    suggested = data["result"]["suggested"]
    assert suggested is not None and "range test: step" in captured.err
    assert [f["rule"] for f in data["findings"]] == ["lr-too-low"]
    assert load_spec(out).training["lr"] == pytest.approx(suggested, rel=0.05)


def test_training_settings_checks_fire_and_clear_with_their_fix():
    def rules(spec):
        return {f.rule: f for f in static_findings(spec)}

    healthy = _tiny(epochs=20)
    assert not {"lr-out-of-band", "batch-above-data", "run-too-short"} & set(rules(healthy))
    for optimizer, lr in (("sgd", 50), ("sgd", 1e-7), ("adam", 1.0), ("adam", 1e-7)):
        found = rules(_tiny(optimizer=optimizer, lr=lr, epochs=20))["lr-out-of-band"]
        assert ("above" if lr > 1e-3 else "below") in found.title
    short = _tiny(epochs=1)
    short.training["batch_size"] = 64  # 48 training images
    found = rules(short)
    assert found["batch-above-data"].measured == {"batch_size": 64, "train_images": 48}
    assert found["run-too-short"].measured["steps"] == 1
    fixed = found["run-too-short"].fixes[0](found["batch-above-data"].fixes[0](short))
    assert not {"batch-above-data", "run-too-short"} & set(rules(fixed))


def test_healthy_presets_raise_no_training_settings_finding():
    for name in preset_names():
        spec = load_preset(name)
        assert not [f for f in static_findings(spec) if f.rule in ("lr-out-of-band", "batch-above-data", "run-too-short")], name


def _trial(label, final, spec):
    return TrialResult(label, spec, [(i, final) for i in (5, 10, 15)])


def test_learning_rate_candidates_and_the_verdict_of_the_trials():
    spec = _tiny(optimizer="sgd", lr=10)
    fixes = lr_candidates(spec, _result(50.0))
    labels = [f.label for f in fixes]
    assert "range-test suggestion" in labels[0] and any("×0.1" in x for x in labels) and any("×10" in x for x in labels)
    chance = math.log(3)
    stuck = [_trial(AS_IS, 52.0, spec)] + [_trial(f.label, chance, f(spec)) for f in fixes]
    verdict = learning_verdict(spec, fixes, stuck, 100)
    assert [(f.rule, f.severity, f.fixes) for f in verdict] == [("does-not-learn", "error", ())]
    learnt = [_trial(fixes[0].label, 0.2, fixes[0](spec))] + stuck
    verdict = learning_verdict(spec, fixes, learnt, 100)
    assert verdict[0].fixes == (fixes[0],) and "52.000" in verdict[0].explanation
    assert learning_verdict(spec, fixes, [_trial(AS_IS, 0.3, spec)], 100) == []


def test_try_fixes_reports_a_spec_that_does_not_learn(tmp_path, capsys):
    spec = load_spec("tests/data/lr-sgd-10.yaml")
    spec.data["images"] = 90
    path = tmp_path / "s.yaml"
    from workbench.spec import save_spec

    save_spec(spec, path)
    assert main(["doctor", str(path), "--try-fixes", "--steps", "10", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    labels = [t["label"] for t in out["trials"]]
    assert any("×0.1" in x for x in labels) and any("×10" in x for x in labels)
    rules = {f["rule"] for f in out["findings"]}
    assert {"lr-too-high", "lr-out-of-band"} <= rules
    as_is = next(t for t in out["trials"] if t["label"] == AS_IS)
    assert as_is["score"] is None or as_is["score"] <= 0.05
    assert "does-not-learn" in rules


@pytest.mark.parametrize("preset", ["lenet5", "fc-as-dense"])
def test_healthy_presets_get_no_error_and_no_learning_rate_finding(preset):
    from workbench.doctor.report import diagnose

    spec = load_preset(preset)
    diagnosis = diagnose(spec, data=load_data(spec), with_lr=True)
    assert diagnosis.lr is not None and diagnosis.lr.suggested is not None
    assert not [f for f in diagnosis.findings if f.severity == "error" or f.rule.startswith("lr-")]
