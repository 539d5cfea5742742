"""The training monitor's rules, driven step by step through a hand-made training context."""

import math

import pytest
import torch

from workbench.builder import build_model
from workbench.data.dataset import load_data
from workbench.doctor.monitor import TrainingMonitor, first_non_finite_layer
from workbench.training.context import TrainContext
from workbench.training.events import DiagnosisEvent, EpochEvent

from .helpers import make_spec

LAYERS = """
  - {name: conv1, type: conv, filters: 4, kernel: 3, padding: same, activation: relu}
  - {name: gap, type: gap}
  - {name: logits, type: conv, filters: 3, kernel: 1, activation: none}
"""


class Run:
    """A model, an optimizer and a context the monitor sees as a training run."""

    def __init__(self, monitor: TrainingMonitor, lr: float = 0.001, layers: str = LAYERS):
        self.spec = make_spec(layers, size=8, lr=lr, optimizer="sgd")
        self.model = build_model(self.spec)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr)
        self.events, self.monitor = [], monitor
        self.ctx = TrainContext(self.model, self.optimizer, self.spec, self.events.append, lambda reason: None,
                                data=load_data(self.spec))
        self.ctx.inputs = torch.randn(8, 3, 8, 8, generator=torch.Generator().manual_seed(0))
        self.ctx.targets = torch.arange(8) % 3
        monitor.on_train_start(self.ctx)

    def step(self, loss: float | None = None, update: bool = True, logits: torch.Tensor | None = None) -> None:
        """One optimisation step (none with ``update=False``); the reported loss and logits are ``loss`` and
        ``logits`` when given."""
        scores = self.model(self.ctx.inputs)
        out = torch.nn.functional.cross_entropy(scores, self.ctx.targets)
        self.ctx.logits = logits if logits is not None else scores.detach()
        if update:
            self.optimizer.zero_grad()
            out.backward()
            self.optimizer.step()
        self.ctx.step += 1
        self.ctx.loss = torch.tensor(loss) if loss is not None else out.detach()
        self.monitor.on_batch_end(self.ctx)

    def rules(self) -> list[str]:
        return [e.finding.rule for e in self.events if isinstance(e, DiagnosisEvent)]


def test_stuck_at_chance_fires_after_the_window_and_only_once():
    run = Run(TrainingMonitor(every=5, chance_steps=30))
    for _ in range(25):
        run.step(math.log(3) + 0.01)
    assert "stuck-at-chance" not in run.rules()
    for _ in range(5):
        run.step(math.log(3) - 0.01)
    assert "stuck-at-chance" in run.rules()  # 30 steps at chance: the window is full at step 30
    for _ in range(30):
        run.step(math.log(3) - 0.01)
    assert run.rules().count("stuck-at-chance") == 1
    finding = run.monitor.findings[0]
    assert finding.severity == "error" and finding.phase == "training"


def test_a_falling_loss_is_not_stuck():
    run = Run(TrainingMonitor(every=5, chance_steps=30))
    for i in range(60):
        run.step(math.log(3) * (1 - i / 80))
    assert run.rules() == []


def test_nan_names_the_first_layer_with_bad_values():
    run = Run(TrainingMonitor(every=5))
    with torch.no_grad():
        run.model.logits.weight[0, 0] = float("nan")
    assert first_non_finite_layer(run.model, run.ctx.inputs) == "logits"
    for _ in range(5):
        run.step(float("nan"), update=False)
    assert run.rules() == ["non-finite-loss"]
    assert run.monitor.findings[0].layers == ("logits",)


def test_a_learning_rate_far_too_large_gives_a_high_update_ratio():
    run = Run(TrainingMonitor(every=5), lr=50.0)
    for _ in range(7):
        run.step(1.0)
    assert "update-ratio-high" in run.rules()
    finding = next(f for f in run.monitor.findings if f.rule == "update-ratio-high")
    ratio = max(finding.measured["ratio"].values())
    assert [fix(run.spec).training["lr"] for fix in finding.fixes] == [pytest.approx(50 * 1e-3 / ratio, rel=0.05)]
    assert f"{ratio:.2g}" in finding.explanation and "trial" in finding.explanation


def test_a_sane_learning_rate_keeps_the_update_ratio_in_band():
    run = Run(TrainingMonitor(every=5), lr=0.01)
    for _ in range(12):
        run.step()
    assert not {"update-ratio-high", "update-ratio-low"} & set(run.rules())


def test_oscillating_loss():
    run = Run(TrainingMonitor(every=1, chance_steps=10_000))
    for i in range(12):
        run.step(0.3 if i % 2 else 1.5)
    assert "oscillating-loss" in run.rules()


def test_no_progress_away_from_chance():
    run = Run(TrainingMonitor(every=1, chance_steps=10_000))
    for _ in range(12):
        run.step(0.7)
    assert "no-progress" in run.rules()


def test_dead_relus_are_reported():
    run = Run(TrainingMonitor(every=1, dead_every=1))
    with torch.no_grad():
        run.model.conv1.bias.fill_(-100.0)
    run.step(1.0)
    assert "dying-relu" in run.rules()
    assert run.monitor.findings[-1].layers == ("conv1",)


def test_vanishing_gradients():
    run = Run(TrainingMonitor(every=1))
    with torch.no_grad():
        run.model.logits.weight.mul_(1e-7)
    run.step(1.0)
    assert "vanishing-gradients" in run.rules()


def test_overfitting_from_epoch_events():
    monitor = TrainingMonitor(every=1)
    run = Run(monitor)
    for epoch, (tl, vl) in enumerate([(1.0, 0.9), (0.6, 0.95), (0.3, 1.1)], start=1):
        run.ctx.last_epoch = EpochEvent(epoch, tl, 0.5, vl, 0.5, 0.001, 100.0, 1.0, epoch * 10)
        monitor.on_epoch_end(run.ctx)
    assert run.rules() == ["overfitting"]


def test_validation_falling_with_training_is_not_overfitting():
    monitor = TrainingMonitor(every=1)
    run = Run(monitor)
    for epoch, (tl, vl) in enumerate([(1.0, 0.9), (0.6, 0.7), (0.3, 0.5)], start=1):
        run.ctx.last_epoch = EpochEvent(epoch, tl, 0.5, vl, 0.5, 0.001, 100.0, 1.0, epoch * 10)
        monitor.on_epoch_end(run.ctx)
    assert run.rules() == []


def test_a_real_run_hands_each_epoch_with_validation_metrics_to_the_monitor():
    from workbench.training.trainer import Trainer

    spec = make_spec(LAYERS, size=8, images=60, epochs=2)
    monitor = TrainingMonitor(every=5)
    Trainer(spec, run_dir=False, callbacks=[monitor]).run()
    assert [e.epoch for e in monitor.epochs] == [1, 2]
    assert all(e.val_loss is not None and math.isfinite(e.val_loss) for e in monitor.epochs)
