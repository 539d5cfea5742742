"""The panels beside the editor (Training, Doctor, Predict), wired to each other and to the File menu.

The doctor watches every run (a training monitor per run), its findings mark the layer cards, a finished run
is loaded into Predict and Inside (clicking a validation image or "Where it looks" in Predict shows where the
model looks), and File offers "Export trained model…" and "Open trained model…" (a bundle: its spec
goes to the editor, its curves to the plots and its model to Predict).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox

from workbench.doctor.findings import Finding
from workbench.doctor.monitor import TrainingMonitor
from workbench.export import ModelFileError, load_bundle
from workbench.gui.doctor import DoctorPanel
from workbench.gui.doctor.panel import count_text
from workbench.gui.export import ExportDialog, PredictPanel
from workbench.gui.insight import InsidePanel
from workbench.gui.main_window import MainWindow
from workbench.gui.training import TrainingPanel
from workbench.gui.training.close_guard import RunningCloseGuard
from workbench.gui.training.curves import RunCurves
from workbench.paths import runs_dir
from workbench.training import RunEnded, RunStarted, open_run

BUNDLE_FILTER = "Workbench bundles (*.wbm);;All files (*)"
SHUTDOWN_WAIT_S = 15.0


@dataclass
class Panels:
    """The panels of one main window and the File actions they add."""

    window: MainWindow
    training: TrainingPanel
    doctor: DoctorPanel
    predict: PredictPanel
    inside: InsidePanel
    export_action: QAction
    open_bundle_action: QAction
    dialogs: list[ExportDialog] = field(default_factory=list)

    # -- doctor ----------------------------------------------------------------------------------
    def show_doctor_count(self, findings: list[Finding]) -> None:
        serious = sum(f.severity in ("error", "warning") for f in findings)
        self.window.set_panel_title(self.doctor, f"Doctor ({serious})" if serious else "Doctor", count_text(findings))

    def on_run_started(self, event: RunStarted) -> None:
        """A new run: the last run's findings no longer apply; say so when the doctor sees errors."""
        self.doctor.clear_training_findings()
        errors = [f for f in self.doctor.findings() if f.severity == "error"]
        if errors:
            titles = "; ".join(f.title for f in errors[:3])
            self.training.controls.banner.show_message(
                f"Training anyway — the doctor reports {len(errors)} error{'s' if len(errors) > 1 else ''} "
                f"in this stack: {titles}. See the Doctor panel for the fixes.",
                "warning",
            )

    def on_run_finished(self, event: RunEnded) -> None:
        """Load a finished run with a checkpoint into Predict, so new images can be tried at once."""
        if event.run_dir and open_run(event.run_dir).checkpoint_path("best").is_file():
            self.predict.set_model_source(event.run_dir)
            self.inside.set_model_source(event.run_dir)

    # -- inside --------------------------------------------------------------------------------
    def look_at_validation_image(self, run_dir: str, index: int) -> bool:
        """Where the model of ``run_dir`` looks in validation image ``index`` of the Results grid."""
        results = self.training.results.results
        if results is None or not self.inside.set_model_source(run_dir):
            return False
        names = results.class_names
        true, predicted = int(results.true[index]), int(results.predicted[index])
        caption = f"validation: {names[true]}" + ("" if true == predicted else f", predicted {names[predicted]}")
        self.window.show_panel(self.inside)
        return self.inside.explain(results.images[index], caption)

    def look_at_predicted_image(self, path: str, image) -> bool:
        """Where the Predict panel's model looks in one of its images."""
        if not self.inside.set_model_source(path):
            return False
        self.window.show_panel(self.inside)
        return self.inside.explain(image, "from Predict")

    # -- export and bundles ----------------------------------------------------------------------
    def run_to_export(self) -> str | None:
        """The run selected in the runs list, else the newest run of this session, else one the user picks."""
        runs = self.training.runs
        path = runs.current_path()
        if path is None and self.training.started is not None and self.training.started.run_dir:
            path = self.training.started.run_dir
        if path is None:
            path = QFileDialog.getExistingDirectory(self.window, "Choose a run folder to export", str(runs_dir()))
        return path or None

    def export(self, run_path: str | None = None) -> ExportDialog | None:
        """Open the export dialog on ``run_path`` (default: :meth:`run_to_export`); it is not modal."""
        run_path = run_path or self.run_to_export()
        if run_path is None:
            return None
        dialog = ExportDialog(run_path, self.window)
        dialog.finished.connect(lambda _result, d=dialog: self._forget(d))
        self.dialogs.append(dialog)
        dialog.show()
        return dialog

    def _forget(self, dialog: ExportDialog) -> None:
        if dialog in self.dialogs:
            self.dialogs.remove(dialog)
        dialog.deleteLater()

    def open_bundle(self, path: str | None = None) -> bool:
        """Open a trained-model bundle: spec in the editor, its curves over the plots, its model in Predict."""
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self.window, "Open trained model", str(runs_dir()), BUNDLE_FILTER)
            if not path:
                return False
        try:
            bundle = load_bundle(path)
        except ModelFileError as exc:
            hint = f"\n\n{exc.hint}" if exc.hint else ""
            QMessageBox.warning(self.window, "Cannot open the trained model", f"{path}:\n{exc.message}{hint}")
            return False
        if not self.window.files.adopt_spec(bundle.spec, f"{Path(path).name} (trained model)"):
            return False
        self.training.add_overlay(Path(path).stem, RunCurves.from_record(bundle.steps, bundle.epochs))
        self.predict.set_model_source(path)
        self.window.show_panel(self.training)
        return True

    def shutdown(self) -> None:
        """Stop a running training (with a checkpoint to continue from), trials and exports."""
        self.training.shutdown(SHUTDOWN_WAIT_S)
        self.doctor.shutdown()
        for dialog in list(self.dialogs):
            dialog.done(0)


def install_panels(window: MainWindow) -> Panels:
    """Add the Training, Doctor and Predict panels to ``window`` and connect them."""
    document = window.document
    training, doctor, predict = TrainingPanel(document), DoctorPanel(document), PredictPanel()
    inside = InsidePanel()
    window.add_panel("Training", training)
    window.add_panel("Doctor", doctor)
    window.add_panel("Predict", predict)
    window.add_panel("Inside", inside)

    export_action = QAction("&Export trained model…", window)
    export_action.setShortcut(QKeySequence("Ctrl+E"))
    open_bundle_action = QAction("Open &trained model…", window)
    open_bundle_action.setShortcut(QKeySequence("Ctrl+Shift+T"))
    panels = Panels(window, training, doctor, predict, inside, export_action, open_bundle_action)
    export_action.triggered.connect(lambda _checked=False: panels.export())
    open_bundle_action.triggered.connect(lambda _checked=False: panels.open_bundle())
    window.insert_file_action(open_bundle_action)
    window.insert_file_action(export_action)

    training.add_callback_factory(lambda spec: TrainingMonitor())
    training.diagnosis.connect(doctor.add_training_finding)
    training.runStarted.connect(panels.on_run_started)
    training.runFinished.connect(panels.on_run_finished)
    training.openSpecRequested.connect(window.files.open_file)
    training.exportRequested.connect(panels.export)
    training.results.imageClicked.connect(panels.look_at_validation_image)
    predict.lookRequested.connect(panels.look_at_predicted_image)
    doctor.findingsChanged.connect(panels.show_doctor_count)
    panels.show_doctor_count(doctor.findings())
    RunningCloseGuard(window, training)
    window.add_shutdown(panels.shutdown)
    window.panels = panels
    return panels
