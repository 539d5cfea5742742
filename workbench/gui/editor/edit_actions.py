"""The Edit menu's actions: undo/redo from the undo stack; delete, duplicate, move, rename; wrap the
selected cards in a residual or parallel block and unwrap a block."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from workbench.gui.editor.controller import EditController
from workbench.spec import tree


def distinct_keys(standard: QKeySequence.StandardKey, *extra: str) -> list[QKeySequence]:
    """``extra`` and the platform's keys for ``standard``, each once (two equal keys on one action make Qt
    call the shortcut ambiguous and do nothing)."""
    keys: list[QKeySequence] = []
    for key in [*map(QKeySequence, extra), *QKeySequence.keyBindings(standard)]:
        if key not in keys:
            keys.append(key)
    return keys


class EditActions:
    """Creates the actions, keeps them enabled only when they apply, and fills the Edit menu."""

    def __init__(self, window: QWidget, controller: EditController, focus_name_field):
        self.controller = controller
        stack = controller.document.undo_stack
        self.undo = stack.createUndoAction(window, "&Undo")
        self.undo.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo = stack.createRedoAction(window, "&Redo")
        self.redo.setShortcuts(distinct_keys(QKeySequence.StandardKey.Redo, "Ctrl+Shift+Z", "Ctrl+Y"))

        def action(text: str, shortcut: str, slot) -> QAction:
            act = QAction(text, window)
            act.setShortcut(QKeySequence(shortcut))
            act.triggered.connect(slot)
            window.addAction(act)
            return act

        self.delete = action("&Delete layer", "Delete", lambda: self._on_selected(controller.delete))
        self.duplicate = action("D&uplicate layer", "Ctrl+D", lambda: self._on_selected(controller.duplicate))
        self.move_up = action("Move layer &up", "Ctrl+Up", lambda: self._on_selected(lambda n: controller.move_by(n, -1)))
        self.move_down = action("Move layer do&wn", "Ctrl+Down", lambda: self._on_selected(lambda n: controller.move_by(n, 1)))
        self.rename = action("&Rename layer…", "F2", lambda: self._on_selected(lambda _n: focus_name_field()))
        self.wrap_residual = action("Wrap in &residual block", "Ctrl+G", lambda: controller.wrap("residual"))
        self.wrap_parallel = action("Wrap in &parallel block", "Ctrl+Shift+G", lambda: controller.wrap("parallel"))
        self.unwrap = action("U&nwrap block", "Ctrl+Alt+G", lambda: self._on_selected(controller.unwrap))
        window.addAction(self.undo)
        window.addAction(self.redo)
        controller.selectionChanged.connect(lambda _key: self.update_enabled())
        controller.document.changed.connect(self.update_enabled)
        self.update_enabled()

    def _on_selected(self, slot) -> None:
        name = self.controller.selected_layer()
        if name:
            slot(name)

    def update_enabled(self) -> None:
        spec, name = self.controller.document.spec, self.controller.selected_layer()
        found = name in tree.names(spec.layers)
        index, size = (spec.index_of(name), len(spec.stack_of(name))) if found else (-1, 0)
        for act in (self.delete, self.duplicate, self.rename):
            act.setEnabled(found)
        self.move_up.setEnabled(index > 0)
        self.move_down.setEnabled(0 <= index < size - 1)
        for act in (self.wrap_residual, self.wrap_parallel):
            act.setEnabled(found)
        self.unwrap.setEnabled(found and tree.is_block(spec.layer(name)))

    def fill(self, menu: QMenu) -> None:
        menu.addAction(self.undo)
        menu.addAction(self.redo)
        menu.addSeparator()
        for act in (self.delete, self.duplicate, self.rename, self.move_up, self.move_down):
            menu.addAction(act)
        menu.addSeparator()
        for act in self.block_actions():
            menu.addAction(act)

    def block_actions(self) -> list[QAction]:
        """Wrap and unwrap: the Edit menu's block section and the cards' context menu."""
        return [self.wrap_residual, self.wrap_parallel, self.unwrap]
