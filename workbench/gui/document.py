"""The open spec as the GUI sees it: current spec, its analysis, undo stack, file path and markers."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from workbench.analysis import Analysis, analyze
from workbench.spec import ModelSpec, tree


MERGE_ID = 1  # undo-command id shared by every mergeable edit; the merge key decides


class ReplaceSpecCommand(QUndoCommand):
    """One undoable edit: the whole spec before and after.

    Consecutive edits with the same ``merge_key`` (e.g. one spin box stepped several times) merge
    into one undo step.
    """

    def __init__(
        self, document: SpecDocument, before: ModelSpec, after: ModelSpec, label: str, merge_key: str | None = None
    ):
        super().__init__(label)
        self._document, self._before, self._after = document, before, after
        self._merge_key = merge_key

    def id(self) -> int:
        return MERGE_ID if self._merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, ReplaceSpecCommand) or other._merge_key != self._merge_key:
            return False
        self._after = other._after
        self.setObsolete(self._after == self._before)
        return True

    def redo(self) -> None:
        self._document._set_spec(self._after)

    def undo(self) -> None:
        self._document._set_spec(self._before)


class SpecDocument(QObject):
    """Holds the spec being edited. Every edit goes through :meth:`apply` and the undo stack."""

    changed = Signal()  # spec (and analysis) changed
    pathChanged = Signal(str)
    dirtyChanged = Signal(bool)
    markersChanged = Signal()
    replaced = Signal()  # another spec was opened (open, new, preset): the old one's results no longer apply

    def __init__(self, spec: ModelSpec, path: str | Path | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self._spec = spec.copy()
        self._analysis = analyze(self._spec)
        self._path = str(path) if path else None
        self._markers: dict[str, dict[str, tuple[str, str]]] = {}
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._clean_changed)

    @property
    def spec(self) -> ModelSpec:
        """The current spec. Treat it as read-only: edit through :meth:`apply`."""
        return self._spec

    @property
    def analysis(self) -> Analysis:
        return self._analysis

    @property
    def path(self) -> str | None:
        return self._path

    @property
    def dirty(self) -> bool:
        return not self.undo_stack.isClean()

    def snapshot(self) -> ModelSpec:
        """A private copy of the current spec (e.g. for a training run)."""
        return self._spec.copy()

    def apply(self, new_spec: ModelSpec, label: str, merge_key: str | None = None) -> None:
        """Replace the spec with ``new_spec`` as one undoable edit named ``label``.

        Consecutive edits with the same non-empty ``merge_key`` become one undo step.
        """
        if new_spec == self._spec:
            return
        self.undo_stack.push(ReplaceSpecCommand(self, self._spec.copy(), new_spec.copy(), label, merge_key))

    def reset(self, spec: ModelSpec, path: str | Path | None) -> None:
        """Load a different spec (open/new): clears undo history and marks the document clean."""
        self.undo_stack.clear()
        self._path = str(path) if path else None
        had_markers = any(self._markers.values())
        self._markers.clear()  # findings about the previous document do not apply to this one
        self._set_spec(spec.copy())
        self.undo_stack.setClean()
        self.pathChanged.emit(self._path or "")
        self.dirtyChanged.emit(False)
        if had_markers:
            self.markersChanged.emit()
        self.replaced.emit()

    def mark_unsaved(self) -> None:
        """Flag the document as holding unsaved changes (e.g. after restoring an autosave)."""
        self.undo_stack.resetClean()
        self.dirtyChanged.emit(True)

    def mark_saved(self, path: str | Path) -> None:
        self._path = str(path)
        self.undo_stack.setClean()
        self.pathChanged.emit(self._path)

    def set_markers(self, source: str, markers: dict[str, tuple[str, str]]) -> None:
        """Markers from ``source`` (e.g. "doctor"): layer name -> (severity, text)."""
        self._markers[source] = dict(markers)
        self.markersChanged.emit()

    def markers_for(self, layer_name: str) -> list[tuple[str, str]]:
        """The markers about ``layer_name``: keyed by its name, or by a module path of one of its
        instances (``stage2.0.body.conv1`` is about ``conv1``; ``stage2.1`` about the block ``stage2``)."""
        names = set(tree.names(self._spec.layers))
        return [
            marker
            for markers in self._markers.values()
            for key, marker in markers.items()
            if _owner(key, names) == layer_name
        ]

    def _clean_changed(self, clean: bool) -> None:
        self.dirtyChanged.emit(not clean)

    def _set_spec(self, spec: ModelSpec) -> None:
        self._spec = spec
        self._analysis = analyze(spec)
        self.changed.emit()


def _owner(key: str, names: set[str]) -> str | None:
    """The layer a marker key names: the key itself, else the last part of its path that is a layer."""
    if key in names:
        return key
    return next((part for part in reversed(key.split(".")) if part in names), None)
