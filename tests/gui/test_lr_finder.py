"""The Training panel's "Find learning rate" dialog: range test on a worker thread, the plot, Cancel, and
"Use suggested" as one undoable edit."""

from __future__ import annotations

import math

from workbench.doctor.lr_rules import fmt_lr
from workbench.gui.document import SpecDocument
from workbench.gui.training import TrainingPanel

from .specs import tiny_spec


def _panel(qtbot, lr=1e-6):
    spec = tiny_spec(images=60)
    spec.training["lr"] = lr
    panel = TrainingPanel(SpecDocument(spec))
    qtbot.addWidget(panel)
    return panel


def test_find_learning_rate_plots_the_curve_and_applies_the_suggestion_as_one_undo_step(qtbot):
    panel = _panel(qtbot)
    document = panel.document
    panel.settings.find_lr_button.click()
    dialog = panel.lr_dialog
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=120_000)
    result = dialog.result
    assert result.suggested is not None and dialog.use_button.isEnabled()
    assert len(result.lrs) > 20 and dialog.bar.value() == dialog.bar.maximum()
    items = dialog.curve.getPlotItem().listDataItems()
    assert len(items) == 3  # raw loss, smoothed loss, suggestion marker
    assert items[2].xData[0] == result.suggested  # the marker sits at the suggestion ...
    assert items[2].getData()[0][0] == math.log10(result.suggested)  # ... on a log-x axis
    assert fmt_lr(result.suggested) in dialog.summary.text()
    dialog.use_button.click()
    assert document.spec.training["lr"] == float(fmt_lr(result.suggested))
    assert document.undo_stack.count() == 1 and "range test" in document.undo_stack.undoText()
    document.undo_stack.undo()
    assert document.spec.training["lr"] == 1e-6
    assert panel.settings.editor("training", "lr").value() == 1e-6
    dialog.close()


def test_cancel_stops_the_range_test_and_offers_nothing_to_apply(qtbot):
    panel = _panel(qtbot)
    dialog = panel.find_learning_rate()
    qtbot.addWidget(dialog)
    dialog.cancel_button.click()
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=120_000)
    assert dialog.result.stopped == "cancelled" and len(dialog.result.lrs) < 100
    assert not dialog.use_button.isEnabled() and not dialog.cancel_button.isEnabled()
    assert panel.document.undo_stack.count() == 0
    dialog.close()
