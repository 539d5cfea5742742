"""A block's card: its header as a layer card, then its body (or branches) as indented sub-stacks of
cards, the shortcut drawn beside a residual body, and the join (⊕ add, ‖ concat) underneath."""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QPointF, QRect, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QFrame, QHBoxLayout, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from workbench.analysis import LayerInfo
from workbench.analysis.shape_rules import fmt_shape
from workbench.block_edits import StackRef
from workbench.gui import style
from workbench.gui.editor import card_text
from workbench.gui.editor.cards import LayerCard, card_label
from workbench.spec import tree
from workbench.spec.model import Layer

BLOCK_STYLE = f"""
QFrame#stackArea {{ border: none; border-left: 2px solid {style.ACCENT_SOFT}; background: transparent; }}
QLabel#joinLabel {{ color: {style.ACCENT}; font-weight: 600; }}
QLabel#branchLabel {{ color: {style.MUTED}; }}
QLabel#dropHint {{ color: {style.MUTED}; border: 1px dashed {style.BORDER}; border-radius: 4px; padding: 8px; }}
QToolButton#collapse {{ border: none; color: {style.MUTED}; padding: 0 2px; }}
"""

MarkersOf = Callable[[str], list]


class StackArea(QFrame):
    """One child stack of a block (a body or a branch): its cards in a column, or a drop hint when empty."""

    def __init__(self, ref: StackRef, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("stackArea")
        self.ref = ref
        self.cards: list[LayerCard] = []
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(4, 2, 0, 2)
        self.column.setSpacing(5)

    def add_card(self, card: LayerCard) -> None:
        self.cards.append(card)
        self.column.addWidget(card)

    def add_drop_hint(self, text: str) -> None:
        hint = card_label(text, "dropHint")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setWordWrap(True)
        self.column.addWidget(hint)


class ShortcutRail(QWidget):
    """The skip path beside a residual body: a line from the block's input down to the add, labelled
    with the shortcut when there is room for the text."""

    WIDTH = 16

    def __init__(self, text: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.text = text
        self.setFixedWidth(self.WIDTH)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)
        self.setToolTip(f"Shortcut: {text}" if text else "Shortcut")

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = QColor(style.ACCENT)
        painter.setPen(QPen(colour, 1.5, Qt.PenStyle.DashLine if self.text != "identity" else Qt.PenStyle.SolidLine))
        x, bottom = self.width() / 2, self.height() - 2
        painter.drawLine(QPointF(x, 2), QPointF(x, bottom - 5))
        painter.setBrush(colour)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawPolygon(QPolygonF([QPointF(x - 4, bottom - 6), QPointF(x + 4, bottom - 6), QPointF(x, bottom)]))
        metrics = painter.fontMetrics()
        if self.text and metrics.horizontalAdvance(self.text) + 16 < self.height():
            painter.setPen(QColor(style.MUTED))
            painter.translate(x, self.height() / 2)
            painter.rotate(-90)
            width = metrics.horizontalAdvance(self.text) + 8
            painter.fillRect(QRect(-width // 2, -metrics.height() // 2, width, metrics.height()), QColor(style.SURFACE))
            painter.drawText(QRect(-width // 2, -metrics.height() // 2, width, metrics.height()), Qt.AlignmentFlag.AlignCenter, self.text)
        painter.end()


class BlockCard(LayerCard):
    """A residual or parallel block: the layer card's header, a collapse toggle and its stacks' cards."""

    toggled = Signal(str)  # the block's name: collapse or expand it

    def __init__(
        self,
        layer: Layer,
        info: LayerInfo | None,
        markers: list[tuple[str, str]],
        make_card: Callable[[Layer, LayerInfo | None], LayerCard],
        collapsed: bool,
        parent: QWidget | None = None,
    ):
        super().__init__(layer, info, markers, parent)
        self.grid.setContentsMargins(6, 7, 4, 7)  # room for the cards inside
        self.collapsed = collapsed
        self.areas: list[StackArea] = []
        toggle = QToolButton()
        toggle.setObjectName("collapse")
        toggle.setText("▸" if collapsed else "▾")
        toggle.setToolTip("Expand the block" if collapsed else "Collapse the block")
        toggle.clicked.connect(lambda: self.toggled.emit(self.key))
        self.toggle = toggle
        self.title_row.insertWidget(0, toggle)
        row = self.next_row
        if collapsed:
            count = sum(1 for _ in tree.walk(sum(layer.stacks, [])))
            summary = card_label(f"{count} layers inside · {card_text.join_text(layer, info)}", "cardDetail")
            summary.setWordWrap(True)
            self.grid.addWidget(summary, row, 1, 1, 2)
            return
        self.grid.addWidget(self._stacks(layer, info, make_card), row, 0, 1, 3)
        self.join = card_label(card_text.join_text(layer, info), "joinLabel")
        self.join.setWordWrap(True)
        self.grid.addWidget(self.join, row + 1, 0, 1, 3)

    @staticmethod
    def kind_text(layer: Layer, info: LayerInfo | None) -> str:
        return card_text.block_title(layer, info)

    def _stacks(self, layer: Layer, info: LayerInfo | None, make_card) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 2, 0, 0)
        row.setSpacing(2)
        stacks = QVBoxLayout()
        stacks.setSpacing(4)
        for slot, stack in enumerate(layer.stacks):
            if layer.type == "parallel":
                stacks.addWidget(card_label(self._branch_text(info, slot), "branchLabel"))
            area = StackArea((layer.name, slot))
            for i, child in enumerate(stack):
                area.add_card(make_card(child, _child_info(info, slot, i)))
            if not stack:
                empty = "empty: passes its input on — drop layers here" if layer.type == "parallel" else "empty body — drop layers here"
                area.add_drop_hint(empty)
            self.areas.append(area)
            stacks.addWidget(area)
        row.addLayout(stacks, 1)
        if layer.type == "residual":
            self.rail = ShortcutRail(card_text.shortcut_text(info))
            row.addWidget(self.rail)
        return box

    @staticmethod
    def _branch_text(info: LayerInfo | None, slot: int) -> str:
        text = f"branch {slot + 1}"
        copy = info.copies[0] if info is not None and info.copies else None
        if copy is not None and slot < len(copy.stacks):
            infos = copy.stacks[slot]
            out = infos[-1].out_shape if infos else copy.in_shape
            if out and (not infos or infos[-1].status == "ok"):
                text += f" → {fmt_shape(out)}"
        return text


def _child_info(info: LayerInfo | None, slot: int, index: int) -> LayerInfo | None:
    """The child's info in the first copy where it has an error, else in the first copy."""
    found = [c.stacks[slot][index] for c in (info.copies if info else []) if slot < len(c.stacks) and index < len(c.stacks[slot])]
    return next((i for i in found if i.status == "error"), found[0] if found else None)
