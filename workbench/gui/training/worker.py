"""The training worker: runs ``Trainer.run()`` on its own QThread and reports back through queued signals."""

from __future__ import annotations

import os
import sys
import threading

import torch
from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, Slot

from workbench.gui.training.curves import RunCurves
from workbench.gui.training.tasks import user_message
from workbench.training.validation import predict_validation
from workbench.spec import ModelSpec
from workbench.training.events import EpochEvent, StepEvent
from workbench.training.runs import RunRecord
from workbench.training.trainer import Trainer

GIL_SWITCH_INTERVAL_S = 0.001


class CurveFeed:
    """For a worker with ``curves``, ``latest_step`` and an ``event`` signal: steps and epochs go into the
    curves (steps are not re-emitted: the panel reads ``latest_step`` at its own pace), other events are emitted."""

    def _on_event(self, event) -> None:
        if isinstance(event, StepEvent):
            self.curves.add_step(event.step, event.loss, event.acc, event.lr)
            self.latest_step = event
            return
        if isinstance(event, EpochEvent):
            self.curves.add_epoch(event.step, event.train_loss, event.train_acc, event.val_loss, event.val_acc)
        self.event.emit(event)


class TrainingWorker(CurveFeed, QObject):
    """Owns one run. Its listener runs on the training thread: it fills ``curves`` and emits signals only."""

    event = Signal(object)  # every engine event except StepEvent (those go to ``curves``)
    results = Signal(object)  # ValidationResults after the run, when there is a validation split
    failed = Signal(str)  # a message for the user
    finished = Signal()

    def __init__(
        self,
        spec: ModelSpec,
        device: str | None,
        log_every: int,
        callbacks: tuple = (),
        resume_from: str | None = None,
        expected_points: int | None = None,
        listeners: tuple = (),
    ):
        super().__init__()
        self.spec = spec
        self.curves = RunCurves(expected_points)
        self.latest_step: StepEvent | None = None
        self._device, self._log_every, self.callbacks = device, log_every, tuple(callbacks)
        self._resume_from = resume_from
        self.listeners = tuple(listeners)  # more listeners of the run's events, called on the worker thread
        self._trainer: Trainer | None = None
        self._lock = threading.Lock()
        self._stop_requested = False
        self._skip_results = False

    # --- called from the GUI thread -------------------------------------------------------------
    def request_stop(self, skip_results: bool = False) -> None:
        """Ask the run to stop after the current batch (also when paused)."""
        with self._lock:
            self._stop_requested = True
            self._skip_results = self._skip_results or skip_results
            trainer = self._trainer
        if trainer is not None:
            trainer.request_stop()
            trainer.resume()

    def pause(self) -> None:
        with self._lock:
            trainer = self._trainer
        if trainer is not None:
            trainer.pause()

    def resume(self) -> None:
        with self._lock:
            trainer = self._trainer
        if trainer is not None:
            trainer.resume()

    # --- runs on the worker thread --------------------------------------------------------------
    @Slot()
    def run(self) -> None:
        try:
            self._train()
        except Exception as exc:  # the user sees the message; the app keeps running
            self.failed.emit(user_message(exc))
        finally:
            # hand this object back to the GUI thread, which holds its last reference and deletes it
            app = QCoreApplication.instance()
            if app is not None:
                self.moveToThread(app.thread())
            self.finished.emit()

    def _train(self) -> None:
        trainer = Trainer(
            self.spec,
            device=self._device,
            callbacks=self.callbacks,
            log_every=self._log_every,
            resume_from=self._resume_from,
        )
        if self._resume_from is not None:
            self._load_history(trainer)
        trainer.add_listener(self._on_event)
        for listener in self.listeners:
            trainer.add_listener(listener)
        with self._lock:
            self._trainer = trainer
            stop_now = self._stop_requested
        if stop_now:
            trainer.request_stop()
        ended = trainer.run()
        if ended.status == "failed":
            self.failed.emit(ended.reason or "The run failed.")
        with self._lock:
            skip = self._skip_results
        if not skip and ended.status in ("completed", "stopped"):
            results = predict_validation(trainer.model, trainer.data)
            if results is not None:
                self.results.emit(results)

    def _load_history(self, trainer: Trainer) -> None:
        """Put the resumed run's curves up to its checkpoint in front of the new steps."""
        record = RunRecord(self._resume_from)
        steps = [row for row in record.steps if row.get("step", 0) <= trainer.step]
        epochs = [row for row in record.epochs if row.get("epoch", 0) <= trainer.epoch]
        self.curves.add_history(steps, epochs)



def start_worker(worker: TrainingWorker, parent: QObject) -> QThread:
    """Move ``worker`` to a new thread and start it; the thread quits when the run ends."""
    # the training loop's Python code holds the GIL in turns of this length: keep them short so the
    # GUI thread gets it back within a millisecond (Python's default is 5 ms)
    sys.setswitchinterval(min(sys.getswitchinterval(), GIL_SWITCH_INTERVAL_S))
    # leave one core to the GUI thread: with every core busy in torch the window stutters (and on
    # a loaded machine the oversubscribed training is slower too)
    training_threads = max(1, (os.cpu_count() or 1) - 1)
    if torch.get_num_threads() > training_threads:
        torch.set_num_threads(training_threads)
    thread = QThread(parent)
    thread.setObjectName("training")
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)  # also while the GUI waits
    thread.start()
    return thread
