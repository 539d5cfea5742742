"""The doctor during training: a Trainer callback that checks the run every few steps.

It reads the device only on check steps (the batch losses are summed on the device in between),
and emits each finding once as a ``DiagnosisEvent(step, finding)`` through ``ctx.emit``.
Validation metrics reach it through ``ctx.last_epoch`` at the end of each epoch.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from workbench.builder import ConvLayer, DenseLayer
from workbench.doctor.edits import set_training
from workbench.doctor.findings import Finding, Fix, top_fixes
from workbench.doctor.measure import dead_channel_fraction, has_relu_output
from workbench.doctor.static_rules import static_findings
from workbench.training.events import DiagnosisEvent, EpochEvent

CHANCE_TOL = 0.05  # relative distance from ln(classes) that counts as "at chance"
UPDATE_BAND = (1e-6, 0.1)  # sane per-step ||Δw|| / ||w||
GRAD_RATIO_LOW, GRAD_NORM_HIGH = 1e-5, 1e4
DEAD_LIMIT = 0.5
WINDOW = 10  # check samples used by the trend rules


class TrainingMonitor:
    """Checks a running training every ``every`` steps (losses are averaged over those steps)."""

    def __init__(self, every: int = 20, chance_steps: int = 60, dead_every: int = 5):
        self.every = max(1, every)
        self.chance_steps = chance_steps
        self.dead_every = dead_every
        self.history: list[tuple[int, float]] = []
        self.epochs: list[EpochEvent] = []
        self.findings: list[Finding] = []
        self._fired: set[str] = set()
        self._loss_sum = None
        self._count = 0
        self._snapshot: tuple[int, dict[str, torch.Tensor]] | None = None
        self._checks = 0
        self._chance = math.log(2)

    def observe(self, event) -> None:
        """Take note of an epoch's metrics (the overfitting rule compares the last three)."""
        if isinstance(event, EpochEvent):
            self.epochs.append(event)

    def _emit(self, ctx, finding: Finding) -> None:
        if finding.rule in self._fired:
            return
        self._fired.add(finding.rule)
        self.findings.append(finding)
        ctx.emit(DiagnosisEvent(ctx.step, finding))

    # -- callbacks -----------------------------------------------------------------------------
    def on_train_start(self, ctx) -> None:
        self._chance = math.log(max(2, ctx.spec.num_classes))

    def on_batch_end(self, ctx) -> None:
        if ctx.loss is None:
            return
        loss = ctx.loss.detach()
        self._loss_sum = loss if self._loss_sum is None else self._loss_sum + loss
        self._count += 1
        if self._snapshot is not None and ctx.step == self._snapshot[0] + 1:
            self._check_updates(ctx)
        if ctx.step % self.every:
            return
        mean = float(self._loss_sum) / self._count
        self._loss_sum, self._count = None, 0
        self._checks += 1
        if not math.isfinite(mean):
            self._report_non_finite(ctx, mean)
            return
        self.history.append((ctx.step, mean))
        self._check_chance(ctx)
        self._check_trend(ctx)
        self._check_gradients(ctx)
        self._snapshot = (ctx.step, {n: m.weight.detach().clone() for n, m in _weight_layers(ctx.model)})
        if self._checks % self.dead_every == 0:
            self._check_dead(ctx)
        self._check_overfitting(ctx)

    def on_epoch_end(self, ctx) -> None:
        if ctx.last_epoch is not None:
            self.observe(ctx.last_epoch)
        self._check_overfitting(ctx)

    def on_train_end(self, ctx) -> None:
        self._check_overfitting(ctx)

    # -- rules ---------------------------------------------------------------------------------
    def _report_non_finite(self, ctx, value: float) -> None:
        layer = first_non_finite_layer(ctx.model, ctx.inputs)
        where = f"The first layer whose output is not finite is {layer}." if layer else "No layer output is non-finite on this batch; the loss itself overflowed."
        lr = ctx.spec.training_value("lr")
        self._emit(ctx, Finding(
            "non-finite-loss", "error", "The loss became NaN or Inf",
            f"At step {ctx.step} the mean loss is {value}. {where} Usually the learning rate is too large for the "
            "weights, or a layer overflows.",
            "AutoTrainer / TheDeepChecker numerical-error rules", (layer,) if layer else (),
            (Fix(f"Divide the learning rate by 10 ({lr:g} → {lr / 10:g})", (set_training("lr", lr / 10),)),
             Fix("Clip the gradient norm at 1", (set_training("clip_grad", 1.0),))),
            {"loss": str(value)}, "training"))

    def _check_chance(self, ctx) -> None:
        # each check averages the ``every`` steps before it, so the checks cover the steps since their first one
        recent = [loss for step, loss in self.history if step > ctx.step - self.chance_steps + self.every - 1]
        covered_from = self.history[0][0] - self.every
        if ctx.step - covered_from < self.chance_steps or len(recent) < 2:
            return
        if all(abs(loss - self._chance) <= CHANCE_TOL * self._chance for loss in recent):
            fixes = tuple(top_fixes(static_findings(ctx.spec)))
            self._emit(ctx, Finding(
                "stuck-at-chance", "error", "The loss is stuck at chance",
                f"For the last {self.chance_steps} steps the loss stayed within {CHANCE_TOL:.0%} of ln {ctx.spec.num_classes} = "
                f"{self._chance:.3f} (last {recent[-1]:.3f}): the network predicts the same for every image. Run the "
                "check at initialisation to see where the image-dependent signal dies.",
                "AutoTrainer / TheDeepChecker loss-not-decreasing rules", (), fixes,
                {"losses": recent[-5:], "chance": self._chance}, "training"))

    def _check_trend(self, ctx) -> None:
        if len(self.history) < WINDOW:
            return
        losses = [loss for _, loss in self.history[-WINDOW:]]
        mean = sum(losses) / len(losses)
        diffs = [b - a for a, b in zip(losses, losses[1:])]
        flips = sum(1 for a, b in zip(diffs, diffs[1:]) if a * b < 0)
        swing = math.sqrt(sum(d * d for d in diffs) / len(diffs))
        lr = ctx.spec.training_value("lr")
        if flips >= len(diffs) - 2 and swing > 0.2 * mean:
            self._emit(ctx, Finding(
                "oscillating-loss", "warning", "The loss oscillates",
                f"Over the last {WINDOW} checks the loss changed direction {flips} times with steps of about "
                f"{swing:.3g} around {mean:.3g}: the learning rate is probably too large.",
                "AutoTrainer (oscillating-loss rule)", (),
                (Fix(f"Divide the learning rate by 10 ({lr:g} → {lr / 10:g})", (set_training("lr", lr / 10),)),),
                {"flips": flips, "swing": swing}, "training"))
        half = WINDOW // 2
        early, late = sum(losses[:half]) / half, sum(losses[half:]) / (WINDOW - half)
        at_chance = abs(late - self._chance) <= CHANCE_TOL * self._chance
        if late >= 0.99 * early and late > 0.2 * self._chance and not at_chance:
            self._emit(ctx, Finding(
                "no-progress", "warning", "The loss has stopped going down",
                f"Over the last {self.history[-1][0] - self.history[-WINDOW][0]} steps the loss went from {early:.3g} to "
                f"{late:.3g} on average, still far from 0.",
                "TheDeepChecker (loss-not-decreasing rule)", (),
                (Fix(f"Divide the learning rate by 10 ({lr:g} → {lr / 10:g})", (set_training("lr", lr / 10),)),),
                {"early": early, "late": late}, "training"))

    def _check_gradients(self, ctx) -> None:
        norms = [(n, float(m.weight.grad.norm())) for n, m in _weight_layers(ctx.model) if m.weight.grad is not None]
        if len(norms) < 2:
            return
        total = math.sqrt(sum(g * g for _, g in norms))
        (first, g0), (last, g1) = norms[0], norms[-1]
        if g1 > 0 and g0 / g1 < GRAD_RATIO_LOW:
            self._emit(ctx, Finding(
                "vanishing-gradients", "warning", "Gradients vanish before the first layers",
                f"At step {ctx.step} the weight gradient of {first} is {g0 / g1:.2g}× that of {last}: the first layers "
                "hardly learn.", "AutoTrainer (vanishing-gradient rule); Glorot & Bengio 2010", (first, last), (),
                {"ratio": g0 / g1}, "training"))
        if total > GRAD_NORM_HIGH:
            self._emit(ctx, Finding(
                "exploding-gradients", "error", "Gradients explode",
                f"At step {ctx.step} the gradient norm is {total:.3g}.", "AutoTrainer (exploding-gradient rule)", (),
                (Fix("Clip the gradient norm at 1", (set_training("clip_grad", 1.0),)),), {"norm": total}, "training"))

    def _check_updates(self, ctx) -> None:
        _, before = self._snapshot
        self._snapshot = None
        ratios = {}
        for name, module in _weight_layers(ctx.model):
            old = before.get(name)
            norm = float(old.norm()) if old is not None else 0.0
            if norm > 0:
                ratios[name] = float((module.weight.detach() - old).norm()) / norm
        if not ratios:
            return
        lr = ctx.spec.training_value("lr")
        high = {n: r for n, r in ratios.items() if r > UPDATE_BAND[1]}
        if high:
            self._emit(ctx, Finding(
                "update-ratio-high", "warning", "Each step changes the weights by a large fraction",
                ", ".join(f"{n} {r:.2g}" for n, r in high.items()) + f" of their size per step (sane: about 1e-3, at "
                f"most {UPDATE_BAND[1]:g}). The learning rate is too large for these weights (or the weights are tiny).",
                "Karpathy's update/weight-ratio rule; AutoTrainer", tuple(high),
                (Fix(f"Divide the learning rate by 10 ({lr:g} → {lr / 10:g})", (set_training("lr", lr / 10),)),),
                {"ratio": high}, "training"))
        if max(ratios.values()) < UPDATE_BAND[0]:
            self._emit(ctx, Finding(
                "update-ratio-low", "warning", "The weights hardly change",
                f"The largest per-step change is {max(ratios.values()):.2g} of a layer's weights (sane: about 1e-3): the "
                "learning rate is too small or the gradients vanish.", "Karpathy's update/weight-ratio rule; AutoTrainer",
                (), (Fix(f"Multiply the learning rate by 10 ({lr:g} → {lr * 10:g})", (set_training("lr", lr * 10),)),),
                {"max_ratio": max(ratios.values())}, "training"))

    def _check_dead(self, ctx) -> None:
        dead = dead_fractions(ctx.model, ctx.inputs)
        bad = {n: d for n, d in dead.items() if d > DEAD_LIMIT}
        if bad:
            lr = ctx.spec.training_value("lr")
            self._emit(ctx, Finding(
                "dying-relu", "warning", "ReLU units are dying",
                ", ".join(f"{n}: {d:.0%}" for n, d in bad.items()) + " of the channels output 0 for every image of the "
                "batch; they get no gradient and stay dead.", "AutoTrainer (dying-ReLU rule)", tuple(bad),
                (Fix(f"Divide the learning rate by 10 ({lr:g} → {lr / 10:g})", (set_training("lr", lr / 10),)),),
                {"dead_fraction": bad}, "training"))

    def _check_overfitting(self, ctx) -> None:
        val = [(e.epoch, e.train_loss, e.val_loss) for e in self.epochs if e.val_loss is not None]
        if len(val) < 3:
            return
        (_, t0, v0), (_, t1, v1), (e2, t2, v2) = val[-3:]
        if v2 > v1 > v0 and t2 < t1 < t0:
            self._emit(ctx, Finding(
                "overfitting", "warning", "Validation loss rises while training loss falls",
                f"Over the last 3 epochs (to epoch {e2}) the training loss fell {t0:.3g} → {t2:.3g} while the validation "
                f"loss rose {v0:.3g} → {v2:.3g}: the network memorises the training images.",
                "Srivastava et al. 2014; TheDeepChecker (overfitting rule)", (),
                (Fix("Stop early after 2 epochs without improvement", (set_training("early_stopping", 2),)),
                 Fix("Add weight decay 5e-4", (set_training("weight_decay", 5e-4),))),
                {"train_loss": [t0, t1, t2], "val_loss": [v0, v1, v2]}, "training"))


def _weight_layers(model: nn.Module):
    return [(n, m) for n, m in model.named_children() if isinstance(m, (ConvLayer, DenseLayer))]


def _run_with_hooks(model: nn.Module, inputs: torch.Tensor, record) -> None:
    """One eval-mode, no-grad forward on ``inputs`` calling ``record(name, module, output)`` per layer."""
    was_training = model.training
    hooks = [m.register_forward_hook(lambda mod, _i, out, n=n: record(n, mod, out)) for n, m in model.named_children()]
    try:
        model.eval()
        with torch.no_grad():
            model(inputs)
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)


def first_non_finite_layer(model: nn.Module, inputs: torch.Tensor | None) -> str | None:
    """The first layer whose weights or output (on ``inputs``) hold NaN/Inf, or None."""
    for name, module in model.named_children():
        if any(not bool(torch.isfinite(p).all()) for p in module.parameters(recurse=False)):
            return name
    if inputs is None:
        return None
    bad: list[str] = []
    _run_with_hooks(model, inputs, lambda n, _m, out: bad.append(n) if not bad and not bool(torch.isfinite(out).all()) else None)
    return bad[0] if bad else None


def dead_fractions(model: nn.Module, inputs: torch.Tensor) -> dict[str, float]:
    """Per ReLU layer: share of channels that are 0 for every image of ``inputs``."""
    out: dict[str, float] = {}

    def record(name, module, value):
        if has_relu_output(module):
            out[name] = dead_channel_fraction(value)

    _run_with_hooks(model, inputs, record)
    return out
