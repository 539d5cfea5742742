"""Collect garbage on the GUI thread only.

Python's cyclic garbage collector runs on whichever thread happens to allocate; when that is the training
thread and the garbage holds Qt objects made on the GUI thread, Qt deletes them from the wrong thread and the
app can crash. So the automatic collector is switched off and the same generational collection runs on a
timer in the GUI thread (pyqtgraph's GarbageCollector).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from pyqtgraph.util.garbage_collector import GarbageCollector

INTERVAL_S = 0.5
_collector: GarbageCollector | None = None


def collect_on_gui_thread(app: QCoreApplication) -> GarbageCollector:
    """Start collecting on ``app``'s thread (once per process); returns the collector."""
    global _collector
    if _collector is None:
        _collector = GarbageCollector(interval=INTERVAL_S)
        _collector.timer.moveToThread(app.thread())
    return _collector
