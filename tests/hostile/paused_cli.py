"""Runs ``python -m workbench ARGV`` with the process held at one moment, for kill -9 and Ctrl-C tests.

Usage: ``python paused_cli.py MOMENT MARKER -- ARGV...``. At the moment (``step`` of epoch 2, the
``checkpoint`` write after epoch 2 with half the file written, ``validation`` of epoch 2, or ``trial``: the
fifth step of a doctor trial) it creates MARKER, then either sleeps (``step``/``trial``: each later step takes
0.2 s, so a stop request ends it soon) or hangs (``checkpoint``/``validation``: until killed).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

moment, marker = sys.argv[1], Path(sys.argv[2])
argv = sys.argv[sys.argv.index("--") + 1:]

import torch  # noqa: E402

from workbench.training import checkpoint as checkpoint_module  # noqa: E402
from workbench.training import trainer as trainer_module  # noqa: E402


def arrive() -> None:
    marker.write_text("here")


if moment in ("step", "trial"):
    original_step = trainer_module.Trainer._step
    first_step = 5 if moment == "trial" else None

    def slow_step(self, x, y):
        threshold = first_step if first_step is not None else self.steps_per_epoch + 1
        if self.step + 1 >= threshold:
            if not marker.exists():
                arrive()
            time.sleep(0.2)
        return original_step(self, x, y)

    trainer_module.Trainer._step = slow_step

elif moment == "checkpoint":
    saves = []
    original_save = torch.save

    def half_written_save(obj, f, *args, **kwargs):
        if str(f).endswith("last.pt"):
            saves.append(f)
        if len(saves) == 3 and str(f).endswith("last.pt"):  # after epoch 0 (the start), 1, then 2
            Path(f).write_bytes(b"PK\x03\x04half a checkpoint")
            arrive()
            time.sleep(600)
        return original_save(obj, f, *args, **kwargs)

    checkpoint_module.torch.save = half_written_save

elif moment == "validation":
    original_evaluate = trainer_module.evaluate
    calls = []

    def hanging_evaluate(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            arrive()
            time.sleep(600)
        return original_evaluate(*args, **kwargs)

    trainer_module.evaluate = hanging_evaluate

from workbench.cli import main  # noqa: E402

sys.exit(main(argv))
