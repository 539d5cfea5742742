"""The export dialog: pick a format, a checkpoint and a file; the export runs off the GUI thread and its
check (reloaded, outputs compared) is shown when it ends."""

from __future__ import annotations

import html
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from workbench.export import FORMATS, ExportReport, ModelFileError, default_export_path, export_model
from workbench.export.trained import CHECKPOINTS, default_checkpoint
from workbench.gui.style import ERROR, ERROR_SOFT, MUTED
from workbench.spec import SpecError
from workbench.training import TrainingError, open_run

OK_COLOURS = ("#15803d", "#f0fdf4")


class _Relay(QObject):
    """Carries the export thread's outcome back to the GUI thread (queued signal)."""

    done = Signal(object)  # an ExportReport, or an error message (str)


class ExportDialog(QDialog):
    """File → Export trained model…: export the run at ``run_path`` to one of :data:`FORMATS`."""

    finished_export = Signal(object)  # the ExportReport, or the error message

    def __init__(self, run_path, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Export trained model")
        self.run_path = Path(run_path)
        self.report: ExportReport | None = None
        self._showing_outcome = False  # the result line is about the last export
        self._thread: threading.Thread | None = None
        self._relay = _Relay()
        self._relay.done.connect(self._finish)

        self.source_label = QLabel()
        self.source_label.setWordWrap(True)
        self.format_box = QComboBox()
        for key, fmt in FORMATS.items():
            self.format_box.addItem(fmt.label, key)
        self.checkpoint_box = QComboBox()
        self.path_edit = QLineEdit()
        self.path_edit.setMinimumWidth(360)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Format:", self.format_box)
        form.addRow("Checkpoint:", self.checkpoint_box)
        form.addRow("File:", path_row)
        self.format_hint = QLabel()
        self.format_hint.setStyleSheet(f"color: {MUTED};")
        self.format_hint.setWordWrap(True)
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label.setVisible(False)
        buttons = QDialogButtonBox()
        self.export_button = buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.export_button.clicked.connect(self.start_export)
        close.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.source_label)
        layout.addLayout(form)
        layout.addWidget(self.format_hint)
        layout.addWidget(self.result_label)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self.format_box.currentIndexChanged.connect(self._format_changed)
        self._read_run()

    # --- set-up -----------------------------------------------------------------------------------
    def _read_run(self) -> None:
        try:
            run = open_run(self.run_path)
            spec_name = run.spec.name
        except (TrainingError, SpecError) as exc:
            self._show_error(f"Cannot export: {getattr(exc, 'message', exc)}")
            self.source_label.setText(f"Run folder: {self.run_path}")
            self.export_button.setEnabled(False)
            self._spec_name = "model"
            return
        self._spec_name = spec_name
        status = run.status
        title, name = html.escape(spec_name, quote=False), html.escape(run.name, quote=False)
        self.source_label.setText(f"<b>{title}</b> — run {name} ({html.escape(status, quote=False)})")
        preferred = default_checkpoint(run)
        for which in CHECKPOINTS:
            if run.checkpoint_path(which).is_file():
                label = f"{which} (running: last completed epoch)" if which == "last" and run.summary is None else which
                self.checkpoint_box.addItem(label, which)
        if self.checkpoint_box.count() == 0:
            self._show_error("Cannot export yet: the run has no checkpoint (the first epoch has not ended).")
            self.export_button.setEnabled(False)
        else:
            self.checkpoint_box.setCurrentIndex(max(0, self.checkpoint_box.findData(preferred)))
        self._format_changed()

    def _format_changed(self) -> None:
        key = self.selected_format()
        if self._showing_outcome and not self.busy():  # an earlier export's result is not about this format
            self._showing_outcome = False
            self.report = None
            self.result_label.setVisible(False)
        current = self.path_edit.text().strip()
        if current:
            folder = Path(current).parent
            stem = Path(current).stem if key != "python" else "model"
            self.path_edit.setText(str(folder / f"{stem}{FORMATS[key].extension}"))
        else:
            self.path_edit.setText(str(default_export_path(self._spec_name, key)))
        hints = {
            "wbm": "Everything the workbench needs to reopen the model: spec, weights, classes, normalisation, curves.",
            "onnx": "For onnxruntime and other runtimes; class names and normalisation are in its metadata.",
            "pt2": "A torch.export ExportedProgram: load with torch.export.load(path).module().",
            "pt": "The state_dict only: load with torch.load(path, weights_only=True).",
            "python": "A self-contained model.py (torch only) plus its weights in a .pt file beside it.",
        }
        self.format_hint.setText(hints[key])

    def _browse(self) -> None:
        fmt = FORMATS[self.selected_format()]
        pattern = f"{fmt.label} (*{fmt.extension})"
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.path_edit.text(), pattern)
        if path:
            self.path_edit.setText(path)

    # --- state ------------------------------------------------------------------------------------
    def selected_format(self) -> str:
        return self.format_box.currentData()

    def set_format(self, key: str) -> None:
        self.format_box.setCurrentIndex(self.format_box.findData(key))

    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- exporting --------------------------------------------------------------------------------
    def start_export(self) -> None:
        """Export on a worker thread; :attr:`finished_export` is emitted when it ends."""
        if self.busy():
            return
        target = self.path_edit.text().strip()
        if not target:
            self._show_error("Choose a file to export to.")
            return
        fmt, which = self.selected_format(), self.checkpoint_box.currentData()
        self.export_button.setEnabled(False)
        self._show(f"Exporting to {html.escape(target, quote=False)} and checking the file…", MUTED, "transparent")

        def work() -> None:
            try:
                outcome = export_model(self.run_path, fmt, target, which)
            except ModelFileError as exc:
                outcome = f"Export failed: {exc.message}" + (f" ({exc.hint})" if exc.hint else "")
            except Exception as exc:  # shown to the user; the dialog stays usable
                outcome = f"Export failed: {exc}"
            self._relay.done.emit(outcome)

        self._thread = threading.Thread(target=work, name="export", daemon=True)
        self._thread.start()

    def _finish(self, outcome) -> None:
        self.export_button.setEnabled(True)
        if isinstance(outcome, ExportReport):
            self.report = outcome
            colours = OK_COLOURS if outcome.ok else (ERROR, ERROR_SOFT)
            self._show(html.escape(outcome.text(), quote=False).replace("\n", "<br>"), *colours)
        else:
            self.report = None
            self._show_error(outcome)
        self._showing_outcome = True
        self.finished_export.emit(outcome)

    def _show_error(self, text: str) -> None:
        self._show(html.escape(text, quote=False), ERROR, ERROR_SOFT)

    def _show(self, rich: str, colour: str, background: str) -> None:
        self.result_label.setText(rich)
        self.result_label.setStyleSheet(
            f"color: {colour}; background: {background}; border-radius: 4px; padding: 6px;"
        )
        self.result_label.setVisible(True)
        self._fit_height()

    def _fit_height(self) -> None:
        """Grow the dialog so every line of the (word-wrapped) result shows."""
        layout = self.layout()
        layout.activate()
        need = layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth() else layout.totalSizeHint().height()
        if need > self.height():
            self.resize(self.width(), need)

    def done(self, result: int) -> None:
        """Closing waits for a running export (a few seconds at most) so its file is complete."""
        if self._thread is not None:
            self._thread.join()
        super().done(result)

