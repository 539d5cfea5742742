"""The checks on the training data: each with data that triggers it and data that does not, on real
image folders where the check needs files, and the findings reaching the CLI and the Doctor panel."""

import dataclasses

import numpy as np
import pytest
import torch
from PIL import Image

from workbench.cli import main
from workbench.data.dataset import load_data
from workbench.doctor.data_checks import data_findings
from workbench.doctor.report import diagnose
from workbench.spec import save_spec

from .helpers import make_spec

NET = """
  - {name: conv1, type: conv, filters: 4, kernel: 3, padding: same, activation: relu}
  - {name: gap, type: gap}
  - {name: logits, type: dense, units: 3, activation: none}
"""


@pytest.fixture(scope="module")
def shapes():
    spec = make_spec(NET, size=16, images=90)
    return spec, load_data(spec)


def _rules(spec, data, params=1000):
    return {f.rule: f for f in data_findings(spec, data, params)}


def _keep(data, mask):
    return dataclasses.replace(data, train_x=data.train_x[mask], train_y=data.train_y[mask])


def test_healthy_shapes_data_has_no_finding(shapes):
    spec, data = shapes
    assert _rules(spec, data) == {}


def test_imbalanced_classes(shapes):
    spec, data = shapes
    y = data.train_y
    keep = (y != 2) | (torch.cumsum(y == 2, 0) <= 3)  # class 2 cut to 3 images
    found = _rules(spec, _keep(data, keep))["data-imbalanced"]
    assert found.measured["counts"][data.class_names[2]] == 3
    assert ":1" in found.explanation


def test_too_few_images_for_the_parameter_count(shapes):
    spec, data = shapes
    assert "data-too-few" not in _rules(spec, data, params=10_000)
    found = _rules(spec, data, params=10_000_000)["data-too-few"]
    assert found.measured["params_per_image"] > 10_000


def test_almost_blank_and_copied_images(shapes):
    spec, data = shapes
    blank = data.train_x.clone()
    blank[:10] = 128
    rules = _rules(spec, dataclasses.replace(data, train_x=blank))
    assert rules["data-constant-images"].measured["constant"] == 10
    copies = data.train_x[:1].expand_as(data.train_x).clone()
    copies[::4] = data.train_x[::4]
    assert "data-identical-images" in _rules(spec, dataclasses.replace(data, train_x=copies))


def test_validation_images_copied_from_training(shapes):
    spec, data = shapes
    leaked = data.val_x.clone()
    leaked[:4] = data.train_x[:4]
    leaked[4:6] = (data.train_x[4:6].int() + 1).clamp(max=255).to(torch.uint8)  # a grey level brighter: near copies
    found = _rules(spec, dataclasses.replace(data, val_x=leaked))["data-train-val-duplicates"]
    assert found.measured["exact"] == 4 and found.measured["near"] >= 2


def test_a_class_missing_from_validation(shapes):
    spec, data = shapes
    keep = data.val_y != 1
    gone = dataclasses.replace(data, val_x=data.val_x[keep], val_y=data.val_y[keep])
    assert _rules(spec, gone)["data-class-missing-in-validation"].measured["missing"] == [data.class_names[1]]


def _folder(root, classes, size, count=4):
    rng = np.random.default_rng(0)
    for name in classes:
        (root / name).mkdir(parents=True)
        for i in range(count):
            pixels = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i}.png")
    return root


def _folder_spec(root, size=16, classes=3):
    spec = make_spec(NET.replace("units: 3", f"units: {classes}"), size=size, classes=classes)
    spec.data = {"source": "folder", "path": str(root), "val_split": 0.25}
    return spec


def test_small_images_blown_up_to_the_input(tmp_path):
    spec = _folder_spec(_folder(tmp_path / "small", ["a", "b", "c"], size=6), size=16)
    found = _rules(spec, load_data(spec))["data-upsampled"]
    assert found.measured["median_size"] == [6, 6]
    spec = _folder_spec(_folder(tmp_path / "large", ["a", "b", "c"], size=20), size=16)
    assert "data-upsampled" not in _rules(spec, load_data(spec))


def test_class_folders_named_like_splits_reach_the_cli_as_an_error(tmp_path, capsys):
    root = _folder(tmp_path / "digits", ["test", "train"], size=16)
    spec = _folder_spec(root, classes=2)
    found = {f.rule: f for f in diagnose(spec).findings}["data-split-folders-as-classes"]
    assert found.severity == "error" and found.phase == "data"
    ok = _folder_spec(_folder(tmp_path / "ok", ["a", "b", "c"], size=16))
    assert "data-split-folders-as-classes" not in _rules(ok, load_data(ok))
    spec_path = tmp_path / "split.yaml"
    save_spec(spec, spec_path)
    assert main(["doctor", str(spec_path), "--json"]) == 1
    assert "data-split-folders-as-classes" in capsys.readouterr().out


def test_data_findings_show_in_the_doctor_panel(qtbot, tmp_path):
    from PySide6.QtWidgets import QLabel

    from workbench.doctor.init_check import check_init
    from workbench.gui.doctor import DoctorPanel
    from workbench.gui.doctor.finding_card import FindingCard
    from workbench.gui.document import SpecDocument

    spec = _folder_spec(_folder(tmp_path / "digits", ["test", "train"], size=16), classes=2)
    panel = DoctorPanel(SpecDocument(spec))
    qtbot.addWidget(panel)
    panel.show_init_report(check_init(spec), spec)
    cards = [c for c in panel.list_widget.findChildren(FindingCard) if c.finding.rule == "data-split-folders-as-classes"]
    assert len(cards) == 1
    assert "training data" in " ".join(label.text() for label in cards[0].findChildren(QLabel))
    panel.shutdown()
