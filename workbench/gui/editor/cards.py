"""The cards of the stack column: the input header, one card per layer, and the totals footer."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, Qt, Signal
from PySide6.QtGui import QDrag, QMouseEvent
from PySide6.QtWidgets import QApplication, QFrame, QGridLayout, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from workbench.analysis import Analysis, LayerInfo
from workbench.analysis.shape_rules import fmt_shape
from workbench.gui import style
from workbench.gui.editor import card_text
from workbench.spec.model import Layer, ModelSpec

LAYER_MIME = "application/x-workbench-layer"

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


def _label(text: str, name: str, parent: QWidget | None = None) -> QLabel:
    label = QLabel(text, parent)
    label.setObjectName(name)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
    return label


class _Card(QFrame):
    """A selectable card; ``key`` names what it shows (a layer name, or the header's key)."""

    clicked = Signal(str)
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
            self.clicked.emit(self.key)
        super().mousePressEvent(event)

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
        grid.addWidget(_label("Input", "cardName"), 0, 1)
        shape = _label(fmt_shape((spec.input.channels, spec.input.height, spec.input.width)), "cardShape")
        shape.setFont(style.mono_font())
        grid.addWidget(shape, 0, 2, Qt.AlignmentFlag.AlignRight)
        names = ", ".join(spec.class_names) if not isinstance(spec.classes, int) else "unnamed"
        classes = _label(f"{spec.num_classes} classes: {names}", "cardDetail")
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
        self.setToolTip(card_text.kind_label(layer) + " — drag to reorder, double-click to inspect")
        grid = QGridLayout(self)
        grid.setContentsMargins(10, 7, 12, 7)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(2)
        icon = QLabel()
        icon.setPixmap(style.layer_icon(layer).pixmap(24, 24))
        grid.addWidget(icon, 0, 0, 2, 1, Qt.AlignmentFlag.AlignTop)

        title = QHBoxLayout()
        title.setSpacing(8)
        title.addWidget(_label(layer.name, "cardName"))
        title.addWidget(_label(card_text.kind_label(layer), "cardKind"))
        title.addStretch(1)
        grid.addLayout(title, 0, 1)
        shape = _label(card_text.shape_text(info), "cardShape")
        shape.setFont(style.mono_font())
        shape.setToolTip("Output shape: channels × height × width")
        grid.addWidget(shape, 0, 2, Qt.AlignmentFlag.AlignRight)
        detail, stats_line = card_text.key_params_text(layer), card_text.stats_text(info)
        row = 1
        if detail or stats_line:
            grid.addWidget(_label(detail, "cardDetail"), 1, 1)
            # wrapped, if at all, only between its parts ("3.58k params", "RF 3 /1")
            stats = _label(stats_line.replace(" ", "\u00a0").replace("\u00a0·\u00a0", " · "), "cardStats")
            stats.setWordWrap(True)  # in a narrow column the numbers take a second line instead of being cut
            stats.setMinimumWidth(max(stats.fontMetrics().horizontalAdvance(part) for part in stats.text().split(" · ")))
            stats.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            stats.setToolTip("Learnable parameters · receptive field in input pixels / jump (stride so far)")
            grid.addWidget(stats, 1, 2, Qt.AlignmentFlag.AlignRight)
            row = 2
        grid.setColumnStretch(1, 1)

        self.marker_texts: list[str] = []
        status = ""
        for severity, text in self._all_markers(info, markers):
            marker = _label(("⚠ " if severity in ("error", "warning") else "") + text, f"marker_{severity}")
            marker.setWordWrap(True)
            grid.addWidget(marker, row, 1, 1, 2)
            self.marker_texts.append(text)
            row += 1
            if severity == "error" or (severity == "warning" and status != "error"):
                status = severity
            elif severity == "unreachable" and not status:
                status = "unreachable"
        self.status = status or "ok"
        self.setProperty("status", self.status)

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
        for i, (label, value) in enumerate(card_text.totals_lines(analysis)):
            name_label = _label(label, "totalsLabel")
            value_label = _label(value, "totalsValue")
            for text in (name_label, value_label):  # a narrow column wraps them instead of cutting them off
                text.setWordWrap(True)
            grid.addWidget(name_label, i // 2, (i % 2) * 2)
            grid.addWidget(value_label, i // 2, (i % 2) * 2 + 1)
            self.values[label] = value
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        box.addLayout(grid)
        for problem in analysis.problems:
            if problem.layer is None:
                text = problem.message + (f" — {problem.hint}" if problem.hint else "")
                marker = _label("⚠ " + text, f"marker_{'error' if problem.severity == 'error' else 'warning'}")
                marker.setWordWrap(True)
                box.addWidget(marker)
