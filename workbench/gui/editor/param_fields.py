"""One editor widget per parameter kind, built from the parameter descriptions.

Each field shows its value, the valid range under it and, in red, why the current value is not
accepted. Values pushed in from the document never echo back as edits (signals are blocked).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QSignalBlocker, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QLineEdit, QSpinBox, QVBoxLayout, QWidget

from workbench.edits import EditError, parse_param_text
from workbench.gui import style
from workbench.spec.params import INIT_SCHEMES, Param

INT_LIMIT = 2**31 - 1


def value_text(value: Any) -> str:
    """How a value appears in a text field: 3, '3, 5', 'same', 0.5."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class ParamField(QObject):
    """Base: a widget column (editor, range hint, error) and the ``edited`` signal with the new value."""

    edited = Signal(object)

    def __init__(self, param: Param, editor: QWidget, hint: str | None = None):
        super().__init__()
        self.param = param
        self.editor = editor
        self.editor.setToolTip(param.doc)
        self.widget = QWidget()
        box = QVBoxLayout(self.widget)
        box.setContentsMargins(0, 0, 0, 4)
        box.setSpacing(1)
        box.addWidget(editor)
        self.hint_label = QLabel(hint if hint is not None else self.default_hint())
        self.hint_label.setStyleSheet(f"color: {style.MUTED}; font-size: 11px;")
        self.hint_label.setWordWrap(True)
        box.addWidget(self.hint_label)
        self.error_label = QLabel()
        self.error_label.setObjectName("fieldError")
        self.error_label.setStyleSheet(f"color: {style.ERROR};")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        box.addWidget(self.error_label)
        self._local_error = ""
        self._model_error = ""
        self._value: Any = None

    def default_hint(self) -> str:
        text = self.param.range_text()
        if self.param.default is not None and self.param.kind != "bool":
            text += f" · default {value_text(self.param.default)}"
        return text[0].upper() + text[1:]

    @property
    def error(self) -> str:
        """The message shown under the field ('' when none)."""
        return self.error_label.text() if not self.error_label.isHidden() else ""

    def set_value(self, value: Any, model_error: str = "") -> None:
        """Show ``value`` (from the document) and the analysis' complaint about it, if any."""
        self._value = value
        self._local_error = ""
        self._model_error = model_error
        with QSignalBlocker(self.editor):
            self._show(value)
        self._show_error()

    def _show(self, value: Any) -> None:
        raise NotImplementedError

    def _show_error(self) -> None:
        text = self._local_error or self._model_error
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def _emit(self, value: Any) -> None:
        self._local_error = ""
        self._show_error()
        if value != self._value:
            self._value = value
            self.edited.emit(value)

    def _reject(self, message: str) -> None:
        self._local_error = message
        self._show_error()


class IntField(ParamField):
    def __init__(self, param: Param):
        spin = QSpinBox()
        spin.setRange(int(param.minimum) if param.minimum is not None else -INT_LIMIT, int(param.maximum or INT_LIMIT))
        spin.setKeyboardTracking(False)
        super().__init__(param, spin)
        spin.valueChanged.connect(self._emit)

    def _show(self, value: Any) -> None:
        if isinstance(value, int) and not isinstance(value, bool):
            self.editor.setValue(value)


class TextField(ParamField):
    """A line edit for numbers and sizes ('3', '3, 5', 'full', 'same'); empty means the default."""

    def __init__(self, param: Param):
        edit = QLineEdit()
        if param.default is not None:
            edit.setPlaceholderText(f"default: {value_text(param.default)}")
        elif param.name == "stride":
            edit.setPlaceholderText("default: same as the kernel")
        super().__init__(param, edit)
        edit.editingFinished.connect(self._commit)

    def _show(self, value: Any) -> None:
        self.editor.setText(value_text(value))

    def _commit(self) -> None:
        try:
            value = parse_param_text(self.param, self.editor.text())
        except EditError as exc:
            self._reject(str(exc))
            return
        self._emit(value)


class ChoiceField(ParamField):
    def __init__(self, param: Param):
        combo = QComboBox()
        combo.addItems([str(c) for c in param.choices])
        super().__init__(param, combo, hint="")
        self.hint_label.hide()
        combo.currentTextChanged.connect(self._emit)

    def _show(self, value: Any) -> None:
        index = self.editor.findText(str(value))
        self.editor.setCurrentIndex(index)


class BoolField(ParamField):
    def __init__(self, param: Param):
        box = QCheckBox(param.doc)
        super().__init__(param, box, hint="")
        self.hint_label.hide()
        box.toggled.connect(self._emit)

    def _show(self, value: Any) -> None:
        self.editor.setChecked(bool(value))


class InitField(ParamField):
    """Weight scheme, standard deviation (trunc_normal only) and bias constant, stored as one mapping."""

    def __init__(self, param: Param):
        editor = QWidget()
        row = QHBoxLayout(editor)
        row.setContentsMargins(0, 0, 0, 0)
        self.scheme = QComboBox()
        self.scheme.addItem("default", None)
        for scheme in INIT_SCHEMES:
            self.scheme.addItem(scheme, scheme)
        self.std = QLineEdit()
        self.std.setPlaceholderText("std")
        self.std.setToolTip("Standard deviation of the truncated normal")
        self.bias = QLineEdit()
        self.bias.setPlaceholderText("bias 0")
        self.bias.setToolTip("Constant the biases start at")
        row.addWidget(self.scheme, 2)
        row.addWidget(self.std, 1)
        row.addWidget(self.bias, 1)
        super().__init__(param, editor, hint="Weights: scheme, std (trunc_normal only); bias: start value")
        self.scheme.currentIndexChanged.connect(self._commit)
        self.std.editingFinished.connect(self._commit)
        self.bias.editingFinished.connect(self._commit)

    def set_default_scheme(self, scheme: str) -> None:
        """Name the scheme used when none is chosen (it follows the activation)."""
        self.scheme.setItemText(0, f"default ({scheme})")

    def set_value(self, value: Any, model_error: str = "") -> None:
        with QSignalBlocker(self.scheme), QSignalBlocker(self.std), QSignalBlocker(self.bias):
            super().set_value(value, model_error)

    def _show(self, value: Any) -> None:
        value = value if isinstance(value, dict) else {}
        index = self.scheme.findData(value.get("weight"))
        self.scheme.setCurrentIndex(max(index, 0))
        self.std.setText(value_text(value.get("std")))
        self.bias.setText(value_text(value.get("bias")))
        self.std.setEnabled(value.get("weight") == "trunc_normal" or "std" in value)

    def _commit(self) -> None:
        out: dict[str, Any] = {}
        weight = self.scheme.currentData()
        self.std.setEnabled(weight == "trunc_normal")
        if weight:
            out["weight"] = weight
        for key, edit in (("std", self.std), ("bias", self.bias)):
            text = edit.text().strip()
            if not text or (key == "std" and weight != "trunc_normal"):
                continue
            try:
                out[key] = float(text)
            except ValueError:
                self._reject(f"init {key} must be a number")
                return
        self._emit(out or None)


def make_field(param: Param) -> ParamField:
    """The field for ``param``'s kind."""
    if param.kind == "int":
        return IntField(param)
    if param.kind == "choice":
        return ChoiceField(param)
    if param.kind == "bool":
        return BoolField(param)
    if param.kind == "init":
        return InitField(param)
    return TextField(param)  # float, size, kernel, padding
