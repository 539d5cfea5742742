"""Guard against reference-count leaks of ``None``, ``True`` and ``False`` in PySide6 6.12 on Python 3.11.

There, Qt methods returning ``void`` or ``bool`` (``QPainter.setPen``, ``QWidget.setText``, …) drop one
reference to the returned singleton too many. Python 3.11's singletons are not immortal, so after some tens of
thousands of such calls (a few seconds of live plotting) the interpreter aborts with "deallocating None" (or
"deallocating True or False"). Giving them a very large reserve of references keeps them alive for any
realistic session. Python 3.12 and later make them immortal; nothing is done there.
"""

from __future__ import annotations

import ctypes
import sys

RESERVE = 1 << 40
_applied = False


def guard_none_refcount() -> None:
    """Add :data:`RESERVE` references to ``None``, ``True`` and ``False`` once per process (CPython < 3.12)."""
    global _applied
    if _applied or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    for singleton in (None, True, False):
        ctypes.c_ssize_t.from_address(id(singleton)).value += RESERVE
    _applied = True


guard_none_refcount()
