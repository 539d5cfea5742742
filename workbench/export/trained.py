"""A trained model as export formats need it: spec, weights, normalisation, class names and metrics.

It comes from a run folder (read-only: checkpoints and records are only read, so a running training is
never disturbed) or from a workbench bundle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from workbench.builder import build_model
from workbench.export.errors import ExportError
from workbench.spec import ModelSpec, SpecError
from workbench.training.errors import TrainingError
from workbench.training.runs import open_run

CHECKPOINTS = ("best", "last")


@dataclass
class TrainedModel:
    """Everything an exported model carries; ``build()`` gives the PyTorch model in eval mode."""

    spec: ModelSpec
    state_dict: dict[str, torch.Tensor]
    mean: list[float]
    std: list[float]
    class_names: list[str]
    metrics: dict = field(default_factory=dict)  # epochs, steps, summary, confusion
    origin: str = ""
    checkpoint: str | None = None

    @property
    def input_shape(self) -> tuple[int, int, int]:
        shape = self.spec.input
        return (shape.channels, shape.height, shape.width)

    @property
    def resize(self) -> str:
        return self.spec.data_value("resize")

    @property
    def normalization(self) -> dict[str, list[float]]:
        return {"mean": list(self.mean), "std": list(self.std)}

    def build(self) -> nn.Module:
        model = build_model(self.spec)
        model.load_state_dict(self.state_dict)
        return model.eval()

    def normalize(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 N×C×H×W images as the model's float input: ``(x/255 - mean) / std``."""
        mean = torch.tensor(self.mean, dtype=torch.float32).view(1, -1, 1, 1)
        std = torch.tensor(self.std, dtype=torch.float32).view(1, -1, 1, 1)
        return (images.float() / 255.0 - mean) / std


def default_checkpoint(run) -> str:
    """``best`` for a finished run, ``last`` while it is still training (or when it has no best)."""
    if run.summary is not None and run.checkpoint_path("best").is_file():
        return "best"
    return "last"


def trained_from_run(path, checkpoint: str | None = None) -> TrainedModel:
    """The trained model of the run folder ``path`` from checkpoint ``best``/``last`` (default: see above)."""
    try:
        run = open_run(path)
        which = checkpoint or default_checkpoint(run)
        if which not in CHECKPOINTS:
            raise ExportError(f"unknown checkpoint '{which}'", "use best or last")
        if not run.checkpoint_path(which).is_file():
            raise ExportError(f"run '{run.name}' has no {which} checkpoint yet", "wait for the first epoch to end")
        model, norm = run.load_model(which)
        spec = run.spec
        mean, std = [float(v) for v in norm["mean"]], [float(v) for v in norm["std"]]
    except (TrainingError, SpecError) as exc:
        raise ExportError(f"cannot read the run: {exc}", "pick a run folder under runs/") from None
    except (RuntimeError, KeyError, TypeError, ValueError) as exc:  # weights or records that do not fit the spec
        raise ExportError(f"the run's {which} checkpoint does not fit its spec: {exc}", "pick another run") from None
    names = run.meta.get("class_names") or spec.class_names
    metrics = {"epochs": run.epochs, "steps": run.steps, "summary": run.summary, "confusion": run.confusion}
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    return TrainedModel(spec, state, mean, std, list(names), metrics, str(Path(path)), which)

