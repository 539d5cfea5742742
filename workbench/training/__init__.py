"""Training: the trainer, its events and callbacks context, checkpoints and run folders."""

from workbench.training.context import TrainContext
from workbench.training.errors import TrainingError
from workbench.training.events import CheckpointEvent, DiagnosisEvent, EpochEvent, RunEnded, RunStarted, StepEvent
from workbench.training.runs import RunRecord, list_runs, open_run
from workbench.training.trainer import Trainer

__all__ = [
    "CheckpointEvent",
    "DiagnosisEvent",
    "EpochEvent",
    "RunEnded",
    "RunRecord",
    "RunStarted",
    "StepEvent",
    "TrainContext",
    "Trainer",
    "TrainingError",
    "list_runs",
    "open_run",
]
