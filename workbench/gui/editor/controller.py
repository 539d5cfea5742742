"""The editor's one way to change the stack: every edit goes through :mod:`workbench.edits` and the undo stack.

Drag-and-drop, keyboard shortcuts, menus and the inspector all call these methods, and the
controller keeps track of which layer (or the input header) is selected.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from workbench import edits
from workbench.gui.document import SpecDocument

INPUT_KEY = ":input"  # selection key of the input/classes header


class EditController(QObject):
    """Applies edits to a :class:`SpecDocument` and holds the selection."""

    selectionChanged = Signal(str)  # layer name, INPUT_KEY, or "" for nothing
    editFailed = Signal(str)  # message for the status bar

    def __init__(self, document: SpecDocument, parent: QObject | None = None):
        super().__init__(parent)
        self.document = document
        self._selected = ""
        document.changed.connect(self._keep_selection_valid)

    # -- selection ------------------------------------------------------------------------------
    @property
    def selected(self) -> str:
        return self._selected

    def select(self, key: str) -> None:
        if key != self._selected:
            self._selected = key
            self.selectionChanged.emit(key)

    def selected_layer(self) -> str | None:
        """The selected layer's name, or None when the header or nothing is selected."""
        return self._selected if self._selected not in ("", INPUT_KEY) else None

    def _keep_selection_valid(self) -> None:
        name = self.selected_layer()
        if name and name not in {layer.name for layer in self.document.spec.layers}:
            self.select("")

    # -- edits ----------------------------------------------------------------------------------
    def _apply(self, make, label: str, merge_key: str | None = None) -> Any:
        try:
            result = make(self.document.spec)
        except edits.EditError as exc:
            self.editFailed.emit(str(exc))
            return None
        spec, extra = result if isinstance(result, tuple) else (result, None)
        self.document.apply(spec, label, merge_key=merge_key)
        return extra if extra is not None else True

    def insert_palette_entry(self, label: str, index: int) -> str | None:
        """Insert the palette entry ``label`` before position ``index``; selects and returns the new layer."""
        try:
            kind, params = edits.palette_entry(label)
        except edits.EditError as exc:
            self.editFailed.emit(str(exc))
            return None
        name = self._apply(lambda s: edits.insert_layer(s, index, kind, params), f"Add {label}")
        if name:
            self.select(name)
        return name

    def insert_after_selection(self, label: str) -> str | None:
        """Insert a palette entry after the selected layer (at the end when none is selected)."""
        layers = self.document.spec.layers
        name = self.selected_layer()
        index = self.document.spec.index_of(name) + 1 if name else len(layers)
        return self.insert_palette_entry(label, index)

    def move(self, name: str, index: int) -> None:
        if self._apply(lambda s: edits.move_layer(s, name, index), f"Move {name}"):
            self.select(name)

    def move_by(self, name: str, delta: int) -> None:
        index = self.document.spec.index_of(name)
        target = index + delta + (1 if delta > 0 else 0)
        if 0 <= index + delta < len(self.document.spec.layers):
            self.move(name, target)

    def delete(self, name: str) -> None:
        index = self.document.spec.index_of(name)
        if self._apply(lambda s: edits.delete_layer(s, name), f"Delete {name}"):
            layers = self.document.spec.layers
            self.select(layers[min(index, len(layers) - 1)].name if layers else "")

    def duplicate(self, name: str) -> None:
        new = self._apply(lambda s: edits.duplicate_layer(s, name), f"Duplicate {name}")
        if new:
            self.select(new)

    def rename(self, old: str, new: str) -> bool:
        try:
            spec = edits.rename_layer(self.document.spec, old, new)
        except edits.EditError as exc:
            self.editFailed.emit(str(exc))
            return False
        was_selected = self._selected == old
        if was_selected:
            self._selected = new  # before the change, so views never see a vanished selection
        self.document.apply(spec, f"Rename {old} to {new}")
        if was_selected:
            self.selectionChanged.emit(new)
        return True

    def set_param(self, name: str, key: str, value: Any) -> None:
        self._apply(lambda s: edits.set_param(s, name, key, value), f"Set {name}.{key}", merge_key=f"{name}.{key}")

    def set_input(self, channels: int, height: int, width: int) -> None:
        self._apply(lambda s: edits.set_input(s, channels, height, width), "Set input shape", merge_key="input")

    def set_classes(self, classes: int | list[str]) -> None:
        self._apply(lambda s: edits.set_classes(s, classes), "Set classes", merge_key="classes")
