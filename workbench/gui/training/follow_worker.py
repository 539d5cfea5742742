"""Following a run that trains in another process (a ``train --nproc N`` run the app started, or a run the
command line is training): the run folder's records become the same signals a :class:`TrainingWorker` sends."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from workbench.gui.training.curves import RunCurves
from workbench.gui.training.tasks import user_message
from workbench.gui.training.worker import CurveFeed
from workbench.training.validation import predict_run
from workbench.spec import ModelSpec, dumps_spec
from workbench.training import run_control
from workbench.training.events import RunEnded, StepEvent
from workbench.training.follow import RunFollower
from workbench.training.runs import new_run_dir, open_run

POLL_S = 0.25
GIVE_UP_AFTER_STOP_S = 120  # following a run that never confirms a stop ends after this long


def launch_all_gpus(spec: ModelSpec, gpus: int, runs_root=None, resume_from=None) -> tuple[subprocess.Popen, Path]:
    """Start ``train --nproc gpus`` on CUDA for ``spec`` in a new run folder (or continue the run in
    ``resume_from``); (the process, the run folder)."""
    if resume_from is not None:
        run_dir = Path(resume_from)
        cmd = ["--resume", str(run_dir)]
    else:
        run_dir = new_run_dir(spec.name, runs_root)
        spec_file = run_dir / ".launch-spec.yaml"
        spec_file.write_text(dumps_spec(spec), encoding="utf-8")
        cmd = [str(spec_file), "--run-dir", str(run_dir)]
    cmd = [sys.executable, "-m", "workbench", "train", *cmd, "--nproc", str(gpus), "--device", "cuda"]
    root = str(Path(__file__).resolve().parents[3])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p))
    with open(run_dir / "launch.log", "ab") as log:
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                                start_new_session=True)
    return proc, run_dir


class FollowWorker(CurveFeed, QObject):
    """Reads a run folder every ``POLL_S`` until the run ends; owns ``process`` when the app started it."""

    can_pause = False
    event = Signal(object)
    results = Signal(object)
    failed = Signal(str)
    finished = Signal()

    def __init__(self, run_dir, process: subprocess.Popen | None = None):
        super().__init__()
        self.run_dir = Path(run_dir)
        self.process = process
        self.curves = RunCurves()
        self.latest_step: StepEvent | None = None
        self._follower = RunFollower(self.run_dir)
        self._stop_at: float | None = None
        self._skip_results = False
        self._detached = threading.Event()
        self._lock = threading.Lock()

    @property
    def owns_run(self) -> bool:
        """Whether the app started this run (closing the app stops it) or only follows it."""
        return self.process is not None

    def detach(self) -> None:
        """Stop following; the run goes on in its own process."""
        self._detached.set()

    # --- called from the GUI thread -------------------------------------------------------------
    def request_stop(self, skip_results: bool = False) -> None:
        """A clean stop: the run keeps a resumable checkpoint (SIGINT to the app's own process, else the
        run folder's stop request, which the trainer reads between batches)."""
        with self._lock:
            self._skip_results = self._skip_results or skip_results
            first = self._stop_at is None
            if first:
                self._stop_at = time.monotonic()
        if not first:
            return
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGINT)
        else:
            with contextlib.suppress(OSError):
                run_control.request_stop(self.run_dir)

    def pause(self) -> None:
        """Runs in another process cannot pause."""

    def resume(self) -> None:
        """Runs in another process cannot pause."""

    # --- the worker thread -----------------------------------------------------------------------
    @Slot()
    def run(self) -> None:
        try:
            self._follow()
        except Exception as exc:  # the user sees the message; the app keeps running
            self.failed.emit(user_message(exc))
        finally:
            self.finished.emit()

    def _follow(self) -> None:
        while True:
            exited = self.process is not None and self.process.poll() is not None
            for event in self._follower.poll():
                self._on_event(event)
            if self._follower.ended is not None:
                break
            if self._detached.is_set():
                return
            if exited:
                self._report_exit()
                return
            if self._stop_at is not None and time.monotonic() - self._stop_at > GIVE_UP_AFTER_STOP_S:
                self.failed.emit("The run did not confirm the stop; it is no longer followed.")
                return
            self._detached.wait(POLL_S)
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=30)
        ended = self._follower.ended
        with self._lock:
            skip = self._skip_results
        record = open_run(self.run_dir)
        if not skip and ended.status in ("completed", "stopped") and record.checkpoint_path("best").is_file():
            results = predict_run(record)
            if results is not None:
                self.results.emit(results)

    def _report_exit(self) -> None:
        log = self.run_dir / "launch.log"
        tail = ""
        with contextlib.suppress(OSError):
            lines = [line for line in log.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
            tail = "\n".join(lines[-3:])
        self.failed.emit(f"The training processes ended (exit status {self.process.returncode}) before the run "
                         f"finished.{(' ' + tail) if tail else ''}")
        self.event.emit(RunEnded("failed", "the training processes ended early", str(self.run_dir), None, None))

