"""Run folders: creating them, writing their records, and reading runs back for comparison.

A run folder ``<YYYYmmdd-HHMMSS>-<spec name>/`` holds ``spec.yaml``, ``run.json``, ``steps.jsonl``,
``epochs.jsonl``, ``summary.json``, ``confusion.json`` and ``checkpoints/{last,best}.pt``.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from torch import nn

from workbench.builder import build_model
from workbench.paths import runs_dir
from workbench.spec import ModelSpec, load_spec
from workbench.spec.yaml_io import dumps_spec, write_text_atomic
from workbench.training.checkpoint import load_checkpoint
from workbench.training.errors import TrainingError

SPEC_FILE = "spec.yaml"
META_FILE = "run.json"
STEPS_FILE = "steps.jsonl"
EPOCHS_FILE = "epochs.jsonl"
SUMMARY_FILE = "summary.json"
CONFUSION_FILE = "confusion.json"
CHECKPOINTS = "checkpoints"
DIAGNOSIS_FILE = "diagnosis.jsonl"


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "run"


def new_run_dir(spec_name: str, folder=None) -> Path:
    """Create and return a fresh folder ``<folder>/<YYYYmmdd-HHMMSS>-<spec name>`` (suffixed if taken)."""
    base = Path(folder) if folder is not None else runs_dir()
    base.mkdir(parents=True, exist_ok=True)
    stem = f"{time.strftime('%Y%m%d-%H%M%S')}-{_safe_name(spec_name)}"
    for i in range(1, 1000):
        path = base / (stem if i == 1 else f"{stem}-{i}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise TrainingError(f"cannot create a run folder in '{base}'", "clean up old runs")


def write_json(path: Path, data) -> None:
    write_text_atomic(path, json.dumps(data, indent=2) + "\n")


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _read_jsonl(path: Path) -> list[dict]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        try:
            out.append(json.loads(line))
        except ValueError:
            continue  # a line cut short by a crash
    return out


class RunWriter:
    """Writes one run folder's records as the run goes."""

    def __init__(self, path: Path):
        self.path = Path(path)
        (self.path / CHECKPOINTS).mkdir(parents=True, exist_ok=True)

    def start(self, spec: ModelSpec, meta: dict) -> None:
        write_text_atomic(self.path / SPEC_FILE, dumps_spec(spec))
        write_json(self.path / META_FILE, meta)

    def update_meta(self, **values) -> None:
        meta = _read_json(self.path / META_FILE) or {}
        meta.update(values)
        write_json(self.path / META_FILE, meta)

    def truncate_after(self, step: int, epoch: int) -> None:
        """Drop records newer than a checkpoint (``step``, ``epoch``) before resuming from it."""
        for name, key, limit in ((STEPS_FILE, "step", step), (EPOCHS_FILE, "epoch", epoch), (DIAGNOSIS_FILE, "step", step)):
            kept = [r for r in _read_jsonl(self.path / name) if r.get(key, 0) <= limit]
            write_text_atomic(self.path / name, "".join(json.dumps(r) + "\n" for r in kept))
        (self.path / SUMMARY_FILE).unlink(missing_ok=True)

    def append(self, name: str, record: dict) -> None:
        with open(self.path / name, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")

    def write(self, name: str, data) -> None:
        write_json(self.path / name, data)

    def checkpoint(self, which: str) -> Path:
        return self.path / CHECKPOINTS / f"{which}.pt"


class RunRecord:
    """One run folder read back: its spec, metadata, metrics, confusion matrix and checkpoints."""

    def __init__(self, path):
        self.path = Path(path)
        meta = _read_json(self.path / META_FILE)
        if not isinstance(meta, dict):
            raise TrainingError(f"'{self.path}' is not a run folder (no readable {META_FILE})", "pick a folder under runs/")
        self.meta: dict = meta

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def spec(self) -> ModelSpec:
        return load_spec(self.path / SPEC_FILE)

    @property
    def epochs(self) -> list[dict]:
        return _read_jsonl(self.path / EPOCHS_FILE)

    @property
    def steps(self) -> list[dict]:
        return _read_jsonl(self.path / STEPS_FILE)

    @property
    def summary(self) -> dict | None:
        return _read_json(self.path / SUMMARY_FILE)

    @property
    def confusion(self) -> dict | None:
        return _read_json(self.path / CONFUSION_FILE)

    @property
    def status(self) -> str:
        summary = self.summary
        return (summary or {}).get("status") or self.meta.get("status", "unknown")

    def checkpoint_path(self, which: str = "best") -> Path:
        return self.path / CHECKPOINTS / f"{which}.pt"

    def load_model(self, which: str = "best") -> tuple[nn.Module, dict]:
        """The trained model (eval mode, CPU) from checkpoint ``which`` and its normalisation {mean, std}."""
        state = load_checkpoint(self.checkpoint_path(which))
        model = build_model(self.spec)
        model.load_state_dict(state["model"])
        model.eval()
        norm = state.get("normalization") or self.meta.get("normalization")
        return model, dict(norm)

    def __repr__(self) -> str:
        return f"RunRecord({str(self.path)!r}, status={self.status!r})"


def open_run(path) -> RunRecord:
    """The run in folder ``path``; :class:`TrainingError` when it is not a run folder."""
    return RunRecord(path)


def list_runs(folder=None) -> list[RunRecord]:
    """Every run folder in ``folder`` (default: the runs folder), newest first; other folders are ignored."""
    base = Path(folder) if folder is not None else runs_dir()
    if not base.is_dir():
        return []
    runs = []
    for entry in base.iterdir():
        if entry.is_dir() and (entry / META_FILE).is_file():
            try:
                runs.append(RunRecord(entry))
            except TrainingError:
                continue
    runs.sort(key=lambda r: (str(r.meta.get("started", "")), r.name), reverse=True)
    return runs
