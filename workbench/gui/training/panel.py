"""The training panel: data, settings, live curves, runs and results of the open spec."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import Qt, QThread, Signal, Slot
from PySide6.QtWidgets import QListWidget, QSplitter, QTabWidget, QVBoxLayout, QWidget

from workbench.check import check_spec
from workbench.doctor.findings import Finding
from workbench.insight.tensorboard import TensorBoardMissing
from workbench.gui.document import SpecDocument
from workbench.gui.insight.recording_options import RecordingOptions
from workbench.gui.training.curves import RunCurves
from workbench.gui.training.data_chooser import DataChooser
from workbench.gui.training.estimate import EpochEstimate, EpochEstimator, format_duration
from workbench.gui.training.follow_worker import FollowWorker, launch_all_gpus
from workbench.gui.training.live_plots import LivePlots
from workbench.gui.training.lr_finder import LRFinderDialog
from workbench.gui.training.results_view import ResultsView
from workbench.gui.training.run_controls import RunControls
from workbench.gui.training.runs_list import RunsList
from workbench.gui.training.settings_form import ALL_GPUS, SettingsForm
from workbench.gui.training.tasks import BackgroundTask, wait_or_keep
from workbench.gui.training.worker import TrainingWorker, start_worker
from workbench.spec import ModelSpec
from workbench.training.events import DiagnosisEvent, EpochEvent, RunEnded, RunStarted
from workbench.training.validation import ValidationResults, predict_run

MAX_LOG_EVERY = 10
ENDED_TEXT = {
    "completed": "Run completed.",
    "stopped": "Run stopped; Continue run goes on from where it stopped.",
    "diverged": "Run diverged",
    "failed": "Run failed",
}


def finding_text(finding: Any) -> str:
    """One line for a diagnosis: a doctor finding's severity, title, layers and explanation, or the text."""
    if not isinstance(finding, Finding):
        return str(finding)
    where = f" ({', '.join(finding.layers)})" if finding.layers else ""
    return f"{finding.severity}: {finding.title}{where} — {finding.explanation}"


class TrainingPanel(QWidget):
    """Trains snapshots of ``document``'s spec on a worker thread and shows what happens."""

    openSpecRequested = Signal(str)  # path of a run's spec.yaml to open in the editor
    diagnosis = Signal(object)  # a finding forwarded from a DiagnosisEvent
    runStarted = Signal(object)  # RunStarted
    runFinished = Signal(object)  # RunEnded
    exportRequested = Signal(str)  # path of a run to export
    idle = Signal()  # the worker thread of a run has finished

    def __init__(self, document: SpecDocument, parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self.worker: TrainingWorker | None = None
        self.thread: QThread | None = None
        self.started: RunStarted | None = None
        self.ended: RunEnded | None = None
        self._callback_factories: list[Callable[[ModelSpec], Any]] = []
        self._run_clock: tuple[float, int] | None = None  # (wall time, step) of the first step seen
        self._tasks: list[BackgroundTask] = []  # results of saved runs being predicted
        self._estimate: EpochEstimate | None = None
        self._ticked_overlays: list = []
        self._extra_overlays: list = []  # curves of opened trained-model bundles

        self.controls = RunControls()
        self.recording = RecordingOptions()
        self.data_chooser = DataChooser(document)
        self.settings = SettingsForm(document)
        self.plots = LivePlots()
        self.log = QListWidget()
        self.log.setWordWrap(True)
        self.log.setToolTip("Diagnoses of the running network")
        self.runs = RunsList()
        self.results = ResultsView()
        self.estimator = EpochEstimator(self)

        bottom = QTabWidget()
        bottom.addTab(self.runs, "Runs")
        bottom.addTab(self.log, "Diagnosis log")
        self.bottom_tabs = bottom
        curves = QSplitter(Qt.Orientation.Vertical)
        curves.addWidget(self.plots)
        curves.addWidget(bottom)
        curves.setStretchFactor(0, 3)
        curves.setStretchFactor(1, 1)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.data_chooser, "Data")
        self.tabs.addTab(self.settings, "Settings")
        self.curves_page = curves
        self.tabs.addTab(curves, "Curves")
        self.tabs.addTab(self.results, "Results")
        self.tabs.setCurrentIndex(2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.controls)
        layout.addWidget(self.recording)
        layout.addWidget(self.tabs, 1)

        self.lr_dialog: LRFinderDialog | None = None
        self.settings.find_lr_button.clicked.connect(self.find_learning_rate)
        self.controls.startClicked.connect(self.start)
        self.controls.pauseClicked.connect(self.pause)
        self.controls.resumeClicked.connect(self.resume)
        self.controls.stopClicked.connect(self.stop)
        self.runs.overlaysChanged.connect(self._set_ticked_overlays)
        self.runs.exportRequested.connect(self.exportRequested)
        self.runs.openSpecRequested.connect(self.openSpecRequested)
        self.runs.continueRequested.connect(self.continue_run)
        self.runs.followRequested.connect(self.follow_run)
        self.runs.resultsRequested.connect(self.show_run_results)
        self.plots.timer.timeout.connect(self._show_progress)
        self.estimator.estimated.connect(self._show_estimate)
        self.estimator.failed.connect(lambda text: self.controls.estimate.setText("No estimate: " + text.splitlines()[-1]))
        document.changed.connect(self._request_estimate)
        document.replaced.connect(self._forget_last_run)
        self.settings.deviceChanged.connect(self._request_estimate)
        self.data_chooser.previewChanged.connect(self._request_estimate)
        self.plots.set_run(None, document.spec.num_classes)
        self._request_estimate()

    def find_learning_rate(self) -> LRFinderDialog:
        """Open the range-test dialog on the current spec and start it."""
        if self.lr_dialog is not None:
            self.lr_dialog.close()
        self.lr_dialog = LRFinderDialog(self.document, self.settings.device, self)
        self.lr_dialog.show()
        self.lr_dialog.start()
        return self.lr_dialog

    # --- extension --------------------------------------------------------------------------------
    def add_callback_factory(self, factory: Callable[[ModelSpec], Any]) -> None:
        """``factory(spec)`` makes a trainer callback (e.g. a training monitor) for each new run."""
        self._callback_factories.append(factory)

    def add_overlay(self, label: str, curves: RunCurves) -> None:
        """Draw a finished run that is not in the runs folder (an opened bundle's curves) over the plots."""
        self._extra_overlays = [o for o in self._extra_overlays if o[0] != label] + [(label, curves)]
        self.plots.set_overlays(self.overlays)
        self.tabs.setCurrentIndex(self.tabs.indexOf(self.curves_page))

    @property
    def overlays(self) -> list:
        """The finished runs drawn over the plots: ticked runs, then opened bundles, as (label, curves)."""
        return self._ticked_overlays + self._extra_overlays

    def _set_ticked_overlays(self, runs: list) -> None:
        self._ticked_overlays = list(runs)
        self.plots.set_overlays(self.overlays)

    @property
    def is_running(self) -> bool:
        return self.thread is not None and self.thread.isRunning()

    # --- run lifecycle ------------------------------------------------------------------------------
    def start(self, resume_from: str | None = None) -> bool:
        """Train a snapshot of the current spec (or continue the run in ``resume_from``)."""
        if self.worker is not None:
            return False
        spec = self.document.snapshot() if resume_from is None else self.runs.record(resume_from).spec
        errors = [p for p in check_spec(spec) if p.severity == "error"]
        if errors:
            self.controls.banner.show_message(
                "The spec has problems to fix before training:\n" + "\n".join(p.format() for p in errors[:6])
            )
            return False
        try:
            recorders = self.recording.recorders()
        except TensorBoardMissing as exc:
            self.controls.banner.show_message(str(exc))
            return False
        self.controls.banner.hide()
        if self.settings.device == ALL_GPUS:
            process, run_dir = launch_all_gpus(spec, self.settings.gpu_count, resume_from=resume_from)
            return self._begin(FollowWorker(run_dir, process), spec.num_classes)
        worker = TrainingWorker(
            spec,
            device=self.settings.device,
            log_every=self._log_every(spec),
            callbacks=tuple(factory(spec) for factory in self._callback_factories) + tuple(recorders.callbacks),
            resume_from=resume_from,
            expected_points=self._expected_steps(spec) // self._log_every(spec),
            listeners=tuple(recorders.listeners),
        )
        return self._begin(worker, spec.num_classes)

    def follow_run(self, run_path: str) -> bool:
        """Follow a run that another process (e.g. the command line) is training: live plots, progress,
        findings, and Stop (through the run folder's stop request)."""
        if self.worker is not None:
            return False
        try:
            classes = len(self.runs.record(run_path).meta.get("class_names", []))
        except KeyError:
            classes = 0
        self.controls.banner.hide()
        return self._begin(FollowWorker(run_path), classes or self.document.spec.num_classes)

    def _begin(self, worker, num_classes: int) -> bool:
        self.started, self.ended, self._run_clock = None, None, None
        self._lock_settings(True)
        self.tabs.setCurrentWidget(self.curves_page)
        self.worker = worker
        self.worker.event.connect(self._on_event)
        self.worker.failed.connect(self._show_error)
        self.worker.results.connect(self._show_results)
        self.plots.set_run(self.worker.curves, num_classes)
        self.plots.start()
        self.estimator.cancel()
        self.estimator.enabled = False
        self.controls.set_state("running")
        self.controls.pause_button.setEnabled(getattr(worker, "can_pause", True))
        self.controls.status.setText("Preparing the data…")
        self.controls.progress.setRange(0, 0)  # busy until the first step
        if self._estimate is None:
            self.controls.estimate.setText("")
        self.thread = start_worker(self.worker, self)
        self.thread.finished.connect(self._on_thread_finished)
        return True

    def continue_run(self, run_path: str) -> bool:
        return self.start(resume_from=run_path)

    def show_run_results(self, run_path: str) -> None:
        """Predict a saved run's validation images (off the GUI thread) and show them in Results."""
        record = self.runs.record(run_path)
        self.results.run_dir = run_path
        self.results.summary.setText(f"Predicting the validation images of {record.name}…")
        self.tabs.setCurrentWidget(self.results)
        task = BackgroundTask(lambda: predict_run(record), self)
        task.results_label = f"run {record.name}, its best checkpoint"
        task.done.connect(self._show_results)
        task.error.connect(self._show_error)
        task.finished.connect(self._forget_finished_tasks)
        self._tasks.append(task)
        task.start()

    def pause(self) -> None:
        if self.worker is not None and getattr(self.worker, "can_pause", True):
            self.worker.pause()
            self.controls.set_state("paused")
            self._show_progress()

    def resume(self) -> None:
        if self.worker is not None:
            self.worker.resume()
            self.controls.set_state("running")

    def stop(self) -> None:
        """Stop after the current batch; the run ends "stopped" with a checkpoint to continue from."""
        if self.worker is not None:
            self.worker.request_stop()
            self.controls.set_state("stopping")
            self.controls.status.setText("Stopping after this batch…")

    def shutdown(self, timeout_s: float = 10.0) -> bool:
        """Stop a running training and wait for every worker thread; True when all of them finished.

        A run stopped this way keeps a checkpoint of the batch it stopped at and can be continued. A run the
        app only follows (trained by another process) is left running."""
        ms = int(timeout_s * 1000)
        self.plots.timer.stop()
        finished = self.estimator.wait(ms) and self.data_chooser.wait(ms)
        finished = all([wait_or_keep(task, ms) for task in list(self._tasks)]) and finished
        if self.worker is not None and self.thread is not None:
            if getattr(self.worker, "owns_run", True):
                self.worker.request_stop(skip_results=True)
            else:
                self.worker.detach()  # a run another process trains goes on without the app
            finished = wait_or_keep(self.thread, ms) and finished
        return finished

    def _steps_per_epoch(self, spec: ModelSpec) -> int:
        counts = self.data_chooser.image_counts()
        return math.ceil(counts[0] / spec.training_value("batch_size")) if counts else MAX_LOG_EVERY * 20

    def _expected_steps(self, spec: ModelSpec) -> int:
        return self._steps_per_epoch(spec) * int(spec.training_value("epochs"))

    def _log_every(self, spec: ModelSpec) -> int:
        return max(1, min(MAX_LOG_EVERY, self._steps_per_epoch(spec) // 20))

    # --- events from the worker (queued onto the GUI thread) -----------------------------------------
    @Slot(object)
    def _on_event(self, event: Any) -> None:
        if isinstance(event, RunStarted):
            self.started = event
            if event.run_dir and self.worker is not None:
                self.worker.results_label = f"run {Path(event.run_dir).name}, weights at its end"
            self.runStarted.emit(event)
            if event.run_dir:
                self.runs.add_session_run(event.run_dir)
            self.results.run_dir = event.run_dir
            text = f"Training on {event.device}: {event.train_images} training / {event.val_images} validation images"
            self.controls.status.setText(f"{text} · {event.data}" if event.data else text)
        elif isinstance(event, EpochEvent):
            self._show_progress()
        elif isinstance(event, DiagnosisEvent):
            self.log.addItem(f"step {event.step}: {finding_text(event.finding)}")
            self.log.scrollToBottom()
            self.bottom_tabs.setTabText(1, f"Diagnosis log ({self.log.count()})")
            self.diagnosis.emit(event.finding)
        elif isinstance(event, RunEnded):
            self.ended = event
            text = ENDED_TEXT.get(event.status, event.status)
            if event.status in ("diverged", "failed") and event.reason:
                text += f": {event.reason}"
            self.controls.status.setText(text)
            if event.status == "diverged":
                self.controls.banner.show_message(text, "warning")
            self.runFinished.emit(event)

    @Slot(str)
    def _show_error(self, text: str) -> None:
        self.controls.banner.show_message(text, "error")

    @Slot()
    def _forget_finished_tasks(self) -> None:
        self._tasks = [task for task in self._tasks if task.isRunning()]

    @Slot(object)
    def _show_results(self, results: ValidationResults | None) -> None:
        label = getattr(self.sender(), "results_label", "")
        if results is None:
            self.results.summary.setText(f"{label[0].upper() + label[1:] if label else 'This run'}: "
                                         "no validation images.")
            return
        self.results.show_results(results, label)

    @Slot()
    def _on_thread_finished(self) -> None:
        self.plots.stop()
        self.worker, self.thread = None, None
        self.controls.set_state("idle")
        self._lock_settings(False)
        if self.controls.progress.maximum() == 0:  # ended before its first step
            self.controls.progress.setRange(0, 1)
        if self.ended is None and self.controls.banner.isHidden():
            self.controls.status.setText("Ready.")
        self.runs.refresh()
        self.estimator.enabled = True
        if not self._show_measured_time(self.ended):
            self._request_estimate()
        self.idle.emit()

    def _lock_settings(self, locked: bool) -> None:
        """The data and settings pages are read-only while a run trains (it trains a snapshot of them)."""
        note = "Locked while a run trains; the next run uses what you set here." if locked else ""
        for page in (self.data_chooser, self.settings):
            page.setEnabled(not locked)
            self.tabs.setTabToolTip(self.tabs.indexOf(page), note)

    def _forget_last_run(self) -> None:
        """Another spec was opened: the last run's status and progress are not about it."""
        if self.worker is not None:
            return
        self.started, self.ended = None, None
        self.controls.banner.hide()
        self.controls.status.setText("Ready.")
        self.controls.progress.setRange(0, 1)
        self.controls.progress.setValue(0)

    def _show_progress(self) -> None:
        worker, started = self.worker, self.started
        if worker is None or started is None or worker.latest_step is None or self.ended is not None:
            return
        step = worker.latest_step
        total = started.total_epochs * started.steps_per_epoch
        now = time.perf_counter()
        if self._run_clock is None:
            self._run_clock = (now, step.step)
        first_time, first_step = self._run_clock
        done = step.step - first_step
        seconds_left = (now - first_time) / done * max(total - step.step, 0) if done > 0 else None
        epoch = min(step.epoch, started.total_epochs)
        self.controls.show_progress(epoch, started.total_epochs, step.step, total, step.images_per_s, seconds_left)
        if self.controls.state == "paused":
            self.controls.status.setText(self.controls.status.text() + " · paused")

    # --- time estimate -------------------------------------------------------------------------------
    def _request_estimate(self, *_args) -> None:
        counts = self.data_chooser.image_counts()
        if counts is None or self.worker is not None:
            return
        self._estimate = None
        self.controls.estimate.setToolTip("")
        if any(p.severity == "error" for p in self.document.analysis.problems):
            self.estimator.cancel()
            self.controls.estimate.setText("No time estimate: the spec has errors")
            return
        self.controls.estimate.setText("Estimating the time per epoch…")
        device = self.settings.device
        self.estimator.request(self.document.spec, "cuda:0" if device == ALL_GPUS else device, *counts)

    def _show_measured_time(self, ended: RunEnded | None) -> bool:
        """Show the last epoch's time of the run that just ended (True), if it finished an epoch."""
        final = ended.final if ended is not None else None
        if not final or not final.get("seconds") or self.started is None:
            return False
        self.controls.estimate.setText(
            f"{format_duration(final['seconds'])} per epoch on {self.started.device} (measured)"
        )
        self.controls.estimate.setToolTip("The last run's last epoch, training and validation; an edit estimates again.")
        return True

    def _show_estimate(self, estimate: EpochEstimate) -> None:
        if self.worker is None:
            self._estimate = estimate
            self.controls.estimate.setText(estimate.text())
            self.controls.estimate.setToolTip(estimate.details())

