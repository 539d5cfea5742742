"""Ctrl-C and closed pipes for the command line: one handler, one clear line, exit status 130.

Long commands run inside :class:`Interruption`. The first Ctrl-C asks the command to stop (``on_stop``:
the trainer finishes its batch and keeps its checkpoint) or, without ``on_stop``, interrupts it at once; the
command then reports "interrupted" and exits 130 — it never presents a cut-short result as a whole one. A
second Ctrl-C ends the process at once, with the same one line; files written so far are whole (every
write goes through a rename), so the last checkpoint stays usable.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Callable

INTERRUPTED = 130  # 128 + SIGINT, as shells report a command ended by Ctrl-C
BROKEN_PIPE = 141  # 128 + SIGPIPE: the reader of our output went away (``| head -1``)


def quit_now(message: str = "interrupted") -> None:
    """Print ``message`` and end the process at once with status 130 (no clean-up code runs, so no traceback)."""
    stream = getattr(sys.stderr, "raw", sys.stderr)
    try:
        stream.write(f"\n{message}\n")
        stream.flush()
    except (OSError, ValueError):
        pass
    os._exit(INTERRUPTED)


def silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's last flush does not fail on a closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.__stdout__.fileno())
    except (OSError, ValueError, AttributeError):
        pass


class Interruption:
    """Context for a long command: ``requested`` tells it Ctrl-C was pressed (see the module docstring)."""

    def __init__(self, on_stop: Callable[[], None] | None = None, notice: str = ""):
        self.on_stop = on_stop
        self.notice = notice
        self.requested = False
        self._previous = None

    def __enter__(self) -> Interruption:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    def _handle(self, signum, frame) -> None:
        if self.requested:
            quit_now()
        self.requested = True
        if self.on_stop is None:
            raise KeyboardInterrupt
        if self.notice:
            print(f"\n{self.notice} (Ctrl-C again to quit at once)", file=sys.stderr, flush=True)
        self.on_stop()

    def report(self) -> int:
        """After the command stopped on request: the one line and the exit status."""
        print("interrupted", file=sys.stderr)
        return INTERRUPTED
