"""The Predict panel: open a model (run folder, bundle or ONNX) and images (or drop them) to see each image
as the model sees it and its top classes as a bar chart."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from workbench.data.folder import IMAGE_EXTENSIONS
from workbench.export import ModelFileError
from workbench.gui.export.prob_chart import ProbabilityChart
from workbench.gui.style import BORDER, ERROR, MUTED
from workbench.gui.training.images import to_pixmap
from workbench.gui.wrapping import FittingLabel
from workbench.predict import Prediction, Predictor, load_predictor, predict
from workbench.safe_text import printable_line

MODEL_SUFFIXES = (".wbm", ".onnx")
INPUT_VIEW_SIZE = 192  # px, the input view's picture where the panel has room
SMALLEST_VIEW = 96  # px, where it has not (a laptop-sized window): the class bars keep their room
EMPTY_HINT = "Open a model (a run folder, a .wbm bundle or an .onnx file), then open or drop images here."


def _name_list(names: list[str], shown: int = 8) -> str:
    """The first ``shown`` class names, then how many more."""
    text = ", ".join(printable_line(n) for n in names[:shown])
    return text + (f" and {len(names) - shown} more" if len(names) > shown else "")


def _blank_icon() -> QIcon:
    """A transparent 40×40 icon that keeps list rows without a thumbnail aligned."""
    pixmap = QPixmap(40, 40)
    pixmap.fill(Qt.GlobalColor.transparent)
    return QIcon(pixmap)


class _InputView(QLabel):
    """The network-sized input, scaled to the room the panel gives it (from SMALLEST_VIEW up to
    INPUT_VIEW_SIZE pixels), or a hint while there is none."""

    def __init__(self):
        super().__init__()
        self.image = None
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(SMALLEST_VIEW + 16, SMALLEST_VIEW + 16)
        self.setStyleSheet(f"QLabel {{ border: 1px dashed {BORDER}; border-radius: 6px; color: {MUTED}; }}")

    def show_image(self, image) -> None:
        """Show ``image`` (uint8 C×H×W), or the drop hint for None."""
        self.image = image
        if image is None:
            self.setText("Drop images here")
        else:
            self._draw()

    def _draw(self) -> None:
        room = min(self.width(), self.height()) - 16 if self.isVisible() else INPUT_VIEW_SIZE
        self.setPixmap(to_pixmap(self.image, max(SMALLEST_VIEW, min(INPUT_VIEW_SIZE, room))))

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(INPUT_VIEW_SIZE + 16, INPUT_VIEW_SIZE + 16)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        if self.image is not None:
            self._draw()


class PredictPanel(QWidget):
    """Try a trained model on image files; ``results`` holds the predictions shown in the list."""

    lookRequested = Signal(str, object)  # model path and uint8 C×H×W image: "where does it look?"

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.predictor: Predictor | None = None
        self.image_paths: list[Path] = []
        self.results: list[Prediction] = []

        open_model = QPushButton("Open model…")
        menu = QMenu(open_model)
        menu.addAction("Bundle or ONNX file…", self._choose_model_file)
        menu.addAction("Run folder…", self._choose_run_folder)
        open_model.setMenu(menu)
        self.model_label = FittingLabel("No model")
        open_images = QPushButton("Open images…")
        open_images.clicked.connect(self._choose_images)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Remove all images from the list")
        self.clear_button.clicked.connect(self.clear_images)
        self.top_spin = QSpinBox()
        self.top_spin.setRange(1, 20)
        self.top_spin.setValue(5)
        self.top_spin.setPrefix("Top ")
        self.top_spin.valueChanged.connect(lambda _: self.show_result(self.image_list.currentRow()))
        self.look_button = QPushButton("Where it looks")
        self.look_button.setToolTip("Grad-CAM, saliency or integrated gradients for this image (Inside panel)")
        self.look_button.clicked.connect(self._request_look)
        bar, images_bar = QHBoxLayout(), QHBoxLayout()  # two rows fit the panel of a laptop-sized window
        bar.addWidget(open_model)
        bar.addWidget(self.model_label, 1)
        images_bar.addWidget(open_images)
        images_bar.addWidget(self.clear_button)
        images_bar.addStretch(1)
        images_bar.addWidget(self.look_button)
        images_bar.addWidget(self.top_spin)

        self.image_list = QListWidget()
        self.image_list.setIconSize(QSize(40, 40))
        self.image_list.setMinimumWidth(180)
        self.image_list.setWordWrap(True)  # a long file name takes more lines instead of a sideways scroll
        self.image_list.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.image_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.image_list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.image_list.currentRowChanged.connect(self.show_result)
        self.input_view = _InputView()
        self.input_caption = FittingLabel()
        self.input_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.input_caption.setStyleSheet(f"color: {MUTED};")
        view_box = QWidget()
        view_layout = QVBoxLayout(view_box)
        view_layout.setContentsMargins(4, 4, 4, 4)
        view_layout.addWidget(self.input_view, 1)
        view_layout.addWidget(self.input_caption)
        self.chart = ProbabilityChart()
        images = QSplitter()
        images.addWidget(self.image_list)
        images.addWidget(view_box)
        images.setStretchFactor(1, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)  # the chart below, as wide as the panel: whole class names
        splitter.addWidget(images)
        splitter.addWidget(self.chart)
        splitter.setStretchFactor(1, 1)

        self.message = FittingLabel(EMPTY_HINT)
        self.message.setStyleSheet(f"color: {MUTED};")
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addLayout(images_bar)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.message)
        self.show_result(-1)

    # --- model ------------------------------------------------------------------------------------
    def set_model_source(self, path) -> bool:
        """Load the model at ``path`` (run folder, bundle or ONNX); on failure say why and keep the old one."""
        try:
            predictor = load_predictor(path)
        except ModelFileError as exc:
            self._say(f"Cannot open model: {exc.message}" + (f" ({exc.hint})" if exc.hint else ""), ERROR)
            return False
        self.predictor = predictor
        c, h, w = predictor.input_shape
        self.model_label.setText(
            f"<b>{html.escape(printable_line(predictor.name), quote=False)}</b> ({predictor.kind}) — input {c}×{h}×{w}, "
            f"{len(predictor.class_names)} classes: {html.escape(_name_list(predictor.class_names), quote=False)}"
        )
        self.model_label.setToolTip(str(predictor.path))
        self._say("Model loaded. " + ("" if self.image_paths else "Open or drop images to classify them."), MUTED)
        self._predict_all()
        return True

    # --- images -----------------------------------------------------------------------------------
    def add_images(self, paths) -> None:
        """Add image files to the list, classify them and show the last one added."""
        new = [Path(p) for p in dict.fromkeys(paths) if Path(p) not in self.image_paths]
        if not new:
            return
        self.image_paths.extend(new)
        if self.predictor is None:
            self._say(f"{len(self.image_paths)} image(s) waiting: open a model to classify them.", MUTED)
            self._fill_list([Prediction(p, None) for p in self.image_paths])
            return
        self.results.extend(self._classify(new))
        self._show_results(len(self.results) - 1)

    def clear_images(self) -> None:
        """Remove every image; the model stays loaded."""
        self.image_paths, self.results = [], []
        self.image_list.clear()
        self.show_result(-1)
        self._say(EMPTY_HINT if self.predictor is None else "Open or drop images to classify them.", MUTED)

    def _classify(self, paths: list[Path]) -> list[Prediction]:
        """Every class's probability for ``paths``; the chart shows the top ones."""
        return predict(self.predictor, paths, top_k=len(self.predictor.class_names))

    def _predict_all(self) -> None:
        if self.predictor is not None and self.image_paths:
            self.results = self._classify(self.image_paths)
            self._show_results(max(0, self.image_list.currentRow()))

    def _show_results(self, row: int) -> None:
        self._fill_list(self.results)
        failed = [r for r in self.results if not r.ok]
        if failed:
            self._say(f"{len(failed)} image(s) could not be read: {failed[0].error}", ERROR)
        else:
            self._say(f"{len(self.results)} image(s) classified by {self.predictor.name}.", MUTED)
        self.image_list.setCurrentRow(min(row, len(self.results) - 1))
        self.show_result(self.image_list.currentRow())

    def _fill_list(self, results: list[Prediction]) -> None:
        self.image_list.blockSignals(True)
        self.image_list.clear()
        for r in results:
            if r.image is not None and r.top:
                text = f"{r.path.name}\n{printable_line(r.top[0].name)} {r.top[0].probability:.0%}"
                item = QListWidgetItem(QIcon(to_pixmap(r.image.numpy(), 40)), text)
            else:
                item = QListWidgetItem(_blank_icon(), f"{r.path.name}\n{'cannot read' if r.error else 'no model yet'}")
            item.setToolTip(r.error or str(r.path))
            self.image_list.addItem(item)
        self.image_list.blockSignals(False)

    def show_result(self, row: int) -> None:
        """Show image ``row``: its network-sized input and the probability bars."""
        if not (0 <= row < len(self.results)) or not self.results[row].ok:
            self.input_view.show_image(None)
            self.input_caption.setText(self.results[row].error if 0 <= row < len(self.results) else "")
            self.chart.show_scores([])
            self.look_button.setEnabled(False)
            return
        result = self.results[row]
        self.look_button.setEnabled(self.predictor.kind != "onnx")
        self.look_button.setToolTip("Grad-CAM, saliency or integrated gradients for this image (Inside panel)"
                                    if self.predictor.kind != "onnx" else
                                    "An ONNX file has no layers to look inside: open the run folder or bundle")
        c, h, w = result.image.shape
        self.input_view.show_image(result.image.numpy())
        self.input_caption.setText(f"{result.path.name} as the model sees it: {w}×{h}, {c} channel(s), "
                                   f"resize: {self.predictor.resize}")
        self.chart.show_scores(result.top[: self.top_spin.value()])

    def _request_look(self) -> None:
        row = self.image_list.currentRow()
        if self.predictor is not None and 0 <= row < len(self.results) and self.results[row].ok:
            self.lookRequested.emit(str(self.predictor.path), self.results[row].image.numpy())

    # --- choosers and drops -----------------------------------------------------------------------
    def _choose_model_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open model", "", "Models (*.wbm *.onnx)")
        if path:
            self.set_model_source(path)

    def _choose_run_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open run folder")
        if path:
            self.set_model_source(path)

    def _choose_images(self) -> None:
        patterns = " ".join(f"*{e}" for e in IMAGE_EXTENSIONS)
        paths, _ = QFileDialog.getOpenFileNames(self, "Open images", "", f"Images ({patterns})")
        if paths:
            self.add_images(paths)

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt naming
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt naming
        self.open_paths([Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()])
        event.acceptProposedAction()

    def open_paths(self, paths: list[Path]) -> None:
        """Dropped paths: a model (folder, .wbm, .onnx) becomes the model source, the rest are images."""
        models = [p for p in paths if p.is_dir() or p.suffix.lower() in MODEL_SUFFIXES]
        if models:
            self.set_model_source(models[-1])
        images = [p for p in paths if p not in models]
        if images:
            self.add_images(images)

    def _say(self, text: str, colour: str) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {colour};")

