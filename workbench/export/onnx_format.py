"""ONNX export (opset 17, dynamic batch) with class names and normalisation in ``metadata_props``,
and reading such a file back with onnxruntime."""

from __future__ import annotations

import json
import math
import stat
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
from workbench.export.errors import ModelFileError, os_reason
from workbench.export.trained import TrainedModel

OPSET = 17
INPUT_NAME = "input"
OUTPUT_NAME = "logits"
_HINT = "give an ONNX file exported by the workbench"
MAX_FILE_BYTES = 1024 * 1024 * 1024  # as a bundle's weights
MAX_CHANNELS = 64
MAX_SIDE = 4096


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
    except (KeyError, ValueError, RecursionError):
        raise ModelFileError(f"the ONNX file has no valid '{key}' metadata", _HINT) from None


def _finite_numbers(value, count: int, what: str, positive: bool = False) -> list[float]:
    ok = isinstance(value, list) and len(value) == count
    ok = ok and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value)
    if not ok or (positive and any(v <= 0 for v in value)):
        raise ModelFileError(f"the ONNX file's {what} metadata must be {count} finite "
                             f"{'positive ' if positive else ''}number(s), got {value!r:.80}", _HINT)
    return [float(v) for v in value]


def _input_shape(meta: dict[str, str], graph_input) -> tuple[int, int, int]:
    """The metadata's input size, bounded and equal to the graph's own input (N×C×H×W with any N)."""
    shape = _meta_json(meta, "input")
    try:
        dims = tuple(shape[k] for k in ("channels", "height", "width"))
    except (KeyError, TypeError):
        dims = ()
    if len(dims) != 3 or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in dims):
        raise ModelFileError("the ONNX file's input metadata must be {channels, height, width} as positive integers", _HINT)
    if dims[0] > MAX_CHANNELS or max(dims[1:]) > MAX_SIDE:
        raise ModelFileError(f"the ONNX file's input size {'×'.join(map(str, dims))} is beyond "
                             f"{MAX_CHANNELS} channels and {MAX_SIDE}×{MAX_SIDE} pixels", _HINT)
    graph = list(graph_input.shape)
    if len(graph) != 4 or tuple(graph[1:]) != dims:
        raise ModelFileError(f"the ONNX file's input metadata {'×'.join(map(str, dims))} does not match its graph's "
                             f"input {graph}", _HINT)
    return dims


def _class_names(meta: dict[str, str], graph_output) -> list[str]:
    names = _meta_json(meta, "class_names")
    if not (isinstance(names, list) and len(names) >= 2 and all(isinstance(n, str) for n in names)):
        raise ModelFileError("the ONNX file's class_names metadata must be a list of two or more texts", _HINT)
    graph = list(graph_output.shape)
    if len(graph) != 2 or graph[1] != len(names):
        raise ModelFileError(f"the ONNX file has {len(names)} class names but its graph's output is {graph}", _HINT)
    return names


def open_onnx(path) -> OnnxModel:
    """Load an ONNX file with onnxruntime; :class:`ModelFileError` when it is not a workbench export.

    The file is size-capped before it is read, and every metadata entry is checked against the graph:
    the input size (bounded), one class name per output, a finite mean and a finite positive std per channel.
    """
    import onnxruntime as ort

    path = Path(path).expanduser()
    try:
        info = path.stat()
    except OSError as exc:
        raise ModelFileError(f"cannot read ONNX file '{path}': {os_reason(exc)}", _HINT) from None
    if not stat.S_ISREG(info.st_mode):
        raise ModelFileError(f"'{path}' is not a regular file", _HINT)
    if info.st_size > MAX_FILE_BYTES:
        raise ModelFileError(f"the ONNX file '{path}' is larger than the {MAX_FILE_BYTES:,} bytes allowed", _HINT)
    try:
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime reports damaged files with its own exception types
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelFileError(f"cannot open ONNX file '{path}': {first_line}", _HINT) from None
    inputs, outputs = session.get_inputs(), session.get_outputs()
    if len(inputs) != 1 or len(outputs) != 1:
        raise ModelFileError(f"the ONNX file has {len(inputs)} inputs and {len(outputs)} outputs, not one of each", _HINT)
    meta = session.get_modelmeta().custom_metadata_map
    input_shape = _input_shape(meta, inputs[0])
    names = _class_names(meta, outputs[0])
    mean = _finite_numbers(_meta_json(meta, "mean"), input_shape[0], "mean")
    std = _finite_numbers(_meta_json(meta, "std"), input_shape[0], "std", positive=True)
    resize = meta.get("resize", "stretch")
    if resize not in RESIZE_MODES:
        raise ModelFileError(f"the ONNX file's resize metadata must be one of {', '.join(RESIZE_MODES)}", _HINT)
    return OnnxModel(path, session, names, input_shape, resize, mean, std)
