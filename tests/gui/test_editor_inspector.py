"""The inspector: generated fields, inline errors, renames, input/classes and undoable edits."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from workbench.gui.editor.controller import INPUT_KEY
from workbench.gui.editor.param_fields import BoolField, ChoiceField, InitField, IntField, TextField


def type_into(edit, text: str) -> None:
    """Replace a line edit's text as a user would and press Enter."""
    edit.setFocus()
    edit.selectAll()
    QTest.keyClicks(edit, text)
    QTest.keyClick(edit, Qt.Key.Key_Return)


def test_fields_follow_the_parameter_descriptions(window):
    window.controller.select("conv2")
    fields = window.inspector.form.fields
    assert isinstance(fields["filters"], IntField) and fields["filters"].editor.minimum() == 1
    assert fields["filters"].editor.maximum() == 65536
    assert isinstance(fields["kernel"], TextField) and isinstance(fields["padding"], TextField)
    assert isinstance(fields["activation"], ChoiceField) and fields["activation"].editor.currentText() == "relu"
    assert isinstance(fields["bias"], BoolField) and fields["bias"].editor.isChecked()
    assert isinstance(fields["init"], InitField) and fields["init"].scheme.currentText() == "default (he)"
    assert "≥ 1" in fields["stride"].hint_label.text()
    window.controller.select("drop6")
    assert isinstance(window.inspector.form.fields["rate"], TextField)
    assert window.inspector.form.fields["rate"].editor.text() == "0.5"


def test_stride_zero_shows_an_inline_error_and_marks_the_stack(window):
    window.controller.select("conv2")
    stride = window.inspector.form.fields["stride"]
    type_into(stride.editor, "0")
    assert window.document.spec.layer("conv2").params["stride"] == 0
    assert "stride must be" in stride.error and "got 0" in stride.error
    assert not stride.error_label.isHidden()
    analysis = window.document.analysis
    assert analysis.info("conv2").status == "error"
    assert all(info.status == "unreachable" for info in analysis.layers[3:])
    assert window.stack_view.card("conv2").status == "error"
    assert window.stack_view.card("fc9").status == "unreachable"
    assert "error" in window.status_label.text()
    window.document.undo_stack.undo()
    assert "stride" not in window.document.spec.layer("conv2").params
    assert window.inspector.form.fields["stride"].error == ""
    assert window.document.analysis.ok


def test_unreadable_text_is_rejected_inline_and_changes_nothing(window):
    window.controller.select("conv2")
    before = window.document.spec.copy()
    kernel = window.inspector.form.fields["kernel"]
    type_into(kernel.editor, "big")
    assert "kernel must be" in kernel.error
    assert window.document.spec == before and not window.document.dirty
    type_into(kernel.editor, "5, 3")
    assert window.document.spec.layer("conv2").params["kernel"] == [5, 3]
    assert kernel.error == ""
    assert window.stack_view.card("conv2").layer.params["kernel"] == [5, 3]


def test_spin_box_steps_merge_into_one_undo_step(window):
    window.controller.select("conv1")
    spin = window.inspector.form.fields["filters"].editor
    for value in (64, 32, 16):
        spin.setValue(value)
    assert window.document.spec.layer("conv1").params["filters"] == 16
    assert window.document.undo_stack.count() == 1
    assert window.stack_view.card("conv1").layer.params["filters"] == 16
    window.document.undo_stack.undo()
    assert window.document.spec.layer("conv1").params["filters"] == 128
    assert window.inspector.form.fields["filters"].editor.value() == 128


def test_choice_and_init_fields(window):
    window.controller.select("fc7")
    form = window.inspector.form
    form.fields["activation"].editor.setCurrentText("tanh")
    assert window.document.spec.layer("fc7").params["activation"] == "tanh"
    assert form.fields["init"].scheme.currentText() == "default (glorot)"
    init = form.fields["init"]
    init.scheme.setCurrentIndex(init.scheme.findData("trunc_normal"))
    assert "needs a std" in init.error  # trunc_normal without a std is stored and reported
    type_into(init.std, "0.005")
    type_into(init.bias, "0.1")
    assert window.document.spec.layer("fc7").params["init"] == {"weight": "trunc_normal", "std": 0.005, "bias": 0.1}
    assert init.error == "" and window.document.analysis.ok


def test_rename_checks_uniqueness_and_keeps_the_selection(window):
    window.controller.select("fc7")
    form = window.inspector.form
    form.name_edit.setFocus()
    form.name_edit.selectAll()
    QTest.keyClicks(form.name_edit, "fc6")
    assert form.name_error.text() == "another layer is already named 'fc6'"
    QTest.keyClick(form.name_edit, Qt.Key.Key_Return)
    assert "fc7" in [layer.name for layer in window.document.spec.layers]
    type_into(form.name_edit, "fc7_1")
    assert window.controller.selected == "fc7_1"
    assert window.inspector.form.layer_name == "fc7_1"
    assert window.stack_view.card("fc7_1").property("selected")


def test_header_edits_input_shape_and_classes(window):
    window.controller.select(INPUT_KEY)
    form = window.inspector.form
    form.spins["height"].setValue(32)
    form.spins["width"].setValue(32)
    assert (window.document.spec.input.height, window.document.spec.input.width) == (32, 32)
    assert window.document.undo_stack.count() == 1  # one merged "Set input shape"
    type_into(form.classes_edit, "cat, dog")
    assert window.document.spec.classes == ["cat", "dog"]
    last = window.document.analysis.layers[-1]
    assert last.status == "error" and "2 classes" in last.error
    assert "2 classes" in window.stack_view.card("fc9").marker_texts[0]
    type_into(form.classes_edit, "cat,")
    assert "separated by commas" in form.classes_error.text()
    type_into(form.classes_edit, "cat, cat")
    assert "distinct" in form.classes_error.text() and window.document.spec.classes == ["cat", "dog"]


def test_f2_puts_the_cursor_in_the_name_field(window, qtbot):
    window.controller.select("gap")
    window.edit_actions.rename.trigger()
    assert window.inspector.form.name_edit.hasFocus()
