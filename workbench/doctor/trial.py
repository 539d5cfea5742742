"""Try fixes: short training runs of the spec as it is and with each candidate fix, ranked by how far
each gets from chance."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from workbench.doctor.findings import Fix
from workbench.spec.model import ModelSpec

TRIAL_STEPS = 100
TRIAL_VAL_IMAGES = 64
AS_IS = "As it is (no fix)"


@dataclass
class TrialResult:
    """One short run: its loss curve and how far from chance it ended (1 = loss 0, 0 = at chance)."""

    label: str
    spec: ModelSpec
    losses: list[tuple[int, float]] = field(default_factory=list)
    error: str = ""

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


def run_trial(label: str, spec: ModelSpec, data, steps: int, should_stop: Callable[[], bool] | None = None) -> TrialResult:
    """Train ``spec`` for ``steps`` steps without writing anything; collect the logged losses."""
    from workbench.training.events import StepEvent
    from workbench.training.trainer import Trainer

    result = TrialResult(label, spec)
    spec = spec.copy()
    spec.training.update(epochs=max(steps, 1), early_stopping=0)  # the step count, not the epochs, ends a trial
    try:
        trainer = Trainer(spec, data=data, run_dir=False, log_every=5, max_steps=steps)

        def listen(event):
            if isinstance(event, StepEvent):
                result.losses.append((event.step, event.loss))
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

        data = load_data(spec, cache="disk")
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
