"""The training loop: pure PyTorch over pre-loaded tensors, reporting through events.

Stop and pause requests are checked between batches. Metrics accumulate on the device and are read
every ``log_every`` steps and at the end of each epoch, never once per step. The ``last`` checkpoint
is written when a run starts, at the end of every epoch (``best`` when the monitored metric
improves) and when a stop request ends a run in the middle of an epoch; resuming from it continues
at the next batch and does exactly what an uninterrupted run would have done.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
import traceback
from pathlib import Path

import torch
from torch import nn

from workbench.builder import build_model
from workbench.check import require_valid_sections
from workbench.data.augment import Augmenter
from workbench.data.batches import epoch_batches
from workbench.data.cache import fits_on_device
from workbench.data.dataset import DataBundle, load_data
from workbench.spec.model import ModelSpec
from workbench.training import state as run_state
from workbench.training.context import TrainContext
from workbench.training.devices import autocast_dtype, resolve_device, uses_channels_last
from workbench.training.errors import TrainingError
from workbench.training.evaluate import evaluate
from workbench.training.events import (CheckpointEvent, DiagnosisEvent, EpochEvent, RunEnded, RunStarted, StepEvent,
                                       event_dict, finding_record)
from workbench.training.optim import LRSchedule, make_optimizer
from workbench.training.runs import (CONFUSION_FILE, EPOCHS_FILE, FINDINGS_FILE, STEPS_FILE, SUMMARY_FILE, RunWriter,
                                     new_run_dir)


class _Diverged(Exception):
    def __init__(self, step: int):
        self.step = step


def _check_data_fits_spec(data: DataBundle, spec: ModelSpec) -> None:
    shape = tuple(data.train_x.shape[1:])
    wanted = (spec.input.channels, spec.input.height, spec.input.width)
    if shape != wanted:
        raise TrainingError(f"the images are {'×'.join(map(str, shape))} but the spec's input is "
                            f"{'×'.join(map(str, wanted))}", "load the data for this spec")
    if len(data.class_names) != spec.num_classes:
        raise TrainingError(f"the data has {len(data.class_names)} classes but the spec has {spec.num_classes}",
                            f"set classes to {len(data.class_names)} in the spec")


class Trainer:
    """Trains ``spec`` on ``data`` (default: :func:`load_data`), writing a run folder unless ``run_dir=False``.

    ``resume_from`` is a run folder (or a checkpoint file in it): training continues from its last
    checkpoint, in that folder unless ``run_dir`` says otherwise. ``max_steps`` ends the run early.
    ``runs_root`` is where a new run folder is made when ``run_dir`` is None (default: the runs folder).
    """

    def __init__(self, spec: ModelSpec, data: DataBundle | None = None, run_dir=None, device=None,
                 callbacks=(), log_every: int = 10, resume_from=None, max_steps: int | None = None,
                 runs_root=None):
        require_valid_sections(spec)
        t = spec.training_value
        self.spec = spec
        self.device = resolve_device(device if device is not None else t("device"))
        self.data = data if data is not None else load_data(spec, device=self.device)
        _check_data_fits_spec(self.data, spec)
        if self.data.device != self.device and fits_on_device(self.data.nbytes, self.device):
            self.data = self.data.to(self.device)
        self.callbacks = list(callbacks)
        self.log_every = max(1, int(log_every))
        self.max_steps = max_steps
        self._listeners: list = []
        self._stop = threading.Event()
        self._unpaused = threading.Event()
        self._unpaused.set()
        self._stop_reason = "stopped by request"

        self.model = self._build_model(spec).to(self.device)
        self.channels_last = uses_channels_last(spec, self.device)
        if self.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        self._forward = torch.compile(self.model) if t("compile") else self.model
        self.amp_dtype = autocast_dtype(t("precision"), self.device)
        self.scaler = torch.amp.GradScaler("cuda") if self.amp_dtype == torch.float16 else None
        self.optimizer = make_optimizer(self.model, spec, self.device)
        self.batch_size = int(t("batch_size"))
        self.epochs = int(t("epochs"))
        self.steps_per_epoch = math.ceil(self.data.train_x.shape[0] / self.batch_size)
        self.scheduler = LRSchedule(self.optimizer, spec, self.steps_per_epoch, self.epochs)
        self.loss_fn = nn.CrossEntropyLoss(label_smoothing=t("label_smoothing"))
        self.clip_grad = float(t("clip_grad"))
        self.monitor = t("monitor")
        self.patience = int(t("early_stopping"))
        seed = int(t("seed"))
        self.shuffle_gen = torch.Generator().manual_seed(seed)
        self.augment_gen = torch.Generator(device=self.device).manual_seed(seed + 1)
        self.augmenter = Augmenter(spec.data_value("flip"), spec.data_value("crop_padding"),
                                   spec.data_value("jitter"), self.augment_gen)
        mean = torch.tensor(self.data.mean, device=self.device).view(1, -1, 1, 1)
        std = torch.tensor(self.data.std, device=self.device).view(1, -1, 1, 1)
        self._mean, self._std = mean, std
        self._scale, self._shift = 1.0 / (255.0 * std), -mean / std

        self.epoch = 0  # completed epochs
        self.step = 0  # optimiser steps taken
        self.best: dict | None = None
        self.final: dict | None = None
        self._best_value: float | None = None
        self._wait = 0
        self._elapsed = 0.0
        self._images_seen = 0
        self._train_seconds = 0.0
        self._fresh = True
        self._batch = 0  # batches done in the current, unfinished epoch
        self._partial: dict | None = None  # the unfinished epoch's shuffle state and sums, from a checkpoint
        self._saved_step = -1  # the step of the last "last" checkpoint
        self.run_dir: Path | None = None
        self._writer: RunWriter | None = None
        if resume_from is not None:
            resume_dir = run_state.resume(self, resume_from)
            self._fresh = False
            if run_dir is None:
                run_dir = resume_dir
        self._run_dir_arg = run_dir
        self._runs_root = runs_root
        self.ctx = TrainContext(self.model, self.optimizer, spec, self._emit, self.request_stop, data=self.data)

    # ---- control (thread-safe) ----
    def add_listener(self, fn) -> None:
        """Call ``fn(event)`` for every event, on the training thread."""
        self._listeners.append(fn)

    def request_stop(self, reason: str = "stopped by request") -> None:
        self._stop_reason = reason
        self._stop.set()
        self._unpaused.set()

    def pause(self) -> None:
        self._unpaused.clear()

    def resume(self) -> None:
        self._unpaused.set()

    @property
    def paused(self) -> bool:
        return not self._unpaused.is_set()

    # ---- what a distributed trainer changes (see workbench.training.distributed) ----
    def _build_model(self, spec: ModelSpec) -> nn.Module:
        return build_model(spec)

    def _batch_indices(self, perm: torch.Tensor, b: int) -> torch.Tensor:
        """The positions in the training images that step ``b`` of an epoch with permutation ``perm`` trains on."""
        return perm[b * self.batch_size:(b + 1) * self.batch_size]

    def _loss(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.loss_fn(logits.float(), y)

    def _sync_window(self, loss_sum, correct, count: int, bad_step) -> tuple[float, float, int, float]:
        """The logging window's (loss sum, correct, images, first bad step or -1) as numbers: one device sync."""
        loss_sum, correct, bad = torch.stack([loss_sum, correct, bad_step.float()]).tolist()
        return loss_sum, correct, count, bad

    def _sync_epoch(self) -> tuple[float, float, int]:
        """The epoch's (loss sum, correct, images) as numbers."""
        loss_sum, correct = torch.stack([self._epoch_loss, self._epoch_correct]).tolist()
        return loss_sum, correct, self._epoch_count

    def _images_per_s(self) -> float:
        return self._images_seen / max(self._train_seconds, 1e-9)

    def _validate(self) -> dict:
        d = self.data
        return evaluate(self._forward, self.model, d.val_x, d.val_y, self._prepare, self.loss_fn,
                        len(d.class_names), max(self.batch_size, 128), self._autocast)

    # ---- plumbing ----
    def _emit(self, event) -> None:
        if isinstance(event, DiagnosisEvent) and self._writer:
            self._writer.append(FINDINGS_FILE, finding_record(event))
        for fn in list(self._listeners):
            fn(event)

    def _call(self, hook: str) -> None:
        self.ctx.step, self.ctx.epoch, self.ctx.run_dir = self.step, self.epoch, self.run_dir
        for cb in self.callbacks:
            fn = getattr(cb, hook, None)
            if fn is not None:
                fn(self.ctx)

    def _autocast(self):
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    def _fetch(self, images: torch.Tensor) -> torch.Tensor:
        if images.device != self.device:
            images = images.pin_memory().to(self.device, non_blocking=True) if self.device.type == "cuda" else images.to(self.device)
        return images

    def _prepare(self, images: torch.Tensor, augment: bool = False) -> torch.Tensor:
        """uint8 batch -> normalised float input on the device (augmented when training asks for it)."""
        x = self._fetch(images).float()
        if augment and self.augmenter.active:
            x = self.augmenter(x.div_(255.0)).sub_(self._mean).div_(self._std)
        else:
            x = torch.addcmul(self._shift, x, self._scale)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return x

    def _wait_if_paused(self) -> float:
        """Block while paused; return the seconds spent waiting."""
        if self._unpaused.is_set():
            return 0.0
        start = time.perf_counter()
        while not self._unpaused.wait(0.05):
            pass
        return time.perf_counter() - start

    # ---- the run ----
    def run(self) -> RunEnded:
        """Train synchronously until done, stopped, diverged or failed; return how it ended."""
        started = time.perf_counter()
        try:
            if self._fresh:
                torch.manual_seed(int(self.spec.training_value("seed")))  # dropout draws from the global generator
            self._open_run_folder()
            d = self.data
            self._emit(RunStarted(str(self.run_dir) if self.run_dir else None, self.spec.name, str(self.device),
                                  self.epochs, self.steps_per_epoch, int(d.train_x.shape[0]), int(d.val_x.shape[0]),
                                  list(d.class_names), self.epoch, d.report.brief()))
            if self._fresh and self._writer:
                self._save("last")  # epoch 0: a run stopped during its first epoch can resume too
            self._call("on_train_start")
            status, reason = self._train()
        except KeyboardInterrupt:
            status, reason = "stopped", "interrupted"
        except _Diverged as exc:
            status = "diverged"
            reason = (f"the loss became NaN or infinite at step {exc.step}; training stopped, "
                      "the last good checkpoint is kept (try a lower learning rate or gradient clipping)")
        except Exception as exc:  # reported as a failed run, with the traceback kept in the run folder
            status, reason = "failed", f"{type(exc).__name__}: {exc}"
            if self.run_dir is not None:
                (self.run_dir / "error.txt").write_text(traceback.format_exc(), encoding="utf-8")
        self._elapsed += time.perf_counter() - started
        with contextlib.suppress(Exception):
            self._call("on_train_end")
        return self._finish(status, reason)

    def _open_run_folder(self) -> None:
        if self._run_dir_arg is False:
            return
        self.run_dir = Path(self._run_dir_arg) if self._run_dir_arg else new_run_dir(self.spec.name, self._runs_root)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._writer = RunWriter(self.run_dir)
        if self._fresh:
            self._writer.start(self.spec, run_state.run_meta(self))
        else:
            self._writer.take_over(resumed_at_epoch=self.epoch, epochs=self.epochs)
            self._writer.truncate_after(self.step, self.epoch)

    def _train(self) -> tuple[str, str]:
        if self.epoch >= self.epochs:
            return "completed", f"already trained for {self.epochs} epochs"
        for epoch in range(self.epoch + 1, self.epochs + 1):
            finished = self._train_epoch(epoch)
            if not finished and self._stop.is_set():
                if self._writer and self.step != self._saved_step:
                    self._save("last")  # mid-epoch: resuming continues at the next batch
                return "stopped", self._stop_reason
            self._end_epoch(epoch)
            if self._stop.is_set():
                return "stopped", self._stop_reason
            if not finished:
                return "completed", f"reached the step limit ({self.max_steps})"
            if self.patience and self._wait >= self.patience:
                return "completed", f"early stopping: {self._monitored()} did not improve for {self.patience} epochs"
        return "completed", f"trained for {self.epochs} epochs"

    def _train_epoch(self, epoch: int) -> bool:
        """One pass over the training data; False when it ended early (stop request or step limit)."""
        d = self.data
        n = d.train_x.shape[0]
        self._epoch_shuffle_state = self.shuffle_gen.get_state()
        perm = torch.randperm(n, generator=self.shuffle_gen).to(d.train_x.device)
        self.model.train()
        zero = torch.zeros((), device=self.device)
        self._epoch_loss, self._epoch_correct, self._epoch_count = zero.clone(), zero.clone(), 0
        first, partial, self._partial = self._batch, self._partial, None
        if partial is not None:  # resumed in the middle of this epoch
            self._epoch_loss += partial["loss"].to(self.device)
            self._epoch_correct += partial["correct"].to(self.device)
            self._epoch_count = int(partial["count"])
        win_loss, win_correct = zero.clone(), zero.clone()
        bad_step = torch.full((), -1, dtype=torch.long, device=self.device)
        batches = epoch_batches(d.train_x, d.train_y,
                                [self._batch_indices(perm, b) for b in range(first, self.steps_per_epoch)],
                                pin=self.device.type == "cuda")
        try:
            return self._train_batches(epoch, first, batches, win_loss, win_correct, bad_step)
        finally:
            batches.close()

    def _train_batches(self, epoch: int, first: int, batches, win_loss, win_correct, bad_step) -> bool:
        win_count = 0
        win_start = self._epoch_started = time.perf_counter()  # both move on by the time spent paused
        for b in range(first, self.steps_per_epoch):
            self._batch = b
            paused = self._wait_if_paused()
            win_start += paused
            self._epoch_started += paused
            if self._stop.is_set():
                self._train_seconds += time.perf_counter() - self._epoch_started
                return False
            images, labels = next(batches)
            x = self._prepare(images, augment=True)
            y = self._fetch(labels)
            loss, logits = self._step(x, y)
            self.step += 1
            count = y.shape[0]
            loss = loss.detach()
            bad_step = torch.where((bad_step < 0) & ~torch.isfinite(loss), self.step, bad_step)
            batch_loss = loss.float() * count
            batch_correct = (logits.detach().argmax(1) == y).sum()
            win_loss += batch_loss
            win_correct += batch_correct
            win_count += count
            self._epoch_loss += batch_loss
            self._epoch_correct += batch_correct
            self._epoch_count += count
            self._images_seen += count
            if self.callbacks:
                self.ctx.loss, self.ctx.inputs, self.ctx.targets, self.ctx.logits = loss, x, y, logits.detach()
                self._call("on_batch_end")
            last = b == self.steps_per_epoch - 1 or (self.max_steps is not None and self.step >= self.max_steps)
            if self.step % self.log_every == 0 or last:
                loss_sum, correct, count, bad = self._sync_window(win_loss, win_correct, win_count, bad_step)
                if bad >= 0:
                    raise _Diverged(int(bad))
                now = time.perf_counter()
                count = max(count, 1)
                event = StepEvent(self.step, epoch, loss_sum / count, correct / count, self.scheduler.lr,
                                  count / max(now - win_start, 1e-9))
                if self._writer:
                    self._writer.append(STEPS_FILE, event_dict(event))
                self._emit(event)
                win_loss.zero_(), win_correct.zero_()
                win_count, win_start = 0, now
            if self.max_steps is not None and self.step >= self.max_steps:
                self._train_seconds += time.perf_counter() - self._epoch_started
                return False
        self._train_seconds += time.perf_counter() - self._epoch_started
        return True

    def _step(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        with self._autocast():
            logits = self._forward(x)
            loss = self._loss(logits, y)
        self.optimizer.zero_grad(set_to_none=True)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            if self.clip_grad > 0:
                self.scaler.unscale_(self.optimizer)
                nn.utils.clip_grad_norm_(self.model.parameters(), self.clip_grad)
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            loss.backward()
            if self.clip_grad > 0:
                nn.utils.clip_grad_norm_(self.model.parameters(), self.clip_grad)
            self.optimizer.step()
        self.scheduler.advance()
        return loss, logits

    def _end_epoch(self, epoch: int) -> None:
        d = self.data
        loss_sum, correct, count = self._sync_epoch()
        count = max(count, 1)
        val = self._validate()
        if val["loss"] is not None and not math.isfinite(val["loss"]):
            raise _Diverged(self.step)
        self.epoch, self._batch = epoch, 0
        record = {
            "epoch": epoch, "train_loss": loss_sum / count, "train_acc": correct / count,
            "val_loss": val["loss"], "val_acc": val["acc"], "lr": self.scheduler.lr,
            "images_per_s": self._images_per_s(),
            "seconds": time.perf_counter() - self._epoch_started, "step": self.step,
        }
        self.final = record
        improved = self._update_best(record)
        if self._writer:
            self._writer.append(EPOCHS_FILE, record)
            self._writer.write(CONFUSION_FILE, {"classes": list(d.class_names), "epoch": epoch, "matrix": val["confusion"]})
        self.ctx.last_epoch = EpochEvent(**record)
        self._emit(self.ctx.last_epoch)
        self._call("on_epoch_end")
        if self._writer:
            self._save("last")
            if improved:
                self._save("best")

    def _monitored(self) -> str:
        return self.monitor if self.data.val_x.shape[0] else self.monitor.replace("val_", "train_")

    def _update_best(self, record: dict) -> bool:
        key = self._monitored()
        value = record[key]
        better = (self._best_value is None or (value < self._best_value if key.endswith("loss") else value > self._best_value))
        if better:
            self._best_value, self.best, self._wait = value, dict(record), 0
        else:
            self._wait += 1
        return better

    def _save(self, which: str) -> None:
        path = self._writer.checkpoint(which)
        run_state.save(self, path)
        if which == "last":
            self._saved_step = self.step
        self._emit(CheckpointEvent(self.epoch, str(path), which))

    def _finish(self, status: str, reason: str) -> RunEnded:
        self.model.eval()
        ended = RunEnded(status, reason, str(self.run_dir) if self.run_dir else None,
                         dict(self.best) if self.best else None, dict(self.final) if self.final else None)
        if self._writer:
            summary = {
                "status": status, "reason": reason, "best": ended.best, "final": ended.final,
                "monitor": self._monitored(), "device": str(self.device), "epochs": self.epoch, "steps": self.step,
                "duration_s": self._elapsed, "images_per_s": self._images_per_s(),
            }
            self._writer.write(SUMMARY_FILE, summary)
            self._writer.update_meta(status=status)
        self._emit(ended)
        return ended
