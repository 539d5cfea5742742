"""The palette of layer kinds: drag one into the stack, or double-click to add it after the selection."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem, QWidget

from workbench.gui import style
from workbench.spec.layer_kinds import PALETTE

PALETTE_MIME = "application/x-workbench-kind"
LABEL_ROLE = Qt.ItemDataRole.UserRole


class PaletteList(QListWidget):
    """One row per palette entry, with its icon and tooltip; rows carry the entry's label as MIME data."""

    entryActivated = Signal(str)  # palette label

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("palette")
        self.setIconSize(QSize(22, 22))
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for label, kind, params, tooltip in PALETTE:
            item = QListWidgetItem(style.icon(style.icon_name(kind, params)), label)
            item.setToolTip(tooltip)
            item.setStatusTip(tooltip)
            item.setData(LABEL_ROLE, label)
            self.addItem(item)
        self.itemActivated.connect(lambda item: self.entryActivated.emit(item.data(LABEL_ROLE)))

    def mimeTypes(self) -> list[str]:
        return [PALETTE_MIME]

    def mimeData(self, items: list[QListWidgetItem]) -> QMimeData:
        mime = QMimeData()
        if items:
            mime.setData(PALETTE_MIME, items[0].data(LABEL_ROLE).encode())
        return mime

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction

    def startDrag(self, actions: Qt.DropAction) -> None:
        super().startDrag(Qt.DropAction.CopyAction)

    def mime_for(self, label: str) -> QMimeData:
        """The drag data for palette entry ``label`` (what a drag from that row carries)."""
        for row in range(self.count()):
            if self.item(row).data(LABEL_ROLE) == label:
                return self.mimeData([self.item(row)])
        raise KeyError(label)
