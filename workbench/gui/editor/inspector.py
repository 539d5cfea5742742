"""The inspector: a form for the selected layer's parameters, or for the input shape and classes."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QLineEdit, QScrollArea, QSpinBox, QVBoxLayout, QWidget

from workbench.analysis import LayerInfo
from workbench.analysis.formatting import human_count, rf_text
from workbench.analysis.shape_rules import fmt_shape
from workbench.edits import EditError, parse_classes, rename_problem, set_classes
from workbench.gui import style
from workbench.gui.editor import card_text
from workbench.gui.editor.block_controls import BlockControls
from workbench.gui.editor.controller import INPUT_KEY, EditController
from workbench.gui.editor.param_fields import InitField, ParamField, make_field
from workbench.spec import tree
from workbench.spec.layer_kinds import KINDS, PALETTE
from workbench.spec.model import default_init_scheme


def _muted(text: str, wrap: bool = True) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet(f"color: {style.MUTED};")
    label.setWordWrap(wrap)
    return label


def _error_label() -> QLabel:
    label = QLabel()
    label.setStyleSheet(f"color: {style.ERROR};")
    label.setWordWrap(True)
    label.hide()
    return label


def _show_error(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


def _title_row(icon_name: str, title: str, subtitle: str) -> QHBoxLayout:
    row = QHBoxLayout()
    icon = QLabel()
    icon.setPixmap(style.icon(icon_name).pixmap(28, 28))
    row.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
    text = QLabel(f"<b style='font-size:14px'>{title}</b><br><span style='color:{style.MUTED}'>{subtitle}</span>")
    row.addWidget(text, 1)
    return row


class LayerForm(QWidget):
    """Name field, one field per parameter, the layer's error and what the analysis says about it."""

    def __init__(self, controller: EditController, name: str):
        super().__init__()
        self.controller = controller
        self.layer_name = name
        spec = controller.document.spec
        layer = spec.layer(name)
        self.layer_type = layer.type
        kind = KINDS[layer.type]
        box = QVBoxLayout(self)
        box.setContentsMargins(12, 10, 12, 10)
        box.setSpacing(8)
        box.addLayout(_title_row(style.icon_name(layer.type, layer.params), name, card_text.kind_label(layer)))
        description = next((tip for label, _, _, tip in PALETTE if label == card_text.kind_label(layer)), kind.tooltip)
        box.addWidget(_muted(description))
        self.layer_error = _error_label()
        box.addWidget(self.layer_error)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.name_edit = QLineEdit(name)
        self.name_edit.setToolTip("A unique identifier: letters, digits and _, starting with a letter")
        self.name_error = _error_label()
        name_box = QVBoxLayout()
        name_box.setSpacing(1)
        name_box.addWidget(self.name_edit)
        name_box.addWidget(self.name_error)
        form.addRow("name", name_box)
        self.name_edit.textEdited.connect(self._check_name)
        self.name_edit.editingFinished.connect(self._commit_name)

        self.fields: dict[str, ParamField] = {}
        for param in kind.params:
            field = make_field(param)
            field.edited.connect(lambda value, key=param.name: self.controller.set_param(self.layer_name, key, value))
            label = QLabel(param.name)
            label.setToolTip(param.doc)
            form.addRow(label, field.widget)
            self.fields[param.name] = field
        box.addLayout(form)
        if tree.is_block(layer):
            self.block_controls = BlockControls(controller, layer)
            box.addWidget(self.block_controls)
        self.stats = _muted("", wrap=True)
        self.stats.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.addWidget(self.stats)
        box.addStretch(1)
        self.refresh()

    def refresh(self) -> None:
        """Show the layer's current values, errors and analysis."""
        document = self.controller.document
        layer = document.spec.layer(self.layer_name)
        info = document.analysis.info(self.layer_name)
        with QSignalBlocker(self.name_edit):
            self.name_edit.setText(layer.name)
        _show_error(self.name_error, "")
        for key, field in self.fields.items():
            if isinstance(field, InitField):
                spec = document.spec
                field.set_default_scheme(default_init_scheme(spec.activation_after_layer(layer.name)))
            value = layer.params.get(key) if field.param.kind in ("size", "kernel", "padding", "float", "init") else layer.get(key)
            field.set_value(value, info.param_errors.get(key, ""))
        layer_error = ""
        if info.status == "error" and not info.param_errors:
            layer_error = info.error + (f"\nHint: {info.hint}" if info.hint else "")
        elif info.status == "unreachable":
            layer_error = info.error
        _show_error(self.layer_error, layer_error)
        markers = document.markers_for(self.layer_name)
        self.stats.setText(self._stats_text(info) + "".join(f"\n{sev}: {text}" for sev, text in markers))

    @staticmethod
    def _stats_text(info: LayerInfo) -> str:
        if info.status != "ok":
            return ""
        return (
            f"In {fmt_shape(info.in_shape)} → out {fmt_shape(info.out_shape)}\n"
            f"{info.params:,} parameters · {human_count(info.macs)} MACs per image\n"
            f"Receptive field {rf_text(info.rf, info.jump)} (pixels / jump)"
        )

    def _check_name(self, text: str) -> str | None:
        problem = rename_problem(self.controller.document.spec, self.layer_name, text.strip())
        _show_error(self.name_error, problem or "")
        return problem

    def _commit_name(self) -> None:
        new = self.name_edit.text().strip()
        if new == self.layer_name or self._check_name(new):
            return
        old = self.layer_name
        self.layer_name = new
        if not self.controller.rename(old, new):
            self.layer_name = old


class InputForm(QWidget):
    """Channels, height, width and the classes."""

    def __init__(self, controller: EditController):
        super().__init__()
        self.controller = controller
        box = QVBoxLayout(self)
        box.setContentsMargins(12, 10, 12, 10)
        box.setSpacing(8)
        box.addLayout(_title_row("input", "Input", "Image shape and classes"))
        box.addWidget(_muted("The shape every image is resized to, and the classes the last layer scores."))
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.spins: dict[str, QSpinBox] = {}
        for key, maximum in (("channels", 64), ("height", 4096), ("width", 4096)):
            spin = QSpinBox()
            spin.setRange(1, maximum)
            spin.setKeyboardTracking(False)
            spin.valueChanged.connect(self._commit_shape)
            form.addRow(key, spin)
            self.spins[key] = spin
        form.addRow("", _muted("Channels 1 (grey) or 3 (colour); height and width 1–4096 pixels."))
        self.classes_edit = QLineEdit()
        self.classes_edit.setPlaceholderText("e.g. 3, or: cat, dog, bird")
        self.classes_edit.editingFinished.connect(self._commit_classes)
        self.classes_error = _error_label()
        classes_box = QVBoxLayout()
        classes_box.setSpacing(1)
        classes_box.addWidget(self.classes_edit)
        classes_box.addWidget(_muted("A number (≥ 2) or names separated by commas"))
        classes_box.addWidget(self.classes_error)
        form.addRow("classes", classes_box)
        box.addLayout(form)
        box.addStretch(1)
        self.refresh()

    def refresh(self) -> None:
        spec = self.controller.document.spec
        for key, spin in self.spins.items():
            with QSignalBlocker(spin):
                spin.setValue(getattr(spec.input, key))
        text = str(spec.classes) if isinstance(spec.classes, int) else ", ".join(spec.classes)
        self.classes_edit.setText(text)
        _show_error(self.classes_error, "")

    def _commit_shape(self) -> None:
        values = [self.spins[k].value() for k in ("channels", "height", "width")]
        self.controller.set_input(*values)

    def _commit_classes(self) -> None:
        try:
            classes = parse_classes(self.classes_edit.text())
            if classes == self.controller.document.spec.classes:
                return
            set_classes(self.controller.document.spec, classes)
        except EditError as exc:
            _show_error(self.classes_error, str(exc))
            return
        _show_error(self.classes_error, "")
        self.controller.set_classes(classes)


class Inspector(QScrollArea):
    """Shows the form for whatever the controller has selected, and keeps it in step with the document."""

    def __init__(self, controller: EditController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.form: QWidget | None = None
        self._key = None
        controller.selectionChanged.connect(self._rebuild)
        controller.document.changed.connect(self._refresh)
        controller.document.markersChanged.connect(self._refresh)
        self._rebuild(controller.selected)

    def _form_key(self, key: str) -> tuple:
        """What the form's make-up depends on: the selection, the layer's type and its number of stacks."""
        spec = self.controller.document.spec
        if not key or key == INPUT_KEY or key not in tree.names(spec.layers):
            return (key, None, 0)
        layer = spec.layer(key)
        return (key, layer.type, len(layer.stacks))

    def _rebuild(self, key: str) -> None:
        spec = self.controller.document.spec
        if key == INPUT_KEY:
            self.form = InputForm(self.controller)
        elif key and key in tree.names(spec.layers):
            self.form = LayerForm(self.controller, key)
        else:
            self.form = QWidget()
            box = QVBoxLayout(self.form)
            hint = _muted("Select a layer card — or the input header — to edit it here.")
            hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
            box.addWidget(hint)
        self._key = self._form_key(key)
        old = self.takeWidget()
        self.setWidget(self.form)
        if old is not None:
            old.deleteLater()  # it may be the sender of the signal being handled

    def _refresh(self) -> None:
        key = self.controller.selected
        if self._form_key(key) != self._key:
            self._rebuild(key)
        elif isinstance(self.form, (LayerForm, InputForm)):
            self.form.refresh()
