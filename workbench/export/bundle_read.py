"""Opening a workbench bundle (.wbm) safely: every member is size-limited and checked before use.

Nothing is ever unpickled: weights are safetensors, everything else is JSON or YAML read with the safe
loader. Any damage (bad zip, missing or oversized member, unsafe name, wrong shapes, bad YAML) raises
:class:`BundleError` with a message saying what is wrong.
"""

from __future__ import annotations

import json
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import torch
from safetensors.torch import load as safetensors_load
from torch import nn

from workbench.analysis import analyze
from workbench.builder import build_model
from workbench.check import require_valid_sections
from workbench.data.folder import RESIZE_MODES
from workbench.export import bundle_format as fmt
from workbench.export.errors import BundleError
from workbench.export.trained import TrainedModel
from workbench.spec import ModelSpec, SpecError, loads_spec

_HINT = "the file is damaged or was changed; export the model again"
REQUIRED = (fmt.METADATA, fmt.SPEC, fmt.WEIGHTS, fmt.MODEL, fmt.METRICS)


@dataclass
class Bundle:
    """An opened bundle: the rebuilt model, its spec for the editor, and the run's curves."""

    path: Path
    trained: TrainedModel
    model: nn.Module
    metadata: dict

    @property
    def spec(self) -> ModelSpec:
        return self.trained.spec

    @property
    def class_names(self) -> list[str]:
        return self.trained.class_names

    @property
    def normalization(self) -> dict[str, list[float]]:
        return self.trained.normalization

    @property
    def epochs(self) -> list[dict]:
        return self.trained.metrics["epochs"]

    @property
    def steps(self) -> list[dict]:
        return self.trained.metrics["steps"]

    @property
    def summary(self) -> dict | None:
        return self.trained.metrics["summary"]

    @property
    def confusion(self) -> dict | None:
        return self.trained.metrics["confusion"]


def _check_name(name: str) -> None:
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if not name or name.startswith(("/", "\\")) or ".." in parts or ":" in name or len(parts) != 1:
        raise BundleError(f"unsafe member name '{name}' in the bundle", _HINT)


def read_members(path: Path) -> dict[str, bytes]:
    """The required members' bytes, after checking names, count and sizes; refuses anything else."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > fmt.MAX_MEMBERS:
                raise BundleError(f"the bundle has {len(infos)} members, at most {fmt.MAX_MEMBERS} expected", _HINT)
            by_name: dict[str, zipfile.ZipInfo] = {}
            for info in infos:
                _check_name(info.filename)
                if info.filename in by_name:
                    raise BundleError(f"member '{info.filename}' appears twice in the bundle", _HINT)
                by_name[info.filename] = info
            members = {}
            for name in REQUIRED:
                info = by_name.get(name)
                if info is None:
                    raise BundleError(f"the bundle has no '{name}'", _HINT)
                members[name] = _read_limited(zf, info, fmt.MEMBER_LIMITS[name])
            return members
    except BundleError:
        raise
    except FileNotFoundError:
        raise BundleError(f"'{path}' does not exist", "check the path") from None
    except zipfile.BadZipFile as exc:
        raise BundleError(f"'{path}' is not a workbench bundle ({exc})", _HINT) from None
    except Exception as exc:  # any other fault of the zip reader on damaged bytes
        raise BundleError(f"'{path}' is damaged: {exc or type(exc).__name__}", _HINT) from None


def _read_limited(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    too_big = BundleError(f"member '{info.filename}' is larger than the {limit:,} bytes allowed", _HINT)
    if info.file_size > limit:
        raise too_big
    with zf.open(info) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise too_big
    return data


def _json(members: dict[str, bytes], name: str) -> dict:
    try:
        value = json.loads(members[name].decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise BundleError(f"'{name}' in the bundle is not valid JSON: {exc}", _HINT) from None
    if not isinstance(value, dict):
        raise BundleError(f"'{name}' in the bundle is not a JSON object", _HINT)
    return value


def _metadata(members: dict[str, bytes]) -> dict:
    meta = _json(members, fmt.METADATA)
    if meta.get("format") != fmt.FORMAT_NAME:
        raise BundleError("the file is a zip but not a workbench bundle", "open a .wbm file exported by the workbench")
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise BundleError("the bundle has no valid format version", _HINT)
    if version > fmt.FORMAT_VERSION:
        raise BundleError(
            f"the bundle has format version {version}, newer than this workbench reads", "update the workbench"
        )
    return meta


def _spec(members: dict[str, bytes]) -> ModelSpec:
    try:
        spec = loads_spec(members[fmt.SPEC].decode("utf-8"), fmt.SPEC)
        require_valid_sections(spec)
    except UnicodeDecodeError:
        raise BundleError(f"'{fmt.SPEC}' in the bundle is not text", _HINT) from None
    except SpecError as exc:
        more = f" (and {len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
        raise BundleError(f"the spec in the bundle is invalid: {exc.problems[0].format()}{more}", _HINT) from None
    analysis = analyze(spec)
    if not analysis.ok:
        raise BundleError(f"the spec in the bundle has errors: {analysis.problems[0].format()}", _HINT)
    return spec


def _numbers(value, count: int, what: str, positive: bool = False) -> list[float]:
    ok = isinstance(value, list) and len(value) == count
    ok = ok and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value)
    if not ok or (positive and any(v <= 0 for v in value)):
        raise BundleError(f"the bundle's {what} must be {count} {'positive ' if positive else ''}numbers", _HINT)
    return [float(v) for v in value]


def _model_info(members: dict[str, bytes], spec: ModelSpec) -> tuple[list[str], list[float], list[float]]:
    info = _json(members, fmt.MODEL)
    names = info.get("class_names")
    if not (isinstance(names, list) and len(names) == spec.num_classes and all(isinstance(n, str) for n in names)):
        raise BundleError(f"the bundle's class names do not match the spec's {spec.num_classes} classes", _HINT)
    if info.get("input") != spec.input.to_dict():
        raise BundleError("the bundle's input size does not match its spec", _HINT)
    if info.get("resize") not in RESIZE_MODES:
        raise BundleError(f"the bundle's resize mode must be one of {', '.join(RESIZE_MODES)}", _HINT)
    norm = info.get("normalization")
    if not isinstance(norm, dict):
        raise BundleError("the bundle has no normalisation", _HINT)
    channels = spec.input.channels
    return names, _numbers(norm.get("mean"), channels, "mean"), _numbers(norm.get("std"), channels, "std", True)


def _metrics(members: dict[str, bytes]) -> dict:
    metrics = _json(members, fmt.METRICS)
    out = {}
    for key in ("epochs", "steps"):
        rows = metrics.get(key, [])
        if not (isinstance(rows, list) and all(isinstance(r, dict) for r in rows)):
            raise BundleError(f"the bundle's {key} curve is not a list of records", _HINT)
        out[key] = rows
    for key in ("summary", "confusion"):
        value = metrics.get(key)
        if value is not None and not isinstance(value, dict):
            raise BundleError(f"the bundle's {key} is not a JSON object", _HINT)
        out[key] = value
    return out


def _weights(members: dict[str, bytes], spec: ModelSpec) -> tuple[dict[str, torch.Tensor], nn.Module]:
    try:
        state = safetensors_load(members[fmt.WEIGHTS])
    except Exception as exc:  # the safetensors parser's errors on damaged bytes
        raise BundleError(f"the bundle's weights are unreadable: {exc}", _HINT) from None
    stored = sum(t.numel() for t in state.values())
    if analyze(spec).total_params > stored:
        raise BundleError("the bundle's weights are fewer than its spec needs", _HINT)
    model = build_model(spec)
    expected = model.state_dict()
    if set(state) != set(expected):
        missing = sorted(set(expected) - set(state))
        extra = sorted(set(state) - set(expected))
        raise BundleError(
            f"the bundle's weights do not fit its spec (missing {missing[:3]}, unexpected {extra[:3]})", _HINT
        )
    for key, tensor in expected.items():
        if state[key].shape != tensor.shape or state[key].dtype != tensor.dtype:
            raise BundleError(
                f"weight '{key}' has shape {tuple(state[key].shape)} {state[key].dtype}, "
                f"the spec needs {tuple(tensor.shape)} {tensor.dtype}",
                _HINT,
            )
    model.load_state_dict(state)
    return state, model.eval()


def load_bundle(path) -> Bundle:
    """Open the bundle at ``path``: the rebuilt model, its spec and the run's curves.

    Raises :class:`BundleError` when the file is damaged, tampered with or not a bundle.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        raise BundleError(f"'{path}' is a folder, not a bundle", "give a .wbm file")
    members = read_members(path)
    metadata = _metadata(members)
    spec = _spec(members)
    names, mean, std = _model_info(members, spec)
    metrics = _metrics(members)
    state, model = _weights(members, spec)
    checkpoint = metadata.get("checkpoint") if isinstance(metadata.get("checkpoint"), str) else None
    trained = TrainedModel(spec, state, mean, std, names, metrics, str(path), checkpoint)
    return Bundle(path, trained, model, metadata)
