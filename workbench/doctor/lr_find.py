"""The learning-rate range test (Smith 2015, "Cyclical learning rates"; fastai ``LRFinder``, Lightning ``lr_find``).

A short run of the spec's own training (its optimizer with momentum, betas and weight decay, batch size,
precision, gradient clipping, data and device; see :class:`~workbench.training.trainer.Trainer`) in which the
learning rate grows exponentially per step from ``start`` to ``end``. The loss is smoothed with a debiased
exponential moving average (β = 0.98, as fastai and Lightning) and the run stops once the smoothed loss passes
``DIVERGE`` × its best (or is not finite). The run trains its own model built from the spec (or a copy of
``model``); nothing of the user's is changed and no run folder is written.

From the curve:

- ``suggested``: the learning rate where the smoothed loss falls fastest (steepest descent, Lightning's
  ``suggestion``), skipping the first ``SKIP_START`` points (the average is still warming up) and looking only up
  to the best point. None when the smoothed loss never fell ``MIN_DROP`` below where it started: no learning rate
  of the range trains this spec, so there is nothing to suggest.
- ``max_stable``: the largest learning rate before the smoothed loss rises past the threshold: back above where
  it started (training there undoes what it learnt) or past ``DIVERGE`` × its best, whichever comes first.
  None when the loss stayed below both up to the end of the range.
"""

from __future__ import annotations

import dataclasses
import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from workbench.spec.model import ModelSpec

START_LR, END_LR, STEPS = 1e-7, 10.0, 100
SMOOTHING = 0.98  # fastai's and Lightning's β
DIVERGE = 4.0  # fastai's and Lightning's stop: smoothed loss above 4 × its best
SKIP_START = 10  # Lightning's skip_begin: the first points of a debiased average carry little information
MIN_DROP = 0.1  # the smoothed loss must fall 10 % below its start for a suggestion to mean anything
CHECK_EVERY = 5  # losses are read from the device every few steps, not once per step
CACHE_SIZE = 16
# The training settings the range test depends on; the configured lr, epochs and schedule are not among them.
TRAINING_KEYS = ("optimizer", "momentum", "nesterov", "weight_decay", "batch_size", "seed", "clip_grad",
                 "label_smoothing", "precision", "device")


@dataclass
class LRFindResult:
    """The range test's curve (one point per step) and what it suggests."""

    lrs: list[float]
    losses: list[float]  # raw training loss of each step
    smoothed: list[float]
    suggested: float | None
    suggested_index: int | None
    max_stable: float | None
    max_stable_index: int | None
    configured_lr: float
    optimizer: str
    stopped: str  # why the test ended
    device: str = "cpu"
    method: str = "steepest descent of the smoothed loss"

    @property
    def start_loss(self) -> float:
        return self.smoothed[0] if self.smoothed else math.nan

    @property
    def best_loss(self) -> float:
        finite = [s for s in self.smoothed if math.isfinite(s)]
        return min(finite) if finite else math.nan

    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        out["losses"] = [x if math.isfinite(x) else None for x in self.losses]
        out["smoothed"] = [x if math.isfinite(x) else None for x in self.smoothed]
        return out


@dataclass
class _Recorder:
    """A Trainer callback: sets each step's lr, keeps the step losses, stops at the end or on divergence."""

    lrs: list[float]
    progress: Callable[[int, int, float, float], None] | None = None
    should_stop: Callable[[], bool] | None = None
    pending: list = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    smoothed: list[float] = field(default_factory=list)
    stopped: str = ""
    _avg: float = 0.0
    _best: float = math.inf

    def on_batch_end(self, ctx) -> None:
        self.pending.append(ctx.loss.float())
        done = len(self.losses) + len(self.pending)
        if done < len(self.lrs):
            for group in ctx.optimizer.param_groups:
                group["lr"] = self.lrs[done]
        if done % CHECK_EVERY == 0 or done >= len(self.lrs):
            self._flush(ctx)

    def _flush(self, ctx) -> None:
        values, self.pending = torch.stack(self.pending).tolist(), []
        for loss in values:
            self.losses.append(loss)
            self._avg = SMOOTHING * self._avg + (1 - SMOOTHING) * loss
            smooth = self._avg / (1 - SMOOTHING ** len(self.losses))
            self.smoothed.append(smooth)
            if not math.isfinite(smooth) or smooth > DIVERGE * self._best:
                self.stopped = self.stopped or f"the loss diverged at lr {self.lrs[len(self.losses) - 1]:.3g}"
            self._best = min(self._best, smooth)
        if self.progress is not None:
            i = len(self.losses) - 1
            self.progress(i + 1, len(self.lrs), self.lrs[i], self.smoothed[i])
        if not self.stopped and len(self.losses) >= len(self.lrs):
            self.stopped = f"reached lr {self.lrs[-1]:.3g}"
        if not self.stopped and self.should_stop is not None and self.should_stop():
            self.stopped = "cancelled"
        if self.stopped:
            ctx.request_stop(self.stopped)


def lr_schedule(start: float = START_LR, end: float = END_LR, steps: int = STEPS) -> list[float]:
    """``steps`` learning rates from ``start`` to ``end``, a constant factor apart."""
    ratio = (end / start) ** (1 / max(steps - 1, 1))
    return [start * ratio**i for i in range(steps)]


def steepest_index(smoothed: list[float]) -> int | None:
    """Index of the steepest fall of ``smoothed`` between ``SKIP_START`` and its minimum (None if it never fell)."""
    finite = [s if math.isfinite(s) else math.inf for s in smoothed]
    if len(finite) <= SKIP_START + 2:
        return None
    best = min(range(len(finite)), key=finite.__getitem__)
    if finite[best] > (1 - MIN_DROP) * finite[0] or best <= SKIP_START:
        return None
    slopes = [(finite[i + 1] - finite[i - 1]) / 2 for i in range(SKIP_START, best)]
    return SKIP_START + min(range(len(slopes)), key=slopes.__getitem__)


def stable_index(smoothed: list[float]) -> int | None:
    """Index of the last point before the smoothed loss rises past its start or ``DIVERGE`` × its best so far."""
    best = math.inf
    for i, s in enumerate(smoothed):
        if i > 0 and (not math.isfinite(s) or s > smoothed[0] or s > DIVERGE * best):
            return i - 1
        best = min(best, s)
    return None


def _test_spec(spec: ModelSpec, lrs: list[float]) -> ModelSpec:
    """The spec as the range test trains it: first lr, constant schedule, enough epochs, no compile."""
    out = spec.copy()
    out.training.update(lr=lrs[0], schedule="constant", warmup_epochs=0.0, early_stopping=0, compile=False,
                        epochs=100_000)
    return out


def lr_find(spec: ModelSpec, data=None, data_path=None, model: torch.nn.Module | None = None,
            start: float = START_LR, end: float = END_LR, steps: int = STEPS,
            progress: Callable[[int, int, float, float], None] | None = None,
            should_stop: Callable[[], bool] | None = None) -> LRFindResult:
    """Run the range test for ``spec`` on its data (or ``data``, a DataBundle; ``data_path``, a folder).

    ``model``: start from a copy of these weights instead of the spec's initialisation. ``progress(step, steps,
    lr, smoothed_loss)`` is called every few steps; ``should_stop()`` cancels. The result is cached (see
    :func:`cached_lr_find`) unless the test was cancelled.
    """
    from workbench.training.trainer import Trainer

    lrs = lr_schedule(start, end, steps)
    recorder = _Recorder(lrs, progress, should_stop)
    if data is None:
        from workbench.data.dataset import load_data
        from workbench.training.devices import resolve_device

        data = load_data(spec, data_path=data_path, device=resolve_device(spec.training_value("device")))
    no_val = dataclasses.replace(data, val_x=data.val_x[:0], val_y=data.val_y[:0])  # nothing is validated
    trainer = Trainer(_test_spec(spec, lrs), data=no_val, run_dir=False, callbacks=[recorder], log_every=10**9)
    if model is not None:
        trainer.model.load_state_dict(model.state_dict())  # copies the values into the test's own model
    trainer.run()
    smoothed = recorder.smoothed
    suggested, stable = steepest_index(smoothed), stable_index(smoothed)
    result = LRFindResult(
        lrs[: len(smoothed)], recorder.losses, smoothed,
        lrs[suggested] if suggested is not None else None, suggested,
        lrs[stable] if stable is not None else None, stable,
        float(spec.training_value("lr")), spec.training_value("optimizer"),
        recorder.stopped or "the run ended early", str(trainer.device))
    if recorder.stopped != "cancelled" and model is None:
        _CACHE[cache_key(spec, data_path)] = result
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return result


_CACHE: OrderedDict[str, LRFindResult] = OrderedDict()


def cache_key(spec: ModelSpec, data_path=None) -> str:
    """What the range test depends on: input, classes, layers, data and the optimizer settings (not the lr)."""
    d = spec.to_dict()
    training = {k: spec.training_value(k) for k in TRAINING_KEYS}
    return repr((d["input"], d["classes"], d["layers"], d["data"], training, str(data_path or "")))


def cached_lr_find(spec: ModelSpec, data_path=None) -> LRFindResult | None:
    """The result of an earlier range test for an equivalent spec (any configured lr), without running one.

    The result's ``configured_lr`` is this spec's.
    """
    found = _CACHE.get(cache_key(spec, data_path))
    if found is None:
        return None
    return dataclasses.replace(found, configured_lr=float(spec.training_value("lr")))
