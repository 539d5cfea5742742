"""Layout at a laptop's 1024×700 and the default 1400×900: no visible text is clipped or elided, nothing
scrolls sideways, and the plots keep a readable height."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QAbstractButton, QAbstractScrollArea, QLabel, QScrollArea, QTreeWidget, QWidget

from workbench.gui.editor.cards import LayerCard

SIZES = [(1024, 700), (1400, 900)]
MIN_PLOT_HEIGHT = 220
SLACK = 2  # pixels of rounding


def shown(widget: QWidget, window: QWidget) -> bool:
    """Visible, with some part inside every scroll area viewport around it."""
    if not widget.isVisibleTo(window) or widget.width() <= 0:
        return False
    rect = QRect(widget.mapTo(window, widget.rect().topLeft()), widget.size())
    parent = widget.parentWidget()
    while parent is not None and parent is not window:
        if isinstance(parent, QAbstractScrollArea):
            view = parent.viewport()
            if not QRect(view.mapTo(window, view.rect().topLeft()), view.size()).intersects(rect):
                return False
        parent = parent.parentWidget()
    return True


def clipped_text(widget: QWidget) -> str | None:
    """Why ``widget``'s text does not fit its geometry, or None."""
    if isinstance(widget, QLabel):
        text = widget.text()
        if not text or widget.pixmap() is not None and not widget.pixmap().isNull():
            return None
        room = widget.contentsRect()
        if widget.wordWrap():
            need = widget.heightForWidth(widget.width())
            return f"needs {need} px of height, has {widget.height()}" if need > widget.height() + SLACK else None
        need = widget.sizeHint().width() if widget.textFormat() != 0 and "<" in text else \
            widget.fontMetrics().horizontalAdvance(text) + 2 * widget.margin() + widget.indent() * (widget.indent() > 0)
        return f"needs {need} px of width, has {room.width()}" if need > room.width() + SLACK else None
    if isinstance(widget, QAbstractButton) and widget.text():
        need = widget.minimumSizeHint().width()
        return f"needs {need} px of width, has {widget.width()}" if need > widget.width() + SLACK else None
    if isinstance(widget, LayerCard):
        need = widget.minimumSizeHint().width()
        return f"card needs {need} px of width, has {widget.width()}" if need > widget.width() + SLACK else None
    return None


def problems(window) -> list[str]:
    found = []
    for widget in window.findChildren(QWidget):
        if not shown(widget, window):
            continue
        why = clipped_text(widget)
        if why:
            text = widget.text() if hasattr(widget, "text") else type(widget).__name__
            found.append(f"{type(widget).__name__} {text[:50]!r}: {why}")
        if isinstance(widget, QScrollArea) and widget.widget() is not None and (
                widget.horizontalScrollBar().isVisible() or widget.widget().width() > widget.viewport().width() + SLACK):
            found.append(f"{type(widget.widget()).__name__} in {type(widget).__name__} scrolls sideways or is cut off")
        if isinstance(widget, QTreeWidget):
            for i in range(widget.topLevelItemCount()):
                item = widget.topLevelItem(i)
                for col in range(widget.columnCount()):
                    need = widget.fontMetrics().horizontalAdvance(item.text(col)) + 30
                    if not widget.wordWrap() and need > widget.columnWidth(col) + SLACK:
                        found.append(f"tree item {item.text(col)!r} is elided")
    return found


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_nothing_is_clipped_at_common_window_sizes(qtbot, window, size):
    window.resize(*size)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == size, timeout=3000)
    window.controller.select("fc7")
    panels = window.panels
    found = []
    for panel, tab in ((panels.training, "curves"), (panels.training, "settings"), (panels.doctor, None),
                       (panels.predict, None)):
        window.show_panel(panel)
        if tab == "curves":
            panel.tabs.setCurrentWidget(panel.curves_page)
        elif tab == "settings":
            panel.tabs.setCurrentWidget(panel.settings)
        qtbot.wait(30)
        found += [f"{type(panel).__name__}/{tab}: {p}" for p in problems(window)]
        if tab == "curves" and panels.training.plots.height() < MIN_PLOT_HEIGHT:
            found.append(f"the plots are {panels.training.plots.height()} px tall")
    assert not sorted(set(found)), "\n".join(sorted(set(found)))
