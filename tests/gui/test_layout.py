"""Layout at a laptop's 1024×700 and the default 1400×900, before and after a run: no visible text is
clipped or elided, no widget lies over a neighbour, nothing scrolls sideways, and the plots keep a readable
height."""

from __future__ import annotations

import pyqtgraph as pg
import pytest
from PIL import Image
from PySide6.QtCore import QRect
from PySide6.QtWidgets import (
    QAbstractButton, QAbstractItemView, QAbstractScrollArea, QLabel, QLayout, QListWidget, QScrollArea, QSplitter,
    QStackedLayout, QTabBar, QToolButton, QTreeWidget, QWidget,
)

from workbench.data.shapes import generate_shapes
from workbench.gui import style
from workbench.gui.editor.cards import LayerCard
from workbench.presets import DEFAULT_PRESET
from workbench.spec import Layer

from .specs import tiny_spec

SIZES = [(1024, 700), (1400, 900)]
MIN_PLOT_HEIGHT = 220
MIN_LOSS_HEIGHT = 75  # px of the loss plot's own area, under the legend and above the step axis
SLACK = 2  # pixels of rounding


@pytest.fixture(autouse=True)
def themed(qapp):
    """The app's own style, palette and style sheet (as ``python main.py`` shows it), put back afterwards."""
    before = (qapp.style().name(), qapp.palette(), qapp.styleSheet())
    style.apply_theme(qapp)
    yield
    qapp.setStyle(before[0])
    qapp.setPalette(before[1])
    qapp.setStyleSheet(before[2])


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


def hidden_tabs(bar: QTabBar) -> str | None:
    """Why some of ``bar``'s tabs cannot be seen at a glance (scroll arrows, a tab outside the bar), or None."""
    if any(button.isVisible() for button in bar.findChildren(QToolButton)):
        return "the tab bar shows scroll arrows: some tabs are hidden"
    room = bar.rect().adjusted(-SLACK, -SLACK, SLACK, SLACK)
    outside = [bar.tabText(i) for i in range(bar.count()) if bar.isTabVisible(i) and not room.contains(bar.tabRect(i))]
    return f"tabs {outside} lie outside the tab bar" if outside else None


def _name(widget: QWidget) -> str:
    text = widget.text() if callable(getattr(widget, "text", None)) else ""
    return f"{type(widget).__name__} {text[:40]!r}" if text else type(widget).__name__


def _laid_out(layout: QLayout) -> list[tuple[str, QRect, bool]]:
    """The visible widgets and non-empty sub-layouts of ``layout``: name, the rectangle given, whether a layout."""
    parts = []
    for i in range(layout.count()):
        item = layout.itemAt(i)
        widget, inner = item.widget(), item.layout()
        if widget is not None and not widget.isHidden():
            parts.append((_name(widget), widget.geometry(), False))
        elif inner is not None and not inner.isEmpty() and inner.geometry().isValid():
            parts.append((f"{type(inner).__name__} of {inner.count()}", inner.geometry(), True))
    return parts


def overlaps(widget: QWidget) -> list[str]:
    """Neighbours in ``widget``'s layout (or splitter) that lie over each other, and children pushed out of it."""
    found = []
    layout = widget.layout()
    if isinstance(widget, QSplitter):
        parts = [(_name(widget.widget(i)), widget.widget(i).geometry(), False) for i in range(widget.count())
                 if not widget.widget(i).isHidden()]
    elif layout is not None and not isinstance(layout, QStackedLayout):
        parts = _laid_out(layout) + [part for inner in layout.findChildren(QLayout)
                                     if not isinstance(inner, QStackedLayout) for part in _laid_out(inner)]
    else:
        return found
    inside = widget.rect().adjusted(-SLACK, -SLACK, SLACK, SLACK)
    for n, (name, rect, is_layout) in enumerate(parts):
        if rect.width() > 0 and rect.height() > 0 and not inside.contains(rect):
            found.append(f"{name} reaches outside {_name(widget)} ({rect.getRect()} in {widget.width()}×{widget.height()})")
        for other, other_rect, other_is_layout in parts[n + 1:]:
            common = rect.intersected(other_rect)
            nested = (is_layout and rect.contains(other_rect)) or (other_is_layout and other_rect.contains(rect))
            if common.width() > SLACK and common.height() > SLACK and not nested:
                found.append(f"{name} and {other} overlap in {_name(widget)} ({rect.getRect()}, {other_rect.getRect()})")
    return found


def problems(window) -> list[str]:
    found = []
    for widget in window.findChildren(QWidget):
        if not shown(widget, window):
            continue
        why = clipped_text(widget)
        if why:
            found.append(f"{_name(widget)}: {why}")
        if not isinstance(widget, QAbstractScrollArea):
            found += overlaps(widget)
        if isinstance(widget, QTabBar) and hidden_tabs(widget):
            titles = [widget.tabText(i) for i in range(widget.count())]
            found.append(f"QTabBar {titles}: {hidden_tabs(widget)}")
        if isinstance(widget, QScrollArea) and widget.widget() is not None and (
                widget.horizontalScrollBar().isVisible() or widget.widget().width() > widget.viewport().width() + SLACK):
            found.append(f"{type(widget.widget()).__name__} in {type(widget).__name__} scrolls sideways or is cut off")
        plots = getattr(widget, "centralWidget", None) if isinstance(widget, pg.GraphicsView) else None
        if plots is not None and plots.geometry().width() > widget.viewport().width() + SLACK:
            found.append(f"the plots of a {type(widget).__name__} are {plots.geometry().width():.0f} px wide in "
                         f"{widget.viewport().width()} px: cut off at the right")
        if isinstance(widget, QAbstractItemView) and widget.horizontalScrollBar().isVisible():
            found.append(f"{type(widget).__name__} scrolls sideways: its items are wider than the view")
        if isinstance(widget, QListWidget) and widget.count() and not widget.wordWrap() and \
                widget.sizeHintForColumn(0) > widget.viewport().width() + SLACK:
            found.append(f"{type(widget).__name__}'s items need {widget.sizeHintForColumn(0)} px of width, "
                         f"its view has {widget.viewport().width()}: cut off at the right")
        if isinstance(widget, QTreeWidget):
            for i in range(widget.topLevelItemCount()):
                item = widget.topLevelItem(i)
                for col in range(widget.columnCount()):
                    need = widget.fontMetrics().horizontalAdvance(item.text(col)) + 30
                    if not widget.wordWrap() and need > widget.columnWidth(col) + SLACK:
                        found.append(f"tree item {item.text(col)!r} is elided")
    status = window.statusBar()
    message = status.currentMessage()
    if message and status.fontMetrics().horizontalAdvance(message) > status.width():
        found.append(f"status bar message {message[:40]!r} is cut off")
    return found


def settle(qtbot, window, timeout_ms: int = 3000) -> None:
    """Let the layouts settle: a wrapped label's new height reaches the splitters a few event loop turns later.
    Returns once every visible widget kept its geometry through a 30 ms wait."""
    def geometries():
        return [w.geometry().getRect() for w in window.findChildren(QWidget) if w.isVisible()]

    before, waited = geometries(), 0
    while waited < timeout_ms:
        qtbot.wait(30)
        waited += 30
        now = geometries()
        if now == before:
            return
        before = now


def walk_panels(qtbot, window, pages) -> list[str]:
    """Show each (panel, page of its tabs or None) in turn and collect what is clipped, with the panel's name."""
    found = []
    for panel, page in pages:
        window.show_panel(panel)
        if page is not None:
            panel.tabs.setCurrentWidget(page)
        settle(qtbot, window)
        where = f"{type(panel).__name__}/{type(page).__name__ if page is not None else ''}"
        found += [f"{where}: {p}" for p in problems(window)]
        training = window.panels.training
        if page is training.curves_page and training.plots.height() < MIN_PLOT_HEIGHT:
            found.append(f"{where}: the plots are {training.plots.height()} px tall")
        loss = training.plots.plots["loss"].vb
        if page is training.curves_page and loss.height() < MIN_LOSS_HEIGHT:
            found.append(f"{where}: the loss curve has {loss.height():.0f} px of height")
    return found


def resize(qtbot, window, size) -> None:
    window.resize(*size)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == size, timeout=3000)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_nothing_is_clipped_at_common_window_sizes(qtbot, window, size):
    resize(qtbot, window, size)
    window.controller.select("fc7")
    panels = window.panels
    training = panels.training
    found = walk_panels(qtbot, window, [(training, training.curves_page), (training, training.settings),
                                        (panels.doctor, None), (panels.predict, None)])
    assert not sorted(set(found)), "\n".join(sorted(set(found)))
    palette = window.palette_list  # every layer kind in sight: lists elsewhere may scroll, the palette does not
    assert palette.count() >= 15 and palette.verticalScrollBar().maximum() == 0
    last = palette.visualItemRect(palette.item(palette.count() - 1))
    assert palette.viewport().rect().contains(last), f"the last palette entry lies at {last.getRect()}"


def test_nothing_is_clipped_after_a_run_a_check_and_a_prediction(qtbot, window, tmp_path):
    """A short run (the doctor's warning above the curves), the doctor's check, a prediction and a validation
    image in the Inside panel (each of its tabs), at 1400×900 and then at 1024×700; then two presets opened
    beside that run (its runs, results and a chart that is now out of date)."""
    panels = window.panels
    training, doctor, predict, inside = panels.training, panels.doctor, panels.predict, panels.inside
    spec = tiny_spec(name="a-run-with-a-long-name", epochs=2, images=60, one_by_one=1).copy()
    spec.layers.append(Layer("drop9", "dropout", {"rate": 0.5}))  # the doctor's error: a banner above the curves
    window.document.reset(spec, None)
    assert training.start()
    qtbot.waitUntil(lambda: training.worker is None and training.results.results is not None, timeout=60_000)
    assert training.ended.status == "completed" and not training.controls.banner.isHidden()
    doctor.run_init_check()
    qtbot.waitUntil(lambda: doctor.init_report is not None and not doctor._busy(), timeout=30_000)
    image = tmp_path / "a-shape-in-a-file-with-a-long-name.png"
    Image.fromarray(generate_shapes(1, 3, 3, 16, 16, seed=2)[0][0].permute(1, 2, 0).numpy()).save(image)
    predict.add_images([image])
    assert predict.results and predict.results[0].ok and predict.input_caption.text()
    assert panels.look_at_validation_image(training.ended.run_dir, 0) and inside.image is not None
    window.controller.select("fc7")
    pages = [(training, training.curves_page), (training, training.results), (doctor, None), (predict, None)]
    inside_pages = [(inside, inside.tabs.widget(i)) for i in range(inside.tabs.count())]
    found = []
    for size in SIZES[::-1]:  # the curves shown while the window shrinks, as a user resizing it sees them
        window.show_panel(training)
        training.tabs.setCurrentWidget(training.curves_page)
        resize(qtbot, window, size)
        found += [f"{size[0]}×{size[1]}, {p}" for p in walk_panels(qtbot, window, pages + inside_pages)]
    for preset in (DEFAULT_PRESET, "overfeat-small-fc7_1"):  # the second one with findings and their fixes
        window.files.load_preset(preset)
        window.controller.select("fc7")
        assert not doctor.init_cover.isHidden()  # the check measured the tiny net, not this one
        for size in SIZES:
            resize(qtbot, window, size)
            found += [f"{preset} at {size[0]}×{size[1]}, {p}" for p in walk_panels(qtbot, window, pages)]
    assert not sorted(set(found)), "\n".join(sorted(set(found)))


def test_the_status_bar_fits_a_laptop_window(qtbot, window):
    """A long error in the status line takes a second line: the window does not grow past 1024 px (on a
    laptop screen that pushed its left part off the screen) and nothing is cut. The palette's hints fit too."""
    resize(qtbot, window, SIZES[0])
    long_name = "a_pooling_layer_with_a_name_long_enough_to_need_a_second_line_in_the_status_bar"
    spec = tiny_spec().copy()
    spec.layers[1].name, spec.layers[1].params["kernel"] = long_name, 32  # a 32×32 pool on an 8×8 map
    window.document.reset(spec, None)
    qtbot.wait(30)
    assert long_name in window.status_label.text() and "error" in window.status_label.text()
    assert (window.width(), window.height()) == SIZES[0]
    found = problems(window)
    for row in range(window.palette_list.count()):
        window.statusBar().showMessage(window.palette_list.item(row).statusTip())
        found += problems(window)
    assert not found, "\n".join(found)
