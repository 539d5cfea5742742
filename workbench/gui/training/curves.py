"""Preallocated, growable numpy buffers the training thread appends to and the plot timer reads."""

from __future__ import annotations

import threading

import numpy as np

EMA_WEIGHT = 0.9


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

    def __init__(self):
        self.lock = threading.Lock()
        self.series = {name: Series() for name in self.NAMES}
        self.version = 0  # bumped on every append; lets the plot timer skip idle ticks
        self._ema: float | None = None

    def add_step(self, step: float, loss: float, acc: float, lr: float) -> None:
        with self.lock:
            self._ema = loss if self._ema is None else EMA_WEIGHT * self._ema + (1 - EMA_WEIGHT) * loss
            self.series["loss"].append(step, loss)
            self.series["loss_ema"].append(step, self._ema)
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

    @classmethod
    def from_record(cls, steps: list[dict], epochs: list[dict]) -> RunCurves:
        """Curves of a finished run read from its ``steps.jsonl`` and ``epochs.jsonl`` rows."""
        curves = cls()
        for row in steps:
            curves.add_step(row.get("step", 0), row.get("loss", np.nan), row.get("acc", np.nan), row.get("lr", np.nan))
        for row in epochs:
            curves.add_epoch(
                row.get("step", row.get("epoch", 0)),
                row.get("train_loss"),
                row.get("train_acc"),
                row.get("val_loss"),
                row.get("val_acc"),
            )
        return curves
