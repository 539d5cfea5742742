"""Short trials of a live finding's fixes: is the symptom better with the fix than without it?

They run on the training thread between two batches, on a copy of the weights (never the run's own
model or optimizer), with the global random state restored afterwards, each at most once.
"""

from __future__ import annotations

import math

import torch

from workbench.doctor.findings import Fix
from workbench.doctor.thresholds import IMPROVE_MIN
from workbench.doctor.trial import AS_IS, TRIAL_VAL_IMAGES, TrialResult, _subset, run_trial

LIVE_TRIAL_STEPS = 30
MAX_LIVE_FIXES = 2  # fixes tried per finding: the trials hold up the run


def _starts_fresh(fix: Fix) -> bool:
    """Fixes that edit layers (their init, their structure) only act on a new run, from fresh weights."""
    return any(edit.get("op") != "training" for edit in fix.edits)


def _value(result: TrialResult, measure: str) -> float:
    if result.error:
        return math.nan
    value = result.final_loss if measure == "loss" else result.val_loss
    return value if value is not None and math.isfinite(value) else math.nan


def improves(before: float, after: float) -> bool:
    """Whether ``after`` is a clear improvement of the loss ``before`` (a failed run is never one)."""
    if not math.isfinite(after):
        return False
    return not math.isfinite(before) or after < before * (1 - IMPROVE_MIN)


class LiveTrials:
    """Runs and remembers the trials of one training run's findings."""

    def __init__(self, steps: int = LIVE_TRIAL_STEPS):
        self.steps = steps
        self._runs: dict[tuple, TrialResult] = {}

    def _run(self, ctx, label: str, fix: Fix | None, start: tuple[int, dict] | None) -> TrialResult:
        key = (label, start[0] if start else None)
        if key not in self._runs:
            spec = fix(ctx.spec) if fix is not None else ctx.spec.copy()
            device = next(ctx.model.parameters()).device
            spec.training.update(device=str(device), compile=False)
            devices = [device.index or 0] if device.type == "cuda" else []
            with torch.random.fork_rng(devices=devices):
                self._runs[key] = run_trial(label, spec, _subset(ctx.data, TRIAL_VAL_IMAGES), self.steps,
                                            initial=start[1] if start else None)
        return self._runs[key]

    def judge(self, ctx, fixes: tuple[Fix, ...], start: tuple[int, dict], measure: str = "loss",
              symptom: str = "loss") -> tuple[tuple[Fix, ...], str]:
        """The fixes a trial showed to lower ``measure`` ("loss" or "val_loss"), and a sentence saying what was measured.

        ``start`` is (step, model state) the trials of training-setting fixes begin from; fixes that edit
        layers start from the spec's initialisation.
        """
        if not fixes or ctx.data is None:
            return (), ""
        kept, parts = [], []
        for fix in fixes[:MAX_LIVE_FIXES]:
            begin = None if _starts_fresh(fix) else start
            before = _value(self._run(ctx, AS_IS, None, begin), measure)
            after = _value(self._run(ctx, fix.label, fix, begin), measure)
            where = "fresh weights" if begin is None else f"the weights of step {begin[0]}"
            parts.append(f"A {self.steps}-step trial from {where}: {symptom} {_show(before)} as it is, {_show(after)} "
                         f"with “{fix.label}”{'' if improves(before, after) else ' (no improvement: fix not offered)'}.")
            if improves(before, after):
                kept.append(fix)
        return tuple(kept), " ".join(parts)


def _show(value: float) -> str:
    return f"{value:.3g}" if math.isfinite(value) else "not finite (diverged)"
