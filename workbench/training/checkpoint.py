"""Checkpoint files: written atomically, read back with ``torch.load(weights_only=True)``."""

from __future__ import annotations

from pathlib import Path

import torch

from workbench.atomic_write import replace_atomically
from workbench.training.errors import TrainingError

CHECKPOINT_FORMAT = 1


def save_checkpoint(path, state: dict) -> None:
    """Write ``state`` (tensors, numbers, strings, lists, dicts) to ``path`` through a temporary file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_atomically(path, lambda tmp: torch.save(state, tmp))


def load_checkpoint(path) -> dict:
    """The checkpoint at ``path`` with every tensor on the CPU; :class:`TrainingError` when unreadable."""
    path = Path(path)
    if not path.is_file():
        raise TrainingError(f"no checkpoint at '{path}'", "train the run first, or pick another run")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a damaged or foreign file: report it, never unpickle arbitrary objects
        raise TrainingError(f"cannot read checkpoint '{path}': {exc}", "the file is damaged; use the other checkpoint") from None
    if not isinstance(state, dict) or "model" not in state:
        raise TrainingError(f"'{path}' is not a workbench checkpoint", "pick a checkpoint from a run folder")
    return state
