"""The ``runs`` actions that write files from a run: TensorBoard event files and the HTML report."""

from __future__ import annotations

import sys

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
