"""The ``runs`` actions that write files from a run: TensorBoard event files and the HTML report."""

from __future__ import annotations

import sys

from pathlib import Path

from workbench.export.errors import os_reason
from workbench.insight.tensorboard import TensorBoardMissing, convert_run
from workbench.training import TrainingError


def to_tensorboard(paths: list[str]) -> int:
    """Convert each run folder; exit 1 when any could not be converted (the others still are)."""
    failed = 0
    for path in paths:
        try:
            folder = convert_run(path)
        except TensorBoardMissing as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        except TrainingError as exc:
            print(f"error: {exc.message}" + (f" (hint: {exc.hint})" if exc.hint else ""), file=sys.stderr)
            failed += 1
            continue
        print(f"{path}: event files in {folder} (view with: tensorboard --logdir {folder})")
    return 1 if failed else 0


def to_report(path: str, out: str | None) -> int:
    """Write the HTML report of one run (default: ``report.html`` in the run folder)."""
    from workbench.insight.report import write_report  # loads matplotlib and Captum only when asked

    target = Path(out) if out else Path(path) / "report.html"
    try:
        written = write_report(path, target)
    except TrainingError as exc:
        print(f"error: {exc.message}" + (f" (hint: {exc.hint})" if exc.hint else ""), file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: cannot write '{target}': {os_reason(exc)}", file=sys.stderr)
        return 1
    print(f"report: {written}")
    return 0
