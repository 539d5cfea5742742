"""The doctor during training: a Trainer callback that checks the run every few steps.

It reads the device only on check steps (losses, correct predictions and the steps whose loss
exceeds the divergence limit are summed on the device in between), and emits each finding once as a
``DiagnosisEvent(step, finding)`` through ``ctx.emit``. Validation metrics reach it through
``ctx.last_epoch`` at the end of each epoch.

It reasons from cause to symptom: once the loss has exploded or gone non-finite, the findings that
follow (dead ReLUs, weights that hardly change, no progress, chance level) say so and point at the
learning rate; and every learning-rate fix of one run points the same way. A fix is offered only
after a short trial (:mod:`workbench.doctor.live_trial`) measured that it improves the symptom.
"""

from __future__ import annotations

import math

import torch

from workbench.doctor.findings import Finding, Fix, top_fixes
from workbench.doctor.live_trial import LiveTrials
from workbench.doctor.lr_advice import DOWN, UP, clip_fix, lr_fix, zero_bias_fix
from workbench.doctor.lr_find import cached_lr_find
from workbench.doctor.monitor_epochs import overfitting_finding
from workbench.doctor.probes import dead_fractions, first_non_finite_layer, weight_layers
from workbench.doctor.stack import is_weight
from workbench.doctor.static_rules import static_findings
from workbench.doctor.thresholds import (
    ACC_CHANCE_TOL, CHANCE_TOL, DEAD_LIMIT, DIVERGE_FACTOR, DIVERGE_STEPS, EXPLODE_FACTOR, GRAD_NORM_HIGH, GRAD_RATIO_LOW,
    UPDATE_BAND,
)
from workbench.training.events import DiagnosisEvent, EpochEvent

WINDOW = 10  # check samples used by the trend rules
BLOWUP_RULES = ("diverging-loss", "non-finite-loss")
LR_SOURCE = "Karpathy's update/weight-ratio rule; Smith 2017 (learning-rate range test)"

__all__ = ["TrainingMonitor", "dead_fractions", "first_non_finite_layer"]


class TrainingMonitor:
    """Checks a running training every ``every`` steps (losses are averaged over those steps).

    ``lr_hint`` is the range test's suggested learning rate; learning-rate fixes quote it when it points
    the way the measurements do.
    """

    def __init__(self, every: int = 20, chance_steps: int = 60, dead_every: int = 5, lr_hint: float | None = None,
                 trials: LiveTrials | None = None):
        self.every = max(1, every)
        self.chance_steps = chance_steps
        self.dead_every = dead_every
        self.lr_hint = lr_hint
        self.trials = trials if trials is not None else LiveTrials()
        self.history: list[tuple[int, float]] = []
        self.accuracy: list[tuple[int, float]] = []
        self.epochs: list[EpochEvent] = []
        self.findings: list[Finding] = []
        self._fired: set[str] = set()
        self._sums = None  # on the device: loss sum, correct predictions, steps over the limit, first such step, max loss
        self._count = self._seen = 0
        self._limit: float | None = None
        self._over_run = 0  # steps over the divergence limit in consecutive windows
        self._snapshot: tuple[int, dict[str, torch.Tensor]] | None = None
        self._healthy: tuple[int, dict[str, torch.Tensor]] | None = None  # the last state before any blow-up
        self._last_ratio: tuple[int, float] | None = None
        self._peak_ratio: tuple[int, float] | None = None
        self._blowup: tuple[int, str] | None = None  # (step, "exploded" / "went non-finite")
        self._direction: str | None = None  # the way this run's learning-rate fixes point
        self._lr_offered: Fix | None = None  # the learning-rate fix a trial confirmed
        self._reasons: dict[str, str] = {}  # fix label -> where its learning-rate value comes from
        self._checks = 0
        self._chance = math.log(2)

    # -- emitting ------------------------------------------------------------------------------
    def observe(self, event) -> None:
        """Take note of an epoch's metrics (the overfitting rule compares the last three)."""
        if isinstance(event, EpochEvent):
            self.epochs.append(event)

    def _emit(self, ctx, finding: Finding, measure: str = "loss", symptom: str = "training loss",
              proven: tuple[Fix, ...] = ()) -> None:
        """Emit ``finding`` once per rule with the ``proven`` fixes (their effect is already measured) and
        those of its fixes a trial showed to improve ``measure``."""
        if finding.rule in self._fired:
            return
        self._fired.add(finding.rule)
        if finding.rule not in BLOWUP_RULES:
            finding.explanation = self._after(finding.explanation)
        if finding.fixes:
            kept, note = self.trials.judge(ctx, finding.fixes, self._healthy, measure, symptom)
            reasons = "".join(f" {self._reasons[f.label]}" for f in kept if f.label in self._reasons)
            finding.explanation = f"{finding.explanation} {note or 'No trial could be run, so no fix is offered.'}{reasons}"
            for fix in kept:
                value = fix(ctx.spec).training_value("lr")
                if value != ctx.spec.training_value("lr"):
                    self._direction = DOWN if value < ctx.spec.training_value("lr") else UP
                    self._lr_offered = fix
            finding.fixes = proven + kept
        else:
            finding.fixes = proven
        self.findings.append(finding)
        ctx.emit(DiagnosisEvent(ctx.step, finding))

    def _lr_fix(self, ctx, direction: str, ratio: tuple[int, float] | None) -> tuple[Fix, ...]:
        """A learning-rate fix ``direction`` from ``ratio`` (step, value), unless this run already points the other way."""
        if self._direction not in (None, direction):
            return ()
        if self._lr_offered is not None:  # one run, one learning-rate value
            return (self._lr_offered,)
        found = lr_fix(ctx.spec, direction, ratio[1] if ratio else None, ratio[0] if ratio else None, self.lr_hint)
        if found is None:
            return ()
        self._reasons[found[0].label] = found[1]
        return (found[0],)

    def _cause_fixes(self, ctx) -> tuple[Fix, ...]:
        """After a blow-up: lower the learning rate (from the largest update ratio measured), clip the gradient."""
        return self._lr_fix(ctx, DOWN, self._peak_ratio) + tuple(f for f in (clip_fix(ctx.spec),) if f)

    def _after(self, text: str) -> str:
        """``text``, led by the blow-up it follows from when there was one."""
        if not self._blowup:
            return text
        return f"After the loss {self._blowup[1]} at step {self._blowup[0]}, {text[0].lower()}{text[1:]}"

    # -- callbacks -----------------------------------------------------------------------------
    def on_train_start(self, ctx) -> None:
        self._chance = math.log(max(2, ctx.spec.num_classes))
        if self.lr_hint is None:
            self.lr_hint = _range_test_hint(ctx.spec)
        self._snapshot = self._healthy = (ctx.step, _state(ctx.model))

    def on_batch_end(self, ctx) -> None:
        if ctx.loss is None:
            return
        loss = ctx.loss.detach().float()
        if self._limit is None:  # the one extra read of a run: the loss of its first step
            first = float(loss)
            self._limit = DIVERGE_FACTOR * max(first if math.isfinite(first) else 0.0, self._chance)
        correct = (ctx.logits.argmax(1) == ctx.targets).sum().float() if ctx.logits is not None else loss * 0
        over = (loss > self._limit).float()
        step = torch.full_like(loss, float(ctx.step))
        if self._sums is None:
            self._sums = torch.stack([loss, correct, over, torch.where(over > 0, step, -torch.ones_like(loss)), loss])
        else:
            first_over = torch.where((self._sums[3] < 0) & (over > 0), step, self._sums[3])
            self._sums = torch.stack([self._sums[0] + loss, self._sums[1] + correct, self._sums[2] + over, first_over,
                                      torch.maximum(self._sums[4], loss)])
        self._count += 1
        self._seen += int(ctx.targets.shape[0]) if ctx.targets is not None else 0
        if self._snapshot is not None and ctx.step == self._snapshot[0] + 1:
            self._check_updates(ctx)
        if ctx.step % self.every:
            return
        self._check(ctx)

    def on_epoch_end(self, ctx) -> None:
        if ctx.last_epoch is not None:
            self.observe(ctx.last_epoch)
        self._check_overfitting(ctx)

    def on_train_end(self, ctx) -> None:
        if self._count and self._sums is not None and not math.isfinite(float(self._sums[0])):
            self._report_non_finite(ctx, float(self._sums[0]) / self._count)  # the run stopped before the next check
        self._check_overfitting(ctx)

    def _check(self, ctx) -> None:
        loss_sum, correct, over, first_over, peak = self._sums.tolist()
        mean, acc = loss_sum / self._count, correct / max(self._seen, 1)
        self._sums, self._count, self._seen = None, 0, 0
        self._checks += 1
        if not math.isfinite(mean):
            self._report_non_finite(ctx, mean)
            return
        self.history.append((ctx.step, mean))
        if ctx.logits is not None:
            self.accuracy.append((ctx.step, acc))
        self._over_run = self._over_run + int(over) if over else 0
        state = _state(ctx.model)
        if self._over_run >= DIVERGE_STEPS or peak > EXPLODE_FACTOR * self._limit / DIVERGE_FACTOR:
            self._report_diverging(ctx, int(first_over), mean, peak)
        elif self._blowup is None and not over:
            self._healthy = (ctx.step, state)
        self._check_chance(ctx)
        self._check_accuracy(ctx)
        self._check_trend(ctx)
        self._check_gradients(ctx)
        self._snapshot = (ctx.step, state)
        if self._checks % self.dead_every == 0:
            self._check_dead(ctx)
        self._check_overfitting(ctx)

    # -- blow-ups ------------------------------------------------------------------------------
    def _report_non_finite(self, ctx, value: float) -> None:
        if "non-finite-loss" in self._fired:
            return
        self._blowup = self._blowup or (ctx.step, "went non-finite")
        layer = first_non_finite_layer(ctx.model, ctx.inputs)
        where = f"The first layer whose output is not finite is {layer}." if layer else "No layer output is non-finite on this batch; the loss itself overflowed."
        self._emit(ctx, Finding(
            "non-finite-loss", "error", "The loss became NaN or Inf",
            f"At step {ctx.step} the mean loss is {value}. {where} Usually the learning rate is too large for the "
            "weights, or a layer overflows.",
            "AutoTrainer / TheDeepChecker numerical-error rules", (layer,) if layer else (),
            self._cause_fixes(ctx), {"loss": str(value)}, "training"))

    def _report_diverging(self, ctx, first_over: int, mean: float, peak: float) -> None:
        if "diverging-loss" in self._fired:
            return
        self._blowup = self._blowup or (first_over, "exploded")
        self._emit(ctx, Finding(
            "diverging-loss", "error", "The loss explodes",
            f"From step {first_over} on, the loss was above {self._limit:.3g} ({DIVERGE_FACTOR:g}× the larger of its "
            f"first value and ln {ctx.spec.num_classes} = {self._chance:.3f}) on {self._over_run} steps, up to "
            f"{peak:.4g}; the mean of the last {self.every} steps is {mean:.4g}. The steps are too large for the "
            "weights: the learning rate is too high.",
            "Bengio 2012 (practical recommendations); Smith 2017 (learning-rate range test)", (),
            self._cause_fixes(ctx), {"limit": self._limit, "first_step": first_over, "mean_loss": mean}, "training"))

    # -- chance level --------------------------------------------------------------------------
    def _window(self, ctx, series: list[tuple[int, float]]) -> list[float] | None:
        """The values of ``series`` covering the last ``chance_steps`` steps, or None while fewer are covered."""
        if not series:
            return None
        recent = [v for step, v in series if step > ctx.step - self.chance_steps + self.every - 1]
        if ctx.step - (series[0][0] - self.every) < self.chance_steps or len(recent) < 2:
            return None
        return recent

    def _chance_fixes(self, ctx) -> tuple[Fix, ...]:
        """What a run at chance is offered: the cause after a blow-up, more learning rate when the weights
        hardly change, else the spec's own top fixes."""
        if self._blowup:
            return self._cause_fixes(ctx)
        if self._last_ratio and self._last_ratio[1] < UPDATE_BAND[0]:
            return self._lr_fix(ctx, UP, self._last_ratio)
        # the spec's own top fixes, less any learning-rate change: the monitor's measurements decide those
        return tuple(f for f in top_fixes(static_findings(ctx.spec))
                     if not any(e.get("key") == "lr" for e in f.edits))

    def _check_chance(self, ctx) -> None:
        recent = self._window(ctx, self.history)
        if "stuck-at-chance" in self._fired or recent is None:
            return
        if not all(abs(loss - self._chance) <= CHANCE_TOL * self._chance for loss in recent):
            return
        self._emit(ctx, Finding(
            "stuck-at-chance", "error", "The loss is stuck at chance",
            f"For the last {self.chance_steps} steps the loss stayed within {CHANCE_TOL:.0%} of "
            f"ln {ctx.spec.num_classes} = {self._chance:.3f} (last {recent[-1]:.3f}): the network predicts the same for "
            "every image." + ("" if self._blowup else " Run the check at initialisation to see where the "
                                                       "image-dependent signal dies."),
            "AutoTrainer / TheDeepChecker loss-not-decreasing rules", (), self._chance_fixes(ctx),
            {"losses": recent[-5:], "chance": self._chance}, "training"))

    def _check_accuracy(self, ctx) -> None:
        recent = self._window(ctx, self.accuracy)
        chance = 1 / ctx.spec.num_classes
        if recent is None or {"stuck-at-chance", "accuracy-at-chance"} & self._fired:
            return
        if not all(abs(a - chance) <= ACC_CHANCE_TOL for a in recent):
            return
        val = self.epochs[-1].val_acc if self.epochs else None
        if val is not None and abs(val - chance) > ACC_CHANCE_TOL:
            return
        seen = f"; validation accuracy {val:.1%} at epoch {self.epochs[-1].epoch}" if val is not None else ""
        self._emit(ctx, Finding(
            "accuracy-at-chance", "error", "The accuracy is at chance",
            f"For the last {self.chance_steps} steps the training accuracy stayed within "
            f"{ACC_CHANCE_TOL:.0%} of 1/{ctx.spec.num_classes} = {chance:.1%} (last {recent[-1]:.1%}{seen}) while the "
            f"loss is {self.history[-1][1]:.4g}: whatever the loss does, the predictions are no better than a guess.",
            "TheDeepChecker (untrained-model rules)", (), self._chance_fixes(ctx),
            {"accuracy": recent[-5:], "val_accuracy": val, "chance": chance}, "training"))

    # -- trends --------------------------------------------------------------------------------
    def _check_trend(self, ctx) -> None:
        if len(self.history) < WINDOW:
            return
        losses = [loss for _, loss in self.history[-WINDOW:]]
        mean = sum(losses) / len(losses)
        diffs = [b - a for a, b in zip(losses, losses[1:])]
        flips = sum(1 for a, b in zip(diffs, diffs[1:]) if a * b < 0)
        swing = math.sqrt(sum(d * d for d in diffs) / len(diffs))
        if flips >= len(diffs) - 2 and swing > 0.2 * mean:
            self._emit(ctx, Finding(
                "oscillating-loss", "warning", "The loss oscillates",
                f"Over the last {WINDOW} checks the loss changed direction {flips} times with steps of "
                f"about {swing:.3g} around {mean:.3g}: the learning rate is probably too large.",
                "AutoTrainer (oscillating-loss rule)", (), self._lr_fix(ctx, DOWN, self._peak_ratio),
                {"flips": flips, "swing": swing}, "training"))
        half = WINDOW // 2
        early, late = sum(losses[:half]) / half, sum(losses[half:]) / (WINDOW - half)
        at_chance = abs(late - self._chance) <= CHANCE_TOL * self._chance
        if late >= 0.99 * early and late > 0.2 * self._chance and not at_chance:
            self._emit(ctx, Finding(
                "no-progress", "warning", "The loss has stopped going down",
                f"Over the last {self.history[-1][0] - self.history[-WINDOW][0]} steps the loss went from "
                f"{early:.3g} to {late:.3g} on average, still far from 0.{self._ratio_note()}",
                "TheDeepChecker (loss-not-decreasing rule)", (), self._progress_fixes(ctx),
                {"early": early, "late": late}, "training"))

    def _ratio_note(self) -> str:
        if self._last_ratio is None:
            return ""
        return f" The largest update/weight ratio measured last (step {self._last_ratio[0]}) is {self._last_ratio[1]:.2g}."

    def _progress_fixes(self, ctx) -> tuple[Fix, ...]:
        """The learning rate moves only the way the measured update ratio (or a blow-up) says."""
        if self._blowup:
            return self._cause_fixes(ctx)
        if self._last_ratio and self._last_ratio[1] < UPDATE_BAND[0]:
            return self._lr_fix(ctx, UP, self._last_ratio)
        if self._last_ratio and self._last_ratio[1] > UPDATE_BAND[1]:
            return self._lr_fix(ctx, DOWN, self._last_ratio)
        return ()

    # -- gradients and updates -----------------------------------------------------------------
    def _check_gradients(self, ctx) -> None:
        norms = [(n, float(m.weight.grad.norm())) for n, m in weight_layers(ctx.model) if m.weight.grad is not None]
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
            fix = clip_fix(ctx.spec)
            top, g_top = max(norms, key=lambda item: item[1])
            self._emit(ctx, Finding(
                "exploding-gradients", "error", "Gradients explode",
                f"At step {ctx.step} the gradient norm is {total:.3g}; the largest of a layer is that of {top} ({g_top:.3g}).",
                "AutoTrainer (exploding-gradient rule)", (top,), (fix,) if fix else (),
                {"norm": total, "largest": {top: g_top}}, "training"))

    def _check_updates(self, ctx) -> None:
        _, before = self._snapshot
        self._snapshot = None
        ratios = {}
        for name, module in weight_layers(ctx.model):
            old = before.get(f"{name}.weight")
            norm = float(old.norm()) if old is not None else 0.0
            if norm > 0 and math.isfinite(norm):
                ratio = float((module.weight.detach() - old).norm()) / norm
                if math.isfinite(ratio):
                    ratios[name] = ratio
        largest = max(ratios.values(), default=0.0)
        if largest == 0:  # no step was taken (a mixed-precision scaler skips steps with overflowing gradients)
            return
        self._last_ratio = (ctx.step, largest)
        if self._peak_ratio is None or largest > self._peak_ratio[1]:
            self._peak_ratio = (ctx.step, largest)
        high = {n: r for n, r in ratios.items() if r > UPDATE_BAND[1]}
        if high:
            self._emit(ctx, Finding(
                "update-ratio-high", "warning", "Each step changes the weights by a large fraction",
                f"At step {ctx.step} " + ", ".join(f"{n} {r:.2g}" for n, r in high.items()) + " of their size per step "
                f"(healthy: about 1e-3, at most {UPDATE_BAND[1]:g}). The learning rate is too large for these weights "
                "(or the weights are tiny).", LR_SOURCE, tuple(high), self._lr_fix(ctx, DOWN, self._last_ratio),
                {"ratio": high}, "training"))
        scheduled = ctx.optimizer.param_groups[0]["lr"] >= 0.1 * ctx.spec.training_value("lr")
        if largest < UPDATE_BAND[0] and (scheduled or self._blowup):  # not while a schedule warms up or anneals
            if self._blowup:
                text = (f"Each step changes the weights by at most {largest:.2g} of their size (healthy: "
                        f"about 1e-3): the explosion made the weights so large that steps hardly move them.")
                fixes = self._cause_fixes(ctx)
            else:
                text = (f"At step {ctx.step} the largest per-step change is {largest:.2g} of a layer's weights (healthy: "
                        "about 1e-3): the learning rate is too small, or the gradients vanish.")
                fixes = self._lr_fix(ctx, UP, self._last_ratio)
            self._emit(ctx, Finding("update-ratio-low", "warning", "The weights hardly change", text, LR_SOURCE, (),
                                    fixes, {"max_ratio": largest}, "training"))

    # -- dead units and overfitting ------------------------------------------------------------
    def _check_dead(self, ctx) -> None:
        dead = dead_fractions(ctx.model, ctx.inputs)
        bad = {n: d for n, d in dead.items() if d > DEAD_LIMIT}
        if not bad:
            return
        negative = _negative_biases(ctx.spec, bad)
        text = ", ".join(f"{n}: {d:.0%}" for n, d in bad.items()) + (" of the channels output 0 for every image of the "
                                                                       "batch; they get no gradient and stay dead.")
        if negative:
            text += " " + ", ".join(f"{n} starts with bias {b:g}" for n, b in negative.items()) + \
                ": a negative bias pushes every input below 0."
            fixes = (zero_bias_fix(ctx.spec, list(negative)),)
        elif self._blowup:
            fixes = self._cause_fixes(ctx)
        elif self._peak_ratio and self._peak_ratio[1] > UPDATE_BAND[1]:
            text += f" The largest update/weight ratio measured was {self._peak_ratio[1]:.2g} (step {self._peak_ratio[0]})."
            fixes = self._lr_fix(ctx, DOWN, self._peak_ratio)
        else:
            fixes = ()
        self._emit(ctx, Finding(
            "dying-relu", "warning", "ReLU units are dying", text, "AutoTrainer (dying-ReLU rule)",
            tuple(bad), fixes, {"dead_fraction": bad}, "training"))

    def _check_overfitting(self, ctx) -> None:
        if "overfitting" in self._fired:
            return
        found = overfitting_finding(ctx.spec, self.epochs)
        if found is not None:
            self._emit(ctx, found[0], measure="val_loss", symptom="validation loss", proven=found[1])


def _negative_biases(spec, paths) -> dict[str, float]:
    """The negative starting bias of each weight layer among ``paths`` (module paths), under the path of its
    first copy: a repeated block's layer is one spec layer for all its copies."""
    out: dict[str, float] = {}
    seen: set[str] = set()
    for path in paths:
        layer = spec.layer(path)
        if is_weight(layer) and layer.get("bias") and layer.name not in seen and float(layer.init()["bias"]) < 0:
            seen.add(layer.name)
            out[path] = float(layer.init()["bias"])
    return out


def _state(model) -> dict[str, torch.Tensor]:
    """A detached copy of the model's parameters and buffers, on its device."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _range_test_hint(spec) -> float | None:
    """The range test's suggested learning rate for ``spec`` when one is cached, else None."""
    result = cached_lr_find(spec)
    return result.suggested if result is not None else None
