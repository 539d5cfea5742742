"""A grey cover over a chart that no longer describes the open spec, with a button to measure again."""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from workbench.gui.style import MUTED


class StaleCover(QWidget):
    """Covers ``page`` (a chart and its note) while :meth:`set_stale` says it is out of date."""

    def __init__(self, page: QWidget, again_text: str, again: Callable[[], None]):
        super().__init__(page)
        self.setObjectName("staleCover")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("#staleCover { background: rgba(243, 244, 246, 215); }")
        self.label = QLabel("Out of date — the spec changed since this was measured.")
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setStyleSheet(f"color: {MUTED}; font-weight: 600; background: transparent;")
        self.button = QPushButton(again_text)
        self.button.clicked.connect(lambda _checked=False: again())
        box = QVBoxLayout(self)
        box.addStretch(1)
        box.addWidget(self.label)
        box.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        box.addStretch(1)
        page.installEventFilter(self)
        self.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.Resize:
            self.setGeometry(watched.rect())
        return False

    def set_stale(self, stale: bool, reason: str = "") -> None:
        """Show the cover (with ``reason`` when given) or take it away."""
        if stale:
            self.label.setText(f"Out of date — {reason or 'the spec changed since this was measured.'}")
            self.setGeometry(self.parentWidget().rect())
            self.raise_()
        self.setVisible(stale)
