"""Estimated time per epoch on a device: the model's MACs plus a short measured forward+backward pass."""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
from PySide6.QtCore import QObject, QTimer, Signal, Slot

from workbench.analysis import analyze
from workbench.analysis.formatting import human_count
from workbench.builder import build_model
from workbench.training.devices import uses_channels_last
from workbench.gui.training.tasks import BackgroundTask, wait_or_keep
from workbench.spec import ModelSpec

DEBOUNCE_MS = 600
PASSES = 2


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
        return f"≈ {format_duration(self.seconds_per_epoch)} per epoch on {self.device}"

    def details(self) -> str:
        """How the estimate was made: the model's cost and the measured rate."""
        rate = 3 * self.macs_per_image / self.seconds_per_image if self.seconds_per_image > 0 else 0.0
        return (f"{human_count(self.macs_per_image)} MACs per image forward (×3 with the backward pass), "
                f"measured {human_count(int(rate))} MAC/s on {self.device}")


def format_duration(seconds: float) -> str:
    """0.04 → '0.04 s', 3.2 → '3.2 s', 125 → '2:05', 4000 → '1:06:40'."""
    if seconds < 1:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def measure_epoch(spec: ModelSpec, device: str, train_images: int, val_images: int) -> EpochEstimate:
    """Time a couple of forward+backward passes of the built model on a small random batch."""
    macs = analyze(spec).total_macs
    batch = max(1, min(spec.training_value("batch_size"), 64 if device != "cpu" else 8))
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

    step()  # warm-up: allocations, kernel selection
    _sync(device)
    start = time.perf_counter()
    for _ in range(PASSES):
        step()
    _sync(device)
    seconds = (time.perf_counter() - start) / (PASSES * batch)
    return EpochEstimate(device, macs, seconds, train_images, val_images)


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize(device)
    elif device == "mps":
        torch.mps.synchronize()


class EpochEstimator(QObject):
    """Re-measures (debounced, on a worker thread) whenever :meth:`request` is called."""

    estimated = Signal(object)  # EpochEstimate
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self._start)
        self._pending: tuple | None = None
        self._task: BackgroundTask | None = None
        self.enabled = True

    def request(self, spec: ModelSpec, device: str, train_images: int, val_images: int) -> None:
        self._pending = (spec.copy(), device, train_images, val_images)
        self._timer.start()

    def _start(self) -> None:
        if self._pending is None or not self.enabled:
            return
        if self._task is not None and self._task.isRunning():
            self._timer.start()  # measure again once the current one has finished
            return
        spec, device, train_images, val_images = self._pending
        self._pending = None
        self._task = BackgroundTask(lambda: measure_epoch(spec, device, train_images, val_images), self)
        self._task.done.connect(self._done)
        self._task.error.connect(self._failed)
        self._task.start()

    @Slot(object)
    def _done(self, estimate: EpochEstimate) -> None:
        self.estimated.emit(estimate)

    @Slot(str)
    def _failed(self, message: str) -> None:
        self.failed.emit(message)

    def wait(self, timeout_ms: int) -> bool:
        """Stop scheduling and wait for a measurement in flight (used at shutdown)."""
        self._timer.stop()
        self._pending = None
        return wait_or_keep(self._task, timeout_ms)
