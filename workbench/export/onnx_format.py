"""ONNX export (opset 17, dynamic batch) with class names and normalisation in ``metadata_props``,
and reading such a file back with onnxruntime."""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn

import workbench
from workbench.data.folder import RESIZE_MODES
from workbench.export.atomic import write_atomic
from workbench.export.errors import ModelFileError
from workbench.export.trained import TrainedModel

OPSET = 17
INPUT_NAME = "input"
OUTPUT_NAME = "logits"
_HINT = "give an ONNX file exported by the workbench"


def onnx_metadata(trained: TrainedModel) -> dict[str, str]:
    """The ``metadata_props`` entries (all strings; lists as JSON)."""
    c, h, w = trained.input_shape
    return {
        "workbench_version": workbench.__version__,
        "spec_name": trained.spec.name,
        "class_names": json.dumps(trained.class_names),
        "input": json.dumps({"channels": c, "height": h, "width": w}),
        "resize": trained.resize,
        "mean": json.dumps(trained.mean),
        "std": json.dumps(trained.std),
        "input_range": "normalised: (pixel/255 - mean) / std, N×C×H×W float32",
    }


def write_onnx(trained: TrainedModel, model: nn.Module, path) -> Path:
    """Export ``model`` to ONNX at ``path`` atomically (TorchScript-based exporter: fast and offline)."""
    example = torch.zeros((2, *trained.input_shape))

    def write(tmp: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model,
                (example,),
                str(tmp),
                dynamo=False,
                opset_version=OPSET,
                input_names=[INPUT_NAME],
                output_names=[OUTPUT_NAME],
                dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}},
            )
        proto = onnx.load(str(tmp))
        for key, value in onnx_metadata(trained).items():
            entry = proto.metadata_props.add()
            entry.key, entry.value = key, value
        onnx.save(proto, str(tmp))

    return write_atomic(path, write)


@dataclass
class OnnxModel:
    """An ONNX classifier with the workbench metadata it needs for prediction."""

    path: Path
    session: object
    class_names: list[str]
    input_shape: tuple[int, int, int]
    resize: str
    mean: list[float]
    std: list[float]

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Logits for a normalised float32 N×C×H×W batch."""
        return self.session.run(None, {self.session.get_inputs()[0].name: x.astype(np.float32)})[0]


def _meta_json(meta: dict[str, str], key: str):
    try:
        return json.loads(meta[key])
    except (KeyError, ValueError):
        raise ModelFileError(f"the ONNX file has no valid '{key}' metadata", _HINT) from None


def open_onnx(path) -> OnnxModel:
    """Load an ONNX file with onnxruntime; :class:`ModelFileError` when it is not a workbench export."""
    import onnxruntime as ort

    path = Path(path).expanduser()
    try:
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime reports damaged files with its own exception types
        raise ModelFileError(f"cannot open ONNX file '{path}': {exc}", _HINT) from None
    meta = session.get_modelmeta().custom_metadata_map
    names = _meta_json(meta, "class_names")
    shape = _meta_json(meta, "input")
    mean, std = _meta_json(meta, "mean"), _meta_json(meta, "std")
    resize = meta.get("resize", "stretch")
    try:
        input_shape = (int(shape["channels"]), int(shape["height"]), int(shape["width"]))
        ok = isinstance(names, list) and len(mean) == len(std) == input_shape[0] and resize in RESIZE_MODES
        mean, std = [float(v) for v in mean], [float(v) for v in std]
    except (KeyError, TypeError, ValueError):
        ok = False
    if not ok:
        raise ModelFileError(f"the ONNX file '{path}' has inconsistent workbench metadata", _HINT)
    return OnnxModel(path, session, [str(n) for n in names], input_shape, resize, mean, std)
