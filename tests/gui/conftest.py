"""Fixtures for the desktop app's tests: private settings, a main window, and scripted message boxes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QSettings, QStandardPaths
from PySide6.QtWidgets import QMessageBox

from workbench.gui.app import create_main_window


class Dialogs:
    """Stands in for QMessageBox's static functions: records each call and answers from a queue."""

    def __init__(self):
        self.calls: list[tuple[str, str, str]] = []  # (kind, title, text)
        self.answers: list[QMessageBox.StandardButton] = []

    def _answer(self, kind: str, title: str, text: str, default: QMessageBox.StandardButton):
        self.calls.append((kind, title, text))
        return self.answers.pop(0) if self.answers else default

    def question(self, parent, title, text, *args, **kwargs):
        return self._answer("question", title, text, QMessageBox.StandardButton.Discard)

    def warning(self, parent, title, text, *args, **kwargs):
        return self._answer("warning", title, text, QMessageBox.StandardButton.Ok)

    def of_kind(self, kind: str) -> list[tuple[str, str, str]]:
        return [c for c in self.calls if c[0] == kind]


@pytest.fixture(autouse=True)
def dialogs(monkeypatch, tmp_path) -> Dialogs:
    """No real message box ever opens; the user's settings and data folders are never touched."""
    QStandardPaths.setTestModeEnabled(True)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "user-settings"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    fake = Dialogs()
    monkeypatch.setattr(QMessageBox, "question", fake.question)
    monkeypatch.setattr(QMessageBox, "warning", fake.warning)
    return fake


@pytest.fixture
def settings_path(tmp_path):
    return tmp_path / "settings.ini"


@pytest.fixture
def settings(settings_path, tmp_path) -> QSettings:
    """A settings store in a temporary ini file, with autosaves in a temporary folder."""
    store = QSettings(str(settings_path), QSettings.Format.IniFormat)
    store.setValue("autosave/folder", str(tmp_path / "autosave"))
    return store


@pytest.fixture
def make_window(qtbot, settings):
    """Creates main windows on the test settings; each is closed (changes discarded) and freed afterwards."""
    made = []

    def make():
        win = create_main_window(settings)
        made.append(win)
        return win

    yield make
    for win in made:
        win.document.undo_stack.setClean()
        win.panels.training.shutdown(10)  # a run left going would make closing ask what to do with it
        win.close()
        win.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def window(make_window, qtbot):
    """A shown 1400×900 main window on the default preset."""
    win = make_window()
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    return win
