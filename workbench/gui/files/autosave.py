"""Autosave of the open spec, and recovery after the app ended without a clean exit."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QObject, QTimer

from workbench.gui.document import SpecDocument
from workbench.gui.files.settings import AppSettings
from workbench.spec import ModelSpec, SpecError, dumps_spec, loads_spec
from workbench.spec.yaml_io import write_text_atomic

AUTOSAVE_INTERVAL_MS = 30_000
AUTOSAVE_NAME = "autosave.yaml"
META_NAME = "autosave.json"


class Autosaver(QObject):
    """Every ``interval_ms`` writes the spec to the autosave folder when it has unsaved changes."""

    def __init__(self, document: SpecDocument, settings: AppSettings, interval_ms: int = AUTOSAVE_INTERVAL_MS):
        super().__init__(document)
        self.document, self.settings = document, settings
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.save_if_needed)
        self._saved_index = None
        self.timer.start()

    @property
    def path(self) -> Path:
        return self.settings.autosave_folder() / AUTOSAVE_NAME

    @property
    def meta_path(self) -> Path:
        return self.settings.autosave_folder() / META_NAME

    def save_if_needed(self) -> bool:
        """Write the autosave when the document is dirty and changed since the last one."""
        index = self.document.undo_stack.index()
        if not self.document.dirty or index == self._saved_index:
            return False
        self.save_now()
        self._saved_index = index
        return True

    def save_now(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(self.path, dumps_spec(self.document.spec))
            write_text_atomic(self.meta_path, json.dumps({"path": self.document.path}))
        except OSError:
            self.timer.stop()  # an unwritable folder: stop trying rather than fail every 30 s

    def discard(self) -> None:
        """Remove the autosave (after a save or a clean exit)."""
        for path in (self.path, self.meta_path):
            path.unlink(missing_ok=True)
        self._saved_index = None


def pending_recovery(settings: AppSettings) -> tuple[ModelSpec, str | None] | None:
    """The autosaved spec and its file path, when an autosave newer than the last clean exit exists."""
    folder = settings.autosave_folder()
    path = folder / AUTOSAVE_NAME
    if not path.is_file() or path.stat().st_mtime <= settings.last_clean_exit():
        return None
    try:
        spec = loads_spec(path.read_text(encoding="utf-8"), file=str(path))
    except (OSError, UnicodeDecodeError, SpecError):
        return None
    original = None
    try:
        original = json.loads((folder / META_NAME).read_text(encoding="utf-8")).get("path")
    except (OSError, ValueError, AttributeError):
        pass
    return spec, original
