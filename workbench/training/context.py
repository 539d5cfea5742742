"""The view of a running training that callbacks receive."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from workbench.spec.model import ModelSpec
from workbench.training.events import EpochEvent


@dataclass
class TrainContext:
    """State handed to callbacks. ``loss``, ``logits``, ``inputs`` and ``targets`` stay on the device: a
    callback reads them (and pays for the device sync) only when it needs to. ``data`` is the run's
    data bundle (read-only: the doctor's trial runs train on it)."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    spec: ModelSpec
    emit: Callable[[Any], None]
    request_stop: Callable[[str], None]
    step: int = 0
    epoch: int = 0
    loss: torch.Tensor | None = None
    inputs: torch.Tensor | None = None
    targets: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    data: Any = None
    last_epoch: EpochEvent | None = None  # the latest finished epoch, with its validation metrics
    run_dir: Path | None = None  # the run folder, None when the run writes none
