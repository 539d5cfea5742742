"""The panels inside the main window, wired together: doctor ↔ training, runs → Predict, export, bundles, close."""

from __future__ import annotations

from pathlib import Path

from workbench.doctor.findings import Finding
from workbench.doctor.monitor import TrainingMonitor
from workbench.gui.training import close_guard
from workbench.training import RunStarted, open_run

from .specs import tiny_spec


def wait_idle(qtbot, panel, timeout=60_000):
    qtbot.waitUntil(lambda: not panel.is_running and panel.worker is None, timeout=timeout)


def train_tiny(qtbot, window, **kwargs) -> Path:
    window.document.reset(tiny_spec(**kwargs), None)
    training = window.panels.training
    assert training.start()
    assert any(isinstance(cb, TrainingMonitor) for cb in training.worker.callbacks)
    wait_idle(qtbot, training)
    assert training.ended.status == "completed"
    return Path(training.ended.run_dir)


def test_a_finished_run_goes_to_predict_and_exports_to_a_bundle_that_reopens(qtbot, window, tmp_path, dialogs):
    panels = window.panels
    run_dir = train_tiny(qtbot, window, epochs=1)
    assert panels.predict.predictor is not None and panels.predict.predictor.path == run_dir

    dialog = panels.export(str(run_dir))
    dialog.set_format("wbm")
    target = tmp_path / "tiny.wbm"
    dialog.path_edit.setText(str(target))
    with qtbot.waitSignal(dialog.finished_export, timeout=60_000) as done:
        dialog.start_export()
    assert done.args[0].ok and target.is_file()
    dialog.done(0)

    window.files.load_preset("lenet5")
    assert panels.open_bundle(str(target))
    assert window.document.spec == open_run(run_dir).spec and window.document.path is None
    assert window.windowTitle().startswith("tiny.wbm (trained model)")
    assert [name for name, _curves in panels.training.overlays] == ["tiny"]
    assert panels.predict.predictor.kind == "bundle"
    assert window.current_panel() is panels.training


def test_a_damaged_bundle_is_refused_and_the_open_spec_kept(window, tmp_path, dialogs):
    bad = tmp_path / "broken.wbm"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    before = window.document.spec
    assert not window.panels.open_bundle(str(bad))
    kind, title, text = dialogs.calls[-1]
    assert kind == "warning" and title == "Cannot open the trained model" and "broken.wbm" in text
    assert window.document.spec == before


def test_training_findings_reach_the_doctor_and_mark_the_layer(window):
    panels = window.panels
    window.document.reset(tiny_spec(epochs=6), None)  # 24 steps: not a run too short to leave chance
    assert panels.window.panel_tabs.tabText(1) == "Doctor"
    finding = Finding("dying-relu", "warning", "ReLU units are dying", "conv1: 80% of the channels output 0.",
                      "test", ("conv1",), (), {}, "training")
    panels.training.diagnosis.emit(finding)
    assert finding in panels.doctor.findings()
    assert ("warning", "ReLU units are dying") in window.document.markers_for("conv1")
    assert window.panel_tabs.tabText(1) == "Doctor (1)"
    panels.on_run_started(RunStarted(None, "tiny", "cpu", 1, 1, 10, 2))
    assert finding not in panels.doctor.findings() and window.panel_tabs.tabText(1) == "Doctor"


def test_starting_a_run_the_doctor_flags_shows_a_warning(window):
    panels = window.panels
    window.files.load_preset("overfeat-small-fc7_1")
    errors = [f for f in panels.doctor.findings() if f.severity == "error"]
    assert errors
    panels.on_run_started(RunStarted(None, "overfeat-small-fc7_1", "cpu", 1, 1, 10, 2))
    banner = panels.training.controls.banner
    assert banner.isVisibleTo(panels.training) and errors[0].title in banner.label.text()
    window.files.load_preset("overfeat-small")
    assert not [f for f in panels.doctor.findings() if f.severity == "error"]


def test_closing_the_window_during_a_run_stops_it_with_a_resumable_checkpoint(qtbot, window, monkeypatch):
    training = window.panels.training
    window.document.reset(tiny_spec(epochs=200), None)
    window.document.undo_stack.setClean()
    assert training.start()
    qtbot.waitUntil(lambda: training.worker is not None and len(training.worker.curves.series["val_loss"]) >= 1
                    and training.started is not None, timeout=30_000)
    run_dir = Path(training.started.run_dir)
    monkeypatch.setattr(close_guard, "ask_about_running_training", lambda parent: close_guard.STOP)
    assert window.close()
    assert not training.thread.isRunning()
    qtbot.waitUntil(lambda: open_run(run_dir).status == "stopped", timeout=10_000)
    assert open_run(run_dir).checkpoint_path("last").is_file()


def test_export_without_a_selection_uses_this_sessions_run(qtbot, window):
    run_dir = train_tiny(qtbot, window, epochs=1)
    window.panels.training.runs.tree.setCurrentItem(None)
    assert window.panels.run_to_export() == str(run_dir)
