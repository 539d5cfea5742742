"""What a trainer writes into checkpoints and run metadata, and how it restores itself from them."""

from __future__ import annotations

import time
from pathlib import Path

import torch

from workbench.training.checkpoint import CHECKPOINT_FORMAT, load_checkpoint, save_checkpoint
from workbench.training.errors import TrainingError
from workbench.training.runs import CHECKPOINTS, refuse_if_running


def run_meta(trainer) -> dict:
    """The ``run.json`` contents for a fresh run."""
    d, spec = trainer.data, trainer.spec
    return {
        "spec_name": spec.name,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "device": str(trainer.device),
        "class_names": list(d.class_names),
        "input": spec.input.to_dict(),
        "normalization": d.normalization(),
        "data": d.report.summary(),
        "train_images": int(d.train_x.shape[0]),
        "val_images": int(d.val_x.shape[0]),
        "epochs": trainer.epochs,
        "batch_size": trainer.batch_size,
        "steps_per_epoch": trainer.steps_per_epoch,
        "precision": str(trainer.amp_dtype).replace("torch.", "") if trainer.amp_dtype else "fp32",
        "channels_last": trainer.channels_last,
        "status": "running",
    }


def _rng_states(trainer) -> dict:
    states = {
        "shuffle": trainer.shuffle_gen.get_state(),
        "augment": trainer.augment_gen.get_state(),
        "torch": torch.get_rng_state(),
    }
    if trainer.device.type == "cuda":
        states["cuda"] = torch.cuda.get_rng_state(trainer.device)
    return states


def save(trainer, path) -> None:
    """Write everything needed to continue training exactly: weights, optimiser, schedule, RNGs, progress."""
    state = {
        "format": CHECKPOINT_FORMAT,
        "spec_name": trainer.spec.name,
        "epoch": trainer.epoch,
        "step": trainer.step,
        "model": trainer.model.state_dict(),
        "optimizer": trainer.optimizer.state_dict(),
        "scheduler": trainer.scheduler.state_dict(),
        "rng": _rng_states(trainer),
        "best": trainer.best,
        "best_value": trainer._best_value,
        "wait": trainer._wait,
        "final": trainer.final,
        "elapsed_s": trainer._elapsed,
        "class_names": list(trainer.data.class_names),
        "normalization": trainer.data.normalization(),
    }
    if trainer.scaler is not None:
        state["scaler"] = trainer.scaler.state_dict()
    if trainer._batch:  # stopped inside an epoch: what resuming needs to finish it exactly
        state["batch"] = trainer._batch
        state["partial"] = {
            "shuffle": trainer._epoch_shuffle_state,
            "loss": trainer._epoch_loss.detach().cpu(),
            "correct": trainer._epoch_correct.detach().cpu(),
            "count": trainer._epoch_count,
        }
    save_checkpoint(path, state)


def _checkpoint_file(resume_from) -> tuple[Path, Path]:
    path = Path(resume_from)
    if path.is_dir():
        return path / CHECKPOINTS / "last.pt", path
    return path, path.parent.parent if path.parent.name == CHECKPOINTS else path.parent


def resume(trainer, resume_from) -> Path:
    """Restore ``trainer`` from the last checkpoint of run folder ``resume_from``; return the run folder."""
    file, run_dir = _checkpoint_file(resume_from)
    refuse_if_running(run_dir)
    state = load_checkpoint(file)
    try:
        trainer.model.load_state_dict(state["model"])
        trainer.optimizer.load_state_dict(state["optimizer"])
    except (RuntimeError, ValueError, KeyError) as exc:
        raise TrainingError(f"the checkpoint '{file}' does not match this spec: {exc}",
                            "resume with the spec.yaml saved in the run folder") from None
    trainer.scheduler.load_state_dict(state["scheduler"])
    if trainer.scaler is not None and "scaler" in state:
        trainer.scaler.load_state_dict(state["scaler"])
    rng = state["rng"]
    trainer.shuffle_gen.set_state(rng["shuffle"])
    trainer.augment_gen.set_state(rng["augment"])
    torch.set_rng_state(rng["torch"])
    if trainer.device.type == "cuda" and "cuda" in rng:
        torch.cuda.set_rng_state(rng["cuda"], trainer.device)
    trainer.epoch, trainer.step = int(state["epoch"]), int(state["step"])
    trainer.best, trainer.final = state.get("best"), state.get("final")
    trainer._best_value, trainer._wait = state.get("best_value"), int(state.get("wait", 0))
    trainer._elapsed = float(state.get("elapsed_s", 0.0))
    trainer._saved_step = trainer.step
    partial = state.get("partial")
    if state.get("batch") and isinstance(partial, dict):
        trainer._batch, trainer._partial = int(state["batch"]), partial
        trainer.shuffle_gen.set_state(partial["shuffle"])  # the unfinished epoch's order is drawn again
    return run_dir
