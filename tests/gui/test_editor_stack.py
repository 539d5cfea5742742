"""The stack view: cards, drag-and-drop, keyboard actions, undo/redo and markers."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from workbench.gui.editor.cards import LAYER_MIME
from workbench.gui.editor.controller import INPUT_KEY
from workbench.presets import preset_names


def layer_names(window):
    return [layer.name for layer in window.document.spec.layers]


@pytest.mark.parametrize("name", preset_names())
def test_each_preset_loads_with_one_card_per_layer(window, name):
    window.files.load_preset(name)
    spec, analysis = window.document.spec, window.document.analysis
    cards = window.stack_view.cards
    assert [c.key for c in cards] == layer_names(window)
    for card, info in zip(cards, analysis.layers):
        doctor_errors = [m for m in window.document.markers_for(card.key) if m[0] == "error"]
        assert (card.status == "error") == (info.status == "error" or bool(doctor_errors))
        if info.status == "error":
            assert info.error in card.marker_texts[0]
    assert window.windowTitle().startswith(f"{name} (preset)")
    assert window.stack_view.footer.values["Parameters"].startswith(f"{analysis.total_params:,}")
    assert not window.document.dirty and len(spec.layers) > 0


def drop_at(window, mime: QMimeData, index: int) -> None:
    """Deliver a real drop event to the stack column, aimed between cards ``index-1`` and ``index``."""
    view = window.stack_view
    cards = view.cards
    if index < len(cards):
        y = cards[index].geometry().top() + 2
    else:
        y = cards[-1].geometry().bottom() + 4
    point = QPointF(QPoint(cards[0].geometry().center().x(), y))
    actions = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction
    args = (mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(point, actions, *args)
    QApplication.sendEvent(view.column, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(view.column, QDragMoveEvent(point, actions, *args))
    assert view.column.indicator.isVisible()
    QApplication.sendEvent(view.column, QDropEvent(point, actions, *args))
    assert not view.column.indicator.isVisible()


def test_dropping_a_palette_entry_inserts_it_where_it_lands(window, qtbot):
    mime = window.palette_list.mime_for("1×1 conv")
    drop_at(window, mime, 2)
    names = layer_names(window)
    assert names[2] == "conv6"
    assert window.document.spec.layers[2].params == {"filters": 32, "kernel": 1}
    assert window.controller.selected == "conv6"
    assert window.stack_view.cards[2].key == "conv6" and window.stack_view.cards[2].property("selected")
    assert window.edit_actions.undo.text().replace("&", "") == "Undo Add 1×1 conv"
    assert window.isWindowModified()


def test_dropping_a_card_moves_the_layer(window):
    mime = QMimeData()
    mime.setData(LAYER_MIME, b"drop6")
    drop_at(window, mime, 0)
    assert layer_names(window)[0] == "drop6"
    window.document.undo_stack.undo()
    assert layer_names(window).index("drop6") == 9


def test_palette_double_click_adds_after_the_selection(window, qtbot):
    window.controller.select("pool1")
    item = window.palette_list.findItems("Dropout", Qt.MatchFlag.MatchExactly)[0]
    rect = window.palette_list.visualItemRect(item)
    viewport = window.palette_list.viewport()
    QTest.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())  # a double click starts with a click
    QTest.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())
    names = layer_names(window)
    assert names[names.index("pool1") + 1] == "drop1"


def test_keyboard_delete_duplicate_move_and_undo_redo(window, qtbot):
    window.controller.select("conv3")
    window.stack_view.setFocus()
    QTest.keyClick(window, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    names = layer_names(window)
    assert names[names.index("conv3") + 1] == "conv6" and window.controller.selected == "conv6"
    QTest.keyClick(window, Qt.Key.Key_Delete)
    assert "conv6" not in layer_names(window)
    window.controller.select("conv3")
    QTest.keyClick(window, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    assert layer_names(window)[3] == "conv3"
    assert window.edit_actions.undo.text().replace("&", "") == "Undo Move conv3"
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert layer_names(window)[4] == "conv3"
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert layer_names(window)[3] == "conv3"
    window.document.undo_stack.setIndex(0)
    assert window.document.spec == window.document.spec.copy() and not window.document.dirty


def test_arrow_keys_walk_the_selection_from_the_header(window):
    window.controller.select(INPUT_KEY)
    window.stack_view.setFocus()
    QTest.keyClick(window.stack_view, Qt.Key.Key_Down)
    assert window.controller.selected == "conv1"
    QTest.keyClick(window.stack_view, Qt.Key.Key_Up)
    assert window.controller.selected == INPUT_KEY


def test_clicking_a_card_selects_it_and_fills_the_inspector(window, qtbot):
    card = window.stack_view.card("fc7")
    QTest.mouseClick(card, Qt.MouseButton.LeftButton, pos=QPoint(40, 10))
    assert window.controller.selected == "fc7"
    assert window.inspector.form.layer_name == "fc7"
    assert window.inspector.form.fields["filters"].editor.value() == 1024


def test_markers_from_other_sources_show_on_cards(window):
    window.document.set_markers("doctor", {"fc7": ("warning", "61% of units never activate")})
    card = window.stack_view.card("fc7")
    assert card.status == "warning" and "61% of units never activate" in card.marker_texts
    window.document.set_markers("doctor", {})
    assert window.stack_view.card("fc7").status == "ok"
    window.document.set_markers("doctor", {"fc7": ("error", "loss is NaN")})
    assert window.stack_view.card("fc7").status == "error"
    window.files.load_preset("overfeat-small")  # findings do not carry over to another document
    assert window.document.markers_for("fc7") == [] and window.stack_view.card("fc7").status == "ok"


def test_deleting_every_layer_shows_the_empty_stack_problem(window):
    for name in layer_names(window):
        window.controller.delete(name)
    assert window.stack_view.cards == []
    assert "empty" in window.status_label.text()
