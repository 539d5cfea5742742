"""Starting the desktop app: the QApplication, the main window and an optional spec to open."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from workbench.gui import style
from workbench.gui.gc_guard import collect_on_gui_thread
from workbench.gui.files.settings import AppSettings
from workbench.gui.main_window import APP_TITLE, MainWindow
from workbench.gui.panels import install_panels
from workbench.gui.platform_check import platform_problem
from workbench.gui.input_guard import install_input_guard
from workbench.presets import preset_names

ORGANIZATION = "CNN Workbench"
USAGE = "usage: python main.py [SPEC.yaml | PRESET-NAME]"


def create_main_window(settings: QSettings | None = None, spec: str | None = None) -> MainWindow:
    """A main window with its panels, on the default preset or on ``spec`` (a file path or a preset name).

    ``settings`` is the store for recent files, layout and autosave (default: the user's settings).
    """
    install_input_guard(QApplication.instance())
    window = MainWindow(AppSettings(settings))
    install_panels(window)
    if spec:
        if not Path(spec).exists() and spec in preset_names():
            window.files.load_preset(spec)
        else:
            window.files.load_path(spec)
    return window


def start(argv: list[str]) -> MainWindow:
    """Set up the application and show a main window on ``argv[1]`` (a spec file or preset name) if given."""
    args = [a for a in argv[1:] if not a.startswith("-")]
    app = QApplication.instance() or QApplication(argv)
    app.setApplicationName(APP_TITLE)
    app.setOrganizationName(ORGANIZATION)
    app.setWindowIcon(style.icon("app"))
    style.apply_theme(app)
    collect_on_gui_thread(app)
    window = create_main_window(spec=args[0] if args else None)
    window.show()
    QTimer.singleShot(0, window.files.offer_recovery)
    return window


def main(argv: list[str]) -> int:
    """Run the app until its window closes."""
    if any(a in ("-h", "--help") for a in argv[1:]):
        print(USAGE)
        return 0
    problem = platform_problem() if QApplication.instance() is None else None
    if problem:
        print(problem, file=sys.stderr)
        return 1
    window = start(argv)  # this reference keeps the window alive while the event loop runs
    return QApplication.instance().exec() if window.isVisible() else 1
