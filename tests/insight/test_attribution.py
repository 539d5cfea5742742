"""Where the network looks: Grad-CAM on the shape, the other methods' maps, classes and layers chosen."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from tests.insight.models import SIZE
from workbench.builder import build_model
from workbench.data.shapes import generate_shapes
from workbench.insight.errors import InsightError
from workbench.insight.explain import Explainer


@pytest.fixture(scope="module")
def explainer(trained):
    return Explainer(trained)


@pytest.fixture(scope="module")
def held_out():
    """Shapes the model never saw, with the masks of their drawn shapes."""
    return generate_shapes(36, 3, 3, SIZE, SIZE, seed=99, masks=True)


def _grow(mask: torch.Tensor, pixels: int) -> np.ndarray:
    return F.max_pool2d(mask[None, None].float(), 2 * pixels + 1, 1, pixels)[0, 0].bool().numpy()


def _share(heat: np.ndarray, mask: np.ndarray) -> float:
    positive = np.clip(heat, 0, None)
    return float(positive[mask].sum() / positive.sum())


def _gradcam_shares(explainer, images, labels, masks) -> np.ndarray:
    """The share of each image's positive Grad-CAM mass (for its true class) inside its drawn shape."""
    heats = [explainer.explain(img, "gradcam", target=int(lab)).attribution.heat for img, lab in zip(images, labels)]
    return np.array([_share(heat, mask.numpy()) for heat, mask in zip(heats, masks)])


def test_gradcam_mass_lies_on_the_shape(explainer, trained, held_out):
    images, labels, masks = held_out
    shares = _gradcam_shares(explainer, images, labels, masks)
    area = float(masks.float().mean())  # what a map spread evenly over the image would score
    untrained = Explainer(replace(trained, state_dict=build_model(trained.spec).state_dict()))
    before = _gradcam_shares(untrained, images, labels, masks)
    print(f"Grad-CAM share on the shape: trained {shares.mean():.2f}, untrained {before.mean():.2f}, area {area:.2f}")
    assert shares.mean() > 0.5
    assert shares.mean() > 1.6 * area
    assert shares.mean() > before.mean() + 0.1
    assert np.median(shares[labels.numpy() == 0]) > 0.7  # circles: evidence all over the disc


def test_gradcam_defaults_to_the_last_spatial_layer(explainer, held_out):
    result = explainer.explain(held_out[0][0])
    assert result.attribution.layer == "conv3"
    assert result.attribution.heat.shape == (SIZE, SIZE)
    assert result.attribution.target == result.predicted
    assert explainer.explain(held_out[0][0], layer="pool1").attribution.layer == "pool1"


def test_another_class_gives_another_map(explainer, held_out):
    image = held_out[0][0]
    result = explainer.explain(image, target="triangle")
    assert result.attribution.target == 2 and result.target_name == "triangle"
    other = explainer.explain(image, target="circle").attribution.heat
    assert not np.allclose(result.attribution.heat, other)


@pytest.mark.parametrize("method", ["saliency", "ig", "occlusion"])
def test_input_methods_give_a_map_at_the_input_size(explainer, held_out, method):
    images, labels, masks = held_out
    result = explainer.explain(images[1], method, target=int(labels[1]))
    heat = result.attribution.heat
    assert heat.shape == (SIZE, SIZE) and np.isfinite(heat).all() and heat.max() > 0
    assert result.attribution.layer is None
    # evidence sits at or beside the shape more than a map spread evenly would
    assert _share(heat, _grow(masks[1], 2)) > _grow(masks[1], 2).mean()


@pytest.mark.parametrize("layer, words", [("nope", "no layer named 'nope'"), ("gap", "has no spatial size"),
                                          ("logits", "has no spatial size")])
def test_a_layer_without_a_map_is_refused(explainer, held_out, layer, words):
    with pytest.raises(InsightError) as caught:
        explainer.explain(held_out[0][0], "gradcam", layer)
    assert words in caught.value.message
    assert "conv3" in caught.value.hint


def test_an_unknown_class_is_refused(explainer, held_out):
    with pytest.raises(InsightError, match="no class 'hexagon'"):
        explainer.explain(held_out[0][0], target="hexagon")
