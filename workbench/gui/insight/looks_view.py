"""Where it looks: an attribution map over the image for the predicted class or any other one."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from workbench.gui.insight.pictures import rgb_pixmap
from workbench.gui.style import MUTED
from workbench.insight.methods import METHOD_TITLES
from workbench.insight.overlay import as_rgb, overlay

GUI_METHODS = ("gradcam", "saliency", "ig")  # occlusion takes hundreds of passes: the command line has it
VIEW_SIZE = 260  # the largest side of each picture


class LooksView(QWidget):
    """Controls for method and class, and the image beside the map over it."""

    changed = Signal()  # the user picked another method or class

    def __init__(self, parent=None):
        super().__init__(parent)
        self.method = QComboBox()
        for method in GUI_METHODS:
            self.method.addItem(METHOD_TITLES[method], method)
        self.method.setToolTip("Grad-CAM uses the layer picked on the left when it has a spatial output, else the "
                               "last one that has; saliency and integrated gradients attribute to the pixels.")
        self.target = QComboBox()
        self.target.setToolTip("The class to explain: by default the one the model predicted")
        self.target.setMinimumContentsLength(8)
        for box in (self.method, self.target):
            box.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # no wheel changes while scrolling past
            box.currentIndexChanged.connect(lambda _i: self.changed.emit())
        bar = QHBoxLayout()
        bar.addWidget(self.method)
        bar.addWidget(QLabel("for"))
        bar.addWidget(self.target, 1)
        self.original = QLabel()
        self.heat = QLabel()
        for label in (self.original, self.heat):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setMinimumSize(80, 80)
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)  # pictures follow the space
        self._pictures: tuple | None = None
        pictures = QHBoxLayout()
        pictures.addWidget(self.original, 1)
        pictures.addWidget(self.heat, 1)
        self.caption = QLabel("Pick an image to see where the model looks.")
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet(f"color: {MUTED};")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addLayout(pictures, 1)
        layout.addWidget(self.caption)

    @property
    def method_name(self) -> str:
        return self.method.currentData()

    @property
    def target_index(self) -> int | None:
        """The chosen class, or None for "the predicted class"."""
        return self.target.currentData()

    def set_classes(self, names: list[str], target: int | None = None) -> None:
        self.target.blockSignals(True)
        self.target.clear()
        self.target.addItem("predicted class", None)
        for index, name in enumerate(names):
            self.target.addItem(name, index)
        self.target.setCurrentIndex(0 if target is None else target + 1)
        self.target.blockSignals(False)

    def _draw(self) -> None:
        if self._pictures is None:
            return
        side = max(32, min(VIEW_SIZE, self.heat.width(), self.heat.height()))
        self.original.setPixmap(rgb_pixmap(self._pictures[0], side))
        self.heat.setPixmap(rgb_pixmap(self._pictures[1], side))

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        self._draw()

    def show_explanation(self, explanation) -> None:
        attribution = explanation.attribution
        names = explanation.class_names
        self._pictures = (as_rgb(explanation.image), overlay(explanation.image, attribution.heat))
        self._draw()
        where = f" on layer {attribution.layer}" if attribution.layer else ""
        predicted = explanation.predicted
        self.caption.setText(
            f"Predicted {names[predicted]} ({explanation.probabilities[predicted]:.0%}). "
            f"{METHOD_TITLES[attribution.method]}{where} for {names[attribution.target]} "
            f"({explanation.probabilities[attribution.target]:.0%}): brighter is stronger evidence for that class.")
