"""The training panel's forms: hyperparameters and data are undoable spec edits; the folder chooser reports."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtWidgets import QFileDialog

from workbench.gui.document import SpecDocument
from workbench.gui.training.data_chooser import DataChooser
from workbench.gui.training.settings_form import SettingsForm, available_devices, resolve_device


@pytest.fixture
def document(tiny_spec):
    return SpecDocument(tiny_spec)


def test_learning_rate_edit_goes_through_the_undo_stack(qtbot, document):
    form = SettingsForm(document)
    qtbot.addWidget(form)
    lr = form.editor("training", "lr")
    assert lr.text() == "0.001"
    lr.setValue(0.01)
    assert document.spec.training["lr"] == pytest.approx(0.01)
    assert document.undo_stack.undoText() == "Set learning rate"
    lr.stepUp()  # stepping the same box again merges into the same undo step
    assert document.undo_stack.count() == 1 and document.spec.training["lr"] > 0.01
    document.undo_stack.undo()
    assert document.spec.training["lr"] == pytest.approx(0.001)
    assert lr.value() == pytest.approx(0.001)  # the form follows the document
    assert document.undo_stack.count() == 1  # refreshing the form made no edit of its own
    assert document.undo_stack.index() == 0


def test_choice_bool_and_int_fields_edit_their_sections(qtbot, document):
    form = SettingsForm(document)
    qtbot.addWidget(form)
    form.editor("training", "optimizer").setCurrentText("sgd")
    form.editor("data", "flip").setChecked(True)
    form.editor("training", "batch_size").setValue(8)
    form.editor("data", "jitter").setValue(0.2)
    spec = document.spec
    assert spec.training["optimizer"] == "sgd" and spec.training["batch_size"] == 8
    assert spec.data["flip"] is True and spec.data["jitter"] == pytest.approx(0.2)
    assert document.undo_stack.count() == 4
    for _ in range(4):
        document.undo_stack.undo()
    assert form.editor("training", "optimizer").currentText() == "adam"
    assert not form.editor("data", "flip").isChecked()
    assert form.editor("training", "batch_size").value() == 32


def test_image_cache_setting_is_an_edit_and_names_the_cache_folder(qtbot, document, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path / "my-cache"))
    form = SettingsForm(document)
    qtbot.addWidget(form)
    box = form.editor("data", "cache")
    assert box.currentText() == "auto" and str(tmp_path / "my-cache") in box.toolTip()
    box.setCurrentText("disk")
    assert document.spec.data["cache"] == "disk" and document.undo_stack.undoText() == "Set image cache"


def test_data_tab_shows_the_decode_cache_folder_wrapping_at_its_separators(qtbot, document, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path / "my-cache"))
    chooser = DataChooser(document)
    qtbot.addWidget(chooser)
    shown = chooser.cache_label.text()
    assert shown.replace("\u200b", "") == f"Decode cache: {tmp_path / 'my-cache'}"
    assert shown.count("\u200b") == str(tmp_path / "my-cache").count("/")


def test_device_selector_lists_the_cpu_and_defaults_to_the_first_device(qtbot, document):
    form = SettingsForm(document)
    qtbot.addWidget(form)
    devices = available_devices()
    assert devices[-1][0] == "cpu"
    assert form.device_box.count() == len(devices) + 1  # auto plus each device
    assert form.device == devices[0][0]  # auto: the first GPU when there is one
    assert resolve_device("cuda:7", [("cpu", "cpu")]) == "cpu"
    with qtbot.waitSignal(form.deviceChanged):
        form.device_box.setCurrentIndex(form.device_box.findData("cpu"))
    assert document.spec.training["device"] == "cpu"


def _write_folder(root):
    rng = np.random.default_rng(0)
    for name, count in (("cats", 3), ("dogs", 5)):
        (root / name).mkdir(parents=True)
        for i in range(count):
            pixels = rng.integers(0, 255, (20, 24, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / name / f"img{i}.png")
    (root / "cats" / "notes.txt").write_text("not an image")
    (root / "dogs" / "a_broken.png").write_bytes(b"this is not a png")
    (root / "dogs" / "empty.png").write_bytes(b"")


def test_folder_chooser_shows_counts_thumbnails_and_skipped_files(qtbot, document, tmp_path, monkeypatch):
    root = tmp_path / "pets"
    _write_folder(root)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args, **kwargs: str(root))
    chooser = DataChooser(document)
    qtbot.addWidget(chooser)
    with qtbot.waitSignal(chooser.previewChanged, timeout=10_000):
        chooser.choose_button.click()
    assert document.spec.data["source"] == "folder" and document.spec.data["path"] == str(root), chooser.status.text()
    assert chooser.status.text() == "9 images in 2 classes"
    counts = {chooser.counts.item(r, 0).text(): chooser.counts.item(r, 1).text() for r in range(chooser.counts.rowCount())}
    assert counts == {"cats": "3", "dogs": "6"}  # the broken png has an image extension: counted, then reported
    problems = [chooser.problems.item(i).text() for i in range(chooser.problems.count())]
    assert any("notes.txt" in p and "not an image file" in p for p in problems)
    assert any("empty.png" in p and "empty" in p for p in problems)
    assert any("a_broken.png" in p and "cannot read" in p for p in problems)
    assert chooser.problems_title.text() == "Skipped files: 3"
    thumbnails = [chooser.thumbs_layout.itemAt(i).widget() for i in range(chooser.thumbs_layout.count())]
    assert sum(type(w).__name__ == "Thumbnail" for w in thumbnails) == 3 + 4  # cats: 3, dogs: first 4 readable
    assert chooser.image_counts() == (7, 2)  # 9 files, 20 % for validation
    # the spec names 3 classes, the folder has 2: offer to use the folder's
    assert not chooser.use_classes_button.isHidden()
    chooser.use_classes_button.click()
    assert document.spec.classes == ["cats", "dogs"] and chooser.use_classes_button.isHidden()
    document.undo_stack.undo()
    document.undo_stack.undo()
    assert document.spec.data_value("source") == "shapes" and chooser.folder_box.isHidden()


def test_unreadable_folder_is_a_message(qtbot, document, tmp_path):
    chooser = DataChooser(document)
    qtbot.addWidget(chooser)
    with qtbot.waitSignal(chooser.previewChanged, timeout=10_000):
        chooser.scan(str(tmp_path / "missing"))
    assert "does not exist" in chooser.status.text()
    assert chooser.image_counts() is not None  # shapes still selected: counts come from the spec


def test_shapes_count_and_classes_are_spec_edits(qtbot, document):
    chooser = DataChooser(document)
    qtbot.addWidget(chooser)
    chooser.images_spin.setValue(120)
    chooser.classes_spin.setValue(4)
    assert document.spec.data["images"] == 120
    assert document.spec.classes == ["circle", "square", "triangle", "cross"]
    assert chooser.image_counts() == (96, 24)
    document.undo_stack.undo()
    assert chooser.classes_spin.value() == 3
