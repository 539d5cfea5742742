"""Menus and keys: every shortcut is unique and fires its action, Ctrl+Z in a field, the Help menu."""

from __future__ import annotations

import torch
from PySide6.QtCore import QEvent, QObject, Qt, qVersion
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from workbench.gui.help_menu import shortcut_rows


def menu_actions(window):
    """Every action in the window's menus (submenus included) that has a shortcut."""
    found = []

    def walk(menu):
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu())
            elif action.shortcuts():
                found.append(action)

    for top in window.menuBar().actions():
        walk(top.menu())
    return found


class ShortcutSpy(QObject):
    """Records which action a shortcut reaches (and whether Qt found it ambiguous), without running it."""

    def __init__(self):
        super().__init__()
        self.hits = []

    def eventFilter(self, watched, event):  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.Shortcut:
            self.hits.append((watched, event.isAmbiguous()))
            return True
        return False


def test_every_menu_shortcut_is_unique_and_fires_its_action(qtbot, window):
    actions = menu_actions(window)
    keys = [k.toString() for a in actions for k in a.shortcuts()]
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)
    names = {a.text().replace("&", "") for a in actions}
    assert {"Undo", "Redo", "Save", "Why my network does not train", "Keyboard shortcuts"} <= names
    spy = ShortcutSpy()
    for action in actions:
        action.setEnabled(True)
        action.installEventFilter(spy)
    window.controller.select("conv2")
    window.activateWindow()
    window.stack_view.setFocus()
    qtbot.waitUntil(lambda: window.isActiveWindow(), timeout=3000)
    for action in actions:
        for key in action.shortcuts():
            spy.hits.clear()
            action.setEnabled(True)  # some follow the selection (Unwrap needs a block): the key is what is tested
            QTest.keySequence(window.stack_view, key)
            assert spy.hits == [(action, False)], (action.text(), key.toString())


def test_redo_has_ctrl_shift_z_and_ctrl_y_once_each(window):
    keys = [k.toString() for k in window.edit_actions.redo.shortcuts()]
    assert keys[0] == "Ctrl+Shift+Z" and keys.count("Ctrl+Shift+Z") == 1 and "Ctrl+Y" in keys


def test_ctrl_z_in_a_field_undoes_the_typing_then_the_last_spec_edit(qtbot, window):
    window.controller.select("conv2")
    kernel = window.inspector.form.fields["kernel"].editor
    window.activateWindow()
    kernel.setFocus()
    qtbot.waitUntil(kernel.hasFocus, timeout=3000)
    before = kernel.text()
    kernel.selectAll()
    QTest.keyClicks(kernel, "5")
    QTest.keySequence(kernel, QKeySequence.StandardKey.Undo)
    assert kernel.text() == before and not window.document.dirty  # the typing went, the spec was never touched
    kernel.selectAll()
    QTest.keyClicks(kernel, "5")
    QTest.keyClick(kernel, Qt.Key.Key_Return)
    assert window.document.spec.layer("conv2").params["kernel"] == 5
    kernel = window.inspector.form.fields["kernel"].editor
    kernel.setFocus()
    qtbot.waitUntil(kernel.hasFocus, timeout=3000)
    QTest.keySequence(kernel, QKeySequence.StandardKey.Undo)
    assert window.document.spec.layer("conv2").params["kernel"] != 5  # the edit itself was undone
    assert window.inspector.form.fields["kernel"].editor.text() == before


def test_help_menu_guides_shortcuts_and_about(qtbot, window, monkeypatch):
    titles = [a.text().replace("&", "") for a in window.help.menu.actions() if a.text()]
    assert titles[:3] == ["Why my network does not train", "The command line", "The spec file format"]
    guide = window.help.menu.actions()[0]
    guide.trigger()
    dialog = window.help.open_dialogs[-1]
    assert "1×1 conv" in dialog.browser.toPlainText()
    window.help.menu.actions()[1].trigger()
    assert "python -m workbench train" in window.help.open_dialogs[-1].browser.toPlainText()
    window.help.shortcuts_action.trigger()
    table = window.help.open_dialogs[-1].table
    rows = {table.item(r, 1).text(): table.item(r, 2).text() for r in range(table.rowCount())}
    assert rows["Redo"].startswith("Ctrl+Shift+Z") and len(rows) == len(shortcut_rows(window))
    shown = []
    monkeypatch.setattr(QMessageBox, "about", lambda parent, title, text: shown.append(text))
    window.help.about_action.trigger()
    assert torch.__version__ in shown[0] and qVersion() in shown[0] and "Device:" in shown[0]
    for dialog in list(window.help.open_dialogs):
        dialog.close()
    assert window.help.open_dialogs == []
