"""The block editor: block cards with their sub-stacks, collapse, wrap/unwrap, drags into and out of
blocks, the inspector's block settings and markers on the cards inside blocks."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QLabel

from tests.blocks.specs import RESNET_TINY
from workbench.gui.editor.block_card import BlockCard
from workbench.gui.editor.cards import LAYER_MIME
from workbench.spec.yaml_io import loads_spec


@pytest.fixture
def win(window):
    window.document.reset(loads_spec(RESNET_TINY), None)
    return window


def body(window, block: str, slot: int = 0) -> list[str]:
    return [layer.name for layer in window.document.spec.layer(block).stacks[slot]]


def area_names(window, block: str, slot: int = 0) -> list[str]:
    return [card.key for card in window.stack_view.card(block).areas[slot].cards]


def drop_on(window, mime: QMimeData, name: str, edge: str) -> None:
    """Deliver a real drag and drop to the stack column near the ``top`` or ``bottom`` edge of card ``name``."""
    column = window.stack_view.column
    for _ in range(3):  # rebuilt cards are shown, laid out and the scrolled column resized by queued events
        QApplication.processEvents()
    widget = window.stack_view.card(name)
    window.stack_view.ensureWidgetVisible(widget, 0, 0)
    y = 2 if edge == "top" else widget.height() - 3
    point = QPointF(widget.mapTo(column, QPoint(widget.width() // 2, y)))
    actions = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction
    args = (mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(point, actions, *args)
    QApplication.sendEvent(column, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(column, QDragMoveEvent(point, actions, *args))
    assert column.indicator.isVisible()
    QApplication.sendEvent(column, QDropEvent(point, actions, *args))


def layer_mime(name: str) -> QMimeData:
    mime = QMimeData()
    mime.setData(LAYER_MIME, name.encode())
    return mime


def test_block_cards_show_their_stacks_join_shortcut_and_repeat(win):
    view = win.stack_view
    assert [c.key for c in view.cards] == ["stem", "stage1", "stage2", "mix", "gap", "logits"]
    stage1, stage2, mix = view.card("stage1"), view.card("stage2"), view.card("mix")
    assert isinstance(stage1, BlockCard) and "2 × residual 4→4" in stage1.toolTip()
    assert area_names(win, "stage1") == ["s1c1", "s1c2"] and stage1.isAncestorOf(view.card("s1c2"))
    assert stage1.join.text().startswith("⊕ add identity shortcut") and stage1.rail.text == "identity"
    assert stage2.rail.text == "1×1 conv projection" and "residual 4→8" in stage2.toolTip()
    assert mix.join.text().startswith("‖ concat") and len(mix.areas) == 2
    inner = view.card("inner")
    assert mix.areas[1].isAncestorOf(inner) and inner.areas[0].cards[0].key == "b2c"
    assert view.card("s1c1").grid.itemAtPosition(0, 2).widget().text() == "4×8×8"
    assert list(view.all_cards)[:4] == ["stem", "stage1", "s1c1", "s1c2"]  # reading order, for the arrow keys
    assert win.status_label.text().startswith("10 layers (4 blocks)")


def test_collapse_and_expand_keep_across_edits(win, qtbot):
    view = win.stack_view
    qtbot.mouseClick(view.card("stage1").toggle, Qt.MouseButton.LeftButton)
    card = view.card("stage1")
    assert card.collapsed and "s1c1" not in view.all_cards and card.areas == []
    assert any("2 layers inside" in label.text() for label in card.findChildren(QLabel))
    win.controller.set_param("stem", "filters", 4)  # any edit rebuilds the cards: stage1 stays folded
    win.controller.set_param("stem", "filters", 5)
    assert view.card("stage1").collapsed and "s1c1" not in view.all_cards
    qtbot.mouseClick(view.card("stage1").toggle, Qt.MouseButton.LeftButton)
    assert not view.card("stage1").collapsed and area_names(win, "stage1") == ["s1c1", "s1c2"]


def test_shift_click_range_wrap_in_residual_then_unwrap_with_undo_redo(win, qtbot):
    view, original = win.stack_view, win.document.spec.copy()
    qtbot.mouseClick(view.card("s2c1"), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(view.card("s2bn"), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier)
    assert win.controller.selection == ["s2c1", "s2bn"]
    assert view.card("s2c1").property("selected") and view.card("s2bn").property("selected")
    assert not view.card("stage2").property("selected")
    win.edit_actions.wrap_residual.trigger()
    block = win.controller.selected
    assert body(win, "stage2") == [block] and body(win, block) == ["s2c1", "s2bn"]
    assert area_names(win, "stage2") == [block] and area_names(win, block) == ["s2c1", "s2bn"]
    win.document.undo_stack.undo()
    assert win.document.spec == original and area_names(win, "stage2") == ["s2c1", "s2bn"]
    win.document.undo_stack.redo()
    assert body(win, block) == ["s2c1", "s2bn"]
    win.controller.select(block)
    assert win.edit_actions.unwrap.isEnabled()
    qtbot.mouseClick(win.inspector.form.block_controls.buttons["Unwrap"], Qt.MouseButton.LeftButton)
    assert win.document.spec == original and win.controller.selected == "s2c1"
    win.document.undo_stack.undo()
    assert body(win, block) == ["s2c1", "s2bn"]


def test_wrap_in_parallel_and_manage_branches_in_the_inspector(win, qtbot):
    win.controller.select("stem")
    win.edit_actions.wrap_parallel.trigger()
    block = win.controller.selected
    assert body(win, block) == ["stem"] and win.stack_view.cards[0].key == block
    buttons = win.inspector.form.block_controls.buttons
    qtbot.mouseClick(buttons["Add branch"], Qt.MouseButton.LeftButton)
    assert len(win.document.spec.layer(block).stacks) == 2
    card = win.stack_view.card(block)
    assert card.areas[1].cards == [] and "drop layers here" in card.areas[1].findChildren(QLabel)[0].text()
    assert win.document.analysis.info(block).out_shape[0] == 4 + 3  # stem's 4 channels and the input's 3
    buttons = win.inspector.form.block_controls.buttons  # the form was rebuilt for two branches
    qtbot.mouseClick(buttons["Remove branch 1"], Qt.MouseButton.LeftButton)
    assert win.document.spec.layer(block).stacks == [[]]
    win.document.undo_stack.undo()
    win.document.undo_stack.undo()
    assert body(win, block) == ["stem"] and len(win.document.spec.layer(block).stacks) == 1


def test_unwrap_that_would_change_the_network_is_refused_with_a_message(win):
    win.controller.select("stage1")
    win.edit_actions.unwrap.trigger()
    assert body(win, "stage1") == ["s1c1", "s1c2"]
    assert "repeats 2 times" in win.statusBar().currentMessage() and win.document.undo_stack.count() == 0


def test_drag_cards_into_and_out_of_a_body_and_across_branches(win):
    view = win.stack_view
    drop_on(win, layer_mime("stem"), "s1c2", "bottom")  # lower half of the last card: after it
    assert body(win, "stage1") == ["s1c1", "s1c2", "stem"] and area_names(win, "stage1") == ["s1c1", "s1c2", "stem"]
    drop_on(win, layer_mime("s1c1"), "stage1", "top")  # on the block's top edge: before it, outside
    assert [c.key for c in view.cards][:2] == ["s1c1", "stage1"] and body(win, "stage1") == ["s1c2", "stem"]
    drop_on(win, layer_mime("b1"), "inner", "bottom")
    assert body(win, "mix", 0) == [] and body(win, "mix", 1) == ["b2", "inner", "b1"]
    drop_on(win, layer_mime("stage1"), "b2c", "top")  # a block into another's body
    assert body(win, "inner") == ["stage1", "b2c"]
    win.document.undo_stack.undo()
    win.document.undo_stack.undo()
    win.document.undo_stack.undo()
    win.document.undo_stack.undo()
    assert win.document.spec == loads_spec(RESNET_TINY)


def test_a_block_cannot_be_dropped_into_itself(win):
    drop_on(win, layer_mime("mix"), "b2c", "top")
    assert body(win, "inner") == ["b2c"] and "into itself" in win.statusBar().currentMessage()


def test_palette_offers_blocks_and_drops_into_a_branch(win):
    palette = win.palette_list
    labels = [palette.item(i).text() for i in range(palette.count())]
    assert "Residual block" in labels and "Parallel block" in labels
    assert not palette.item(labels.index("Parallel block")).icon().isNull()
    empty_branch_owner = win.stack_view.card("mix")
    drop_on(win, palette.mime_for("Batch norm"), "b1", "top")
    assert body(win, "mix", 0)[1] == "b1" and win.document.spec.layer(body(win, "mix", 0)[0]).type == "batchnorm"
    assert empty_branch_owner is not win.stack_view.card("mix")  # rebuilt
    drop_on(win, palette.mime_for("Residual block"), "gap", "top")
    new = win.controller.selected
    assert win.document.spec.layer(new).stacks == [[]] and win.stack_view.card(new).areas[0].cards == []
    assert "the body is empty" in win.stack_view.card(new).marker_texts[0]


def test_inspector_edits_repeat_shortcut_activation_and_merge(win):
    win.controller.select("stage1")
    form = win.inspector.form
    assert set(form.fields) >= {"repeat", "shortcut", "activation", "zero_init"}
    form.fields["repeat"].editor.setValue(3)
    assert win.document.spec.layer("stage1").params["repeat"] == 3
    assert "3 × residual" in win.stack_view.card("stage1").toolTip()
    form.fields["shortcut"].editor.setCurrentText("projection")
    assert win.stack_view.card("stage1").rail.text == "1×1 conv projection"
    form.fields["activation"].editor.setCurrentText("none")
    assert "then" not in win.stack_view.card("stage1").join.text()
    win.controller.select("mix")
    win.inspector.form.fields["merge"].editor.setCurrentText("add")
    assert win.stack_view.card("mix").join.text().startswith("⊕ add the branches")
    assert "add needs the same shape" in win.stack_view.card("mix").marker_texts[0]  # 2 vs 3 channels
    for _ in range(4):
        win.document.undo_stack.undo()
    assert win.document.spec == loads_spec(RESNET_TINY)


def test_errors_and_doctor_markers_land_on_the_card_inside_the_block(win):
    win.controller.set_param("b2c", "kernel", 9)  # larger than the 8×8 map: an error inside inner, inside mix
    view = win.stack_view
    assert view.card("b2c").status == "error" and "9" in view.card("b2c").marker_texts[0]
    assert view.card("inner").status == "error" and "inside this block" in view.card("inner").marker_texts[0]
    assert view.card("mix").status == "error" and view.card("b2").status == "ok"
    win.document.undo_stack.undo()
    win.document.set_markers("doctor", {"stage1.1.body.s1c2": ("warning", "weak signal in s1c2"), "stage2.0": ("info", "about stage2")})
    assert view.card("s1c2").marker_texts == ["weak signal in s1c2"] and view.card("s1c2").status == "warning"
    assert view.card("stage1").marker_texts == [] and view.card("stage2").marker_texts == ["about stage2"]
    win.controller.select("s1c2")
    assert "weak signal in s1c2" in win.inspector.form.stats.text()
