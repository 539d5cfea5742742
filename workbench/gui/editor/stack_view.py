"""The stack column: input header, layer cards (blocks with their sub-stacks) and totals, with
drag-and-drop to insert, reorder and move layers into and out of blocks."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeyEvent
from PySide6.QtWidgets import QApplication, QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from workbench.gui import style
from workbench.gui.document import SpecDocument
from workbench.block_edits import TOP, StackRef
from workbench.gui.editor.block_card import BLOCK_STYLE, BlockCard, StackArea
from workbench.gui.editor.cards import CARD_STYLE, LAYER_MIME, InputCard, LayerCard, TotalsFooter
from workbench.gui.editor.controller import INPUT_KEY, EditController
from workbench.gui.editor.palette import PALETTE_MIME
from workbench.spec import tree


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
        # deep blocks in a narrow column scroll sideways rather than clip
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.column = _Column(self)
        self.column.setStyleSheet(CARD_STYLE + BLOCK_STYLE)
        self._layout = QVBoxLayout(self.column)
        self._layout.setContentsMargins(4, 4, 4, 8)
        self._layout.setSpacing(6)
        self.setWidget(self.column)
        self.column.installEventFilter(self)
        self.input_card: InputCard | None = None
        self.cards: list[LayerCard] = []  # the top stack's cards
        self.all_cards: dict[str, LayerCard] = {}  # every card shown, inner ones too, in reading order
        self.collapsed: set[str] = set()  # names of the blocks shown collapsed
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
        self.cards, self.all_cards = [], {}
        for layer, info in zip(spec.layers, analysis.layers):
            card = self._make_card(layer, info)
            self.cards.append(card)
            self._layout.addWidget(card)
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
        """Never narrower than the widest card needs: the splitter takes the room from the other columns.

        Called again whenever the column lays its cards out (new cards are shown, and so measured, only then)."""
        bar = self.verticalScrollBar().sizeHint().width()
        need = self.column.minimumSizeHint().width() + bar + 2 * self.frameWidth()
        if need != self.minimumWidth():
            self.setMinimumWidth(need)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt API)
        if watched is self.column and event.type() == QEvent.Type.LayoutRequest:
            self._keep_cards_whole()
        return super().eventFilter(watched, event)

    def _add_card(self, card) -> None:
        card.clicked.connect(self._card_clicked)
        card.activated.connect(self._card_clicked)
        card.shiftClicked.connect(self._card_shift_clicked)
        self._layout.addWidget(card)

    def _make_card(self, layer, info) -> LayerCard:
        """The card of ``layer``; a block's card holds the cards of its stacks (unless collapsed)."""
        markers = self.document.markers_for(layer.name)
        self.all_cards[layer.name] = None  # keeps reading order: a block before the cards inside it
        if tree.is_block(layer):
            card = BlockCard(layer, info, markers, self._make_card, layer.name in self.collapsed)
            card.toggled.connect(self.toggle_collapsed)
        else:
            card = LayerCard(layer, info, markers)
        card.clicked.connect(self._card_clicked)
        card.activated.connect(self._card_clicked)
        card.shiftClicked.connect(self._card_shift_clicked)
        self.all_cards[layer.name] = card
        return card

    def set_context_actions(self, actions) -> None:
        """The actions a right-click on a card offers (wrap, unwrap, duplicate, delete)."""
        self.column.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.column.addActions(actions)

    def card(self, name: str) -> LayerCard:
        """The card showing the layer ``name`` (inside a block too); KeyError when none is shown."""
        return self.all_cards[name]

    def toggle_collapsed(self, name: str) -> None:
        """Collapse the block ``name`` to its header, or expand it again."""
        self.collapsed ^= {name}
        self.rebuild()

    def _card_clicked(self, key: str) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self.controller.select(key)

    def _card_shift_clicked(self, key: str) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self.controller.extend_selection(key)

    def _show_selection(self, key: str) -> None:
        chosen = set(self.controller.selection) | {key}
        for card in [self.input_card, *self.all_cards.values()]:
            if card is not None:
                card.set_selected(card.key in chosen)
        shown = self.all_cards.get(key) or (self.input_card if key == INPUT_KEY else None)
        if shown is not None:
            self.ensureWidgetVisible(shown, 0, 24)

    # -- drag and drop --------------------------------------------------------------------------
    @staticmethod
    def accepts(mime) -> bool:
        return mime.hasFormat(PALETTE_MIME) or mime.hasFormat(LAYER_MIME)

    def _area_at(self, pos: QPoint) -> StackArea | None:
        """The innermost block stack under ``pos`` (column coordinates); None for the top stack."""
        widget = self.column.childAt(pos)
        while widget is not None and widget is not self.column:
            if isinstance(widget, StackArea):
                return widget
            widget = widget.parentWidget()
        return None

    def drop_target(self, pos: QPoint) -> tuple[StackRef, int]:
        """The stack and the position in it that a drop at ``pos`` (column coordinates) inserts before."""
        # cards rebuilt since the last paint (and the layouts inside block cards) have no geometry yet
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        self._layout.activate()
        area = self._area_at(pos)
        cards = area.cards if area is not None else self.cards
        y = area.mapFrom(self.column, pos).y() if area is not None else pos.y()
        index = next((i for i, card in enumerate(cards) if y < card.geometry().center().y()), len(cards))
        return (area.ref if area is not None else TOP), index

    def drop_index(self, pos: QPoint) -> int:
        """The position in the top stack a drop at ``pos`` inserts before (outside every block)."""
        return self.drop_target(pos)[1]

    def show_indicator(self, pos: QPoint) -> None:
        ref, index = self.drop_target(pos)
        area = self._area_at(pos) if ref != TOP else None
        cards = area.cards if area is not None else self.cards
        if index > 0:
            above = cards[index - 1]
            y = above.mapTo(self.column, QPoint(0, above.height())).y() + 2
        elif area is not None:
            y = area.mapTo(self.column, QPoint(0, 1)).y()
        else:
            y = self.input_card.geometry().bottom() + self._layout.spacing() // 2
        left = area.mapTo(self.column, QPoint(8, 0)).x() if area is not None else self.input_card.geometry().left()
        right = self.input_card.geometry().right()
        self.column.indicator.setGeometry(left, y - 1, right - left, 3)
        self.column.indicator.show()
        self.column.indicator.raise_()

    def drop(self, mime, pos: QPoint) -> bool:
        """Insert a palette entry or move a layer to where ``pos`` points, into a block's stack when it
        points there; True when something happened."""
        ref, index = self.drop_target(pos)
        if mime.hasFormat(PALETTE_MIME):
            label = bytes(mime.data(PALETTE_MIME)).decode()
            return self.controller.insert_palette_entry(label, index, ref) is not None
        if mime.hasFormat(LAYER_MIME):
            name = bytes(mime.data(LAYER_MIME)).decode()
            if name not in tree.names(self.document.spec.layers):
                return False
            self.controller.move(name, index, ref)
            return True
        return False

    # -- keyboard -------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        keys = [INPUT_KEY, *self.all_cards]
        step = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1}.get(event.key())
        if step is None or event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            super().keyPressEvent(event)
            return
        current = keys.index(self.controller.selected) if self.controller.selected in keys else -1
        self.controller.select(keys[max(0, min(len(keys) - 1, current + step))])
