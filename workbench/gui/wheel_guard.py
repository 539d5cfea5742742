"""The mouse wheel changes a spin box or combo box only when the user has clicked or tabbed into it.

One application-wide filter: such fields take focus only by click or Tab (``Qt.StrongFocus``), and a wheel
turned over an unfocused one goes to its parents instead, so the scroll area around a form scrolls and no value
changes unnoticed.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QWidget

GUARDED = (QAbstractSpinBox, QComboBox)


class WheelGuard(QObject):
    """Installed on the application by :func:`install_wheel_guard`."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        kind = event.type()
        if kind not in (QEvent.Type.Wheel, QEvent.Type.Polish) or not isinstance(watched, GUARDED):
            return False
        if kind == QEvent.Type.Polish:
            watched.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            return False
        if watched.hasFocus():
            return False
        parent = watched.parentWidget()
        if isinstance(parent, QWidget):
            QCoreApplication.sendEvent(parent, event)  # Qt passes it further up until a scroll area takes it
        return True


_guard: WheelGuard | None = None


def install_wheel_guard(app: QCoreApplication) -> WheelGuard:
    """Guard every spin box and combo box of ``app`` (once per process)."""
    global _guard
    if _guard is None:
        _guard = WheelGuard()
        app.installEventFilter(_guard)
    return _guard
