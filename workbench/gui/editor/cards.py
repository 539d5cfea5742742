"""The cards of the stack column: the input header, one card per layer, and the totals footer."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, QSize, Qt, Signal
from PySide6.QtGui import QDrag, QMouseEvent
from PySide6.QtWidgets import QApplication, QFrame, QGridLayout, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from workbench.analysis import Analysis, LayerInfo
from workbench.analysis.shape_rules import fmt_shape
from workbench.gui import style
from workbench.gui.editor import card_text
from workbench.spec.model import Layer, ModelSpec

LAYER_MIME = "application/x-workbench-layer"
NAME_WIDTH = 150  # px a layer name keeps on one line; a longer name breaks after its _ . - where the card is narrow

CARD_STYLE = f"""
QFrame#card {{ background: {style.SURFACE}; border: 1px solid {style.BORDER}; border-radius: 6px; }}
QFrame#card[selected="true"] {{ border: 1px solid {style.ACCENT}; background: #f5f8ff; }}
QFrame#card[status="error"] {{ border-left: 4px solid {style.ERROR}; }}
QFrame#card[status="warning"] {{ border-left: 4px solid {style.WARNING}; }}
QFrame#card[status="unreachable"] {{ background: #f8fafc; }}
QLabel#cardName {{ font-weight: 600; color: {style.TEXT}; }}
QLabel#cardKind, QLabel#cardStats, QLabel#cardDetail {{ color: {style.MUTED}; }}
QLabel#cardShape {{ color: {style.TEXT}; font-weight: 600; }}
QLabel#marker_error {{ color: {style.ERROR}; }}
QLabel#marker_warning {{ color: {style.WARNING}; }}
QLabel#marker_info {{ color: {style.ACCENT}; }}
QLabel#marker_unreachable {{ color: {style.MUTED}; font-style: italic; }}
QLabel#totalsValue {{ color: {style.TEXT}; font-weight: 600; }}
QLabel#totalsLabel {{ color: {style.MUTED}; }}
"""


class _ShortLabel(QLabel):
    """A label that keeps to one line where there is room and wraps where the column is narrow."""

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        margins = self.contentsMargins()
        one_line = self.fontMetrics().horizontalAdvance(self.text()) + margins.left() + margins.right() + 2
        return QSize(max(hint.width(), one_line), hint.height())


class _NameLabel(_ShortLabel):
    """A layer's name: on one line up to NAME_WIDTH px; a longer name breaks after its _ . - in a narrow card."""

    def __init__(self, text: str):
        super().__init__(text)
        self.setObjectName("cardName")
        self.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.setWordWrap(True)

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(max(hint.width(), min(self.sizeHint().width(), NAME_WIDTH)), hint.height())


def wrapping_label(text: str, name: str) -> QLabel:
    """A card label that wraps only when the card is too narrow for it on one line."""
    label = _ShortLabel(text)
    label.setObjectName(name)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
    label.setWordWrap(True)
    return label


def card_label(text: str, name: str, parent: QWidget | None = None) -> QLabel:
    label = QLabel(text, parent)
    label.setObjectName(name)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
    return label


class _Card(QFrame):
    """A selectable card; ``key`` names what it shows (a layer name, or the header's key)."""

    clicked = Signal(str)
    shiftClicked = Signal(str)  # extends the selection to this card
    activated = Signal(str)

    def __init__(self, key: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.key = key
        self.setObjectName("card")
        self.setProperty("selected", False)
        # never squeezed below the natural height: the column scrolls instead
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def set_selected(self, selected: bool) -> None:
        if self.property("selected") != selected:
            self.setProperty("selected", selected)
            self.style().unpolish(self)
            self.style().polish(self)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            shift = event.modifiers() & Qt.KeyboardModifier.ShiftModifier
            (self.shiftClicked if shift else self.clicked).emit(self.key)
        elif event.button() == Qt.MouseButton.RightButton and not self.property("selected"):
            self.clicked.emit(self.key)  # the context menu acts on this card, or on the selection it is in
        event.accept()  # a card inside a block card: the block does not take the click too

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.activated.emit(self.key)


class InputCard(_Card):
    """The header: input shape and classes."""

    def __init__(self, key: str, spec: ModelSpec, parent: QWidget | None = None):
        super().__init__(key, parent)
        self.setToolTip("Input shape and classes — select to edit them in the inspector")
        grid = QGridLayout(self)
        grid.setContentsMargins(10, 8, 12, 8)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(2)
        icon = QLabel()
        icon.setPixmap(style.icon("input").pixmap(24, 24))
        grid.addWidget(icon, 0, 0, 2, 1, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(card_label("Input", "cardName"), 0, 1)
        shape = card_label(fmt_shape((spec.input.channels, spec.input.height, spec.input.width)), "cardShape")
        shape.setFont(style.mono_font())
        grid.addWidget(shape, 0, 2, Qt.AlignmentFlag.AlignRight)
        names = ", ".join(spec.class_names) if not isinstance(spec.classes, int) else "unnamed"
        classes = card_label(f"{spec.num_classes} classes: {names}", "cardDetail")
        classes.setWordWrap(True)
        grid.addWidget(classes, 1, 1, 1, 2)
        grid.setColumnStretch(1, 1)


class LayerCard(_Card):
    """One layer: name, kind, key parameters, output shape, parameters, receptive field and markers."""

    def __init__(
        self,
        layer: Layer,
        info: LayerInfo | None,
        markers: list[tuple[str, str]],
        parent: QWidget | None = None,
    ):
        super().__init__(layer.name, parent)
        self.layer = layer
        kind_text = self.kind_text(layer, info)
        self.setToolTip(kind_text + " — drag to reorder or into a block, shift-click to select a range")
        self.grid = grid = QGridLayout(self)
        grid.setContentsMargins(8, 7, 8, 7)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(2)
        icon = QLabel()
        icon.setPixmap(style.layer_icon(layer).pixmap(24, 24))
        grid.addWidget(icon, 0, 0, 2, 1, Qt.AlignmentFlag.AlignTop)

        self.title_row = title = QHBoxLayout()
        title.setSpacing(8)
        title.addWidget(_NameLabel(card_text.breakable(layer.name)))
        kind_label = wrapping_label(kind_text, "cardKind")
        title.addWidget(kind_label, 1)
        grid.addLayout(title, 0, 1)
        shape = card_label(card_text.shape_text(info), "cardShape")
        shape.setFont(style.mono_font())
        shape.setToolTip("Output shape: channels × height × width")
        grid.addWidget(shape, 0, 2, Qt.AlignmentFlag.AlignRight)
        detail, stats_line = card_text.key_params_text(layer), card_text.stats_text(info)
        row = 1
        if detail or stats_line:
            detail_label = wrapping_label(detail, "cardDetail")  # a narrow column (inside a block) wraps, never clips
            grid.addWidget(detail_label, 1, 1)
            stats = wrapping_label(stats_line, "cardStats")
            stats.setAlignment(Qt.AlignmentFlag.AlignRight)
            stats.setToolTip("Learnable parameters · receptive field in input pixels / jump (stride so far)")
            grid.addWidget(stats, 1, 2, Qt.AlignmentFlag.AlignRight)
            row = 2
        grid.setColumnStretch(1, 1)

        self.marker_texts: list[str] = []
        status = ""
        for severity, text in self._all_markers(info, markers):
            marker = wrapping_label(("⚠ " if severity in ("error", "warning") else "") + card_text.breakable(text),
                                    f"marker_{severity}")
            grid.addWidget(marker, row, 1, 1, 2)
            self.marker_texts.append(text)
            row += 1
            if severity == "error" or (severity == "warning" and status != "error"):
                status = severity
            elif severity == "unreachable" and not status:
                status = "unreachable"
        self.status = status or "ok"
        self.setProperty("status", self.status)
        self.next_row = row

    @staticmethod
    def kind_text(layer: Layer, info: LayerInfo | None) -> str:
        return card_text.kind_label(layer)

    @staticmethod
    def _all_markers(info: LayerInfo | None, markers: list[tuple[str, str]]) -> list[tuple[str, str]]:
        out = []
        if info is not None and info.status == "error":
            out.append(("error", info.error + (f" — {info.hint}" if info.hint else "")))
        elif info is not None and info.status == "unreachable":
            out.append(("unreachable", "not reachable: fix the error above first"))
        for severity, text in markers:
            out.append((severity if severity in ("error", "warning") else "info", text))
        return out

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._press_pos = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        start = getattr(self, "_press_pos", None)
        if not (event.buttons() & Qt.MouseButton.LeftButton) or start is None:
            return
        if (event.position().toPoint() - start).manhattanLength() < QApplication.startDragDistance():
            return
        self._press_pos = None
        drag = QDrag(self)
        mime = QMimeData()
        mime.setData(LAYER_MIME, self.key.encode())
        drag.setMimeData(mime)
        drag.setPixmap(self.grab())
        drag.setHotSpot(QPoint(start.x(), start.y()))
        drag.exec(Qt.DropAction.MoveAction)


class TotalsFooter(QFrame):
    """Totals (parameters, MACs, size, activation memory) and problems not tied to one layer."""

    def __init__(self, analysis: Analysis, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("card")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        box = QVBoxLayout(self)
        box.setContentsMargins(12, 8, 12, 8)
        box.setSpacing(4)
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(2)
        self.values: dict[str, str] = {}
        for i, (label, value) in enumerate(card_text.totals_lines(analysis)):  # label above value: fits narrow
            grid.addWidget(card_label(label, "totalsLabel"), (i // 2) * 2, i % 2)
            value_label = wrapping_label(value, "totalsValue")
            grid.addWidget(value_label, (i // 2) * 2 + 1, i % 2)
            self.values[label] = value
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        box.addLayout(grid)
        for problem in analysis.problems:
            if problem.layer is None:
                text = problem.message + (f" — {problem.hint}" if problem.hint else "")
                marker = card_label("⚠ " + text, f"marker_{'error' if problem.severity == 'error' else 'warning'}")
                marker.setWordWrap(True)
                box.addWidget(marker)
