"""The doctor panel: findings follow the spec, fixes are undoable edits, checks run off the GUI thread."""

import pytest

from workbench.doctor.findings import Finding
from workbench.gui.doctor import DoctorPanel
from workbench.gui.doctor.finding_card import FindingCard
from workbench.gui.doctor.panel import count_text
from workbench.gui.document import SpecDocument

from .helpers import question_spec, sick_spec


@pytest.fixture
def panel(qtbot):
    document = SpecDocument(sick_spec(images=60, epochs=50))
    widget = DoctorPanel(document)
    qtbot.addWidget(widget)
    widget.resize(800, 800)
    widget.show()
    yield widget
    widget.shutdown()


def _cards(panel):
    return panel.list_widget.findChildren(FindingCard)


def test_findings_markers_and_an_undoable_fix(panel):
    document = panel.document
    assert _cards(panel)[0].finding.rule == "dropout-on-logits"
    assert document.markers_for("drop9")[0][0] == "error"
    assert document.markers_for("fc7")[0][0] == "warning"
    _cards(panel)[0].fix_buttons[0].click()
    assert "drop9" not in [layer.name for layer in document.spec.layers]
    assert "dropout-on-logits" not in [f.rule for f in panel.findings()]
    assert document.markers_for("drop9") == []
    document.undo_stack.undo()
    assert "drop9" in [layer.name for layer in document.spec.layers]
    assert "dropout-on-logits" in [f.rule for f in panel.findings()]


def test_init_check_runs_in_the_background_and_charts_each_layer(panel, qtbot):
    panel.init_button.click()
    qtbot.waitUntil(lambda: panel.init_report is not None and panel.init_button.isEnabled(), timeout=60_000)
    assert panel.init_chart.names[0] == "input" and "fc7_1" in panel.init_chart.names
    weak = next(f for f in panel.findings() if f.rule == "weak-signal")
    assert weak.layers == ("fc6", "fc7", "fc7_1")
    assert "Usual checks" in panel.checks_label.text()
    weak_card = next(c for c in _cards(panel) if c.finding.rule == "weak-signal")
    weak_card.fix_buttons[0].click()  # batch norm after the weak layers
    assert "bn_fc6" in [layer.name for layer in panel.document.spec.layers]
    assert "weak-signal" not in [f.rule for f in panel.findings()]  # the old measurement no longer applies
    assert "changed" in panel.status.text()


def test_training_findings_are_listed_once(panel):
    finding = Finding("stuck-at-chance", "error", "The loss is stuck at chance", "x", "AutoTrainer", phase="training")
    panel.add_training_finding(finding)
    panel.add_training_finding(finding)
    assert [c.finding.rule for c in _cards(panel)].count("stuck-at-chance") == 1


def test_try_fixes_overlays_and_ranks_the_trials(panel, qtbot):
    panel.steps.setValue(10)
    panel.trial_button.click()
    qtbot.waitUntil(lambda: panel.ranking_label.text().startswith("Ranked"), timeout=120_000)
    labels = [r.label for r in panel.trial_results]
    assert "As it is (no fix)" in labels and len(labels) >= 3
    assert panel.trial_chart.legend.items  # one curve per trial


def test_compare_with_another_stack_lines_the_layers_up(panel, qtbot):
    panel.run_compare(question_spec())
    qtbot.waitUntil(lambda: panel.comparison is not None and panel.compare_button.isEnabled(), timeout=60_000)
    assert panel.tabs.currentIndex() == 2
    names = panel.compare_chart.names
    assert names[-1] == "logits" and "fc7_1" in names
    only_ours = [r.name for r in panel.comparison.rows if r.b is None]
    assert only_ours == ["fc7_1"] and "fc7_1" in panel.compare_label.text()


def test_compare_refuses_a_stack_with_another_input(panel):
    other = sick_spec()
    other.input = type(other.input)(1, 32, 32)
    panel.run_compare(other)
    assert panel.comparison is None and "different input" in panel.status.text()


def test_the_init_check_survives_edits_it_does_not_depend_on(panel, qtbot):
    panel.init_button.click()
    qtbot.waitUntil(lambda: panel.init_report is not None and panel.init_button.isEnabled(), timeout=60_000)

    def edit_training(**values):
        spec = panel.document.spec.copy()
        spec.training.update(values)
        panel.document.apply(spec, "Edit training")
        return [f.rule for f in panel.findings()]

    assert "weak-signal" in edit_training(epochs=3, lr=0.05)  # same network, same batch: still measured
    assert "weak-signal" not in edit_training(seed=7)  # other initial weights: measure again


def test_a_chart_of_another_network_is_covered_until_checked_again(panel, qtbot):
    panel.init_button.click()
    qtbot.waitUntil(lambda: panel.init_report is not None and panel.init_button.isEnabled(), timeout=60_000)
    assert panel.init_cover.isHidden()
    first_names = list(panel.init_chart.names)
    assert panel.status.text().endswith(count_text(panel.findings()))
    errors = sum(c.finding.severity == "error" for c in _cards(panel))
    assert f"{errors} error" in panel.status.text()  # the same count as the list below
    panel.document.apply(question_spec(), "Open another preset")
    assert panel.init_cover.isVisible() and panel.init_cover.label.text().startswith("Out of date")
    assert panel.init_cover.geometry() == panel.init_cover.parentWidget().rect()
    panel.init_cover.button.click()
    qtbot.waitUntil(lambda: panel.init_cover.isHidden() and panel.init_button.isEnabled(), timeout=60_000)
    assert panel.init_chart.names != first_names
    panel.document.undo_stack.undo()  # back to the first network: the chart is stale again
    assert panel.init_cover.isVisible()



def test_trials_that_do_not_learn_add_the_verdict_until_the_spec_changes(panel):
    from workbench.doctor.trial import AS_IS, TrialResult, learning_verdict

    spec = panel.document.snapshot()
    stuck = TrialResult(AS_IS, spec)
    stuck.losses = [(1, 1.10), (10, 1.10)]  # ln 3 = 1.099: the trial sat at chance
    panel.show_trials(spec, [stuck], learning_verdict(spec, [], [stuck], 10))
    assert "does-not-learn" in [c.finding.rule for c in _cards(panel)]
    edited = panel.document.snapshot()
    edited.training["lr"] = 0.02  # a training setting: the trials no longer describe this spec
    panel.document.apply(edited, "Set lr")
    assert "does-not-learn" not in [c.finding.rule for c in _cards(panel)]
    panel.document.undo_stack.undo()
    assert "does-not-learn" in [c.finding.rule for c in _cards(panel)]
