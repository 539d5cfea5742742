"""Try fixes: short training runs of the spec as it is and with each candidate fix, ranked by how far
each gets from chance."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from workbench.doctor.edits import set_training
from workbench.doctor.findings import Finding, Fix
from workbench.doctor.lr_find import LRFindResult
from workbench.doctor.lr_rules import fmt_lr, suggested_fix
from workbench.spec.model import ModelSpec

TRIAL_STEPS = 100
TRIAL_VAL_IMAGES = 64
AS_IS = "As it is (no fix)"
LR_FACTORS = (0.1, 10.0)  # the configured lr a decade down and up, beside the range test's suggestion
# A trial that ends less than 5 % of ln C below chance has not learnt: the three-point tail average of a
# 100-step trial on the shapes wanders about that much on a network that learns nothing.
LEARNT_SCORE = 0.05


@dataclass
class TrialResult:
    """One short run: its loss curve, its validation loss at the end (None without validation data) and
    how far from chance it ended (1 = loss 0, 0 = at chance)."""

    label: str
    spec: ModelSpec
    losses: list[tuple[int, float]] = field(default_factory=list)
    error: str = ""
    val_loss: float | None = None

    @property
    def final_loss(self) -> float:
        tail = [loss for _, loss in self.losses[-3:]]
        return sum(tail) / len(tail) if tail else math.nan

    def score(self, chance: float) -> float:
        """Distance from chance: (ln C − final loss) / ln C; −inf for a failed or diverged run."""
        final = self.final_loss
        return (chance - final) / chance if math.isfinite(final) and not self.error else -math.inf

    def to_dict(self, chance: float) -> dict:
        score, final = self.score(chance), self.final_loss
        return {"label": self.label, "final_loss": final if math.isfinite(final) else None,
                "score": score if math.isfinite(score) else None,
                "losses": [list(p) for p in self.losses], "error": self.error}


def _subset(data, val_images: int):
    """The bundle with at most ``val_images`` validation images (trials only need the training curve)."""
    if dataclasses.is_dataclass(data) and data.val_x.shape[0] > val_images:
        return dataclasses.replace(data, val_x=data.val_x[:val_images], val_y=data.val_y[:val_images])
    return data


def run_trial(label: str, spec: ModelSpec, data, steps: int, should_stop: Callable[[], bool] | None = None,
              initial: dict | None = None) -> TrialResult:
    """Train ``spec`` for ``steps`` steps without writing anything; collect the logged losses.

    ``initial`` is a model state dict to start from (default: the spec's own initialisation).
    """
    from workbench.training.events import EpochEvent, StepEvent
    from workbench.training.trainer import Trainer

    result = TrialResult(label, spec)
    spec = spec.copy()
    spec.training.update(epochs=max(steps, 1), early_stopping=0)  # the step count, not the epochs, ends a trial
    try:
        trainer = Trainer(spec, data=data, run_dir=False, log_every=5, max_steps=steps)
        if initial is not None:
            trainer.model.load_state_dict(initial)

        def listen(event):
            if isinstance(event, StepEvent):
                result.losses.append((event.step, event.loss))
            elif isinstance(event, EpochEvent):
                result.val_loss = event.val_loss
            if should_stop is not None and should_stop():
                trainer.request_stop()

        trainer.add_listener(listen)
        ended = trainer.run()
        if ended.status in ("diverged", "failed"):
            result.error = ended.reason or ended.status
    except Exception as exc:  # a fix can produce a spec that fails to build or train: report it, rank it last
        result.error = str(exc) or type(exc).__name__
    return result


def try_fixes(spec: ModelSpec, fixes: list[Fix], data=None, steps: int = TRIAL_STEPS,
              progress: Callable[[TrialResult, int, int], None] | None = None,
              should_stop: Callable[[], bool] | None = None) -> list[TrialResult]:
    """Run the spec as it is and with each fix for ``steps`` steps; best first.

    ``progress(result, done, total)`` is called after each trial.
    """
    if data is None:
        from workbench.data.dataset import load_data

        data = load_data(spec)
    data = _subset(data, TRIAL_VAL_IMAGES)
    candidates = [(AS_IS, spec)] + [(fix.label, fix(spec)) for fix in fixes]
    results = []
    for i, (label, candidate) in enumerate(candidates):
        if should_stop is not None and should_stop():
            break
        results.append(run_trial(label, candidate, data, steps, should_stop))
        if progress is not None:
            progress(results[-1], i + 1, len(candidates))
    chance = math.log(spec.num_classes)
    return sorted(results, key=lambda r: -r.score(chance))


def lr_candidates(spec: ModelSpec, result: LRFindResult | None) -> list[Fix]:
    """Learning-rate fixes worth a trial: the range test's suggestion, then the configured lr ×0.1 and ×10."""
    lr = float(spec.training_value("lr"))
    out = list(suggested_fix(result)) if result is not None else []
    for factor in LR_FACTORS:
        value = float(fmt_lr(lr * factor))
        edits = (set_training("lr", value),)
        if all(f.edits != edits for f in out) and value != lr:
            out.append(Fix(f"Set lr to {fmt_lr(value)} (configured ×{factor:g})", edits))
    return out


def learning_verdict(spec: ModelSpec, fixes: list[Fix], results: list[TrialResult], steps: int) -> list[Finding]:
    """An error when the trial of the spec as it is did not learn; with the best trial that did as its fix."""
    chance = math.log(spec.num_classes)
    as_is = next((r for r in results if r.label == AS_IS), None)
    if as_is is None or as_is.score(chance) > LEARNT_SCORE:
        return []
    ended = f"ended at loss {as_is.final_loss:.3f}" if math.isfinite(as_is.final_loss) else f"failed ({as_is.error})"
    learnt = [r for r in results if r.score(chance) > LEARNT_SCORE]  # best first, as try_fixes sorts them
    measured = {"as_is_loss": as_is.final_loss, "chance": chance, "steps": steps,
                "trials": {r.label: r.final_loss for r in results}}
    if not learnt:
        return [Finding(
            "does-not-learn", "error", "This spec does not learn with these settings",
            f"In {len(results)} trial runs of {steps} steps (as it is, and with each candidate fix: "
            f"{', '.join(r.label for r in results if r is not as_is) or 'none'}) no loss ended more than "
            f"{LEARNT_SCORE:.0%} below chance (ln {spec.num_classes} = {chance:.3f}); as it is, the run {ended}.",
            "trial runs (AutoTrainer: a repair is kept only when a run measured it)", (), (), measured, "trial")]
    best = learnt[0]
    fix = next(f for f in fixes if f.label == best.label)
    return [Finding(
        "does-not-learn", "error", "As configured, this spec does not learn",
        f"In a trial run of {steps} steps the spec as it is {ended} (chance: ln {spec.num_classes} = {chance:.3f}); "
        f"with “{best.label}” it reached {best.final_loss:.3f}.",
        "trial runs (AutoTrainer: a repair is kept only when a run measured it)", (), (fix,), measured, "trial")]
