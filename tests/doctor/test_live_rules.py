"""The live rules reason from what they measured: real tiny runs with a learning rate far too large
(SGD 10, the largest a spec accepts) and far too small (SGD 1e-7), the new rules' trigger and healthy cases, fixes that never
weaken what the spec has, and trials that leave the run alone."""

import math

import pytest
import torch

from workbench.data.dataset import load_data
from workbench.doctor.live_trial import LiveTrials
from workbench.doctor.lr_advice import clip_fix, weight_decay_fix
from workbench.doctor.monitor import TrainingMonitor
from workbench.doctor.monitor_epochs import overfitting_finding
from workbench.presets import load_preset
from workbench.training.events import DiagnosisEvent, EpochEvent
from workbench.training.trainer import Trainer

from .helpers import make_spec
from .test_monitor import Run

# The network: two convs, global average pooling, a dense classifier, on the built-in shapes.
SMALL_NET = """
  - {name: c1, type: conv, filters: 8, kernel: 3, padding: same, activation: relu}
  - {name: c2, type: conv, filters: 8, kernel: 3, padding: same, activation: relu}
  - {name: gap, type: gap}
  - {name: fc, type: dense, units: 3}
"""
STEPS = 60


def _run(lr: float, steps: int = STEPS, optimizer: str = "sgd"):
    spec = make_spec(SMALL_NET, size=8, images=64, optimizer=optimizer, lr=lr, epochs=100)
    monitor = TrainingMonitor()
    trainer = Trainer(spec, run_dir=False, max_steps=steps, log_every=10, callbacks=[monitor])
    diagnoses = []
    trainer.add_listener(lambda e: diagnoses.append(e) if isinstance(e, DiagnosisEvent) else None)
    trainer.run()
    return spec, diagnoses


@pytest.fixture(scope="module")
def lr_10():
    return _run(10.0)


@pytest.fixture(scope="module")
def lr_tiny():
    return _run(1e-7)


def _lr_moves(spec, diagnoses) -> list[float]:
    """The learning rate every fix of every finding sets, relative to the spec's."""
    lr = spec.training_value("lr")
    return [fix(spec).training_value("lr") / lr for d in diagnoses for fix in d.finding.fixes
            if fix(spec).training_value("lr") != lr]


def test_sgd_lr_10_is_called_diverging_within_its_first_20_steps(lr_10):
    spec, diagnoses = lr_10
    diverging = next(d for d in diagnoses if d.finding.rule == "diverging-loss")
    assert diverging.step <= 20 and diverging.finding.severity == "error"
    first = diverging.finding.measured["first_step"]
    assert first <= 20 and f"From step {first} on" in diverging.finding.explanation


def test_after_the_explosion_every_finding_names_it_and_every_lr_fix_lowers_the_lr(lr_10):
    spec, diagnoses = lr_10
    diverging = next(d for d in diagnoses if d.finding.rule == "diverging-loss")
    later = [d.finding for d in diagnoses if d.step > diverging.step]
    assert later, "the dead network after the explosion is diagnosed too"
    first = diverging.finding.measured["first_step"]
    assert all(f.explanation.startswith(f"After the loss exploded at step {first}, ") for f in later)
    moves = _lr_moves(spec, diagnoses)
    assert moves and all(m < 1 for m in moves)  # never up after a divergence
    assert len(set(moves)) == 1  # one value for the whole run


def test_sgd_lr_1e_7_gets_only_fixes_that_raise_the_lr_by_a_measured_factor(lr_tiny):
    spec, diagnoses = lr_tiny
    rules = [d.finding.rule for d in diagnoses]
    assert "update-ratio-low" in rules and "diverging-loss" not in rules
    moves = _lr_moves(spec, diagnoses)
    assert moves and all(m > 1 for m in moves)  # never down while the weights hardly change
    low = next(d.finding for d in diagnoses if d.finding.rule == "update-ratio-low")
    assert f"{low.measured['max_ratio']:.2g}" in low.explanation
    assert "trial" in low.explanation


def test_a_sane_learning_rate_gets_no_learning_rate_finding_and_no_error():
    spec, diagnoses = _run(0.05)
    assert not [d for d in diagnoses if d.finding.severity == "error"]
    assert not _lr_moves(spec, diagnoses)
    assert not {"diverging-loss", "update-ratio-low", "update-ratio-high"} & {d.finding.rule for d in diagnoses}


def test_accuracy_at_chance_fires_whatever_the_loss():
    run = Run(TrainingMonitor(every=5, chance_steps=30))
    one_class = torch.zeros(8, 3)
    one_class[:, 0] = 1.0  # always class 0: 3 of 8 right, 37.5 % against chance 33 %
    for _ in range(30):
        run.step(0.5, logits=one_class)
    assert run.rules() == ["accuracy-at-chance"]
    assert "37.5%" in run.monitor.findings[0].explanation


def test_right_predictions_are_not_at_chance():
    run = Run(TrainingMonitor(every=5, chance_steps=30))
    for _ in range(30):
        run.step(0.5, logits=torch.nn.functional.one_hot(run.ctx.targets, 3).float())
    assert run.rules() == []


def test_a_loss_far_above_its_start_is_diverging_but_one_spike_is_not():
    run = Run(TrainingMonitor(every=5))
    run.step(1.0)
    for _ in range(4):
        run.step(1.0)
    run.step(50.0)  # one bad batch
    for _ in range(4):
        run.step(1.0)
    assert "diverging-loss" not in run.rules()
    for _ in range(5):
        run.step(40.0)
    assert "diverging-loss" in run.rules()


def test_a_dying_relu_from_a_negative_bias_is_fixed_at_the_bias():
    layers = """
  - {name: conv1, type: conv, filters: 8, kernel: 3, padding: same, activation: relu, init: {bias: -20.0}}
  - {name: gap, type: gap}
  - {name: logits, type: conv, filters: 3, kernel: 1, activation: none}
"""
    run = Run(TrainingMonitor(every=1, dead_every=1), lr=0.05, layers=layers)
    run.step(1.0)
    finding = next(f for f in run.monitor.findings if f.rule == "dying-relu")
    assert finding.fixes, finding.explanation
    for fix in finding.fixes:
        fixed = fix(run.spec)
        assert fixed.training == run.spec.training  # not the learning rate
        assert fixed.layer("conv1").init()["bias"] == 0.0


@pytest.mark.parametrize("clip,expected", [(0.0, 1.0), (5.0, 1.0), (1.0, None), (0.5, None)])
def test_gradient_clipping_is_only_ever_tightened(clip, expected):
    spec = make_spec(SMALL_NET)
    spec.training["clip_grad"] = clip
    fix = clip_fix(spec)
    assert (fix(spec).training["clip_grad"] if fix else None) == expected


@pytest.mark.parametrize("decay,expected", [(0.0, 5e-4), (1e-4, 5e-4), (1e-3, 2e-3)])
def test_weight_decay_is_only_ever_raised(decay, expected):
    spec = make_spec(SMALL_NET)
    spec.training["weight_decay"] = decay
    assert weight_decay_fix(spec)(spec).training["weight_decay"] == pytest.approx(expected)


def test_the_overfitting_finding_offers_the_stronger_weight_decay():
    spec = make_spec(SMALL_NET)
    spec.training["weight_decay"] = 1e-3
    epochs = [EpochEvent(i, tl, 0.9, vl, va, 0.001, 100.0, 1.0, i * 10)
              for i, (tl, vl, va) in enumerate([(1.0, 0.9, 0.6), (0.6, 0.95, 0.58), (0.3, 1.1, 0.55)], start=1)]
    finding, proven = overfitting_finding(spec, epochs)
    assert [fix(spec).training["weight_decay"] for fix in finding.fixes] == [pytest.approx(2e-3)]
    assert [fix(spec).training["early_stopping"] for fix in proven] == [2]


def test_a_rising_validation_loss_with_the_best_accuracy_so_far_is_not_overfitting():
    spec = make_spec(SMALL_NET)
    epochs = [EpochEvent(i, tl, 0.9, vl, va, 0.001, 100.0, 1.0, i * 10)
              for i, (tl, vl, va) in enumerate([(1.0, 0.9, 0.80), (0.6, 0.95, 0.85), (0.3, 1.1, 0.90)], start=1)]
    assert overfitting_finding(spec, epochs) is None


def test_a_trial_leaves_the_run_s_model_optimizer_and_random_state_alone():
    run = Run(TrainingMonitor(every=100), lr=0.05)
    for _ in range(3):
        run.step()
    weights = {k: v.clone() for k, v in run.model.state_dict().items()}
    momentum = {k: dict(v) for k, v in run.optimizer.state.items()}
    rng = torch.get_rng_state()
    fix = weight_decay_fix(run.spec)
    kept, note = LiveTrials(steps=10).judge(run.ctx, (fix,), (run.ctx.step, weights))
    assert "10-step trial from the weights of step 3" in note
    assert all(torch.equal(weights[k], v) for k, v in run.model.state_dict().items())
    assert {k: dict(v) for k, v in run.optimizer.state.items()}.keys() == momentum.keys()
    assert torch.equal(torch.get_rng_state(), rng)


def test_the_same_network_on_real_data_runs_the_trial_on_that_data():
    spec = make_spec(SMALL_NET, size=12, images=60, optimizer="sgd", lr=10.0)
    data = load_data(spec)
    monitor = TrainingMonitor(every=5)
    Trainer(spec, data=data, run_dir=False, max_steps=5, callbacks=[monitor]).run()
    high = next(f for f in monitor.findings if f.rule == "update-ratio-high")
    assert "trial from the weights of step 0" in high.explanation
    assert all(math.isfinite(fix(spec).training["lr"]) and fix(spec).training["lr"] < 10 for fix in high.fixes)


@pytest.mark.parametrize("name", ["lenet5", "fc-as-dense"])
def test_healthy_presets_train_without_errors_or_learning_rate_fixes(name):
    spec = load_preset(name)
    spec.data["images"] = 150
    monitor = TrainingMonitor(every=10, chance_steps=40)
    Trainer(spec, run_dir=False, max_steps=40, callbacks=[monitor]).run()
    assert not [f.rule for f in monitor.findings if f.severity == "error"]
    assert not [f.rule for f in monitor.findings for fix in f.fixes if any(e.get("key") == "lr" for e in fix.edits)]


def test_the_range_test_s_suggestion_is_the_value_a_learning_rate_fix_quotes():
    run = Run(TrainingMonitor(every=5, lr_hint=0.02), lr=50.0)
    for _ in range(3):
        run.step(1.0)
    finding = next(f for f in run.monitor.findings if f.rule == "update-ratio-high")
    assert [fix(run.spec).training["lr"] for fix in finding.fixes] == [0.02]
    assert "range test" in finding.explanation
