"""Preallocated, growable numpy buffers the training thread appends to and the plot timer reads, and the
smoothed training loss drawn over the raw one."""

from __future__ import annotations

import math
import threading

import numpy as np

POINTS_PER_WINDOW = 10  # the smoothing window is about a tenth of the run's logged points ...
MIN_WEIGHT, MAX_WEIGHT = 0.6, 0.95  # ... within these EMA weights
SPIKE_DEVIATIONS = 3.0  # a point further above the smoothed value than this many typical deviations is capped


def ema_weight(points: int | None) -> float:
    """The EMA weight for a run that logs about ``points`` values: a window of about a tenth of the run."""
    if not points:
        return 0.9
    return min(MAX_WEIGHT, max(MIN_WEIGHT, 1.0 - POINTS_PER_WINDOW / points))


class Smoother:
    """TensorBoard's debiased exponential moving average, with single-point spikes capped.

    A value more than ``SPIKE_DEVIATIONS`` typical deviations above the smoothed value counts only up to that
    bound, so one bad batch does not lift the curve for dozens of points; its full size widens the typical
    deviation, so a lasting rise is followed from its second point. Non-finite values are skipped."""

    def __init__(self, weight: float):
        self.weight = weight
        self._mean = self._dev = 0.0  # biased accumulators, debiased by 1 - weight^n
        self._n = 0
        self.value: float | None = None

    def add(self, y: float) -> float | None:
        if not math.isfinite(y):
            return self.value
        w = self.weight
        deviation = abs(y - self.value) if self.value is not None else 0.0
        if self.value is not None and self._n > 1:
            typical = max(self._dev / (1 - w ** self._n), 1e-3 * abs(self.value))
            y = min(y, self.value + SPIKE_DEVIATIONS * typical)
        self._n += 1
        self._mean = w * self._mean + (1 - w) * y
        self._dev = w * self._dev + (1 - w) * deviation
        self.value = self._mean / (1 - w ** self._n)
        return self.value


class Series:
    """An (x, y) series stored in numpy arrays that double in size when full."""

    def __init__(self, capacity: int = 4096):
        self._x = np.empty(capacity, dtype=np.float64)
        self._y = np.empty(capacity, dtype=np.float64)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def append(self, x: float, y: float) -> None:
        if self._n == len(self._x):
            self._x = np.concatenate([self._x, np.empty_like(self._x)])
            self._y = np.concatenate([self._y, np.empty_like(self._y)])
        self._x[self._n] = x
        self._y[self._n] = y
        self._n += 1

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        """Views of the filled part (no copy)."""
        return self._x[: self._n], self._y[: self._n]


class RunCurves:
    """All curves of one run. Written by the training thread, read by the GUI thread under a lock."""

    NAMES = ("loss", "loss_ema", "acc", "lr", "val_loss", "train_loss_epoch", "val_acc", "train_acc_epoch")

    def __init__(self, expected_points: int | None = None):
        """``expected_points``: about how many steps the run will log (sets the smoothing window)."""
        self.lock = threading.Lock()
        self.series = {name: Series() for name in self.NAMES}
        self.version = 0  # bumped on every append; lets the plot timer skip idle ticks
        self._smoother = Smoother(ema_weight(expected_points))

    def add_step(self, step: float, loss: float, acc: float, lr: float) -> None:
        with self.lock:
            smoothed = self._smoother.add(loss)
            self.series["loss"].append(step, loss)
            self.series["loss_ema"].append(step, smoothed if smoothed is not None else np.nan)
            self.series["acc"].append(step, acc)
            self.series["lr"].append(step, lr)
            self.version += 1

    def add_epoch(self, step: float, train_loss, train_acc, val_loss, val_acc) -> None:
        with self.lock:
            for name, value in (
                ("train_loss_epoch", train_loss),
                ("train_acc_epoch", train_acc),
                ("val_loss", val_loss),
                ("val_acc", val_acc),
            ):
                if value is not None:
                    self.series[name].append(step, value)
            self.version += 1

    def add_history(self, steps: list[dict], epochs: list[dict]) -> None:
        """Append the rows of ``steps.jsonl`` and ``epochs.jsonl`` (a resumed run's earlier part)."""
        for row in steps:
            self.add_step(row.get("step", 0), row.get("loss", np.nan), row.get("acc", np.nan), row.get("lr", np.nan))
        for row in epochs:
            self.add_epoch(
                row.get("step", row.get("epoch", 0)),
                row.get("train_loss"),
                row.get("train_acc"),
                row.get("val_loss"),
                row.get("val_acc"),
            )

    @classmethod
    def from_record(cls, steps: list[dict], epochs: list[dict]) -> RunCurves:
        """Curves of a finished run read from its ``steps.jsonl`` and ``epochs.jsonl`` rows."""
        curves = cls(expected_points=len(steps))
        curves.add_history(steps, epochs)
        return curves
