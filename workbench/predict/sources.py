"""Model sources for prediction: a run folder, a workbench bundle (.wbm) or an ONNX file, behind one interface."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from workbench.export.bundle_read import load_bundle
from workbench.export.errors import ModelFileError
from workbench.export.onnx_format import open_onnx
from workbench.export.trained import TrainedModel, trained_from_run

ZIP_MAGIC = b"PK\x03\x04"
# Export formats that carry the network alone (and a .pt2 file is unpickled when loaded: never for a user's file).
WEIGHTS_ONLY = {".pt": "PyTorch state_dict (weights only)", ".pt2": "PyTorch ExportedProgram",
                ".py": "Python source export"}


@dataclass
class Predictor:
    """A loaded classifier with what it needs to see images as training did."""

    path: Path
    kind: str  # "run", "bundle" or "onnx"
    name: str
    class_names: list[str]
    input_shape: tuple[int, int, int]
    resize: str
    mean: list[float]
    std: list[float]
    logits: Callable[[torch.Tensor], np.ndarray]  # normalised float N×C×H×W -> N×classes

    def probabilities(self, images: torch.Tensor) -> np.ndarray:
        """Class probabilities (N×classes, float64) for uint8 N×C×H×W images."""
        mean = torch.tensor(self.mean, dtype=torch.float32).view(1, -1, 1, 1)
        std = torch.tensor(self.std, dtype=torch.float32).view(1, -1, 1, 1)
        logits = np.asarray(self.logits((images.float() / 255.0 - mean) / std), dtype=np.float64)
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)


def _torch_predictor(trained: TrainedModel, path: Path, kind: str) -> Predictor:
    model = trained.build()

    def logits(x: torch.Tensor) -> np.ndarray:
        with torch.no_grad():
            return model(x).numpy()

    return Predictor(path, kind, trained.spec.name, trained.class_names, trained.input_shape, trained.resize,
                     trained.mean, trained.std, logits)


def load_predictor(path, checkpoint: str | None = None) -> Predictor:
    """The classifier at ``path``: a run folder, a ``.wbm`` bundle or an ``.onnx`` file.

    Raises :class:`ModelFileError` when it cannot be used.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        return _torch_predictor(trained_from_run(path, checkpoint), path, "run")
    if not path.is_file():
        what = "is not a regular file" if path.exists() else "does not exist"
        raise ModelFileError(f"'{path}' {what}", "give a run folder, a .wbm bundle or an .onnx file")
    if path.suffix.lower() in WEIGHTS_ONLY:
        raise ModelFileError(f"'{path.name}' is a {WEIGHTS_ONLY[path.suffix.lower()]}: it has no class names or "
                             "normalisation, so predict cannot use it",
                             "predict with the run folder, or export a .wbm bundle or an .onnx file from it")
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head == ZIP_MAGIC or path.suffix.lower() == ".wbm":
        return _torch_predictor(load_bundle(path).trained, path, "bundle")
    if path.suffix.lower() == ".onnx":
        onnx = open_onnx(path)
        return Predictor(path, "onnx", path.stem, onnx.class_names, onnx.input_shape, onnx.resize,
                         onnx.mean, onnx.std, lambda x: onnx.logits(x.numpy()))
    raise ModelFileError(f"'{path.name}' is neither a workbench bundle nor an ONNX file",
                         "give a run folder, a .wbm bundle or an .onnx file")
