"""What the training panel says about which run is which: results, names, locked settings, Doctor count."""

from __future__ import annotations

from workbench.gui.doctor.finding_card import FindingCard
from workbench.gui.training.run_names import spec_changes
from workbench.presets import load_preset

from .specs import tiny_spec
from .test_training_panel import make_panel, wait_idle  # noqa: F401 (fixture)


def test_a_run_locks_its_settings_shows_its_curves_and_names_its_results(qtbot, make_panel):  # noqa: F811
    panel = make_panel(tiny_spec(epochs=1))
    panel.tabs.setCurrentWidget(panel.settings)
    panel.start()
    assert panel.tabs.currentWidget() is panel.curves_page
    assert not panel.settings.isEnabled() and not panel.data_chooser.isEnabled()
    assert "Locked" in panel.tabs.tabToolTip(panel.tabs.indexOf(panel.settings))
    wait_idle(qtbot, panel)
    assert panel.settings.isEnabled() and panel.data_chooser.isEnabled()
    qtbot.waitUntil(lambda: panel.results.results is not None, timeout=15_000)
    run_name = panel.ended.run_dir.rsplit("/", 1)[-1]
    assert f"Run {run_name}, weights at its end" in panel.results.summary.text()
    assert panel.controls.status.text() == "Run completed."
    panel.document.reset(tiny_spec(name="other"), None)  # another spec opened
    assert panel.controls.status.text() == "Ready." and panel.controls.progress.value() == 0


def test_a_run_of_an_edited_preset_is_named_by_what_changed():
    base = load_preset("overfeat-small")
    edited = base.copy()
    del edited.layers[-1]
    edited.training["lr"] = 0.01
    notes = spec_changes(base, edited)
    assert notes[0] == f"−{base.layers[-1].name}" and any(n.startswith("lr ") and n.endswith("0.001→0.01") for n in notes)
    assert spec_changes(base, base.copy()) == []


def test_the_doctor_tab_counts_what_its_list_shows(window):
    window.files.load_preset("overfeat-small-fc7_1")
    doctor = window.panels.doctor
    cards = doctor.list_widget.findChildren(FindingCard)
    serious = sum(c.finding.severity in ("error", "warning") for c in cards)
    tab = window.panel_tabs.tabText(window.panel_tabs.indexOf(window._panel_holders[doctor]))
    assert serious and tab == f"Doctor ({serious})"
    errors = sum(c.finding.severity == "error" for c in cards)
    assert f"{errors} error" in window.panel_tabs.tabToolTip(window.panel_tabs.indexOf(window._panel_holders[doctor]))
