"""The Edit menu's actions: undo/redo from the undo stack, and delete, duplicate, move, rename."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from workbench.gui.editor.controller import EditController


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
        name = self.controller.selected_layer()
        layers = [layer.name for layer in self.controller.document.spec.layers]
        index = layers.index(name) if name in layers else -1
        for act in (self.delete, self.duplicate, self.rename):
            act.setEnabled(index >= 0)
        self.move_up.setEnabled(index > 0)
        self.move_down.setEnabled(0 <= index < len(layers) - 1)

    def fill(self, menu: QMenu) -> None:
        menu.addAction(self.undo)
        menu.addAction(self.redo)
        menu.addSeparator()
        for act in (self.delete, self.duplicate, self.rename, self.move_up, self.move_down):
            menu.addAction(act)
