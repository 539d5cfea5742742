"""Exporting a trained model to a file and checking the file right after: reload it, compare outputs.

``export_model(source, format, out)`` takes a run folder (its best checkpoint, or the last one while
it still trains) or a bundle, writes the file atomically, and returns an :class:`ExportReport`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn

from workbench.analysis.formatting import human_bytes
from workbench.export.bundle_read import load_bundle
from workbench.export.bundle_write import write_bundle
from workbench.export.errors import ExportError, ModelFileError
from workbench.export.onnx_format import open_onnx, write_onnx
from workbench.export.python_source import import_source, weights_path, write_python_source
from workbench.export.torch_formats import (
    load_exported_program,
    load_state_dict_file,
    write_exported_program,
    write_state_dict,
)
from workbench.export.trained import TrainedModel, trained_from_run

TOLERANCE = 1e-4
CHECK_BATCH = 3  # differs from the export example batch (2), so the check also proves the dynamic batch


@dataclass(frozen=True)
class ExportFormat:
    """One export format: its key, a label for menus, the file extension, and how to write and reload it."""

    key: str
    label: str
    extension: str
    write: Callable[[TrainedModel, nn.Module, Path], Path]
    reload: Callable[[Path, TrainedModel], Callable[[torch.Tensor], np.ndarray]]


def _numpy(fn: Callable[[torch.Tensor], torch.Tensor]) -> Callable[[torch.Tensor], np.ndarray]:
    def run(x: torch.Tensor) -> np.ndarray:
        with torch.no_grad():
            return fn(x).detach().numpy()

    return run


def _reload_state_dict(path: Path, trained: TrainedModel) -> Callable:
    return _numpy(replace(trained, state_dict=load_state_dict_file(path)).build())


def _reload_onnx(path: Path, trained: TrainedModel) -> Callable:
    return lambda x: open_onnx(path).logits(x.numpy())


def _reload_python(path: Path, trained: TrainedModel) -> Callable:
    return _numpy(import_source(path).load_model())


FORMATS: dict[str, ExportFormat] = {
    f.key: f
    for f in (
        ExportFormat(
            "wbm", "Workbench bundle (.wbm)", ".wbm",
            lambda t, m, p: write_bundle(t, p),
            lambda p, t: _numpy(load_bundle(p).model),
        ),
        ExportFormat("onnx", "ONNX (.onnx)", ".onnx", write_onnx, _reload_onnx),
        ExportFormat(
            "pt2", "PyTorch ExportedProgram (.pt2)", ".pt2",
            write_exported_program,
            lambda p, t: _numpy(load_exported_program(p)),
        ),
        ExportFormat(
            "pt", "PyTorch state_dict (.pt)", ".pt",
            lambda t, m, p: write_state_dict(t, p),
            _reload_state_dict,
        ),
        ExportFormat("python", "Python source (model.py + weights)", ".py", write_python_source, _reload_python),
    )
}


@dataclass
class ExportReport:
    """What an export wrote and how its check went."""

    path: Path
    format: str
    size: int
    max_abs_diff: float | None
    ok: bool
    message: str
    files: list[Path] = field(default_factory=list)
    checkpoint: str | None = None

    def text(self) -> str:
        diff = "n/a" if self.max_abs_diff is None else f"{self.max_abs_diff:.2e}"
        verdict = "check passed" if self.ok else "CHECK FAILED"
        lines = [f"{verdict}: {self.message}", f"format: {FORMATS[self.format].label}"]
        lines += [f"file: {f} ({human_bytes(f.stat().st_size)})" for f in self.files if f.exists()]
        lines.append(f"max abs difference to PyTorch: {diff} (tolerance {TOLERANCE:g})")
        if self.checkpoint:
            lines.append(f"checkpoint: {self.checkpoint}")
        return "\n".join(lines)


def load_trained(path, checkpoint: str | None = None) -> TrainedModel:
    """A trained model from a run folder or a ``.wbm`` bundle; :class:`ModelFileError` when unreadable."""
    path = Path(path).expanduser()
    if path.is_dir():
        return trained_from_run(path, checkpoint)
    if path.is_file():
        return load_bundle(path).trained
    raise ExportError(f"'{path}' does not exist", "give a run folder or a .wbm bundle")


def default_export_path(name: str, fmt: str, folder=None) -> Path:
    """``<folder>/<name><extension>`` (folder: the current one); ``model.py`` for Python source."""
    folder = Path(folder) if folder is not None else Path.cwd()
    if fmt == "python":
        return folder / "model.py"
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in name).strip("-.") or "model"
    return folder / f"{safe}{FORMATS[fmt].extension}"


def check_inputs(trained: TrainedModel, batch: int = CHECK_BATCH) -> torch.Tensor:
    """A fixed batch of random uint8 images, normalised as the model expects."""
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (batch, *trained.input_shape), generator=generator, dtype=torch.uint8)
    return trained.normalize(images)


def _check(fmt: ExportFormat, path: Path, trained: TrainedModel, model: nn.Module) -> tuple[float | None, bool, str]:
    x = check_inputs(trained)
    with torch.no_grad():
        expected = model(x).numpy()
    try:
        got = np.asarray(fmt.reload(path, trained)(x))
    except Exception as exc:  # the file just written cannot be used: tell the user, keep the file for inspection
        return None, False, f"the exported file could not be reloaded: {exc}"
    if got.shape != expected.shape:
        return None, False, f"the reloaded model gives shape {got.shape}, expected {expected.shape}"
    diff = float(np.abs(got - expected).max())
    if not diff <= TOLERANCE:
        return diff, False, f"reloaded outputs differ from PyTorch by {diff:.2e} (more than {TOLERANCE:g})"
    return diff, True, f"reloaded {path.name} and matched PyTorch on {x.shape[0]} images"


def export_model(source, fmt: str, out=None, checkpoint: str | None = None) -> ExportReport:
    """Export ``source`` (a run folder, a bundle, or a :class:`TrainedModel`) as ``fmt`` to ``out``, then check it.

    ``out`` is a file, or a folder to write ``<spec name><extension>`` (``model.py``) into; default: the current folder.

    Raises :class:`ExportError` (or :class:`BundleError` for a damaged source bundle) when nothing could be written.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format '{fmt}'", f"use one of {', '.join(FORMATS)}")
    trained = source if isinstance(source, TrainedModel) else load_trained(source, checkpoint)
    spec_format = FORMATS[fmt]
    path = Path(out).expanduser() if out is not None else Path.cwd()
    if path.is_dir():
        path = default_export_path(trained.spec.name, fmt, path)
    model = trained.build()
    try:
        path = spec_format.write(trained, model, path)
    except ModelFileError:
        raise
    except Exception as exc:  # the exporter itself failed (an operator it cannot translate, say)
        raise ExportError(f"the {spec_format.label} exporter failed: {exc}", "try another format") from None
    files = [path, weights_path(path)] if fmt == "python" else [path]
    diff, ok, message = _check(spec_format, path, trained, model)
    size = sum(os.path.getsize(f) for f in files)
    return ExportReport(path, fmt, size, diff, ok, message, files, trained.checkpoint)
