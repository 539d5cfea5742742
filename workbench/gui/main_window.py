"""The main window: palette on the left, the layer stack in the middle, inspector and panels on the right."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QFrame, QLabel, QMainWindow, QScrollArea, QSplitter, QTabWidget, QVBoxLayout, QWidget

from workbench.analysis.formatting import human_count
from workbench.analysis.shape_rules import fmt_shape
from workbench.gui import style
from workbench.gui.document import SpecDocument
from workbench.gui.editor.controller import EditController
from workbench.gui.editor.edit_actions import EditActions
from workbench.gui.editor.inspector import Inspector, LayerForm
from workbench.gui.editor.palette import PaletteList
from workbench.gui.editor.stack_view import StackView
from workbench.gui.files.autosave import Autosaver
from workbench.gui.files.file_actions import FileActions
from workbench.gui.files.settings import AppSettings
from workbench.gui.help_menu import HelpMenu
from workbench.gui.wrapping import FittingLabel
from workbench.presets import DEFAULT_PRESET, load_preset
from workbench.safe_text import printable_line
from workbench.spec import tree

APP_TITLE = "CNN Workbench"
DEFAULT_SIZE = (1400, 900)
DEFAULT_COLUMNS = (180, 480, 740)
INSPECTOR_SHARE = 0.34  # of the right column's height; the panels get the rest


def _pane(title: str, body: QWidget, footer: str = "") -> QWidget:
    """A column with a small caps title above ``body`` and an optional muted note below it."""
    pane = QWidget()
    box = QVBoxLayout(pane)
    box.setContentsMargins(6, 4, 6, 6)
    box.setSpacing(2)
    label = QLabel(title.upper())
    label.setObjectName("paneTitle")
    box.addWidget(label)
    box.addWidget(body, 1)
    if footer:
        note = QLabel(footer)
        note.setWordWrap(True)
        note.setStyleSheet(f"color: {style.MUTED}; font-size: 11px; padding: 4px 2px;")
        box.addWidget(note)
    return pane


class PanelHolder(QScrollArea):
    """Shows a panel at the full size of the tab; scroll bars appear only below the panel's minimum size.

    (A resizable QScrollArea would size a panel holding word-wrapped labels to its preferred height.)"""

    def __init__(self, panel: QWidget):
        super().__init__()
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidget(panel)
        panel.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.LayoutRequest:
            self._fit()
        return False

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        panel, view = self.widget(), self.viewport().size()
        least = panel.minimumSizeHint().expandedTo(panel.minimumSize())
        panel.resize(max(view.width(), least.width()), max(view.height(), least.height()))


class MainWindow(QMainWindow):
    """Edits one spec. Other parts add tabs with :meth:`add_panel` and actions to ``file_menu``/``view_menu``."""

    def __init__(self, settings: AppSettings, document: SpecDocument | None = None):
        super().__init__()
        self.settings = settings
        self.document = document or SpecDocument(load_preset(DEFAULT_PRESET))
        self.controller = EditController(self.document, self)
        self.autosaver = Autosaver(self.document, settings)
        self.files = FileActions(self, self.document, settings, self.autosaver)
        self.setWindowIcon(style.icon("app"))
        self.resize(*DEFAULT_SIZE)

        self.palette_list = PaletteList()
        self.palette_list.entryActivated.connect(self.controller.insert_after_selection)
        self.stack_view = StackView(self.document, self.controller)
        self.inspector = Inspector(self.controller)
        self.panel_tabs = QTabWidget()
        self.panel_tabs.hide()

        self.palette_pane = _pane(
            "Layers", self.palette_list, "Drag a layer into the stack, or double-click it to add it after the selected card."
        )
        self.inspector_pane = _pane("Inspector", self.inspector)
        self.right_splitter = QSplitter(Qt.Orientation.Vertical)
        self.right_splitter.setObjectName("rightSplitter")
        self.right_splitter.addWidget(self.inspector_pane)
        self.right_splitter.addWidget(self.panel_tabs)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.palette_pane)
        self.splitter.addWidget(_pane("Stack", self.stack_view))
        self.splitter.addWidget(self.right_splitter)
        self.splitter.setSizes(list(DEFAULT_COLUMNS))
        for i, stretch in enumerate((0, 1, 2)):  # a smaller window takes a third from the stack, the rest from the panels
            self.splitter.setStretchFactor(i, stretch)
        self.splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.splitter)

        self.status_label = FittingLabel()  # a long error takes a second line rather than being cut
        self.statusBar().addWidget(self.status_label, 1)
        self.controller.editFailed.connect(lambda message: self.statusBar().showMessage(message, 6000))
        self.document.changed.connect(self._update_status)
        self.document.dirtyChanged.connect(self.setWindowModified)
        self.files.titleChanged.connect(self._update_title)

        self._shutdown_hooks: list[Callable[[], object]] = []
        self._close_checks: list[Callable[[], bool]] = []
        self._panel_holders: dict[QWidget, PanelHolder] = {}
        self.edit_actions = EditActions(self, self.controller, self.focus_name_field)
        ea = self.edit_actions
        self.stack_view.set_context_actions([*ea.block_actions(), ea.duplicate, ea.delete])
        self._build_menus()
        self.files.refresh_name(preset=DEFAULT_PRESET if document is None else None)
        self._update_status()
        self.restore_layout()

    # -- menus --------------------------------------------------------------------------------
    def _action(self, text: str, slot, shortcut=None) -> QAction:
        act = QAction(text, self)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        act.triggered.connect(lambda _checked=False: slot())
        return act

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.file_menu = bar.addMenu("&File")
        files = self.files
        self.file_menu.addAction(self._action("&New", files.new_file, QKeySequence.StandardKey.New))
        self.file_menu.addAction(self._action("&Open…", files.open_file, QKeySequence.StandardKey.Open))
        self.file_menu.addAction(self._action("Open &preset…", files.open_preset, "Ctrl+Shift+O"))
        self.recent_menu = self.file_menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self.rebuild_recent_menu)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self._action("&Save", files.save, QKeySequence.StandardKey.Save))
        self.file_menu.addAction(self._action("Save &as…", files.save_as, QKeySequence.StandardKey.SaveAs))
        self._quit_separator = self.file_menu.addSeparator()
        self.quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.file_menu.addAction(self.quit_action)
        self.rebuild_recent_menu()

        self.edit_menu = bar.addMenu("&Edit")
        self.edit_actions.fill(self.edit_menu)

        self.view_menu = bar.addMenu("&View")
        self.pane_toggles: list[QAction] = []
        for title, pane in (("Layer palette", self.palette_pane), ("Inspector", self.inspector_pane)):
            toggle = QAction(title, self, checkable=True, checked=True)
            toggle.toggled.connect(pane.setVisible)
            self.view_menu.addAction(toggle)
            self.pane_toggles.append(toggle)
        self.view_menu.addAction(self._action("Reset layout", self.reset_layout))
        self._panels_separator = self.view_menu.addSeparator()
        self.help = HelpMenu(self)

    def insert_file_action(self, action: QAction) -> None:
        """Add ``action`` to the File menu, above Quit."""
        self.file_menu.insertAction(self._quit_separator, action)

    def rebuild_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.settings.recent_files()
        for i, path in enumerate(recent, start=1):
            act = self.recent_menu.addAction(f"&{i}  {Path(path).name}")
            act.setToolTip(path)
            act.setStatusTip(path)
            act.triggered.connect(lambda _checked=False, p=path: self.files.open_file(p))
        if recent:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction(self._action("Clear recent files", self.settings.clear_recent))
        self.recent_menu.setEnabled(bool(recent))

    # -- panels -------------------------------------------------------------------------------
    def add_panel(self, title: str, widget: QWidget) -> None:
        """Add ``widget`` as a tab in the right-hand panel area, with a View menu entry that shows it.

        The tab scrolls when the window is smaller than the panel's minimum size."""
        first = self.panel_tabs.count() == 0
        holder = PanelHolder(widget)
        self._panel_holders[widget] = holder
        self.panel_tabs.addTab(holder, title)
        self.panel_tabs.show()
        number = self.panel_tabs.count()
        act = self._action(f"{title} panel", lambda: self.show_panel(widget), f"Ctrl+{number}" if number < 10 else None)
        self.view_menu.addAction(act)
        if first:
            height = self.right_splitter.height() or DEFAULT_SIZE[1]
            self.right_splitter.setSizes([int(height * INSPECTOR_SHARE), int(height * (1 - INSPECTOR_SHARE))])

    def set_panel_title(self, widget: QWidget, title: str, tooltip: str = "") -> None:
        index = self.panel_tabs.indexOf(self._panel_holders[widget])
        self.panel_tabs.setTabText(index, title)
        self.panel_tabs.setTabToolTip(index, tooltip)

    def current_panel(self) -> QWidget | None:
        holder = self.panel_tabs.currentWidget()
        return holder.widget() if holder is not None else None

    def add_close_check(self, check: Callable[[], bool]) -> None:
        """Ask ``check()`` before closing (before the unsaved-changes prompt); False keeps the window open."""
        self._close_checks.append(check)

    def add_shutdown(self, hook: Callable[[], object]) -> None:
        """Call ``hook()`` when the window closes (after the unsaved-changes prompt): stop background work."""
        self._shutdown_hooks.append(hook)

    def show_panel(self, widget: QWidget) -> None:
        self.panel_tabs.setCurrentWidget(self._panel_holders[widget])
        self.panel_tabs.show()

    def focus_name_field(self) -> None:
        """Put the cursor in the inspector's name field (Edit ▸ Rename)."""
        form = self.inspector.form
        if isinstance(form, LayerForm):
            self.pane_toggles[1].setChecked(True)
            form.name_edit.setFocus()
            form.name_edit.selectAll()

    # -- title and status ---------------------------------------------------------------------
    def _update_title(self, name: str) -> None:
        self.setWindowTitle(f"{printable_line(name)}[*] — {APP_TITLE}")
        self.setWindowModified(self.document.dirty)

    def _update_status(self) -> None:
        analysis = self.document.analysis
        errors = [p for p in analysis.problems if p.severity == "error"]
        kinds = [tree.is_block(layer) for layer, _place in tree.walk(self.document.spec.layers)]
        blocks = sum(kinds)
        count = f"{len(kinds) - blocks} layers" + (f" ({blocks} block{'s' if blocks > 1 else ''})" if blocks else "")
        parts = [count, f"{human_count(analysis.total_params)} parameters"]
        if errors:
            first = errors[0]
            where = f"{first.layer}: " if first.layer else ""
            parts.append(f"⚠ {len(errors)} error{'s' if len(errors) > 1 else ''} — {where}{first.message}")
        else:
            parts.append(f"output {fmt_shape(analysis.output_shape)} · ready to train")
        self.status_label.setText("  ·  ".join(parts))

    # -- layout persistence and closing -------------------------------------------------------
    def restore_layout(self) -> None:
        geometry = self.settings.layout("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        elif self.screen() is not None:
            available = self.screen().availableGeometry()
            self.resize(min(DEFAULT_SIZE[0], available.width()), min(DEFAULT_SIZE[1], available.height()))
        state = self.settings.layout("state")
        if state is not None:
            self.restoreState(state)
        for key, splitter in (("mainSplitter", self.splitter), ("rightSplitter", self.right_splitter)):
            sizes = self.settings.layout(key)
            if sizes is not None:
                splitter.restoreState(sizes)

    def save_layout(self) -> None:
        self.settings.set_layout("geometry", self.saveGeometry())
        self.settings.set_layout("state", self.saveState())
        self.settings.set_layout("mainSplitter", self.splitter.saveState())
        self.settings.set_layout("rightSplitter", self.right_splitter.saveState())

    def reset_layout(self) -> None:
        self.resize(*DEFAULT_SIZE)
        for toggle in self.pane_toggles:
            toggle.setChecked(True)
        self.splitter.setSizes(list(DEFAULT_COLUMNS))
        height = sum(self.right_splitter.sizes()) or DEFAULT_SIZE[1]
        self.right_splitter.setSizes([int(height * INSPECTOR_SHARE), int(height * (1 - INSPECTOR_SHARE))])

    def closeEvent(self, event: QCloseEvent) -> None:
        if not all(check() for check in self._close_checks) or not self.files.maybe_save():
            event.ignore()
            return
        self.save_layout()
        for hook in self._shutdown_hooks:
            hook()
        self.autosaver.timer.stop()
        self.autosaver.discard()
        self.settings.record_clean_exit()
        event.accept()
