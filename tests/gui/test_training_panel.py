"""The training panel end to end: tiny runs on a worker thread, stop, shutdown, errors, runs and results."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from workbench.gui.document import SpecDocument
from workbench.gui.training import TrainingPanel
from workbench.training import Trainer
from workbench.training.events import DiagnosisEvent

from .specs import tiny_spec

class StepRecorder:
    """A trainer callback: records steps; can hold one batch until released, emit a diagnosis, or fail."""

    def __init__(self, hold_at=None, diagnose_at=None, fail_at=None):
        self.steps: list[int] = []
        self.hold_at, self.diagnose_at, self.fail_at = hold_at, diagnose_at, fail_at
        self.holding = threading.Event()
        self.release = threading.Event()

    def on_batch_end(self, ctx):
        self.steps.append(ctx.step)
        if len(self.steps) == self.diagnose_at:
            ctx.emit(DiagnosisEvent(ctx.step, "fc7 outputs barely depend on the image"))
        if len(self.steps) == self.fail_at:
            raise RuntimeError("simulated failure inside the training loop")
        if len(self.steps) == self.hold_at:
            self.holding.set()
            self.release.wait(10)


@pytest.fixture
def make_panel(qtbot):
    panels = []

    def make(spec, recorder=None):
        panel = TrainingPanel(SpecDocument(spec))
        qtbot.addWidget(panel)
        if recorder is not None:
            panel.add_callback_factory(lambda _spec: recorder)
        panels.append(panel)
        return panel

    yield make
    for panel in panels:
        assert panel.shutdown(10)


def wait_idle(qtbot, panel, timeout=30_000):
    qtbot.waitUntil(lambda: not panel.is_running and panel.worker is None, timeout=timeout)


def test_tiny_run_fills_plots_results_runs_and_log(qtbot, make_panel):
    recorder = StepRecorder(diagnose_at=2)
    panel = make_panel(tiny_spec(), recorder)
    qtbot.waitUntil(lambda: "per epoch on" in panel.controls.estimate.text(), timeout=15_000)
    with qtbot.waitSignal(panel.diagnosis, timeout=30_000) as diagnosed:
        assert panel.start()
    wait_idle(qtbot, panel)
    assert diagnosed.args == ["fc7 outputs barely depend on the image"]
    assert panel.ended.status == "completed"
    for name in ("loss", "loss_ema", "val_loss", "acc", "val_acc", "lr"):
        x, y = panel.plots.curves[name].getData()
        assert x is not None and len(x) > 0, name
    assert len(panel.plots.curves["val_loss"].getData()[0]) == 2  # one point per epoch
    assert panel.plots.chance.isVisible() and any("ln(3)" in label.text for _, label in panel.plots.legend.items)
    assert panel.log.count() == 1 and "barely depend" in panel.log.item(0).text()
    qtbot.waitUntil(lambda: panel.results.results is not None, timeout=10_000)
    results = panel.results.results
    assert panel.results.matrix.rowCount() == 3 and panel.results.matrix.columnCount() == 4
    assert results.confusion.sum() == 20  # 25 % of 80 images
    assert panel.results.grid_layout.count() == 20
    mistakes_in_all = 20 - int(results.confusion.trace())
    assert panel.results.grid_title.text().startswith("20 of 20 validation images, mistakes first")
    assert f"({mistakes_in_all} mistake" in panel.results.grid_title.text()
    first = panel.results.grid_layout.itemAt(0).widget().caption.text()
    mistakes = int((results.true != results.predicted).sum())
    assert ("→" in first) == (mistakes > 0)  # mistakes come first
    assert panel.runs.tree.topLevelItemCount() == 1
    assert panel.runs.tree.topLevelItem(0).text(2) == "completed"
    assert panel.controls.start_button.isEnabled()


def test_stop_ends_the_run_within_one_batch(qtbot, make_panel):
    recorder = StepRecorder(hold_at=3)
    panel = make_panel(tiny_spec(epochs=50), recorder)
    panel.start()
    assert recorder.holding.wait(20)
    qtbot.waitUntil(lambda: "img/s" in panel.controls.status.text(), timeout=5_000)
    assert panel.controls.status.text().startswith("Epoch 1/50 · step 2/200")
    assert panel.controls.progress.maximum() == 200 and panel.controls.progress.value() == 2
    panel.stop()
    recorder.release.set()
    wait_idle(qtbot, panel)
    assert panel.ended.status == "stopped"
    assert recorder.steps == [1, 2, 3]  # the batch in flight finished; no other started
    assert panel.controls.start_button.isEnabled()


def test_pause_holds_the_run_and_resume_continues(qtbot, make_panel):
    recorder = StepRecorder(hold_at=2)
    panel = make_panel(tiny_spec(epochs=1), recorder)
    panel.start()
    assert recorder.holding.wait(20)
    panel.pause()
    assert panel.controls.pause_button.text() == "Resume"
    qtbot.waitUntil(lambda: panel.controls.status.text().endswith("· paused"), timeout=5_000)
    recorder.release.set()
    qtbot.wait(300)
    assert recorder.steps == [1, 2] and panel.is_running
    panel.resume()
    wait_idle(qtbot, panel)
    assert panel.ended.status == "completed" and len(recorder.steps) == 4


def test_shutdown_during_a_run_keeps_a_resumable_checkpoint(qtbot, make_panel):
    panel = make_panel(tiny_spec(epochs=200))
    panel.start()
    qtbot.waitUntil(lambda: panel.worker is not None and len(panel.worker.curves.series["val_loss"]) >= 1, timeout=30_000)
    run_dir = Path(panel.started.run_dir)
    assert panel.shutdown(10)
    assert not panel.thread.isRunning()
    assert (run_dir / "checkpoints" / "last.pt").is_file()
    wait_idle(qtbot, panel)
    assert panel.ended.status == "stopped"
    panel.runs.refresh()
    panel.runs.tree.setCurrentItem(panel.runs.tree.topLevelItem(0))
    assert panel.runs.continue_button.isEnabled()


def test_worker_error_reaches_the_user_as_a_message(qtbot, make_panel):
    panel = make_panel(tiny_spec(), StepRecorder(fail_at=2))
    panel.start()
    wait_idle(qtbot, panel)
    assert panel.ended.status == "failed"
    assert panel.controls.banner.isVisibleTo(panel)
    assert "simulated failure" in panel.controls.banner.label.text()


def test_missing_data_folder_is_reported_not_raised(qtbot, make_panel, tmp_path):
    spec = tiny_spec()
    spec.data.update(source="folder", path=str(tmp_path / "nowhere"))
    panel = make_panel(spec)
    panel.start()
    wait_idle(qtbot, panel)
    text = panel.controls.banner.label.text()
    assert panel.controls.banner.isVisibleTo(panel) and "does not exist" in text and "Traceback" not in text


def test_spec_errors_block_the_start_with_a_message(qtbot, make_panel):
    spec = tiny_spec()
    spec.layers[-1].params["filters"] = 5  # 5 scores for 3 classes
    panel = make_panel(spec)
    assert not panel.start()
    assert panel.controls.banner.isVisibleTo(panel) and "problems" in panel.controls.banner.label.text()


def test_editing_the_spec_during_a_run_does_not_touch_the_trained_snapshot(qtbot, make_panel):
    recorder = StepRecorder(hold_at=1)
    panel = make_panel(tiny_spec(epochs=1), recorder)
    panel.start()
    assert recorder.holding.wait(20)
    edited = panel.document.spec.copy()
    edited.training["lr"] = 0.5
    panel.document.apply(edited, "Set learning rate")
    recorder.release.set()
    wait_idle(qtbot, panel)
    assert panel.worker is None and panel.ended.status == "completed"
    assert panel.plots.curves["lr"].getData()[1][0] == pytest.approx(0.01)


def test_overlay_two_runs_and_open_a_spec(qtbot, make_panel):
    for name, one_by_one in (("one-1x1", 1), ("two-1x1", 2)):
        Trainer(tiny_spec(name, epochs=1, images=48, one_by_one=one_by_one), device="cpu", log_every=1).run()
    panel = make_panel(tiny_spec())
    assert panel.runs.tree.topLevelItemCount() == 2
    with qtbot.waitSignal(panel.runs.overlaysChanged):
        for i in range(2):
            panel.runs.set_checked(panel.runs.tree.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole), True)
    legend = [label.text for _, label in panel.plots.legend.items]
    assert any(text.startswith("one-1x1") for text in legend) and any(text.startswith("two-1x1") for text in legend)
    colours = {item.opts["pen"].color().name() for _, item in panel.plots._overlay_items}
    assert len(colours) == 2
    panel.runs.set_checked(panel.runs.tree.topLevelItem(0).data(0, Qt.ItemDataRole.UserRole), False)
    legend = [label.text for _, label in panel.plots.legend.items]
    shown = {text.split()[0] for text in legend if text.startswith(("one-1x1", "two-1x1"))}
    assert len(shown) == 1  # one run left (its loss and its validation accuracy share the one legend row)
    panel.runs.tree.setCurrentItem(panel.runs.tree.topLevelItem(0))
    with qtbot.waitSignal(panel.openSpecRequested) as opened:
        panel.runs.open_button.click()
    path = Path(opened.args[0])
    assert path.name == "spec.yaml" and path.is_file()


def test_continue_a_stopped_run_and_show_a_saved_runs_results(qtbot, make_panel):
    recorder = StepRecorder(hold_at=5)  # 4 steps per epoch: hold in the second epoch
    panel = make_panel(tiny_spec(epochs=2), recorder)
    panel.start()
    assert recorder.holding.wait(20)
    panel.stop()
    recorder.release.set()
    wait_idle(qtbot, panel)
    assert panel.ended.status == "stopped"
    run_dir = panel.ended.run_dir
    panel.runs.tree.setCurrentItem(panel.runs.tree.topLevelItem(0))
    assert panel.runs.continue_button.isEnabled()
    panel.runs.continue_button.click()
    wait_idle(qtbot, panel)
    assert panel.ended.status == "completed" and panel.ended.run_dir == run_dir
    assert recorder.steps[5:] == [6, 7, 8]  # on from the batch after the stop, mid-epoch
    x, _ = panel.plots.curves["loss"].getData()
    assert list(x) == list(range(1, 9))  # the plot shows the whole run, not only the resumed part
    assert len(panel.plots.curves["val_loss"].getData()[0]) == 2
    panel.results.results = None
    panel.runs.tree.setCurrentItem(panel.runs.tree.topLevelItem(0))
    panel.runs.results_button.click()
    qtbot.waitUntil(lambda: panel.results.results is not None, timeout=15_000)
    assert panel.results.results.confusion.sum() == 20


def test_time_estimate_follows_spec_edits(qtbot, make_panel):
    panel = make_panel(tiny_spec())
    qtbot.waitUntil(lambda: "per epoch on" in panel.controls.estimate.text(), timeout=15_000)
    assert panel.controls.estimate.text().endswith("per epoch on cpu (rough)")
    assert "MACs per image" in panel.controls.estimate.toolTip()
    bigger = panel.document.spec.copy()
    bigger.layers[0].params["filters"] = 16
    panel.document.apply(bigger, "Set filters")
    assert panel.controls.estimate.text().startswith("Estimating")
    qtbot.waitUntil(lambda: "per epoch on" in panel.controls.estimate.text(), timeout=15_000)


def test_an_edit_cancels_a_slow_estimate_and_an_invalid_spec_gets_none(qtbot, make_panel, monkeypatch):
    from workbench.gui.training import estimate

    measured, real = [], estimate.measure_epoch

    def slow_then_real(spec, device, train, val, cancelled):
        measured.append(spec.layers[0].params["filters"])
        if len(measured) == 1:  # the first network takes "forever", but stops when cancelled
            qtbot.waitUntil(cancelled, timeout=20_000)
            raise estimate.EstimateCancelled
        return real(spec, device, train, val, cancelled)

    monkeypatch.setattr(estimate, "measure_epoch", slow_then_real)
    panel = make_panel(tiny_spec())
    qtbot.waitUntil(lambda: measured == [8], timeout=15_000)
    broken = panel.document.spec.copy()
    broken.layers[0].params["stride"] = 0  # an error
    panel.document.apply(broken, "Set kernel")
    assert panel.controls.estimate.text() == "No time estimate: the spec has errors"
    fixed = broken.copy()
    fixed.layers[0].params.update(stride=1, filters=12)
    panel.document.apply(fixed, "Set stride")
    qtbot.waitUntil(lambda: panel.controls.estimate.text().endswith("(rough)"), timeout=15_000)
    assert measured == [8, 12]  # the broken spec was never measured; the stale one gave no result


def test_after_a_run_the_estimate_shows_the_measured_time(qtbot, make_panel):
    panel = make_panel(tiny_spec(epochs=1))
    panel.start()
    wait_idle(qtbot, panel)
    text = panel.controls.estimate.text()
    assert text.endswith("per epoch on cpu (measured)"), text
    qtbot.wait(estimate_debounce_ms() + 200)
    assert panel.controls.estimate.text() == text  # not replaced by a rough estimate


def estimate_debounce_ms() -> int:
    from workbench.gui.training.estimate import DEBOUNCE_MS

    return DEBOUNCE_MS


def test_shutdown_timeout_detaches_a_busy_thread_instead_of_destroying_it(qtbot, make_panel):
    recorder = StepRecorder(hold_at=1)
    panel = make_panel(tiny_spec(epochs=5), recorder)
    panel.start()
    assert recorder.holding.wait(20)
    thread = panel.thread
    assert not panel.shutdown(0.05)  # the batch is still busy
    assert thread.parent() is None and thread.isRunning()
    recorder.release.set()
    assert thread.wait(10_000)
    assert recorder.steps == [1]  # stopped after the batch in flight


def test_a_started_run_says_what_loading_its_data_did(qtbot, make_panel):
    from workbench.training.events import RunStarted

    panel = make_panel(tiny_spec())
    panel._on_event(RunStarted(None, "tiny", "cpu", 2, 4, 60, 20, ["a", "b", "c"], 0,
                               "decode cache: 80 images (60.0 KiB), reused · read from disk a batch at a time"))
    assert panel.controls.status.text() == ("Training on cpu: 60 training / 20 validation images · decode cache: "
                                            "80 images (60.0 KiB), reused · read from disk a batch at a time")
    panel._on_event(RunStarted(None, "tiny", "cpu", 2, 4, 60, 20, ["a", "b", "c"], 0, ""))
    assert panel.controls.status.text() == "Training on cpu: 60 training / 20 validation images"
