"""``runs [DIR]``: the recorded training runs, newest first, with status and final/best metrics."""

from __future__ import annotations

from workbench.paths import runs_dir
from workbench.training import list_runs


def add_parser(sub) -> None:
    p = sub.add_parser("runs", help="list recorded training runs", description=__doc__)
    p.add_argument("dir", nargs="?", help="runs folder (default: ./runs or $WORKBENCH_RUNS)")
    p.set_defaults(run=run)


def _pct(value) -> str:
    return "—" if value is None else f"{value:.1%}"


def _num(value) -> str:
    return "—" if value is None else f"{value:.4f}"


def run(args) -> int:
    folder = args.dir or runs_dir()
    runs = list_runs(folder)
    if not runs:
        print(f"no runs in {folder}")
        return 0
    rows = [("run", "status", "epochs", "final loss", "final acc", "best acc", "device")]
    for record in runs:
        summary = record.summary or {}
        final = summary.get("final") or (record.epochs[-1] if record.epochs else {})
        best = summary.get("best") or {}
        epochs = f"{final.get('epoch', 0)}/{record.meta.get('epochs', '?')}"
        loss = final.get("val_loss", final.get("train_loss"))
        acc = final.get("val_acc", final.get("train_acc"))
        rows.append((record.name, record.status, epochs, _num(loss), _pct(acc), _pct(best.get("val_acc")),
                     record.meta.get("device", "?")))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    return 0
