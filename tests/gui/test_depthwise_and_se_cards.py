"""The depthwise and squeeze-and-excitation layers in the editor: palette entries with icons, dropped into a
residual body, their cards' key parameters and shapes, inspector fields from the parameter descriptions,
and undoable edits."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from tests.blocks.specs import RESNET_TINY
from tests.gui.test_block_editor import body, drop_on
from workbench.gui.editor.param_fields import IntField
from workbench.spec.yaml_io import loads_spec


def _texts(card) -> list[str]:
    return [label.text() for label in card.findChildren(QLabel)]


def test_depthwise_and_se_from_the_palette_into_a_body(window):
    window.document.reset(loads_spec(RESNET_TINY), None)
    palette = window.palette_list
    labels = [palette.item(i).text() for i in range(palette.count())]
    for label in ("Depthwise conv", "Squeeze-excite"):
        assert not palette.item(labels.index(label)).icon().isNull()
    drop_on(window, palette.mime_for("Depthwise conv"), "s1c2", "top")
    dw = window.controller.selected
    drop_on(window, palette.mime_for("Squeeze-excite"), "s1c2", "top")
    se = window.controller.selected
    assert body(window, "stage1") == ["s1c1", dw, se, "s1c2"]
    spec = window.document.spec
    assert (spec.layer(dw).type, spec.layer(se).type) == ("depthwise", "se")
    assert window.document.analysis.ok

    card = window.stack_view.card(dw)
    assert "Depthwise conv" in _texts(card) and "×1 · 3×3 · same · relu" in _texts(card) and "4×8×8" in _texts(card)
    assert "Squeeze-excite" in _texts(window.stack_view.card(se))
    assert "reduction 4" in _texts(window.stack_view.card(se))

    window.controller.select(dw)
    multiplier = window.inspector.form.fields["multiplier"]
    assert isinstance(multiplier, IntField) and multiplier.editor.minimum() == 1 and multiplier.editor.maximum() == 64
    assert {"kernel", "stride", "padding", "dilation", "bias", "activation", "init"} <= set(window.inspector.form.fields)
    multiplier.editor.setValue(2)
    assert window.document.analysis.info(f"stage1.0.body.{dw}").out_shape == (8, 8, 8)
    assert "×2 · 3×3 · same · relu" in _texts(window.stack_view.card(dw))
    window.controller.select(se)
    window.inspector.form.fields["reduction"].editor.setValue(2)
    assert window.document.spec.layer(se).params == {"reduction": 2}
    for _ in range(4):
        window.document.undo_stack.undo()
    assert window.document.spec == loads_spec(RESNET_TINY)
