"""The learning-rate range test (Smith 2015, "Cyclical learning rates"; fastai ``LRFinder``, Lightning ``lr_find``).

A short run of the spec's own training (its optimizer with momentum, betas and weight decay, batch size,
precision, gradient clipping, data and device; see :class:`~workbench.training.trainer.Trainer`) in which the
learning rate grows exponentially per step from ``start`` to ``end``. The loss is smoothed with a debiased
exponential moving average (β = 0.98, as fastai and Lightning) and the run stops once the smoothed loss passes
``DIVERGE`` × its best (or is not finite). The run trains its own model built from the spec (or a copy of
``model``); nothing of the user's is changed and no run folder is written.

From the curve:

- ``suggested``: a tenth of the learning rate at the lowest smoothed loss (fastai's ``minimum`` suggestion: one
  decade below the point where the loss stops falling). Not the steepest descent: on a 100-step test with small
  batches the smoothed loss of a small net often falls almost linearly over three decades, so its steepest
  point is set by batch noise (measured on the two-conv net of ``tests/data/lr-sgd-10.yaml``: steepest descent
  at lr 7.6e-4, which trains it to 63 % in ten epochs; the minimum's tenth, 0.024, to over 90 %). Not fastai's
  ``valley`` either: its longest descending run starts in the noise of the flat start. None when the smoothed
  loss never fell ``MIN_DROP`` below its start, or only within the first ``SKIP_START`` points: no learning
  rate of the range trains this spec.
- ``max_stable``: the largest learning rate at which the loss still fell: the lowest point of the smoothed loss,
  when after it the loss rises more than ``RISE`` above it or diverges. None when it did not rise again before
  the end of the range (stable up to ``end``).
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
MIN_DROP = 0.03  # the smoothed loss must fall 3 % below its start for a suggestion to mean anything (the
# healthy presets fall 5-20 % within the test; a net that does not learn wanders about 1 %)
RISE = 0.02  # a rise of 2 % above the lowest point is past the noise of the smoothed loss
CHECK_EVERY = 5  # losses are read from the device every few steps, not once per step
CACHE_SIZE = 16
# The training settings the range test depends on; the configured lr, epochs, schedule and device are not.
TRAINING_KEYS = ("optimizer", "momentum", "nesterov", "weight_decay", "batch_size", "seed", "clip_grad",
                 "label_smoothing", "precision")


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
    method: str = "a tenth of the lr at the lowest smoothed loss"

    @property
    def start_loss(self) -> float:
        return initial_loss(self.losses)

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


def initial_loss(losses: list[float]) -> float:
    """The loss before anything is learnt: the mean of the first ``SKIP_START`` steps."""
    head = losses[:SKIP_START]
    return sum(head) / len(head) if head else math.nan


def suggested_index(lrs: list[float], losses: list[float], smoothed: list[float]) -> int | None:
    """Index of the learning rate a decade below the lowest smoothed loss (None if the loss never fell)."""
    finite = [s if math.isfinite(s) else math.inf for s in smoothed]
    if len(finite) <= SKIP_START:
        return None
    best = min(range(len(finite)), key=finite.__getitem__)
    if best < SKIP_START or finite[best] > (1 - MIN_DROP) * initial_loss(losses):
        return None
    target = lrs[best] / 10
    return min(range(len(lrs)), key=lambda i: abs(math.log(lrs[i] / target)))


def stable_index(smoothed: list[float]) -> int | None:
    """Index of the lowest smoothed loss when the loss rises past it by ``RISE`` (or diverges) afterwards."""
    finite = [s if math.isfinite(s) else math.inf for s in smoothed]
    if not finite:
        return None
    best = min(range(len(finite)), key=finite.__getitem__)
    rose = any(s > (1 + RISE) * finite[best] for s in finite[best + 1:])
    return best if rose else None


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
    ended = trainer.run()
    if ended.status == "failed":
        from workbench.training.errors import TrainingError

        raise TrainingError(f"the range test failed: {ended.reason}", "check that the spec trains (train it for one epoch)")
    smoothed = recorder.smoothed
    suggested, stable = suggested_index(lrs, recorder.losses, smoothed), stable_index(smoothed)
    result = LRFindResult(
        lrs[: len(smoothed)], recorder.losses, smoothed,
        lrs[suggested] if suggested is not None else None, suggested,
        lrs[stable] if stable is not None else None, stable,
        float(spec.training_value("lr")), spec.training_value("optimizer"),
        recorder.stopped or ended.reason, str(trainer.device))
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
