"""Controlling a run through its folder: a stop request file the trainer polls between batches,
so that a run in another process can be stopped."""

from __future__ import annotations

from pathlib import Path


STOP_FILE = "stop-request"


def request_stop(run_dir, reason: str = "stopped from the app") -> None:
    """Ask the run training in ``run_dir`` (in any process) to stop after its current batch, keeping a checkpoint."""
    (Path(run_dir) / STOP_FILE).write_text(reason[:200] + "\n", encoding="utf-8")


class StopFileWatch:
    """A trainer callback: stops the run when its folder holds a stop request (removed once seen and at the end)."""

    def __init__(self, trainer):
        self.trainer = trainer

    def _file(self) -> Path | None:
        return self.trainer.run_dir / STOP_FILE if self.trainer.run_dir is not None else None

    def _clear(self) -> None:
        file = self._file()
        if file is not None:
            file.unlink(missing_ok=True)

    def on_train_start(self, ctx) -> None:
        self._clear()  # a request left by an earlier, stopped session of this run is not for this one

    def on_batch_end(self, ctx) -> None:
        file = self._file()
        if file is not None and file.exists():
            try:
                reason = file.read_text(encoding="utf-8", errors="replace").strip()[:200] or "stopped by request"
            except OSError:
                reason = "stopped by request"
            ctx.request_stop("".join(c for c in reason if c.isprintable()))
            self._clear()

    def on_train_end(self, ctx) -> None:
        self._clear()


def attach(trainer) -> None:
    """Make ``trainer`` stoppable through its folder (the trainer itself records its findings there)."""
    trainer.callbacks.append(StopFileWatch(trainer))
