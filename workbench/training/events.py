"""What a training run reports while it runs; every field is a plain Python value, never a tensor."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class RunStarted:
    run_dir: str | None
    spec_name: str
    device: str
    total_epochs: int
    steps_per_epoch: int
    train_images: int
    val_images: int
    class_names: list[str] = field(default_factory=list)
    start_epoch: int = 0
    data: str = ""  # what loading the data did (decode cache, placement, files left out), see DataReport.brief


@dataclass
class StepEvent:
    """Training metrics averaged over the steps since the previous StepEvent."""

    step: int
    epoch: int
    loss: float
    acc: float
    lr: float
    images_per_s: float


@dataclass
class EpochEvent:
    """One finished epoch; validation metrics are None when there is no validation data."""

    epoch: int
    train_loss: float
    train_acc: float
    val_loss: float | None
    val_acc: float | None
    lr: float
    images_per_s: float
    seconds: float
    step: int


@dataclass
class CheckpointEvent:
    epoch: int
    path: str
    kind: str  # "last" or "best"


@dataclass
class DiagnosisEvent:
    step: int
    finding: Any


@dataclass
class RunEnded:
    """How a run finished: status is "completed", "stopped", "diverged" or "failed"."""

    status: str
    reason: str
    run_dir: str | None
    best: dict | None = None
    final: dict | None = None


def event_dict(event) -> dict:
    """A JSON-ready dict of an event's fields."""
    return asdict(event)


def finding_record(event: DiagnosisEvent) -> dict:
    """A JSON-ready record of a diagnosis: its step and the finding's fields (numbers as plain values)."""
    finding = event.finding
    fields = finding.to_dict() if hasattr(finding, "to_dict") else {"title": str(finding)}
    return json.loads(json.dumps({"step": event.step, **fields}, default=str))
