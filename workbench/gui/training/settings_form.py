"""The hyperparameter form: every change is an undoable edit of the spec's ``training``/``data`` sections."""

from __future__ import annotations

from typing import Any

import torch
from PySide6.QtCore import Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QPushButton,
    QSpinBox,
    QWidget,
)

from workbench.gui.document import SpecDocument
from workbench.spec.sections import section_param

# (section, key, row label, undo label)
FIELDS: tuple[tuple[str, str, str, str], ...] = (
    ("training", "optimizer", "Optimiser", "Set optimiser"),
    ("training", "lr", "Learning rate", "Set learning rate"),
    ("training", "schedule", "LR schedule", "Set learning-rate schedule"),
    ("training", "batch_size", "Batch size", "Set batch size"),
    ("training", "epochs", "Epochs", "Set epochs"),
    ("training", "weight_decay", "Weight decay", "Set weight decay"),
    ("data", "flip", "Random flip", "Set flip augmentation"),
    ("data", "crop_padding", "Random crop padding", "Set crop augmentation"),
    ("data", "jitter", "Colour jitter", "Set jitter augmentation"),
    ("training", "seed", "Seed", "Set seed"),
)


def available_devices() -> list[tuple[str, str]]:
    """(device, label) for every CUDA device, MPS when available, and the CPU."""
    devices = [(f"cuda:{i}", f"cuda:{i} — {torch.cuda.get_device_name(i)}") for i in range(torch.cuda.device_count())]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append(("mps", "mps — Apple GPU"))
    devices.append(("cpu", "cpu"))
    return devices


def resolve_device(name: str, devices: list[tuple[str, str]]) -> str:
    """The device a spec's ``training.device`` means here: ``auto`` (or one not present) is the first GPU."""
    ids = [d for d, _ in devices]
    if name == "cuda" and "cuda:0" in ids:
        return "cuda:0"
    return name if name in ids else ids[0]


class ScientificSpinBox(QDoubleSpinBox):
    """A float box that shows 0.001 or 1e-05 rather than a fixed number of decimals."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setDecimals(10)
        self.setStepType(QDoubleSpinBox.StepType.AdaptiveDecimalStepType)

    def textFromValue(self, value: float) -> str:
        return f"{value:g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):
        try:
            float(text)
        except ValueError:
            return (QValidator.State.Intermediate, text, pos)
        return (QValidator.State.Acceptable, text, pos)


class SettingsForm(QWidget):
    """Optimiser, schedule, batch size, epochs, augmentation, seed and the training device."""

    deviceChanged = Signal(str)

    def __init__(self, document: SpecDocument, parent: QWidget | None = None):
        super().__init__(parent)
        self._document = document
        self._editors: dict[tuple[str, str], QWidget] = {}
        layout = QFormLayout(self)
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.devices = available_devices()
        self.device_box = QComboBox()
        self.device_box.addItem(f"auto ({self.devices[0][0]})", "auto")
        for device, label in self.devices:
            self.device_box.addItem(label, device)
        self.device_box.setToolTip("Where the run trains; auto picks the first GPU when there is one.")
        self.device_box.currentIndexChanged.connect(self._device_edited)
        layout.addRow("Device", self.device_box)
        for section, key, label, undo in FIELDS:
            editor = self._make_editor(section, key, undo)
            editor.setToolTip(section_param(section, key).doc)
            if not isinstance(editor, QCheckBox):
                editor.setMinimumWidth(160)
            self._editors[(section, key)] = editor
            layout.addRow(label, self._with_find_button(editor) if key == "lr" else editor)
        document.changed.connect(self.refresh)
        self.refresh()

    def _with_find_button(self, editor: QWidget) -> QWidget:
        """The lr box with the "Find learning rate…" button (the panel opens the range test)."""
        self.find_lr_button = QPushButton("Find learning rate…")
        self.find_lr_button.setToolTip("Measure a learning rate for this network and data (range test)")
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(editor, 1)
        box.addWidget(self.find_lr_button)
        return row

    def editor(self, section: str, key: str) -> QWidget:
        return self._editors[(section, key)]

    @property
    def device(self) -> str:
        """The concrete device the next run uses."""
        return resolve_device(self.device_box.currentData(), self.devices)

    def _make_editor(self, section: str, key: str, undo: str) -> QWidget:
        param = section_param(section, key)

        def commit(value: Any) -> None:
            self._commit(section, key, value, undo)

        if param.kind == "choice":
            box = QComboBox()
            box.addItems([str(c) for c in param.choices])
            box.currentTextChanged.connect(commit)
            return box
        if param.kind == "bool":
            check = QCheckBox()
            check.toggled.connect(commit)
            return check
        if param.kind == "int":
            spin = QSpinBox()
            spin.setRange(int(param.minimum or 0), int(min(param.maximum or 2**31 - 1, 2**31 - 1)))
        elif key in ("lr", "weight_decay"):
            spin = ScientificSpinBox()
            spin.setRange(param.minimum or 0.0, param.maximum or 1e9)
        else:
            spin = QDoubleSpinBox()
            spin.setDecimals(2)
            spin.setSingleStep(0.05)
            spin.setRange(param.minimum or 0.0, param.maximum or 1e9)
        spin.setKeyboardTracking(False)
        spin.valueChanged.connect(commit)
        return spin

    def _commit(self, section: str, key: str, value: Any, undo: str) -> None:
        spec = self._document.spec
        current = spec.data_value(key) if section == "data" else spec.training_value(key)
        if value == current:
            return
        new = spec.copy()
        getattr(new, section)[key] = value
        self._document.apply(new, undo, merge_key=f"{section}.{key}")  # stepping a box is one undo step

    def _device_edited(self) -> None:
        self._commit("training", "device", self.device_box.currentData(), "Set training device")
        self.deviceChanged.emit(self.device)

    def refresh(self) -> None:
        """Show the document's values without producing edits."""
        spec = self._document.spec
        for (section, key), editor in self._editors.items():
            value = spec.data_value(key) if section == "data" else spec.training_value(key)
            editor.blockSignals(True)
            if isinstance(editor, QComboBox):
                editor.setCurrentText(str(value))
            elif isinstance(editor, QCheckBox):
                editor.setChecked(bool(value))
            else:
                editor.setValue(value)
            editor.blockSignals(False)
        wanted = spec.training_value("device")
        index = self.device_box.findData(wanted)
        if index < 0:  # a device this machine lacks (e.g. a file from another computer): show auto
            index = 0
        before = self.device
        self.device_box.blockSignals(True)
        self.device_box.setCurrentIndex(index)
        self.device_box.blockSignals(False)
        if self.device != before:
            self.deviceChanged.emit(self.device)
