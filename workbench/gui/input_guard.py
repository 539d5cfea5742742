"""What the wheel and Ctrl+Z do in fields, for the whole application in one event filter.

- A spin box or combo box takes focus only by click or Tab (``Qt.StrongFocus``), and a wheel turned over an
  unfocused one goes to its parents instead: the scroll area around a form scrolls and no value changes unnoticed.
- Undo and Redo in a text field undo the field's own typing while it has some; once it has none (the text was
  committed, or nothing was typed yet), the keys reach the window's Undo and Redo of spec edits.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QLineEdit, QWidget

WHEEL_GUARDED = (QAbstractSpinBox, QComboBox)


class InputGuard(QObject):
    """Installed on the application by :func:`install_input_guard`."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        kind = event.type()
        if kind == QEvent.Type.ShortcutOverride:
            return self._undo_passes_through(watched, event)
        if kind not in (QEvent.Type.Wheel, QEvent.Type.Polish) or not isinstance(watched, WHEEL_GUARDED):
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

    @staticmethod
    def _undo_passes_through(watched: QObject, event) -> bool:
        """True (the field does not claim the key, so the window's shortcut fires) for Undo/Redo in a text
        field with nothing of its own to undo/redo."""
        edit = watched.lineEdit() if isinstance(watched, QAbstractSpinBox) else watched
        if not isinstance(edit, QLineEdit) or edit.isReadOnly():
            return False
        if event.matches(QKeySequence.StandardKey.Undo):
            return not edit.isUndoAvailable()
        if event.matches(QKeySequence.StandardKey.Redo):
            return not edit.isRedoAvailable()
        return False


_guard: InputGuard | None = None


def install_input_guard(app: QCoreApplication) -> InputGuard:
    """Guard every field of ``app`` (once per process)."""
    global _guard
    if _guard is None:
        _guard = InputGuard()
        app.installEventFilter(_guard)
    return _guard
