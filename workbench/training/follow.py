"""Following a run folder as another process writes it: its records read back as the trainer's events.

:class:`RunFollower` reads only what was appended since the last call (whole lines; a line still being written
waits for the next call), so following a long run costs little. A resumed run rewrites its records from its
checkpoint on; the follower then starts over and skips what it already delivered.
"""

from __future__ import annotations

import json
from pathlib import Path

from workbench.data.dataset import brief_text
from workbench.doctor.findings import Finding, Fix
from workbench.safe_text import printable_line
from workbench.training.events import DiagnosisEvent, EpochEvent, RunEnded, RunStarted, StepEvent
from workbench.training.runs import FINDINGS_FILE, EPOCHS_FILE, META_FILE, STEPS_FILE, SUMMARY_FILE

MAX_READ = 8 * 1024 * 1024  # bytes read from one record file per call


def finding_from_dict(data: dict) -> Finding | str:
    """A doctor finding as the trainer records it in ``findings.jsonl``, or its title."""
    try:
        fixes = tuple(Fix(str(f["label"]), tuple(dict(e) for e in f["edits"])) for f in data.get("fixes", ()))
        return Finding(str(data["rule"]), str(data["severity"]), str(data["title"]), str(data["explanation"]),
                       str(data["source"]), tuple(map(str, data.get("layers", ()))), fixes,
                       dict(data.get("measured", {})), str(data.get("phase", "training")))
    except (KeyError, TypeError, ValueError):
        return str(data.get("title", "a finding")) if isinstance(data, dict) else "a finding"


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _data_brief(data) -> str:
    """The status line's data part from a run's recorded data summary (anything malformed gives nothing)."""
    if not isinstance(data, dict):
        return ""
    cache, placement, skipped = data.get("cache"), data.get("placement"), data.get("skipped_count")
    return printable_line(brief_text(cache if isinstance(cache, str) else None,
                                     placement if isinstance(placement, str) else "memory",
                                     skipped if isinstance(skipped, int) and skipped > 0 else 0))[:300]


class _Tail:
    """New whole lines of one JSONL file."""

    def __init__(self, path: Path):
        self.path, self.offset = path, 0

    def lines(self) -> tuple[list[dict], bool]:
        """(new records, whether the file was rewritten from the start since the last call)."""
        try:
            size = self.path.stat().st_size
        except OSError:
            return [], False
        restarted = size < self.offset
        if restarted:
            self.offset = 0
        if size == self.offset:
            return [], restarted
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            chunk = f.read(min(size - self.offset, MAX_READ))
        end = chunk.rfind(b"\n") + 1
        self.offset += end
        out = []
        for raw in chunk[:end].splitlines():
            try:
                record = json.loads(raw)
            except ValueError:
                continue
            if isinstance(record, dict):
                out.append(record)
        return out, restarted


class RunFollower:
    """The events of the run in ``path`` since the last :meth:`poll`."""

    def __init__(self, path):
        self.path = Path(path)
        self.started: RunStarted | None = None
        self.ended: RunEnded | None = None
        self._tails = {name: _Tail(self.path / name) for name in (STEPS_FILE, EPOCHS_FILE, FINDINGS_FILE)}
        self._seen = {STEPS_FILE: 0, EPOCHS_FILE: 0, FINDINGS_FILE: -1}

    def _start_event(self) -> RunStarted | None:
        meta = _read_json(self.path / META_FILE)
        if not isinstance(meta, dict):
            return None
        return RunStarted(str(self.path), str(meta.get("spec_name", self.path.name)), str(meta.get("device", "?")),
                          int(meta.get("epochs", 0)), int(meta.get("steps_per_epoch", 1)),
                          int(meta.get("train_images", 0)), int(meta.get("val_images", 0)),
                          list(meta.get("class_names", [])), int(meta.get("resumed_at_epoch", 0)),
                          _data_brief(meta.get("data")))

    def poll(self) -> list:
        """New events: RunStarted (once), steps, epochs, findings, and RunEnded when the run has ended."""
        if self.ended is not None:
            return []
        events: list = []
        if self.started is None:
            self.started = self._start_event()
            if self.started is None:
                return []
            events.append(self.started)
        summary = _read_json(self.path / SUMMARY_FILE)  # read first: records written before it are all there
        for name, key, make in ((STEPS_FILE, "step", self._step), (FINDINGS_FILE, "step", self._diagnosis),
                                (EPOCHS_FILE, "epoch", self._epoch)):
            records, _restarted = self._tails[name].lines()
            for record in records:
                position = record.get(key)
                if not isinstance(position, int) or position <= self._seen[name]:
                    continue  # delivered before a resume rewrote the file
                event = make(record)
                if event is not None:
                    self._seen[name] = position if name != FINDINGS_FILE else position - 1
                    events.append(event)
        if isinstance(summary, dict) and summary.get("status") in ("completed", "stopped", "diverged", "failed"):
            self.ended = RunEnded(str(summary["status"]), str(summary.get("reason", "")), str(self.path),
                                  summary.get("best"), summary.get("final"))
            events.append(self.ended)
        return events

    @staticmethod
    def _step(r: dict) -> StepEvent | None:
        try:
            return StepEvent(int(r["step"]), int(r["epoch"]), float(r["loss"]), float(r["acc"]), float(r["lr"]),
                             float(r["images_per_s"]))
        except (KeyError, TypeError, ValueError):
            return None

    @staticmethod
    def _epoch(r: dict) -> EpochEvent | None:
        try:
            return EpochEvent(**{k: r[k] for k in EpochEvent.__dataclass_fields__})
        except (KeyError, TypeError):
            return None

    @staticmethod
    def _diagnosis(r: dict) -> DiagnosisEvent | None:
        if not isinstance(r.get("step"), int) or not isinstance(r.get("title"), str):
            return None
        return DiagnosisEvent(r["step"], finding_from_dict({k: v for k, v in r.items() if k != "step"}))
