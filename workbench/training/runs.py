"""Run folders: creating them, writing their records, and reading runs back for comparison.

A run folder ``<YYYYmmdd-HHMMSS>-<spec name>/`` holds ``spec.yaml``, ``run.json``, ``steps.jsonl``,
``epochs.jsonl``, ``summary.json``, ``confusion.json``, ``findings.jsonl`` and ``checkpoints/{last,best}.pt``.
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
from pathlib import Path

from torch import nn

from workbench.atomic_write import remove_stale_temporaries
from workbench.bounded_read import read_bounded
from workbench.builder import build_model
from workbench.paths import runs_dir
from workbench.spec import ModelSpec, SpecError, load_spec
from workbench.spec.yaml_io import dumps_spec, write_text_atomic
from workbench.training.checkpoint import load_checkpoint
from workbench.training.errors import TrainingError

SPEC_FILE = "spec.yaml"
META_FILE = "run.json"
STEPS_FILE = "steps.jsonl"
EPOCHS_FILE = "epochs.jsonl"
SUMMARY_FILE = "summary.json"
CONFUSION_FILE = "confusion.json"
FINDINGS_FILE = "findings.jsonl"  # the doctor's findings during the run, one per line
CHECKPOINTS = "checkpoints"
RECORD_LIMIT = 256 * 1024 * 1024  # a run's records: far beyond any real run, bounded against a hostile folder


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "run"


def new_run_dir(spec_name: str, folder=None) -> Path:
    """Create and return a fresh folder ``<folder>/<YYYYmmdd-HHMMSS>-<spec name>`` (suffixed if taken)."""
    base = Path(folder) if folder is not None else runs_dir()
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = "it is a file" if base.exists() and not base.is_dir() else (exc.strerror or type(exc).__name__)
        raise TrainingError(f"cannot make the runs folder '{base}': {reason}", "give --out a folder") from None
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
        return json.loads(read_bounded(path, RECORD_LIMIT).decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return None


def _read_jsonl(path: Path) -> list[dict]:
    try:
        lines = read_bounded(path, RECORD_LIMIT).decode("utf-8", errors="replace").splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        try:
            out.append(json.loads(line))
        except (ValueError, RecursionError):
            continue  # a line cut short by a crash
    return out


def _process_start(pid: int) -> str | None:
    """When process ``pid`` started (Linux: its start time in clock ticks), to tell it from a later one with
    the same id; None where that cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return None if fields[0] == "Z" else fields[19]  # a zombie has ended


def owner_stamp() -> dict:
    """Who writes a run: process id, its start time and host (``run.json``), so a dead run can be told apart."""
    pid = os.getpid()
    return {"pid": pid, "pid_started": _process_start(pid), "host": socket.gethostname()}


def owner_alive(meta: dict) -> bool | None:
    """Whether the process that wrote ``meta`` still runs: None when unknown (another host, older run)."""
    pid = meta.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0 or meta.get("host") != socket.gethostname():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return None
    started = meta.get("pid_started")
    return started is None or _process_start(pid) == started


def refuse_if_running(path: Path) -> None:
    """Raise :class:`TrainingError` when another live process is training the run in ``path``."""
    meta = _read_json(Path(path) / META_FILE) or {}
    if meta.get("status") == "running" and meta.get("pid") != os.getpid() and owner_alive(meta):
        raise TrainingError(f"run '{Path(path).name}' is still being trained (process {meta['pid']})",
                            "stop that training first, or wait for it to end")


def _record_ok(record, key: str) -> bool:
    """A metrics record as the trainer writes it: a mapping with a whole ``key`` and numbers (or null) elsewhere.

    Records damaged by hand or by a crash are left out rather than shown wrong or crashing a reader."""
    if not isinstance(record, dict) or not isinstance(record.get(key), int) or isinstance(record.get(key), bool):
        return False
    return all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in record.values())


def _confusion_ok(confusion) -> bool:
    if not isinstance(confusion, dict):
        return False
    names, matrix = confusion.get("classes"), confusion.get("matrix")
    if not (isinstance(names, list) and all(isinstance(n, str) for n in names) and len(set(names)) == len(names)):
        return False
    return isinstance(matrix, list) and len(matrix) == len(names) and all(
        isinstance(row, list) and len(row) == len(names)
        and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in row) for row in matrix)


class RunWriter:
    """Writes one run folder's records as the run goes."""

    def __init__(self, path: Path):
        self.path = Path(path)
        (self.path / CHECKPOINTS).mkdir(parents=True, exist_ok=True)

    def start(self, spec: ModelSpec, meta: dict) -> None:
        write_text_atomic(self.path / SPEC_FILE, dumps_spec(spec))
        write_json(self.path / META_FILE, {**meta, **owner_stamp()})

    def take_over(self, **values) -> None:
        """Resume writing a stopped run: refuse one whose process still runs, remove what a killed process
        left half-written, and record this process as the run's owner."""
        refuse_if_running(self.path)
        remove_stale_temporaries(self.path / CHECKPOINTS)
        remove_stale_temporaries(self.path)
        self.update_meta(status="running", **values, **owner_stamp())

    def update_meta(self, **values) -> None:
        meta = _read_json(self.path / META_FILE) or {}
        meta.update(values)
        write_json(self.path / META_FILE, meta)

    def truncate_after(self, step: int, epoch: int) -> None:
        """Drop records newer than a checkpoint (``step``, ``epoch``) before resuming from it."""
        for name, key, limit in ((STEPS_FILE, "step", step), (EPOCHS_FILE, "epoch", epoch), (FINDINGS_FILE, "step", step)):
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
        return [r for r in _read_jsonl(self.path / EPOCHS_FILE) if _record_ok(r, "epoch")]

    @property
    def steps(self) -> list[dict]:
        return [r for r in _read_jsonl(self.path / STEPS_FILE) if _record_ok(r, "step")]

    @property
    def summary(self) -> dict | None:
        summary = _read_json(self.path / SUMMARY_FILE)
        if not isinstance(summary, dict):
            return None
        return {k: v for k, v in summary.items() if k not in ("best", "final") or _record_ok(v, "epoch")}

    @property
    def findings(self) -> list[dict]:
        return _read_jsonl(self.path / FINDINGS_FILE)

    @property
    def confusion(self) -> dict | None:
        confusion = _read_json(self.path / CONFUSION_FILE)
        return confusion if _confusion_ok(confusion) else None

    @property
    def status(self) -> str:
        """completed, stopped, diverged, failed, running, or interrupted (its process died: kill -9, power cut)."""
        status = (self.summary or {}).get("status") or self.meta.get("status", "unknown")
        if status == "running" and owner_alive(self.meta) is False:
            return "interrupted"
        return status

    @property
    def status_text(self) -> str:
        """The status for people: an interrupted run says after which epoch."""
        status = self.status
        if status != "interrupted":
            return status
        return f"interrupted at epoch {self.epochs[-1]['epoch'] if self.epochs else 0}"

    @property
    def resume_command(self) -> str | None:
        """How to continue this run, when it stopped before its end."""
        if self.status in ("interrupted", "stopped"):
            return f"python -m workbench train --resume {self.path}"
        return None

    @property
    def best(self) -> dict | None:
        """The best epoch by the run's monitored metric, from the summary or else from its own epoch records."""
        best = (self.summary or {}).get("best")
        if best or not self.epochs:
            return best
        try:
            monitor = self.spec.training_value("monitor")
        except SpecError:
            monitor = "val_loss"
        rows = [e for e in self.epochs if isinstance(e.get(monitor), (int, float))]
        if not rows:
            monitor = monitor.replace("val_", "train_")
            rows = [e for e in self.epochs if isinstance(e.get(monitor), (int, float))]
        if not rows:
            return None
        return (min if monitor.endswith("loss") else max)(rows, key=lambda e: e[monitor])

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
