"""A dialog listing the built-in presets with their descriptions, to open one."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.analysis import analyze
from workbench.analysis.formatting import human_count
from workbench.analysis.shape_rules import fmt_shape
from workbench.gui import style
from workbench.presets import DEFAULT_PRESET, list_presets, load_preset


class PresetGallery(QDialog):
    """Pick a preset; ``chosen`` is its name after the dialog is accepted."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Open preset")
        self.resize(760, 440)
        self.chosen: str | None = None
        self.list = QListWidget()
        self.list.setMinimumWidth(230)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.detail.setTextFormat(Qt.TextFormat.RichText)
        self.detail.setStyleSheet(
            f"background: {style.SURFACE}; border: 1px solid {style.BORDER}; border-radius: 6px; padding: 12px;"
        )
        self._presets = {info.name: info for info in list_presets()}
        for name in self._presets:
            item = QListWidgetItem(style.icon("app"), name)
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.list.addItem(item)
        row = QHBoxLayout()
        row.addWidget(self.list, 2)
        row.addWidget(self.detail, 3)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addLayout(row)
        box.addWidget(buttons)
        self.list.currentItemChanged.connect(self._show)
        self.list.itemActivated.connect(lambda _item: self.accept())
        names = list(self._presets)
        self.list.setCurrentRow(names.index(DEFAULT_PRESET) if DEFAULT_PRESET in names else 0)

    def select(self, name: str) -> None:
        for row in range(self.list.count()):
            if self.list.item(row).data(Qt.ItemDataRole.UserRole) == name:
                self.list.setCurrentRow(row)
                return
        raise KeyError(name)

    def _show(self, item: QListWidgetItem | None) -> None:
        if item is None:
            self.detail.clear()
            return
        name = item.data(Qt.ItemDataRole.UserRole)
        spec = load_preset(name)
        analysis = analyze(spec)
        shape = fmt_shape((spec.input.channels, spec.input.height, spec.input.width))
        facts = f"{len(spec.layers)} layers · input {shape} · {spec.num_classes} classes · {human_count(analysis.total_params)} parameters"
        description = html.escape(self._presets[name].description.replace("\n", " "))
        self.detail.setText(
            f"<h3 style='margin:0'>{name}</h3><p style='color:{style.MUTED}'>{facts}</p><p>{description}</p>"
        )

    def accept(self) -> None:
        item = self.list.currentItem()
        self.chosen = item.data(Qt.ItemDataRole.UserRole) if item else None
        super().accept()
