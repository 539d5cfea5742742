"""Choose the training data: the built-in shapes or an image folder, with class counts, thumbnails and problems."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.data.errors import DataError
from workbench.data.folder import FolderScan, load_image, scan_folder
from workbench.data.shapes import SHAPE_CLASSES
from workbench.gui.document import SpecDocument
from workbench.gui.training.images import Thumbnail
from workbench.gui.training.tasks import BackgroundTask, wait_or_keep
from workbench.paths import cache_dir
from workbench.spec import ModelSpec

THUMBNAILS_PER_CLASS = 4
SOURCES = (("shapes", "Built-in shapes"), ("folder", "Image folder"))


@dataclass
class FolderPreview:
    """A scanned folder plus a few decoded images per class and the files that failed to decode."""

    scan: FolderScan
    thumbnails: dict[str, list[np.ndarray]] = field(default_factory=dict)
    unreadable: list[tuple[str, str]] = field(default_factory=list)


def preview_folder(path: str, spec: ModelSpec) -> FolderPreview:
    """Scan ``path`` and decode the first few images of each class as the network will see them."""
    preview = FolderPreview(scan_folder(path))
    shape = spec.input
    for name in preview.scan.classes:
        images = preview.thumbnails.setdefault(name, [])
        for file in preview.scan.files[name]:
            if len(images) == THUMBNAILS_PER_CLASS:
                break
            try:
                images.append(load_image(file, shape.channels, shape.height, shape.width, spec.data_value("resize")).numpy())
            except DataError as exc:
                preview.unreadable.append((str(file), exc.message))
    return preview


def cache_folder_text() -> str:
    """The decode cache folder as a label text that may wrap after each path separator."""
    return "Decode cache: " + str(cache_dir()).replace(os.sep, os.sep + "\u200b")


class DataChooser(QWidget):
    """The data section of the spec as a form; a chosen folder is scanned off the GUI thread."""

    previewChanged = Signal()  # a folder scan finished (image counts known)

    def __init__(self, document: SpecDocument, parent: QWidget | None = None):
        super().__init__(parent)
        self._document = document
        self.preview: FolderPreview | None = None
        self._scanned_path: str | None = None
        self._task: BackgroundTask | None = None

        self.source_box = QComboBox()
        for value, label in SOURCES:
            self.source_box.addItem(label, value)
        self.source_box.currentIndexChanged.connect(lambda: self._set("source", self.source_box.currentData(), "Set data source"))
        self.val_split = QDoubleSpinBox(decimals=2, singleStep=0.05, minimum=0.0, maximum=0.9, keyboardTracking=False)
        self.val_split.valueChanged.connect(lambda v: self._set("val_split", round(v, 4), "Set validation split"))
        top = QFormLayout()
        top.addRow("Source", self.source_box)
        top.addRow("Validation share", self.val_split)

        self.shapes_box = QGroupBox("Built-in shapes")
        self.images_spin = QSpinBox(minimum=3, maximum=1_000_000, singleStep=100, keyboardTracking=False)
        self.images_spin.valueChanged.connect(lambda v: self._set("images", v, "Set number of images"))
        self.classes_spin = QSpinBox(minimum=2, maximum=len(SHAPE_CLASSES), keyboardTracking=False)
        self.classes_spin.valueChanged.connect(self._set_shape_classes)
        self.shape_names = QLabel()
        self.shape_names.setWordWrap(True)
        shapes_form = QFormLayout(self.shapes_box)
        shapes_form.addRow("Images", self.images_spin)
        shapes_form.addRow("Classes", self.classes_spin)
        shapes_form.addRow("", self.shape_names)

        self.folder_box = QGroupBox("Image folder")
        self.path_label = QLabel("No folder chosen")
        self.path_label.setWordWrap(True)
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.choose_button = QPushButton("Choose folder…")
        self.choose_button.clicked.connect(self.choose_folder)
        self.resize_box = QComboBox()
        self.resize_box.addItems(["stretch", "center-crop", "pad"])
        self.resize_box.currentTextChanged.connect(lambda v: self._set("resize", v, "Set resize mode"))
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.mismatch = QLabel()
        self.mismatch.setWordWrap(True)
        self.mismatch.setStyleSheet("color: #b35900;")
        self.use_classes_button = QPushButton("Use the folder's classes")
        self.use_classes_button.clicked.connect(self._use_folder_classes)
        self.counts = QTableWidget(0, 2)
        self.counts.setHorizontalHeaderLabels(["Class", "Images"])
        self.counts.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.counts.verticalHeader().setVisible(False)
        self.counts.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.counts.setMaximumHeight(160)
        self.counts.verticalHeader().setDefaultSectionSize(22)
        self.thumbs = QWidget()
        self.thumbs_layout = QGridLayout(self.thumbs)
        self.thumbs_layout.setContentsMargins(0, 0, 0, 0)
        self.thumbs_layout.setColumnStretch(THUMBNAILS_PER_CLASS + 1, 1)
        self.cache_label = QLabel(cache_folder_text())
        self.cache_label.setWordWrap(True)
        self.cache_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.cache_label.setToolTip("Decoded images are kept here between runs ($WORKBENCH_CACHE sets the folder; "
                                    "python -m workbench cache lists and clears the caches).")
        self.problems_title = QLabel()
        self.problems = QListWidget()
        self.problems.setMaximumHeight(120)
        self.problems.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.choose_button)
        row.addWidget(QLabel("Resize"))
        row.addWidget(self.resize_box)
        row.addStretch(1)
        folder_layout = QVBoxLayout(self.folder_box)
        folder_layout.addWidget(self.path_label)
        folder_layout.addLayout(row)
        folder_layout.addWidget(self.status)
        folder_layout.addWidget(self.cache_label)
        folder_layout.addWidget(self.mismatch)
        folder_layout.addWidget(self.use_classes_button)
        folder_layout.addWidget(self.counts)
        folder_layout.addWidget(self.thumbs)
        folder_layout.addWidget(self.problems_title)
        folder_layout.addWidget(self.problems)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.shapes_box)
        layout.addWidget(self.folder_box)
        layout.addStretch(1)
        document.changed.connect(self.refresh)
        self.refresh()

    # --- spec edits ----------------------------------------------------------------------------
    def _set(self, key: str, value, label: str) -> None:
        spec = self._document.spec
        if spec.data_value(key) == value:
            return
        new = spec.copy()
        new.data[key] = value
        self._document.apply(new, label, merge_key=f"data.{key}")

    def _set_shape_classes(self, count: int) -> None:
        names = list(SHAPE_CLASSES[:count])
        if self._document.spec.class_names == names:
            return
        new = self._document.spec.copy()
        new.classes = names
        self._document.apply(new, "Set shape classes")

    def _use_folder_classes(self) -> None:
        if self.preview is None:
            return
        new = self._document.spec.copy()
        new.classes = list(self.preview.scan.classes)
        self._document.apply(new, "Use the folder's classes")

    def choose_folder(self) -> None:
        start = self._document.spec.data_value("path") or ""
        path = QFileDialog.getExistingDirectory(self, "Choose an image folder (one sub-folder per class)", start)
        if not path:
            return
        new = self._document.spec.copy()
        new.data["source"] = "folder"
        new.data["path"] = path
        self._document.apply(new, "Use image folder")
        self.scan(path)

    # --- view ----------------------------------------------------------------------------------
    def refresh(self) -> None:
        spec = self._document.spec
        source = spec.data_value("source")
        for widget, value in (
            (self.val_split, spec.data_value("val_split")),
            (self.images_spin, spec.data_value("images")),
            (self.classes_spin, spec.num_classes),
        ):
            widget.blockSignals(True)
            widget.setValue(value)
            widget.blockSignals(False)
        for box, text in ((self.source_box, None), (self.resize_box, spec.data_value("resize"))):
            box.blockSignals(True)
            if text is None:
                box.setCurrentIndex(max(0, box.findData(source)))
            else:
                box.setCurrentText(text)
            box.blockSignals(False)
        self.shape_names.setText(", ".join(SHAPE_CLASSES[: spec.num_classes]))
        self.shapes_box.setVisible(source == "shapes")
        self.folder_box.setVisible(source == "folder")
        path = spec.data_value("path")
        self.path_label.setText(path or "No folder chosen")
        if source == "folder" and path and path != self._scanned_path:
            self.scan(path)
        self._show_mismatch()

    def scan(self, path: str) -> None:
        """Scan ``path`` in the background; the counts, thumbnails and problems follow."""
        self._scanned_path = path
        if self._task is not None and self._task.isRunning():
            return  # _scan_latest picks the newest path up when the running scan ends
        self.status.setStyleSheet("")
        self.status.setText("Scanning…")
        self._task = BackgroundTask(lambda spec=self._document.snapshot(): preview_folder(path, spec), self)
        self._task.path = path
        self._task.done.connect(self._show_preview)
        self._task.error.connect(self._show_error)
        self._task.finished.connect(self._scan_latest)
        self._task.start()

    @Slot()
    def _scan_latest(self) -> None:
        if self._task is not None and self._task.path != self._scanned_path:
            self.scan(self._scanned_path)

    def wait(self, timeout_ms: int) -> bool:
        return wait_or_keep(self._task, timeout_ms)

    @Slot(str)
    def _show_error(self, message: str) -> None:
        self.preview = None
        self.status.setText(message)
        self.status.setStyleSheet("color: #c62828;")
        self.counts.setRowCount(0)
        self._clear_thumbnails()
        self.problems.clear()
        self.problems_title.setText("")
        self._show_mismatch()
        self.previewChanged.emit()

    @Slot(object)
    def _show_preview(self, preview: FolderPreview) -> None:
        self.preview = preview
        scan = preview.scan
        self.status.setStyleSheet("")
        self.status.setText(f"{scan.total} images in {len(scan.classes)} classes")
        self.counts.setRowCount(len(scan.classes))
        self.counts.setFixedHeight(min(160, self.counts.horizontalHeader().sizeHint().height() + 22 * len(scan.classes) + 4))
        for row, (name, count) in enumerate(scan.counts.items()):
            self.counts.setItem(row, 0, QTableWidgetItem(name))
            item = QTableWidgetItem(str(count))
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.counts.setItem(row, 1, item)
        self._clear_thumbnails()
        for row, name in enumerate(scan.classes):
            self.thumbs_layout.addWidget(QLabel(name), row, 0)
            for col, image in enumerate(preview.thumbnails.get(name, [])):
                self.thumbs_layout.addWidget(Thumbnail(image, "", size=40, tooltip=name), row, col + 1)
        self.problems.clear()
        found = list(scan.skipped) + list(preview.unreadable)
        found += [(name, "class folder without images (left out)") for name in scan.empty_classes]
        for path, reason in found:
            self.problems.addItem(f"{path} — {reason}")
        self.problems_title.setText(f"Skipped files: {len(found)}" if found else "No problems found")
        self.problems.setVisible(bool(found))
        self._show_mismatch()
        self.previewChanged.emit()

    def _clear_thumbnails(self) -> None:
        while self.thumbs_layout.count():
            self.thumbs_layout.takeAt(0).widget().deleteLater()

    def _show_mismatch(self) -> None:
        spec = self._document.spec
        folder = self.preview.scan.classes if self.preview and spec.data_value("source") == "folder" else None
        differs = folder is not None and (
            len(folder) != spec.num_classes or (isinstance(spec.classes, list) and list(folder) != spec.classes)
        )
        text = ""
        if differs:
            text = (
                f"The folder has {len(folder)} classes ({', '.join(folder)}); "
                f"the spec names {spec.num_classes} ({', '.join(spec.class_names)})."
            )
        self.mismatch.setText(text)
        self.mismatch.setVisible(differs)
        self.use_classes_button.setVisible(differs)

    def image_counts(self) -> tuple[int, int] | None:
        """(training, validation) image counts of the chosen data, or None while unknown."""
        spec = self._document.spec
        if spec.data_value("source") == "folder":
            if self.preview is None:
                return None
            total = self.preview.scan.total
        else:
            total = spec.data_value("images")
        val = int(round(total * spec.data_value("val_split")))
        return total - val, val
