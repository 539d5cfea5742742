"""New, Open, Open preset, Save, Save As, recent files and the unsaved-changes prompt.

Bad files and failed writes end in a message box; the open document is never lost.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox, QWidget

from workbench.gui.document import SpecDocument
from workbench.gui.files.autosave import Autosaver, pending_recovery
from workbench.gui.files.preset_gallery import PresetGallery
from workbench.gui.files.settings import AppSettings
from workbench.presets import load_preset
from workbench.spec import ModelSpec, SpecError, load_spec, save_spec

SPEC_FILTER = "Model specs (*.yaml *.yml);;All files (*)"
NEW_SPEC_CLASSES = ["circle", "square", "triangle"]


def new_spec() -> ModelSpec:
    """The spec File ▸ New starts from: shapes data, three classes, an empty stack."""
    return ModelSpec(name="untitled", classes=list(NEW_SPEC_CLASSES), data={"source": "shapes"})


def problems_text(error: SpecError) -> str:
    return "\n".join(problem.format() for problem in error.problems)


class FileActions(QObject):
    """The File menu's logic for one window."""

    titleChanged = Signal(str)  # the document's display name

    def __init__(self, window: QWidget, document: SpecDocument, settings: AppSettings, autosaver: Autosaver):
        super().__init__(window)
        self.window, self.document, self.settings, self.autosaver = window, document, settings, autosaver
        self.display_name = "untitled"
        document.pathChanged.connect(lambda _path: self.refresh_name())

    def refresh_name(self, preset: str | None = None, origin: str | None = None) -> None:
        """Recompute the name shown in the title: the file's name, the preset's, ``origin``, or the spec's."""
        if self.document.path:
            self.display_name = Path(self.document.path).name
        elif preset:
            self.display_name = f"{preset} (preset)"
        elif origin:
            self.display_name = origin
        else:
            self.display_name = self.document.spec.name or "untitled"
        self.titleChanged.emit(self.display_name)

    # -- prompts ------------------------------------------------------------------------------
    def maybe_save(self) -> bool:
        """Ask about unsaved changes; True when it is fine to drop the current document."""
        if not self.document.dirty:
            return True
        answer = QMessageBox.question(
            self.window,
            "Unsaved changes",
            f"Save the changes to {self.display_name} before closing it?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    # -- actions ------------------------------------------------------------------------------
    def new_file(self) -> bool:
        if not self.maybe_save():
            return False
        self.document.reset(new_spec(), None)
        self.autosaver.discard()
        self.refresh_name()
        return True

    def open_file(self, path: str | None = None) -> bool:
        """Open ``path`` (asks for one when None). A bad file is reported and the current one kept."""
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self.window, "Open model spec", self.settings.last_spec_folder, SPEC_FILTER)
            if not path:
                return False
        spec = self._read(path)
        if spec is None or not self.maybe_save():
            return False
        self._adopt(spec, path)
        return True

    def load_path(self, path: str) -> bool:
        """Open ``path`` without asking about unsaved changes (at start-up)."""
        spec = self._read(path)
        if spec is not None:
            self._adopt(spec, path)
        return spec is not None

    def _read(self, path: str) -> ModelSpec | None:
        """The spec in ``path``, or None after telling the user why it cannot be opened."""
        try:
            return load_spec(path)
        except SpecError as exc:
            self._warn("Cannot open the spec", f"{path} was not opened:\n\n{problems_text(exc)}")
        except OSError as exc:
            self._warn("Cannot open the spec", f"{path} could not be read: {exc.strerror or exc}")
        if not Path(path).exists():
            self.settings.remove_recent(str(Path(path).resolve()))
        return None

    def _adopt(self, spec: ModelSpec, path: str) -> None:
        self.document.reset(spec, path)
        self.autosaver.discard()
        self.settings.add_recent(path)
        self.settings.last_spec_folder = str(Path(path).resolve().parent)
        self.refresh_name()

    def open_preset(self, name: str | None = None) -> bool:
        """Open a built-in preset (asks with the gallery when ``name`` is None); saving it asks for a file."""
        if not self.maybe_save():
            return False
        if name is None:
            gallery = PresetGallery(self.window)
            if gallery.exec() != QDialog.DialogCode.Accepted or not gallery.chosen:
                return False
            name = gallery.chosen
        self.load_preset(name)
        return True

    def load_preset(self, name: str) -> None:
        self.document.reset(load_preset(name), None)
        self.autosaver.discard()
        self.refresh_name(preset=name)

    def adopt_spec(self, spec: ModelSpec, origin: str) -> bool:
        """Open ``spec`` that came from elsewhere (e.g. a trained-model bundle, named ``origin`` in the title);
        it has no file until saved. False when the user keeps the current document."""
        if not self.maybe_save():
            return False
        self.document.reset(spec, None)
        self.autosaver.discard()
        self.refresh_name(origin=origin)
        return True

    def save(self) -> bool:
        if not self.document.path:
            return self.save_as()
        return self._write(self.document.path)

    def save_as(self, path: str | None = None) -> bool:
        if path is None:
            start = self.document.path or str(Path(self.settings.last_spec_folder or ".") / f"{self.document.spec.name}.yaml")
            path, _ = QFileDialog.getSaveFileName(self.window, "Save model spec", start, SPEC_FILTER)
            if not path:
                return False
            if not Path(path).suffix:
                path += ".yaml"
        return self._write(path)

    def _write(self, path: str) -> bool:
        try:
            save_spec(self.document.spec, path)
        except OSError as exc:
            self._warn("Cannot save", f"{path} could not be written: {exc.strerror or exc}\nYour changes are still open.")
            return False
        self.document.mark_saved(path)
        self.autosaver.discard()
        self.settings.add_recent(path)
        self.settings.last_spec_folder = str(Path(path).resolve().parent)
        self.refresh_name()
        return True

    def offer_recovery(self) -> bool:
        """After an unclean exit, offer to restore the autosaved stack; True when restored."""
        pending = pending_recovery(self.settings)
        if pending is None:
            return False
        spec, original = pending
        where = f" of {Path(original).name}" if original else ""
        answer = QMessageBox.question(
            self.window,
            "Recover unsaved work",
            f"CNN Workbench did not close normally. Restore the autosaved stack{where} ({spec.name}, "
            f"{len(spec.layers)} layers)?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes,
        )
        if answer != QMessageBox.StandardButton.Yes:
            self.autosaver.discard()
            return False
        self.document.reset(spec, original if original and Path(original).exists() else None)
        self.document.mark_unsaved()
        self.refresh_name()
        return True

    def _warn(self, title: str, text: str) -> None:
        QMessageBox.warning(self.window, title, text)
