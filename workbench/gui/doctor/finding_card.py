"""One finding as a card: severity icon, title, layers, explanation, source and its "Apply fix" buttons."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QStyle, QVBoxLayout, QWidget

from workbench.doctor.findings import Finding, Fix
from workbench.gui.style import ACCENT, ACCENT_SOFT, BORDER, ERROR, MUTED, WARNING
from workbench.gui.wrapping import WrappingButton

_ICONS = {
    "error": QStyle.StandardPixmap.SP_MessageBoxCritical,
    "warning": QStyle.StandardPixmap.SP_MessageBoxWarning,
    "info": QStyle.StandardPixmap.SP_MessageBoxInformation,
}
# Severity -> (accent colour, card background).
SEVERITY_COLOURS = {"error": (ERROR, "#fef2f2"), "warning": (WARNING, "#fffbeb"), "info": (ACCENT, ACCENT_SOFT)}
_PHASES = {"static": "spec", "init": "at initialisation", "data": "training data", "training": "during training",
           "compare": "comparison"}


class FindingCard(QFrame):
    """A finding; ``on_fix(fix)`` is called when one of its fix buttons is pressed."""

    def __init__(self, finding: Finding, on_fix: Callable[[Fix], None] | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.finding = finding
        colour, soft = SEVERITY_COLOURS[finding.severity]
        self.setObjectName("findingCard")
        self.setStyleSheet(
            f"QFrame#findingCard {{ background: {soft}; border: 1px solid {BORDER}; border-left: 4px solid {colour};"
            " border-radius: 6px; }")
        outer = QHBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 8)
        icon = QLabel()
        icon.setPixmap(self.style().standardIcon(_ICONS[finding.severity]).pixmap(22, 22))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        outer.addWidget(icon)
        body = QVBoxLayout()
        body.setSpacing(4)
        outer.addLayout(body, 1)
        where = f" — {', '.join(finding.layers)}" if finding.layers else ""
        title = QLabel(f"<b>{finding.title}</b><span style='color:{MUTED}'>{where}</span>")
        title.setWordWrap(True)
        body.addWidget(title)
        text = QLabel(finding.explanation)
        text.setWordWrap(True)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        body.addWidget(text)
        source = QLabel(f"<i>{finding.rule} · {_PHASES.get(finding.phase, finding.phase)} · source: {finding.source}</i>")
        source.setStyleSheet(f"color: {MUTED};")
        source.setWordWrap(True)
        body.addWidget(source)
        self.fix_buttons: list[WrappingButton] = []
        for fix in finding.fixes if on_fix is not None else ():
            button = WrappingButton(f"Apply fix: {fix.label}")
            button.setToolTip("One undoable edit of the spec")
            button.clicked.connect(lambda _=False, f=fix: on_fix(f))
            body.addWidget(button)
            self.fix_buttons.append(button)
