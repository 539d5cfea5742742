"""Run one blocking call off the GUI thread and hand its result (or a readable error) back."""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QObject, QThread, Signal

from workbench.data.errors import DataError
from workbench.spec import SpecError
from workbench.training.errors import TrainingError


def user_message(exc: BaseException) -> str:
    """A message a person can act on: a spec's problems, a data or settings error with its hint, or the error."""
    if isinstance(exc, SpecError):
        return "The spec has problems:\n" + "\n".join(p.format() for p in exc.problems)
    if isinstance(exc, (DataError, TrainingError)):
        return f"{exc.message}\n{exc.hint}" if exc.hint else exc.message
    text = str(exc) or type(exc).__name__
    if isinstance(exc, MemoryError) or "out of memory" in text.lower():
        return f"Out of memory: {text}\nTry a smaller batch size or a smaller model."
    return f"{type(exc).__name__}: {text}"


class BackgroundTask(QThread):
    """Calls ``fn()`` on its own thread; ``done(result)`` or ``error(message)`` arrive on the GUI thread."""

    done = Signal(object)
    error = Signal(str)

    def __init__(self, fn: Callable[[], Any], parent: QObject | None = None):
        super().__init__(parent)
        self._fn = fn

    def run(self) -> None:
        try:
            result = self._fn()
        except Exception as exc:  # every failure becomes a message, never a crash of the app
            self.error.emit(user_message(exc))
            return
        self.done.emit(result)


_STILL_RUNNING: list[QThread] = []


def wait_or_keep(thread: QThread | None, timeout_ms: int) -> bool:
    """Wait for ``thread``; if it is still busy after the timeout, detach it from its parent and keep
    it referenced, so closing the window never destroys a running thread (which would abort the app)."""
    if thread is None or thread.wait(timeout_ms):
        return True
    thread.setParent(None)
    _STILL_RUNNING.append(thread)
    return False
