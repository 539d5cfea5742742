"""Estimated time per epoch on a device: the model's MACs plus a short measured forward+backward pass.

A measurement can be cancelled between its passes; a newer request cancels the one in flight, so an edit never
waits behind the measurement of a network that no longer exists. The estimate is rough (a tiny batch on random
data); after a run the panel shows the run's own time per epoch instead.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable

import torch
from PySide6.QtCore import QObject, QTimer, Signal, Slot

from workbench.analysis import analyze
from workbench.analysis.formatting import human_count
from workbench.builder import build_model
from workbench.training.devices import uses_channels_last
from workbench.gui.training.tasks import BackgroundTask, wait_or_keep
from workbench.spec import ModelSpec

DEBOUNCE_MS = 600
PASSES = 3  # timed steps after the warm-up; the fastest one counts
SLOW_STEP_S = 2.0  # a warm-up step this slow is measurement enough
MAX_MACS_PER_STEP = 3e11  # forward+backward of one batch; more would keep a CPU busy for many seconds


class EstimateCancelled(Exception):
    """A newer request (or shutdown) superseded this measurement."""


@dataclass
class EpochEstimate:
    device: str
    macs_per_image: int
    seconds_per_image: float  # one training image: forward + backward + update
    train_images: int
    val_images: int

    @property
    def seconds_per_epoch(self) -> float:
        # validation is a forward pass only: about a third of a training step
        return self.seconds_per_image * (self.train_images + self.val_images / 3)

    def text(self) -> str:
        return f"≈ {format_duration(self.seconds_per_epoch)} per epoch on {self.device} (rough)"

    def details(self) -> str:
        """How the estimate was made: the model's cost and the measured rate."""
        rate = 3 * self.macs_per_image / self.seconds_per_image if self.seconds_per_image > 0 else 0.0
        return (f"{human_count(self.macs_per_image)} MACs per image forward (×3 with the backward pass), "
                f"measured {human_count(int(rate))} MAC/s on {self.device} with a few images of random data; "
                "a run reports its own time per epoch")


def format_duration(seconds: float) -> str:
    """0.04 → '0.04 s', 3.2 → '3.2 s', 125 → '2:05', 4000 → '1:06:40'."""
    if seconds < 1:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def measure_epoch(spec: ModelSpec, device: str, train_images: int, val_images: int,
                  cancelled: Callable[[], bool] = lambda: False) -> EpochEstimate:
    """Time a few forward+backward passes of the built model on a small random batch.

    Raises :class:`EstimateCancelled` when ``cancelled()`` turns true between passes, and ValueError when one
    step would be too costly to measure."""
    macs = analyze(spec).total_macs
    batch = max(1, min(spec.training_value("batch_size"), 64 if device != "cpu" else 8))
    batch = max(1, min(batch, int(MAX_MACS_PER_STEP // max(3 * macs, 1))))
    if 3 * macs > MAX_MACS_PER_STEP:
        raise ValueError(f"one image costs {human_count(macs)} MACs; too much to measure quickly")
    model = build_model(spec, seed=0).to(device)
    x = torch.randn(batch, spec.input.channels, spec.input.height, spec.input.width, device=device)
    if uses_channels_last(spec, torch.device(device)):  # the layout the trainer will use
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    y = torch.randint(0, spec.num_classes, (batch,), device=device)

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()

    timings = []
    for i in range(1 + PASSES):  # the first is a warm-up: allocations, kernel selection
        if cancelled():
            raise EstimateCancelled
        start = time.perf_counter()
        step()
        _sync(device)
        timings.append(time.perf_counter() - start)
        if timings[0] > SLOW_STEP_S:
            break
    seconds = min(timings[1:] or timings) / batch
    return EpochEstimate(device, macs, seconds, train_images, val_images)


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize(device)
    elif device == "mps":
        torch.mps.synchronize()


class EpochEstimator(QObject):
    """Re-measures (debounced, on a worker thread) whenever :meth:`request` is called; only the newest
    request's result is reported."""

    estimated = Signal(object)  # EpochEstimate
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self._start)
        self._pending: tuple | None = None
        self._task: BackgroundTask | None = None
        self._cancel = threading.Event()  # of the task in flight
        self.enabled = True

    @property
    def busy(self) -> bool:
        """A measurement is running or waiting for its debounce."""
        return self._timer.isActive() or (self._task is not None and self._task.isRunning())

    def request(self, spec: ModelSpec, device: str, train_images: int, val_images: int) -> None:
        """Measure ``spec`` once the edits pause; a measurement in flight is cancelled."""
        self._pending = (spec.copy(), device, train_images, val_images)
        self._cancel.set()
        self._timer.start()

    def cancel(self) -> None:
        """Forget the pending request and cancel the measurement in flight (it ends after its current pass)."""
        self._timer.stop()
        self._pending = None
        self._cancel.set()

    def _start(self) -> None:
        if self._pending is None or not self.enabled:
            return
        if self._task is not None and self._task.isRunning():
            self._timer.start()  # the cancelled one ends after its current pass
            return
        spec, device, train_images, val_images = self._pending
        self._pending = None
        self._cancel = threading.Event()
        cancelled = self._cancel.is_set
        self._task = BackgroundTask(lambda: measure_epoch(spec, device, train_images, val_images, cancelled), self)
        self._task.done.connect(self._done)
        self._task.error.connect(self._failed)
        self._task.start()

    def _current(self) -> bool:
        """The signal comes from the newest measurement, which nothing has cancelled."""
        return self.sender() is self._task and not self._cancel.is_set()

    @Slot(object)
    def _done(self, estimate: EpochEstimate) -> None:
        if self._current():
            self.estimated.emit(estimate)

    @Slot(str)
    def _failed(self, message: str) -> None:
        if self._current():
            self.failed.emit(message)

    def wait(self, timeout_ms: int) -> bool:
        """Cancel, stop scheduling and wait for a measurement in flight (used at shutdown)."""
        self.cancel()
        return wait_or_keep(self._task, timeout_ms)
