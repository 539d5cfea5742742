"""Training on several processes with DistributedDataParallel, one process per GPU (or per CPU share).

Every rank holds the whole data set and draws the same permutation each epoch; step ``b`` trains on the
global batch ``perm[b*B:(b+1)*B]`` (``B`` = the spec's batch size), of which each rank takes one contiguous
share. Each rank's loss is the sum over its share scaled by ``ranks / global batch``, so the averaged gradient
is exactly that of the global batch on one process. Metrics are summed over the ranks where the single-process
trainer reads them (every ``log_every`` steps and at the end of an epoch), validation is split between the
ranks, and only rank 0 writes the run folder, checkpoints and events. A stop request on any rank is agreed at
those same points, so every rank stops after the same step.
"""

from __future__ import annotations

import os

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from workbench.data.disk_images import rows_view
from workbench.spec.model import ModelSpec
from workbench.training.errors import TrainingError
from workbench.training.evaluate import evaluate
from workbench.training.trainer import Trainer


def world() -> tuple[int, int, int]:
    """(rank, world size, local rank) from the variables torchrun sets; (0, 1, 0) outside torchrun."""
    env = os.environ
    return int(env.get("RANK", 0)), int(env.get("WORLD_SIZE", 1)), int(env.get("LOCAL_RANK", 0))


def local_world_size() -> int:
    """The processes of this run on this machine (``LOCAL_WORLD_SIZE``, set by torchrun); 1 outside torchrun."""
    return int(os.environ.get("LOCAL_WORLD_SIZE", 1))


def rank_device(device: torch.device) -> torch.device:
    """This process's device: ``cuda:LOCAL_RANK`` for a CUDA run, else ``device``."""
    if device.type == "cuda":
        return torch.device("cuda", world()[2])
    return device


def backend_for(device: torch.device) -> str:
    return "nccl" if device.type == "cuda" else "gloo"


def uses_sync_batchnorm(spec: ModelSpec, processes: int, device: torch.device) -> bool:
    """Whether batch norm becomes SyncBatchNorm: several processes on GPUs and ``training.sync_batchnorm``
    (PyTorch's SyncBatchNorm runs on GPUs only; processes on the CPU keep their own batch statistics)."""
    return processes > 1 and device.type == "cuda" and bool(spec.training_value("sync_batchnorm"))


def per_rank_batch(batch_size: int, processes: int) -> int:
    """The images each process trains per step; :class:`TrainingError` when the batch does not divide."""
    if batch_size % processes:
        lower = batch_size - batch_size % processes
        raise TrainingError(
            f"the batch size {batch_size} does not divide among {processes} processes",
            f"use a multiple of {processes}, e.g. {max(lower, processes)} or {lower + processes}")
    return batch_size // processes


class DistributedTrainer(Trainer):
    """A :class:`Trainer` for one rank of a process group that torchrun started (see the module docstring).

    Batch norm becomes SyncBatchNorm per :func:`uses_sync_batchnorm`. Only rank 0 writes ``run_dir``.
    """

    def __init__(self, spec: ModelSpec, data=None, run_dir=None, device=None, **kwargs):
        if not dist.is_initialized():
            raise TrainingError("the process group is not initialised", "start the run with train --nproc N")
        self.rank, self.world_size = dist.get_rank(), dist.get_world_size()
        per_rank_batch(int(spec.training_value("batch_size")), self.world_size)
        self._local_stop = False
        super().__init__(spec, data, run_dir=run_dir if self.rank == 0 else False, device=device, **kwargs)
        ids = [self.device.index] if self.device.type == "cuda" else None
        self._ddp = DistributedDataParallel(self.model, device_ids=ids)
        self._forward = torch.compile(self._ddp) if spec.training_value("compile") else self._ddp
        self._loss_sum = nn.CrossEntropyLoss(label_smoothing=spec.training_value("label_smoothing"), reduction="sum")

    def _build_model(self, spec: ModelSpec) -> nn.Module:
        model = super()._build_model(spec)
        if uses_sync_batchnorm(spec, self.world_size, self.device):
            model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
        return model

    # ---- stop requests: agreed by all ranks at the sync points ----
    def request_stop(self, reason: str = "stopped by request") -> None:
        self._stop_reason = reason
        self._local_stop = True
        self._unpaused.set()

    def _agree_stop(self, flag: torch.Tensor) -> None:
        if flag.item() > 0:
            self._stop.set()

    # ---- the global batch, split between the ranks ----
    def _batch_indices(self, perm: torch.Tensor, b: int) -> torch.Tensor:
        return super()._batch_indices(perm, b).tensor_split(self.world_size)[self.rank]

    def _train_batches(self, epoch, first, batches, win_loss, win_correct, bad_step) -> bool:
        n = self.data.train_x.shape[0]
        self._global_sizes = iter([min(self.batch_size, n - b * self.batch_size)
                                   for b in range(first, self.steps_per_epoch)])
        return super()._train_batches(epoch, first, batches, win_loss, win_correct, bad_step)

    def _loss(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self._loss_sum(logits.float(), y) * (self.world_size / next(self._global_sizes))

    # ---- metrics summed over the ranks ----
    def _all_reduce(self, values: list, maximum: list) -> tuple[list[float], list[float]]:
        device = self.device if backend_for(self.device) == "nccl" else torch.device("cpu")
        summed = torch.stack([torch.as_tensor(v, dtype=torch.float64, device=device) for v in values])
        top = torch.stack([torch.as_tensor(v, dtype=torch.float64, device=device) for v in maximum])
        dist.all_reduce(summed)
        dist.all_reduce(top, op=dist.ReduceOp.MAX)
        self._agree_stop(top[-1])
        return summed.tolist(), top.tolist()

    def _sync_window(self, loss_sum, correct, count, bad_step):
        (loss_sum, correct, count), (bad, _stop) = self._all_reduce(
            [loss_sum.detach(), correct.detach(), count], [bad_step.detach(), float(self._local_stop)])
        return loss_sum, correct, int(count), bad

    def _sync_epoch(self):
        (loss_sum, correct, count), _ = self._all_reduce(
            [self._epoch_loss, self._epoch_correct, self._epoch_count], [float(self._local_stop)])
        return loss_sum, correct, int(count)

    def _images_per_s(self) -> float:
        return super()._images_per_s() * self.world_size

    def _validate(self) -> dict:
        """Each rank evaluates every ``world``-th validation image with its own copy of the model; the sums
        are added up (the wrapped model is not used: evaluation must not wait for the other ranks)."""
        d = self.data
        n = d.val_x.shape[0]
        mine = slice(self.rank, None, self.world_size)
        images, labels = rows_view(d.val_x, mine), d.val_y[mine]  # views: nothing is read or copied here
        classes = len(d.class_names)
        part = evaluate(self.model, self.model, images, labels, self._prepare, self.loss_fn, classes,
                        max(self.batch_size, 128), self._autocast)
        loss = (part["loss"] or 0.0) * labels.shape[0]
        flat = [v for row in part["confusion"] for v in row]
        (total_loss, *confusion), _ = self._all_reduce([loss, *flat], [float(self._local_stop)])
        if n == 0:
            return {"loss": None, "acc": None, "confusion": part["confusion"]}
        matrix = [[int(round(confusion[i * classes + j])) for j in range(classes)] for i in range(classes)]
        return {"loss": total_loss / n, "acc": sum(matrix[i][i] for i in range(classes)) / n, "confusion": matrix}

    def _open_run_folder(self) -> None:
        super()._open_run_folder()
        if self._writer is not None:
            self._writer.update_meta(processes=self.world_size, backend=dist.get_backend())
