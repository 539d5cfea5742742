"""The stack column: input header, layer cards and totals, with drag-and-drop to insert and reorder."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeyEvent
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from workbench.gui import style
from workbench.gui.document import SpecDocument
from workbench.gui.editor.cards import CARD_STYLE, LAYER_MIME, InputCard, LayerCard, TotalsFooter
from workbench.gui.editor.controller import INPUT_KEY, EditController
from workbench.gui.editor.palette import PALETTE_MIME


class _Column(QWidget):
    """The scrolled widget that holds the cards and accepts drops."""

    def __init__(self, view: StackView):
        super().__init__()
        self._view = view
        self.setAcceptDrops(True)
        self.indicator = QFrame(self)
        self.indicator.setStyleSheet(f"background: {style.ACCENT}; border-radius: 1px;")
        self.indicator.hide()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._view.accepts(event.mimeData()):
            event.acceptProposedAction()
            self._view.show_indicator(event.position().toPoint())

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._view.accepts(event.mimeData()):
            event.acceptProposedAction()
            self._view.show_indicator(event.position().toPoint())

    def dragLeaveEvent(self, event) -> None:
        self.indicator.hide()

    def dropEvent(self, event: QDropEvent) -> None:
        self.indicator.hide()
        if self._view.drop(event.mimeData(), event.position().toPoint()):
            event.acceptProposedAction()


class StackView(QScrollArea):
    """Shows the document's stack as cards and turns clicks, keys and drops into controller edits."""

    def __init__(self, document: SpecDocument, controller: EditController, parent: QWidget | None = None):
        super().__init__(parent)
        self.document, self.controller = document, controller
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.column = _Column(self)
        self.column.setStyleSheet(CARD_STYLE)
        self._layout = QVBoxLayout(self.column)
        self._layout.setContentsMargins(8, 4, 8, 8)
        self._layout.setSpacing(6)
        self.setWidget(self.column)
        self.input_card: InputCard | None = None
        self.cards: list[LayerCard] = []
        self.footer: TotalsFooter | None = None
        document.changed.connect(self.rebuild)
        document.markersChanged.connect(self.rebuild)
        controller.selectionChanged.connect(self._show_selection)
        self.rebuild()

    # -- building -------------------------------------------------------------------------------
    def rebuild(self) -> None:
        """Recreate every card from the current spec and analysis, keeping the scroll position."""
        scroll = self.verticalScrollBar().value()
        while self._layout.count():
            item = self._layout.takeAt(0)
            if item.widget():
                item.widget().hide()
                item.widget().deleteLater()
        spec, analysis = self.document.spec, self.document.analysis
        self.input_card = InputCard(INPUT_KEY, spec)
        self._add_card(self.input_card)
        self.cards = []
        for layer, info in zip(spec.layers, analysis.layers):
            card = LayerCard(layer, info, self.document.markers_for(layer.name))
            self.cards.append(card)
            self._add_card(card)
        if not spec.layers:
            hint = QLabel("Drag layers here from the palette,\nor double-click a palette entry.")
            hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
            hint.setStyleSheet(f"color: {style.MUTED}; border: 2px dashed {style.BORDER}; border-radius: 6px; padding: 24px;")
            self._layout.addWidget(hint)
        self.footer = TotalsFooter(analysis)
        self._layout.addWidget(self.footer)
        self._layout.addStretch(1)
        self.column.indicator.raise_()
        self._show_selection(self.controller.selected)
        self.verticalScrollBar().setValue(scroll)
        self._keep_cards_whole()

    def _keep_cards_whole(self) -> None:
        """Never narrower than the widest card needs: the splitter takes the room from the other columns."""
        self.column.layout().activate()
        bar = self.verticalScrollBar().sizeHint().width()
        self.setMinimumWidth(self.column.minimumSizeHint().width() + bar + 2 * self.frameWidth())

    def _add_card(self, card) -> None:
        card.clicked.connect(self._card_clicked)
        card.activated.connect(self._card_clicked)
        self._layout.addWidget(card)

    def card(self, name: str) -> LayerCard:
        for card in self.cards:
            if card.key == name:
                return card
        raise KeyError(name)

    def _card_clicked(self, key: str) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self.controller.select(key)

    def _show_selection(self, key: str) -> None:
        for card in [self.input_card, *self.cards]:
            if card is not None:
                card.set_selected(card.key == key)
                if card.key == key:
                    self.ensureWidgetVisible(card, 0, 24)

    # -- drag and drop --------------------------------------------------------------------------
    @staticmethod
    def accepts(mime) -> bool:
        return mime.hasFormat(PALETTE_MIME) or mime.hasFormat(LAYER_MIME)

    def drop_index(self, pos: QPoint) -> int:
        """The stack position a drop at ``pos`` (column coordinates) inserts before."""
        self._layout.activate()  # cards rebuilt since the last paint have no geometry yet
        for i, card in enumerate(self.cards):
            if pos.y() < card.geometry().center().y():
                return i
        return len(self.cards)

    def show_indicator(self, pos: QPoint) -> None:
        index = self.drop_index(pos)
        if self.cards:
            above = self.cards[index - 1].geometry() if index > 0 else self.input_card.geometry()
            y = above.bottom() + self._layout.spacing() // 2
        else:
            y = self.input_card.geometry().bottom() + self._layout.spacing() // 2
        rect = self.input_card.geometry()
        self.column.indicator.setGeometry(rect.left(), y - 1, rect.width(), 3)
        self.column.indicator.show()
        self.column.indicator.raise_()

    def drop(self, mime, pos: QPoint) -> bool:
        """Insert a palette entry or move a layer to where ``pos`` points; True when something happened."""
        index = self.drop_index(pos)
        if mime.hasFormat(PALETTE_MIME):
            label = bytes(mime.data(PALETTE_MIME)).decode()
            return self.controller.insert_palette_entry(label, index) is not None
        if mime.hasFormat(LAYER_MIME):
            name = bytes(mime.data(LAYER_MIME)).decode()
            if name not in {layer.name for layer in self.document.spec.layers}:
                return False
            self.controller.move(name, index)
            return True
        return False

    # -- keyboard -------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        keys = [INPUT_KEY] + [layer.name for layer in self.document.spec.layers]
        step = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1}.get(event.key())
        if step is None or event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            super().keyPressEvent(event)
            return
        current = keys.index(self.controller.selected) if self.controller.selected in keys else -1
        self.controller.select(keys[max(0, min(len(keys) - 1, current + step))])
