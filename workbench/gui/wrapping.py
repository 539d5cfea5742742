"""Widgets whose text wraps onto more lines instead of being cut, and that claim the height it needs.

Qt's layouts, splitters and scroll areas size a word-wrapped QLabel from a guess at its width, so a narrow
panel can give it too few lines: the text is cut or drawn over its neighbour. These widgets set their minimum
height from ``heightForWidth`` whenever their width or text changes, so the room is there or the panel scrolls.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget


class FittingLabel(QLabel):
    """A word-wrapped QLabel that is never given fewer lines than its text needs."""

    def __init__(self, text: str = "", parent: QWidget | None = None):
        super().__init__(text, parent)
        self.setWordWrap(True)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt API)
        super().setText(text)
        self.fit()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        self.fit()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().showEvent(event)
        self.fit()

    def fit(self) -> None:
        """Claim the height the text needs at the current width (once shown and laid out)."""
        if self.width() <= 1 or not self.isVisible():
            return
        need = self.heightForWidth(self.width()) if self.text() else 0
        if need >= 0 and need != self.minimumHeight():
            self.setMinimumHeight(need)


class WrappingButton(QPushButton):
    """A push button whose text wraps onto more lines instead of widening the button past its column."""

    def __init__(self, text: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.label = FittingLabel(text)
        self.label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        box = QHBoxLayout(self)
        box.setContentsMargins(8, 5, 8, 5)
        box.addWidget(self.label)

    def text(self) -> str:  # the label shows it; the button's own text stays empty so it never sets the width
        return self.label.text()
