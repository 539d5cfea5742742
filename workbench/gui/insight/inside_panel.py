"""The Inside panel: one image through a trained model — feature maps layer by layer, filters, where it looks,
and the run's histograms over training — for any layer, including those inside blocks.

Images come from the validation grid (click one), the Predict panel ("Where it looks") or a file. The layer
list takes the keyboard: up and down move through the layers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.data.errors import DataError
from workbench.data.folder import IMAGE_EXTENSIONS, load_image
from workbench.export import ModelFileError, load_trained
from workbench.gui.insight.channel_grid import ChannelGrid
from workbench.gui.insight.filters_view import FiltersView
from workbench.gui.insight.histogram_strips import HistogramStrips
from workbench.gui.insight.looks_view import LooksView
from workbench.gui.insight.pictures import rgb_pixmap
from workbench.gui.style import ERROR, MUTED
from workbench.insight.errors import InsightError
from workbench.insight.explain import Explainer
from workbench.insight.histograms import read_histograms
from workbench.insight.overlay import as_rgb

EMPTY_HINT = "Train a run (or open one in Predict), then click a validation image or open an image file."


class InsidePanel(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.explainer: Explainer | None = None
        self.model_path: Path | None = None
        self.histograms: list = []
        self.image: np.ndarray | None = None  # uint8 C×H×W as the model sees it

        self.model_label = QLabel("No model")
        self.model_label.setWordWrap(True)
        open_run = QPushButton("Open run…")
        open_run.clicked.connect(self._choose_run)
        self.open_image = QPushButton("Open image…")
        self.open_image.clicked.connect(self._choose_image)
        self.thumb = QLabel()
        self.thumb.setFixedSize(40, 40)
        self.image_label = QLabel()
        self.image_label.setWordWrap(True)
        model_row = QHBoxLayout()
        model_row.addWidget(open_run)
        model_row.addWidget(self.model_label, 1)
        image_row = QHBoxLayout()
        image_row.addWidget(self.open_image)
        image_row.addWidget(self.thumb)
        image_row.addWidget(self.image_label, 1)

        self.layers = QListWidget()
        self.layers.setMinimumWidth(110)
        self.layers.setToolTip("Up and down move through the layers")
        self.layers.currentRowChanged.connect(lambda _row: self.refresh())
        self.channels = ChannelGrid()
        self.filters = FiltersView()
        self.looks = LooksView()
        self.looks.changed.connect(self.refresh)
        self.strips = HistogramStrips()
        self.tabs = QTabWidget()
        # short titles and no scroll arrows: every view stays in sight, the tab bar sets the views' least width
        self.tabs.setUsesScrollButtons(False)
        self.tabs.setElideMode(Qt.TextElideMode.ElideNone)
        for page, title, tip in (
            (self.channels, "Maps", "Feature maps: each channel of the layer's output for the image"),
            (self.filters, "Filters", "The first conv's kernels as tiles; any other layer's weight norm per channel"),
            (self.looks, "Where it looks", "Which pixels the class depends on (Grad-CAM, saliency, …)"),
            (self.strips, "Histograms", "The layer's weights, gradients and activations over the run's training"),
        ):
            self.tabs.setTabToolTip(self.tabs.addTab(page, title), tip)
        self.tabs.currentChanged.connect(lambda _i: self.refresh())
        splitter = QSplitter()
        splitter.addWidget(self.layers)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([130, 600])
        self.message = QLabel(EMPTY_HINT)
        self.message.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(model_row)
        layout.addLayout(image_row)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.message)
        self._say(EMPTY_HINT, MUTED)

    # -- model and image ---------------------------------------------------------------------------
    def set_model_source(self, path) -> bool:
        """Load the PyTorch model of a run folder or bundle; on failure say why and keep the old one."""
        path = Path(path)
        if self.model_path == path and self.explainer is not None:
            return True
        try:
            explainer = Explainer(load_trained(path))
            layers = explainer.layers
        except (ModelFileError, InsightError) as exc:
            self._say(f"Cannot look inside {path.name}: {exc.message}", ERROR)
            return False
        self.explainer, self.model_path = explainer, path
        self.histograms = read_histograms(path) if path.is_dir() else []
        c, h, w = explainer.input_shape
        self.model_label.setText(f"<b>{explainer.trained.spec.name}</b> — {path.name}, input {c}×{h}×{w}")
        self.model_label.setToolTip(str(path))
        self.layers.blockSignals(True)
        self.layers.clear()
        for layer in layers:
            self.layers.addItem(f"{layer.name}\n   {'×'.join(map(str, layer.shape))}")
        self.layers.blockSignals(False)
        self.looks.set_classes(explainer.class_names)
        if self.image is not None and self.image.shape != (c, h, w):
            self.image = None
        self.layers.setCurrentRow(0)
        self._say("Model loaded." + ("" if self.image is not None else " Open an image or click one in the "
                                     "validation grid."), MUTED)
        return True

    def set_image(self, image: np.ndarray, caption: str = "") -> bool:
        """Look at ``image`` (uint8 C×H×W at the model's input size)."""
        if self.explainer is None:
            self._say("Open a run first: the image needs a model to go through.", ERROR)
            return False
        if tuple(image.shape) != self.explainer.input_shape:
            self._say(f"The image is {'×'.join(map(str, image.shape))}, the model takes "
                      f"{'×'.join(map(str, self.explainer.input_shape))}.", ERROR)
            return False
        self.image = np.ascontiguousarray(image, dtype=np.uint8)
        self.thumb.setPixmap(rgb_pixmap(as_rgb(self.image), 40))
        self.image_label.setText(caption)
        self._say("", MUTED)
        self.refresh()
        return True

    def explain(self, image: np.ndarray, caption: str = "", target: int | None = None) -> bool:
        """Show where the model looks in ``image`` for class ``target`` (None: the predicted class)."""
        if self.explainer is not None:
            self.looks.set_classes(self.explainer.class_names, target)
            spatial = [i for i, layer in enumerate(self.explainer.layers) if layer.spatial]
            if spatial:  # Grad-CAM's usual layer: the last with a spatial output
                self.layers.blockSignals(True)
                self.layers.setCurrentRow(spatial[-1])
                self.layers.blockSignals(False)
        self.tabs.setCurrentWidget(self.looks)
        return self.set_image(image, caption)

    # -- views -------------------------------------------------------------------------------------
    @property
    def current_layer(self) -> str | None:
        row = self.layers.currentRow()
        if self.explainer is None or not 0 <= row < len(self.explainer.layers):
            return None
        return self.explainer.layers[row].name

    def refresh(self) -> None:
        layer = self.current_layer
        if layer is None:
            return
        page = self.tabs.currentWidget()
        if page is self.filters:
            self.filters.show_layer(self.explainer.model, layer)
        elif page is self.strips:
            self.strips.show_layer(self.histograms, layer)
        elif self.image is not None:
            image = torch.from_numpy(self.image)
            if page is self.channels:
                self.channels.show_maps(self.explainer.features(image, layer)[layer])
            else:
                spatial = self.explainer.layers[self.layers.currentRow()].spatial
                self.looks.show_explanation(self.explainer.explain(
                    image, self.looks.method_name, layer if spatial else None, self.looks.target_index))

    # -- choosers ----------------------------------------------------------------------------------
    def _choose_run(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open run folder")
        if path:
            self.set_model_source(path)

    def _choose_image(self) -> None:
        patterns = " ".join(f"*{e}" for e in IMAGE_EXTENSIONS)
        path, _ = QFileDialog.getOpenFileName(self, "Open image", "", f"Images ({patterns})")
        if path:
            self.open_image_file(path)

    def open_image_file(self, path) -> bool:
        if self.explainer is None:
            self._say("Open a run first: the image needs a model to go through.", ERROR)
            return False
        c, h, w = self.explainer.input_shape
        try:
            image = load_image(path, c, h, w, self.explainer.trained.resize)
        except DataError as exc:
            self._say(exc.message, ERROR)
            return False
        return self.set_image(image.numpy(), Path(path).name)

    def _say(self, text: str, colour: str) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {colour};")
        self.message.setVisible(bool(text))
