"""Feature maps equal what a forward hook sees; layers are named as named_modules names them; filters."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from tests.insight.models import SIZE
from workbench.analysis import analyze
from workbench.builder import build_model
from workbench.data.shapes import generate_shapes
from workbench.insight.errors import InsightError
from workbench.insight.explain import Explainer
from workbench.insight.features import feature_maps
from workbench.insight.filters import channel_norms, kernel_tiles
from workbench.insight.layers import layer_outputs, spatial_layer
from workbench.presets import load_preset


@pytest.fixture(scope="module")
def explainer(trained):
    return Explainer(trained)


@pytest.fixture(scope="module")
def image():
    return generate_shapes(1, 3, 3, SIZE, SIZE, seed=7)[0][0]


def test_feature_maps_equal_a_forward_hooks_activations(explainer, image):
    seen = {}
    model = explainer.model
    handle = model.conv2.register_forward_hook(lambda _m, _i, out: seen.setdefault("conv2", out.detach().clone()))
    try:
        with torch.no_grad():
            model(explainer.trained.normalize(image.unsqueeze(0)))
    finally:
        handle.remove()
    maps = explainer.features(image, ["conv2", "pool1"])
    assert np.array_equal(maps["conv2"].maps, seen["conv2"][0].numpy())
    assert maps["pool1"].maps.shape == (8, SIZE // 2, SIZE // 2)


def test_channel_means_and_dead_channels(explainer, image):
    maps = explainer.features(image, "conv3")["conv3"]
    assert np.allclose(maps.channel_means, maps.maps.mean(axis=(1, 2)))
    assert list(maps.dead) == [bool((c == 0).all()) for c in maps.maps]
    maps.maps[0] = 0.0
    assert maps.dead[0]


def test_layers_list_each_named_module_once_in_running_order(explainer):
    names = [layer.name for layer in explainer.layers]
    assert names == ["conv1", "pool1", "conv2", "conv3", "gap", "logits"]  # conv1.act is conv1's own output
    assert explainer.layers[2].shape == (16, SIZE // 2, SIZE // 2)
    assert [layer.name for layer in explainer.layers if layer.spatial] == ["conv1", "pool1", "conv2", "conv3"]


class _Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential()
        self.body.add_module("conv1", nn.Conv2d(4, 4, 3, padding=1))
        self.body.add_module("relu", nn.ReLU())

    def forward(self, x):
        return x + self.body(x)


def test_layers_inside_blocks_are_found_by_their_dotted_names():
    model = nn.Sequential()
    model.add_module("stem", nn.Conv2d(3, 4, 3, padding=1))
    model.add_module("stage2", nn.Sequential(_Block()))
    model.add_module("head", nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2)))
    names = [layer.name for layer in layer_outputs(model, (3, 8, 8))]
    assert "stage2.0.body.conv1" in names and names.index("stem") < names.index("stage2.0.body.conv1")
    assert "stage2" not in names and "stage2.0.body" not in names  # containers repeat their last child's output
    assert spatial_layer(model, (3, 8, 8)).name == "stage2.0"  # the block after its join
    x = torch.randn(1, 3, 8, 8)
    seen = {}
    handle = model.stage2[0].body.conv1.register_forward_hook(lambda _m, _i, out: seen.setdefault("o", out.detach()))
    with torch.no_grad():
        model(x)
    handle.remove()
    maps = feature_maps(model, x, "stage2.0.body.conv1")["stage2.0.body.conv1"]
    assert np.array_equal(maps.maps, seen["o"][0].numpy())
    with pytest.raises(InsightError, match="no layer named 'stage2.0.body.conv9'"):
        feature_maps(model, x, "stage2.0.body.conv9")


def test_a_resnet_s_layers_are_its_tree_by_path_each_copy_after_its_body_and_shortcut():
    spec = load_preset("resnet-8")
    model = build_model(spec).eval()
    names = [layer.name for layer in layer_outputs(model, (3, 32, 32))]
    leaves = [info.path for info in analyze(spec).rows() if not info.copies]
    assert [n for n in names if n not in ("stage1.0", "stage2.0", "stage3.0")] == leaves
    assert names[names.index("stage2.0.body.s2conv1"):names.index("stage3.0.body.s3conv1")] == [
        "stage2.0.body.s2conv1", "stage2.0.body.s2bn1", "stage2.0.body.s2relu1", "stage2.0.body.s2conv2",
        "stage2.0.body.s2bn2", "stage2.0.shortcut", "stage2.0"]
    x = torch.randn(1, 3, 32, 32)
    seen = {}
    handle = model.stage2[0].register_forward_hook(lambda _m, _i, out: seen.setdefault("o", out.detach()))
    with torch.no_grad():
        model(x)
    handle.remove()
    maps = feature_maps(model, x, ["stage2.0", "stage2.0.shortcut"])
    assert np.array_equal(maps["stage2.0"].maps, seen["o"][0].numpy())
    assert maps["stage2.0.shortcut"].maps.shape == (32, 16, 16)
    assert spatial_layer(model, (3, 32, 32), "stage2.0.body.s2conv2").shape == (32, 16, 16)


def test_first_conv_kernels_as_rgb_tiles(explainer):
    tiles = kernel_tiles(explainer.model)
    weight = explainer.model.conv1.weight.detach()
    assert tiles.shape == (8, 3, 3, 3) and tiles.dtype == np.uint8
    k = 5  # each tile spans the full range around zero: its largest |weight| maps to 0 or 255
    extreme = weight[k].abs().argmax()
    assert tiles[k].transpose(2, 0, 1).reshape(-1)[extreme] in (0, 255)
    with pytest.raises(InsightError, match="not a convolution on a 1- or 3-channel image"):
        kernel_tiles(explainer.model, "conv2")


def test_deeper_layers_as_channel_weight_norms(explainer):
    norms = channel_norms(explainer.model, "conv3")
    expected = explainer.model.conv3.weight.detach().flatten(1).norm(dim=1).numpy()
    assert norms.shape == (32,) and np.allclose(norms, expected)
    with pytest.raises(InsightError, match="no weights"):
        channel_norms(explainer.model, "pool1")
