"""Writing a workbench bundle (.wbm): spec, safetensors weights, class names, normalisation, metrics."""

from __future__ import annotations

import datetime
import json
import zipfile
from pathlib import Path

import torch
from safetensors.torch import save as safetensors_bytes

import workbench
from workbench.export import bundle_format as fmt
from workbench.export.atomic import write_atomic
from workbench.export.trained import TrainedModel
from workbench.spec import dumps_spec


def bundle_members(trained: TrainedModel) -> dict[str, bytes]:
    """The bundle's members as bytes, keyed by member name."""
    metadata = {
        "format": fmt.FORMAT_NAME,
        "format_version": fmt.FORMAT_VERSION,
        "workbench_version": workbench.__version__,
        "torch_version": torch.__version__,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "spec_name": trained.spec.name,
        "origin": trained.origin,
        "checkpoint": trained.checkpoint,
    }
    c, h, w = trained.input_shape
    model = {
        "class_names": list(trained.class_names),
        "input": {"channels": c, "height": h, "width": w},
        "resize": trained.resize,
        "normalization": trained.normalization,
    }
    metrics = {key: trained.metrics.get(key) for key in ("epochs", "steps", "summary", "confusion")}
    metrics["epochs"] = metrics["epochs"] or []
    metrics["steps"] = metrics["steps"] or []
    weights = {k: v.detach().cpu().contiguous() for k, v in trained.state_dict.items()}
    return {
        fmt.METADATA: json.dumps(metadata, indent=2).encode(),
        fmt.SPEC: dumps_spec(trained.spec).encode(),
        fmt.MODEL: json.dumps(model, indent=2).encode(),
        fmt.METRICS: json.dumps(metrics).encode(),
        fmt.WEIGHTS: safetensors_bytes(weights, metadata={"format": "pt"}),
    }


def write_bundle(trained: TrainedModel, path) -> Path:
    """Write ``trained`` as a bundle at ``path`` atomically; return the path."""
    members = bundle_members(trained)

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, data in members.items():
                zf.writestr(name, data)

    return write_atomic(path, write)
