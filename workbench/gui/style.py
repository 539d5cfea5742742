"""The app's look: colours, the light style sheet, fonts and the icons in ``assets/icons``."""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtGui import QColor, QFont, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from workbench.paths import ASSETS_DIR
from workbench.spec.model import Layer

ICONS_DIR = ASSETS_DIR / "icons"

ACCENT = "#2563eb"
ACCENT_SOFT = "#dbeafe"
TEXT = "#1f2937"
MUTED = "#64748b"
BORDER = "#d5dbe3"
SURFACE = "#ffffff"
BACKGROUND = "#f3f5f8"
ERROR = "#dc2626"
ERROR_SOFT = "#fee2e2"
WARNING = "#d97706"
DISABLED_TEXT = "#a3acb9"
MONO_FAMILY = "monospace"

STYLE_SHEET = f"""
QMainWindow, QDialog {{ background: {BACKGROUND}; }}
QSplitter::handle {{ background: {BACKGROUND}; }}
QScrollArea {{ border: none; background: transparent; }}
QScrollArea > QWidget > QWidget {{ background: transparent; }}
QLabel#paneTitle {{ color: {MUTED}; font-weight: 600; letter-spacing: 0.5px; padding: 6px 4px 2px 4px; }}
QListWidget#palette {{ background: {SURFACE}; border: 1px solid {BORDER}; border-radius: 6px; padding: 4px; outline: 0; }}
QListWidget#palette::item {{ padding: 5px 4px; border-radius: 4px; color: {TEXT}; }}
QListWidget#palette::item:hover {{ background: {ACCENT_SOFT}; }}
QListWidget#palette::item:selected {{ background: {ACCENT_SOFT}; color: {TEXT}; }}
QLabel.fieldError {{ color: {ERROR}; }}
QLabel.fieldHint {{ color: {MUTED}; }}
QTabWidget::pane {{ border: 1px solid {BORDER}; border-radius: 6px; background: {SURFACE}; top: -1px; }}
QTabBar::tab {{ padding: 6px 14px; color: {MUTED}; background: transparent; border: none; }}
QTabBar::tab:selected {{ color: {TEXT}; border-bottom: 2px solid {ACCENT}; }}
QStatusBar {{ color: {MUTED}; }}
"""


def apply_theme(app: QApplication) -> None:
    """Fusion style with a light palette and the style sheet above."""
    app.setStyle("Fusion")
    palette = QPalette()
    palette.setColor(QPalette.ColorRole.Window, QColor(BACKGROUND))
    palette.setColor(QPalette.ColorRole.Base, QColor(SURFACE))
    palette.setColor(QPalette.ColorRole.AlternateBase, QColor("#f8fafc"))
    palette.setColor(QPalette.ColorRole.Text, QColor(TEXT))
    palette.setColor(QPalette.ColorRole.WindowText, QColor(TEXT))
    palette.setColor(QPalette.ColorRole.ButtonText, QColor(TEXT))
    palette.setColor(QPalette.ColorRole.Button, QColor("#eef1f5"))
    palette.setColor(QPalette.ColorRole.Highlight, QColor(ACCENT))
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.ToolTipBase, QColor(SURFACE))
    palette.setColor(QPalette.ColorRole.ToolTipText, QColor(TEXT))
    palette.setColor(QPalette.ColorRole.PlaceholderText, QColor("#94a3b8"))
    disabled = QPalette.ColorGroup.Disabled  # setColor(role, …) above set every group: grey out the disabled one
    for role in (QPalette.ColorRole.ButtonText, QPalette.ColorRole.Text, QPalette.ColorRole.WindowText):
        palette.setColor(disabled, role, QColor(DISABLED_TEXT))
    app.setPalette(palette)
    app.setStyleSheet(STYLE_SHEET)


@lru_cache(maxsize=None)
def icon(name: str) -> QIcon:
    """The icon ``assets/icons/<name>.svg``."""
    return QIcon(str(ICONS_DIR / f"{name}.svg"))


def icon_name(kind: str, params: dict) -> str:
    """The icon for a layer type and its parameters (a 1×1 conv has its own)."""
    if kind == "conv" and params.get("kernel") == 1:
        return "conv1x1"
    return kind


def layer_icon(layer: Layer) -> QIcon:
    return icon(icon_name(layer.type, layer.params))


def mono_font(point_size: float | None = None) -> QFont:
    font = QFont(MONO_FAMILY)
    font.setStyleHint(QFont.StyleHint.Monospace)
    if point_size:
        font.setPointSizeF(point_size)
    return font
