"""The wheel edits a spin box or combo box only after the user clicked or tabbed into it."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox


def wheel(widget, notches: int = 1) -> None:
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre)), QPoint(), QPoint(0, 120 * notches),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def focus(qtbot, window, widget) -> None:
    window.activateWindow()
    widget.setFocus(Qt.FocusReason.MouseFocusReason)
    qtbot.waitUntil(widget.hasFocus, timeout=3000)


def test_wheel_over_an_unfocused_inspector_field_changes_nothing(qtbot, window):
    window.controller.select("conv1")
    spin = window.inspector.form.fields["filters"].editor
    before = window.document.spec.copy()
    assert spin.focusPolicy() == Qt.FocusPolicy.StrongFocus
    wheel(spin, -3)
    wheel(window.inspector.form.fields["activation"].editor, 1)
    assert window.document.spec == before and window.document.undo_stack.count() == 0
    focus(qtbot, window, spin)
    wheel(spin, 1)
    assert window.document.spec.layer("conv1").params["filters"] == spin.value() != before.layer("conv1").params["filters"]


def test_every_training_and_inspector_field_is_guarded(qtbot, window):
    training = window.panels.training
    fields = [w for form in (training.settings, training.data_chooser, window.inspector)
              for w in form.findChildren(QAbstractSpinBox) + form.findChildren(QComboBox)]
    assert len(fields) > 8
    for field in fields:
        field.ensurePolished()
        assert field.focusPolicy() == Qt.FocusPolicy.StrongFocus, field.objectName() or type(field).__name__
    epochs = training.settings.findChildren(QAbstractSpinBox)[0]
    value = epochs.value()
    wheel(epochs, 2)
    assert epochs.value() == value
