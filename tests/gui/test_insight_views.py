"""The Inside panel's views (feature maps, filters, where it looks, histograms) and how images reach it."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt

from tests.insight.models import SIZE, SMALL
from workbench.data.shapes import generate_shapes
from workbench.gui.insight import InsidePanel, RecordingOptions
from workbench.gui.insight.histogram_strips import ROWS
from workbench.insight.histograms import HistogramRecorder, read_histograms
from workbench.spec import loads_spec
from workbench.training import Trainer, open_run
from workbench.training.validation import predict_run


@pytest.fixture
def inside(qtbot, shapes_run):
    panel = InsidePanel()
    qtbot.addWidget(panel)
    panel.resize(900, 600)
    panel.show()
    assert panel.set_model_source(shapes_run)
    return panel


@pytest.fixture(scope="module")
def image():
    return generate_shapes(1, 3, 3, SIZE, SIZE, seed=11)[0][0].numpy()


def test_feature_maps_per_layer_with_means_dead_channels_and_keyboard(qtbot, inside, image):
    assert inside.set_image(image, "a shape")
    grid = inside.channels
    assert inside.current_layer == "conv1" and grid.count() == 8
    expected = inside.explainer.features(torch.from_numpy(image), "conv1")["conv1"]
    assert np.array_equal(grid.maps.maps, expected.maps)
    for i in range(grid.count()):
        text = grid.item(i).text()
        assert ("dead" in text) == bool(expected.dead[i])
        if not expected.dead[i]:
            assert f"{expected.channel_means[i]:.3g}" in text
    inside.layers.setFocus()
    qtbot.keyClick(inside.layers, Qt.Key.Key_Down)
    qtbot.keyClick(inside.layers, Qt.Key.Key_Down)
    assert inside.current_layer == "conv2" and grid.count() == 16 and grid.maps.layer == "conv2"


def test_a_dead_channel_is_marked(inside, image, monkeypatch):
    maps = inside.explainer.features(torch.from_numpy(image), "conv1")["conv1"]
    maps.maps[3] = 0.0
    inside.channels.show_maps(maps)
    assert "dead" in inside.channels.item(3).text()
    assert inside.channels.item(3).foreground().color().name() != inside.channels.item(2).foreground().color().name()


def test_filters_kernels_for_the_first_conv_and_norms_deeper(inside):
    inside.tabs.setCurrentWidget(inside.filters)
    assert inside.filters.tiles.count() == 8 and "kernels of 3×3" in inside.filters.caption.text()
    inside.layers.setCurrentRow(3)  # conv3
    bars = inside.filters.bars.opts["height"]
    assert len(bars) == 32
    assert np.allclose(bars, inside.explainer.model.conv3.weight.detach().flatten(1).norm(dim=1).numpy())
    inside.layers.setCurrentRow(1)  # pool1: no weights
    assert "no weights" in inside.filters.caption.text()


def test_where_it_looks_for_the_predicted_and_a_chosen_class(inside, image):
    assert inside.explain(image, "a shape")
    assert inside.tabs.currentWidget() is inside.looks
    caption = inside.looks.caption.text()
    probs = inside.explainer.probabilities(torch.from_numpy(image))
    names = inside.explainer.class_names
    assert f"Predicted {names[int(probs.argmax())]}" in caption and "Grad-CAM on layer conv3" in caption
    inside.layers.setCurrentRow(0)
    assert "Grad-CAM on layer conv1 " in inside.looks.caption.text()
    assert not inside.looks.heat.pixmap().isNull()
    inside.layers.setCurrentRow(4)  # gap: no spatial size, Grad-CAM takes the last spatial layer
    assert "on layer conv3" in inside.looks.caption.text()
    inside.looks.target.setCurrentIndex(inside.looks.target.findData(2))
    assert f"for {names[2]}" in inside.looks.caption.text()
    inside.looks.method.setCurrentIndex(inside.looks.method.findData("saliency"))
    assert "saliency for triangle" in inside.looks.caption.text()


def test_histogram_strips_for_the_selected_layer(qtbot, tmp_path):
    run_dir = tmp_path / "run"
    Trainer(loads_spec(SMALL), run_dir=run_dir, device="cpu", callbacks=[HistogramRecorder(every=2)]).run()
    panel = InsidePanel()
    qtbot.addWidget(panel)
    assert panel.set_model_source(run_dir)
    panel.tabs.setCurrentWidget(panel.strips)
    assert panel.current_layer == "conv1"
    shown = panel.strips.shown
    assert set(shown) == {"weight", "grad", "activation"}
    assert shown["weight"].shape == (3, ROWS) and np.allclose(shown["weight"].sum(axis=1), 1.0)
    assert "3 records from step 2 to 6" in panel.strips.caption.text()
    panel.layers.setCurrentRow(1)  # pool1: activations only
    assert set(panel.strips.shown) == {"activation"}
    assert len(read_histograms(run_dir)[0].steps) == 3


def test_an_image_of_the_wrong_size_or_without_a_model_is_refused(qtbot, inside):
    assert not inside.set_image(np.zeros((3, 8, 8), dtype=np.uint8))
    assert "the model takes 3×32×32" in inside.message.text()
    empty = InsidePanel()
    qtbot.addWidget(empty)
    assert not empty.set_image(np.zeros((3, SIZE, SIZE), dtype=np.uint8))
    assert "Open a run first" in empty.message.text()


def test_recording_options_make_the_recorders(qtbot):
    options = RecordingOptions()
    qtbot.addWidget(options)
    assert options.recorders().callbacks == [] and options.recorders().listeners == []  # off by default
    options.histograms.setChecked(True)
    options.every.setValue(7)
    options.tensorboard.setChecked(True)
    recorders = options.recorders()
    assert [type(c).__name__ for c in recorders.callbacks] == ["HistogramRecorder"]
    assert recorders.callbacks[0].every == 7 and len(recorders.listeners) == 1


def test_a_validation_image_and_a_predict_image_open_where_it_looks(window, shapes_run, tmp_path):
    panels = window.panels
    training = panels.training
    training.results.run_dir = str(shapes_run)
    training.results.show_results(predict_run(open_run(shapes_run)))
    thumbs = [training.results.grid_layout.itemAt(i).widget() for i in range(training.results.grid_layout.count())]
    thumbs[0].clicked.emit()
    assert window.current_panel() is panels.inside
    assert panels.inside.tabs.currentWidget() is panels.inside.looks
    results = training.results.results
    assert np.array_equal(panels.inside.image, results.images[0])
    assert "validation: " in panels.inside.image_label.text()
    path = tmp_path / "one.png"
    from PIL import Image

    Image.fromarray(generate_shapes(1, 3, 3, SIZE, SIZE, seed=4)[0][0].permute(1, 2, 0).numpy()).save(path)
    assert panels.predict.set_model_source(shapes_run)
    panels.predict.add_images([path])
    window.show_panel(panels.predict)
    assert panels.predict.look_button.isEnabled()
    panels.predict.look_button.click()
    assert window.current_panel() is panels.inside and panels.inside.image_label.text() == "from Predict"
    assert "Predicted" in panels.inside.looks.caption.text()
