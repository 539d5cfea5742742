"""``runs [DIR]``: the recorded training runs, newest first, with status and final/best metrics.

``runs --show RUN`` prints one run's epochs, confusion matrix and per-class accuracy; ``runs --compare RUN RUN…``
puts runs side by side, epoch by epoch (what the app's overlaid curves show); ``runs --tensorboard RUN…`` writes
TensorBoard event files from runs' records; ``runs --report RUN --out report.html`` writes a shareable report.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from workbench.cli.common import BUNDLE_SUFFIX
from workbench.export.errors import ModelFileError
from workbench.paths import runs_dir
from workbench.training import RunRecord, TrainingError, list_runs, open_run


def add_parser(sub) -> None:
    p = sub.add_parser("runs", help="list, show and compare recorded training runs", description=__doc__)
    p.add_argument("dir", nargs="?", help="runs folder (default: ./runs or $WORKBENCH_RUNS)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--show", metavar="RUN",
                       help="one run folder or .wbm bundle: epochs, confusion matrix, per-class accuracy")
    group.add_argument("--compare", nargs="+", metavar="RUN", help="two or more run folders side by side")
    group.add_argument("--tensorboard", nargs="+", metavar="RUN",
                       help="write TensorBoard event files from run folders' records (into RUN/tensorboard)")
    group.add_argument("--report", metavar="RUN", help="write one run as a self-contained HTML file (see --out)")
    p.add_argument("--out", metavar="FILE", help="where --report writes (default: RUN/report.html)")
    p.set_defaults(run=run)


def _pct(value) -> str:
    return "—" if value is None else f"{value:.1%}"


def _num(value) -> str:
    return "—" if value is None else f"{value:.4f}"


def _table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())


def _label(record: RunRecord) -> str:
    return str(record.meta.get("spec_name") or record.name)


def _list(folder) -> int:
    runs = list_runs(folder)
    if not runs:
        print(f"no runs in {folder}")
        return 0
    rows = [("run", "status", "epochs", "final loss", "final acc", "best acc", "device")]
    resumable = []
    for record in runs:
        summary = record.summary or {}
        final = summary.get("final") or (record.epochs[-1] if record.epochs else {})
        best = record.best or {}
        epochs = f"{final.get('epoch', 0)}/{record.meta.get('epochs', '?')}"
        loss = final.get("val_loss", final.get("train_loss"))
        acc = final.get("val_acc", final.get("train_acc"))
        rows.append((record.name, record.status_text, epochs, _num(loss), _pct(acc),
                     _pct(best.get("val_acc", best.get("train_acc"))), str(record.meta.get("device", "?"))))
        if record.status == "interrupted":
            resumable.append(record)
    _table(rows)
    for record in resumable:
        print(f"{record.name}: {record.status_text} — resume with: {record.resume_command}")
    return 0


@dataclass
class _BundleRun:
    """A trained-model bundle read like a run folder (its spec name, status, epochs and confusion matrix)."""

    name: str
    meta: dict
    status: str
    epochs: list[dict]
    confusion: dict | None

    @property
    def status_text(self) -> str:
        return self.status

    resume_command = None


def _open_bundle(path: str) -> _BundleRun:
    from workbench.export import load_bundle

    bundle = load_bundle(path)
    summary = bundle.summary or {}
    meta = {"spec_name": bundle.spec.name, "device": summary.get("device", "?")}
    return _BundleRun(Path(path).name, meta, summary.get("status", "unknown"), bundle.epochs, bundle.confusion)


def _show(record: RunRecord | _BundleRun) -> int:
    print(f"{record.name}: {_label(record)}, {record.status_text}, on {record.meta.get('device', '?')}")
    if record.resume_command:
        print(f"resume with: {record.resume_command}")
    epochs = record.epochs
    if not epochs:
        print("no epoch has ended yet")
        return 0
    rows = [("epoch", "step", "train loss", "train acc", "val loss", "val acc", "lr")]
    rows += [(str(e["epoch"]), str(e.get("step", "")), _num(e.get("train_loss")), _pct(e.get("train_acc")),
              _num(e.get("val_loss")), _pct(e.get("val_acc")), f"{e.get('lr', 0):.3g}") for e in epochs]
    _table(rows)
    confusion = record.confusion
    if confusion and confusion.get("matrix"):
        names, matrix = confusion["classes"], confusion["matrix"]
        print(f"\nconfusion matrix at epoch {confusion.get('epoch')} (rows: true, columns: predicted)")
        rows = [("",) + tuple(names) + ("accuracy",)]
        for name, row in zip(names, matrix):
            total = sum(row)
            right = row[names.index(name)]
            rows.append((name,) + tuple(str(v) for v in row) + (_pct(right / total if total else None),))
        _table(rows)
    return 0


def _compare(records: list[RunRecord]) -> int:
    labels = [f"{_label(r)} ({r.name[:15]})" for r in records]
    print("\n".join(f"[{i + 1}] {label}: {r.status}" for i, (label, r) in enumerate(zip(labels, records))))
    per_run = [{e["epoch"]: e for e in r.epochs} for r in records]
    last = max((max(p) for p in per_run if p), default=0)
    header = ("epoch",) + tuple(f"[{i + 1}] val loss / acc" for i in range(len(records)))
    rows = [header]
    for epoch in range(1, last + 1):
        cells = []
        for epochs in per_run:
            e = epochs.get(epoch)
            loss = e.get("val_loss", e.get("train_loss")) if e else None
            acc = e.get("val_acc", e.get("train_acc")) if e else None
            cells.append("" if e is None else f"{_num(loss)} / {_pct(acc)}")
        rows.append((str(epoch),) + tuple(cells))
    best = [max((e.get("val_acc") or 0.0 for e in p.values()), default=None) if p else None for p in per_run]
    rows.append(("best acc",) + tuple(_pct(b) for b in best))
    _table(rows)
    return 0


def run(args) -> int:
    if args.tensorboard:
        from workbench.cli.runs_insight import to_tensorboard

        return to_tensorboard(args.tensorboard)
    if args.report:
        from workbench.cli.runs_insight import to_report

        return to_report(args.report, args.out)
    try:
        if args.show:
            return _show(_open_bundle(args.show) if args.show.endswith(BUNDLE_SUFFIX) else open_run(args.show))
        if args.compare:
            if len(args.compare) < 2:
                print("error: --compare needs two or more run folders", file=sys.stderr)
                return 2
            return _compare([open_run(path) for path in args.compare])
    except (TrainingError, ModelFileError) as exc:
        print(f"error: {exc.message}" + (f" (hint: {exc.hint})" if exc.hint else ""), file=sys.stderr)
        return 1
    return _list(args.dir or runs_dir())
