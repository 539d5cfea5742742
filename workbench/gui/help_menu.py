"""The Help menu: the guides shown inside the app, the keyboard shortcuts of every menu, and About."""

from __future__ import annotations

import platform
import re
from importlib import metadata
from pathlib import Path

import pyqtgraph
import PySide6
import torch
from PySide6.QtCore import qVersion
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QMainWindow, QMenu, QMessageBox, QTableWidget, QTableWidgetItem, QTextBrowser,
    QVBoxLayout, QWidget,
)

from workbench.paths import ROOT

DOCS_DIR = ROOT / "docs"
GUIDES = (  # menu text, file, section ("" = all of it), shortcut
    ("&Why my network does not train", DOCS_DIR / "why-my-network-does-not-train.md", "", "F1"),
    ("The &command line", ROOT / "README.md", "Command line", None),
    ("The &spec file format", DOCS_DIR / "spec-format.md", "", None),
)


def markdown_section(text: str, heading: str) -> str:
    """The ``## heading`` section of a markdown text (all of it when ``heading`` is empty or missing)."""
    if not heading:
        return text
    match = re.search(rf"^## {re.escape(heading)}\s*$(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    return f"# {heading}\n{match.group(1)}" if match else text


def read_guide(path: Path, section: str = "") -> str:
    """A guide's markdown, or a line saying where it should have been."""
    try:
        return markdown_section(path.read_text(encoding="utf-8"), section)
    except OSError:
        return f"This guide is not installed here (expected at `{path}`)."


class GuideDialog(QDialog):
    """A guide rendered from markdown in a window of its own (not modal)."""

    def __init__(self, title: str, path: Path, section: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setSearchPaths([str(path.parent)])
        self.browser.setMarkdown(read_guide(path, section))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        box = QVBoxLayout(self)
        box.addWidget(self.browser, 1)
        box.addWidget(buttons)
        self.resize(760, 560)


def shortcut_rows(window: QMainWindow) -> list[tuple[str, str, str]]:
    """(menu, action, keys) for every menu action of ``window`` with a shortcut, in menu order."""
    rows = []

    def walk(menu: QMenu, path: str) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu(), f"{path} ▸ {action.menu().title().replace('&', '')}")
            elif action.shortcuts():
                keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())
                rows.append((path, action.text().replace("&", "").rstrip("…"), keys))

    for action in window.menuBar().actions():
        if action.menu() is not None:
            walk(action.menu(), action.menu().title().replace("&", ""))
    return rows


class ShortcutsDialog(QDialog):
    """Every menu shortcut in a table, read from the menus themselves."""

    def __init__(self, window: QMainWindow):
        super().__init__(window)
        self.setWindowTitle("Keyboard shortcuts")
        rows = shortcut_rows(window)
        self.table = QTableWidget(len(rows), 3)
        self.table.setHorizontalHeaderLabels(["Menu", "Command", "Keys"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        note = QTextBrowser()
        note.setMaximumHeight(60)
        note.setPlainText("Ctrl+Z in a text field first undoes your typing there, then the last change to the spec. "
                          "The mouse wheel changes a number or a choice only after you click into the field.")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        box = QVBoxLayout(self)
        box.addWidget(self.table, 1)
        box.addWidget(note)
        box.addWidget(buttons)
        self.resize(560, 520)


def device_text() -> str:
    """The accelerator training would use, or the CPU."""
    if torch.cuda.is_available():
        return f"CUDA {torch.version.cuda}: {torch.cuda.get_device_name(0)}"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "Apple MPS"
    return f"CPU only ({platform.processor() or platform.machine()})"


def about_text() -> str:
    try:
        version = metadata.version("cnn-workbench")
    except metadata.PackageNotFoundError:
        version = "from source"
    return (f"<b>CNN Workbench</b> {version}<br>Design small convolutional networks, train them and see why they "
            f"do or do not learn.<br><br>"
            f"PyTorch {torch.__version__}<br>Qt {qVersion()} (PySide6 {PySide6.__version__})<br>"
            f"pyqtgraph {pyqtgraph.__version__}<br>Python {platform.python_version()}<br>Device: {device_text()}")


class HelpMenu:
    """Adds Help to ``window``'s menu bar; keeps the open guide windows."""

    def __init__(self, window: QMainWindow):
        self.window = window
        self.open_dialogs: list[QDialog] = []
        self.menu = window.menuBar().addMenu("&Help")
        for text, path, section, key in GUIDES:
            act = QAction(text, window)
            if key:
                act.setShortcut(QKeySequence(key))
            act.triggered.connect(lambda _checked=False, t=text, p=path, s=section: self.show_guide(t, p, s))
            self.menu.addAction(act)
        self.menu.addSeparator()
        self.shortcuts_action = self.menu.addAction("&Keyboard shortcuts", self.show_shortcuts)
        self.shortcuts_action.setShortcut(QKeySequence("Ctrl+/"))
        self.menu.addSeparator()
        self.about_action = self.menu.addAction("&About CNN Workbench", self.show_about)

    def _keep(self, dialog: QDialog) -> QDialog:
        dialog.finished.connect(lambda _result, d=dialog: self._forget(d))
        self.open_dialogs.append(dialog)
        dialog.show()
        return dialog

    def _forget(self, dialog: QDialog) -> None:
        if dialog in self.open_dialogs:
            self.open_dialogs.remove(dialog)
            dialog.deleteLater()

    def show_guide(self, text: str, path: Path, section: str) -> QDialog:
        return self._keep(GuideDialog(text.replace("&", ""), path, section, self.window))

    def show_shortcuts(self) -> QDialog:
        return self._keep(ShortcutsDialog(self.window))

    def show_about(self) -> None:
        QMessageBox.about(self.window, "About CNN Workbench", about_text())
