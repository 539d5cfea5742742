"""PyTorch exports: an ExportedProgram (``.pt2``, dynamic batch) and a plain state_dict (``.pt``)."""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from torch import nn

from workbench.export.atomic import write_atomic
from workbench.export.trained import TrainedModel


def write_exported_program(trained: TrainedModel, model: nn.Module, path) -> Path:
    """``torch.export.export`` the model with a dynamic batch dimension and save it to ``path`` atomically."""
    example = torch.zeros((2, *trained.input_shape))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.export.export(model, (example,), dynamic_shapes={"x": {0: torch.export.Dim("batch", min=1)}})
    return write_atomic(path, lambda tmp: torch.export.save(program, str(tmp)))


def load_exported_program(path) -> nn.Module:
    """The module of a saved ExportedProgram, ready to call."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.export.load(str(path)).module()


def write_state_dict(trained: TrainedModel, path) -> Path:
    """The plain state_dict (tensors only, readable with ``torch.load(weights_only=True)``) at ``path``."""
    state = {k: v.detach().cpu().contiguous() for k, v in trained.state_dict.items()}
    return write_atomic(path, lambda tmp: torch.save(state, str(tmp)))


def load_state_dict_file(path) -> dict[str, torch.Tensor]:
    """A state_dict file read with ``weights_only=True`` (never unpickles arbitrary objects)."""
    return torch.load(str(path), map_location="cpu", weights_only=True)
