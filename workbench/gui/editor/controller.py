"""The editor's one way to change the stack: every edit goes through :mod:`workbench.edits` and the undo stack.

Drag-and-drop, keyboard shortcuts, menus and the inspector all call these methods, and the
controller keeps track of which layer (or the input header) is selected.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from workbench import block_edits, edits
from workbench.block_edits import TOP, StackRef
from workbench.gui.document import SpecDocument
from workbench.spec import tree

INPUT_KEY = ":input"  # selection key of the input/classes header


class EditController(QObject):
    """Applies edits to a :class:`SpecDocument` and holds the selection."""

    selectionChanged = Signal(str)  # layer name, INPUT_KEY, or "" for nothing (the range may have changed too)
    editFailed = Signal(str)  # message for the status bar

    def __init__(self, document: SpecDocument, parent: QObject | None = None):
        super().__init__(parent)
        self.document = document
        self._selected = ""
        self._range: list[str] = []  # neighbouring layers of one stack selected together (shift-click)
        document.changed.connect(self._keep_selection_valid)

    # -- selection ------------------------------------------------------------------------------
    @property
    def selected(self) -> str:
        return self._selected

    @property
    def selection(self) -> list[str]:
        """The selected layers: the shift-click range, else the selected layer alone."""
        return list(self._range) if self._range else ([n] if (n := self.selected_layer()) else [])

    def select(self, key: str) -> None:
        had_range = bool(self._range)
        self._range = []
        if key != self._selected or had_range:
            self._selected = key
            self.selectionChanged.emit(key)

    def extend_selection(self, key: str) -> None:
        """Select every layer from the selected one to ``key`` when both sit in one stack, else ``key`` alone."""
        spec, anchor = self.document.spec, (self._range[0] if self._range else self.selected_layer())
        names = tree.names(spec.layers)
        if not anchor or key not in names or anchor not in names or spec.stack_of(anchor) is not spec.stack_of(key):
            self.select(key)
            return
        stack = spec.stack_of(key)
        a, b = spec.index_of(anchor), spec.index_of(key)
        step = 1 if b >= a else -1
        self._range = [stack[i].name for i in range(a, b + step, step)]
        self._selected = key
        self.selectionChanged.emit(key)

    def selected_layer(self) -> str | None:
        """The selected layer's name, or None when the header or nothing is selected."""
        return self._selected if self._selected not in ("", INPUT_KEY) else None

    def _keep_selection_valid(self) -> None:
        name = self.selected_layer()
        names = set(tree.names(self.document.spec.layers))
        if name and name not in names:
            self.select("")
        elif any(n not in names for n in self._range):
            self.select(name or "")

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

    def insert_palette_entry(self, label: str, index: int, ref: StackRef = TOP) -> str | None:
        """Insert the palette entry ``label`` before position ``index`` of stack ``ref``; selects and returns
        the new layer."""
        try:
            kind, params = edits.palette_entry(label)
        except edits.EditError as exc:
            self.editFailed.emit(str(exc))
            return None
        name = self._apply(lambda s: block_edits.insert_into(s, ref, index, kind, params), f"Add {label}")
        if name:
            self.select(name)
        return name

    def insert_after_selection(self, label: str) -> str | None:
        """Insert a palette entry after the selected layer, in its stack (at the end when none is selected)."""
        spec, name = self.document.spec, self.selected_layer()
        if not name:
            return self.insert_palette_entry(label, len(spec.layers))
        return self.insert_palette_entry(label, spec.index_of(name) + 1, block_edits.ref_of(spec, name))

    def move(self, name: str, index: int, ref: StackRef | None = None) -> None:
        """Move ``name`` before position ``index`` of stack ``ref`` (default: the stack that holds it)."""
        where = ref if ref is not None else block_edits.ref_of(self.document.spec, name)
        if self._apply(lambda s: block_edits.move_into(s, name, where, index), f"Move {name}"):
            self.select(name)

    def move_by(self, name: str, delta: int) -> None:
        index, stack = self.document.spec.index_of(name), self.document.spec.stack_of(name)
        if 0 <= index + delta < len(stack):
            self.move(name, index + delta + (1 if delta > 0 else 0))

    def delete(self, name: str) -> None:
        spec = self.document.spec
        index, ref = spec.index_of(name), block_edits.ref_of(spec, name)
        if self._apply(lambda s: edits.delete_layer(s, name), f"Delete {name}"):
            stack = block_edits.stack_at(self.document.spec, ref)
            self.select(stack[min(index, len(stack) - 1)].name if stack else (ref[0] or ""))

    def wrap(self, kind: str) -> str | None:
        """Wrap the selected neighbouring layers in a new ``residual`` or ``parallel`` block; selects it."""
        names = self.selection
        label = f"Wrap {', '.join(names)} in a {kind} block"
        block = self._apply(lambda s: block_edits.wrap(s, names, kind), label)
        if block:
            self.select(block)
        return block

    def unwrap(self, name: str) -> None:
        """Replace block ``name`` by its layers; selects the first of them."""
        stacks = self.document.spec.layer(name).stacks
        first = stacks[0][0].name if stacks and stacks[0] else ""
        if self._apply(lambda s: block_edits.unwrap(s, name), f"Unwrap {name}"):
            self.select(first)

    def add_branch(self, name: str) -> None:
        self._apply(lambda s: block_edits.add_branch(s, name), f"Add a branch to {name}")

    def remove_branch(self, name: str, slot: int) -> None:
        self._apply(lambda s: block_edits.remove_branch(s, name, slot), f"Remove branch {slot + 1} of {name}")

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
