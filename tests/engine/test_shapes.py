"""The built-in shapes data: deterministic, balanced, any size and channel count, clear errors."""

import pytest
import torch

from workbench.data import SHAPE_CLASSES, DataError, generate_shapes, load_data


def test_same_seed_same_images_other_seed_differs():
    a, la = generate_shapes(30, 3, 3, 24, 24, seed=5)
    b, lb = generate_shapes(30, 3, 3, 24, 24, seed=5)
    c, _ = generate_shapes(30, 3, 3, 24, 24, seed=6)
    assert torch.equal(a, b) and torch.equal(la, lb)
    assert not torch.equal(a, c)


@pytest.mark.parametrize("classes,channels,h,w", [(3, 3, 60, 60), (6, 1, 32, 32), (2, 3, 16, 24)])
def test_shapes_layout_and_balance(classes, channels, h, w):
    x, y = generate_shapes(60, classes, channels, h, w, seed=0)
    assert x.shape == (60, channels, h, w) and x.dtype == torch.uint8
    assert y.dtype == torch.int64
    assert torch.bincount(y, minlength=classes).tolist() == [60 // classes] * classes
    # shapes stand out from the background: every image uses a wide range of values
    spread = x.view(60, -1).float().std(dim=1)
    assert bool((spread > 10).all())


def test_each_class_draws_a_different_shape():
    x, y = generate_shapes(len(SHAPE_CLASSES) * 20, len(SHAPE_CLASSES), 1, 32, 32, seed=1)
    # mean foreground area (pixels far from the image's median) differs between circle, square and cross
    fg = ((x.float() - x.float().median()).abs() > 60).float().mean(dim=(1, 2, 3))
    areas = [fg[y == k].mean().item() for k in range(len(SHAPE_CLASSES))]
    assert len({round(a, 3) for a in areas}) == len(SHAPE_CLASSES)


def test_too_many_classes_is_a_data_error(spec_factory):
    spec = spec_factory(classes=7)
    with pytest.raises(DataError, match="at most 6"):
        load_data(spec)


def test_load_data_splits_stratified_and_measures_training_split(spec_factory):
    spec = spec_factory(images=60)
    data = load_data(spec)
    assert data.train_x.shape[0] == 45 and data.val_x.shape[0] == 15
    assert torch.bincount(data.val_y).tolist() == [5, 5, 5]
    assert data.class_names == ["circle", "square", "triangle"]
    expected_mean = (data.train_x.float() / 255).mean(dim=(0, 2, 3))
    assert torch.allclose(torch.tensor(data.mean, dtype=torch.float32), expected_mean, atol=1e-4)
    normed = data.normalize(data.train_x)
    assert torch.allclose(normed.mean(dim=(0, 2, 3)), torch.zeros(3), atol=1e-3)
    assert torch.allclose(normed.std(dim=(0, 2, 3)), torch.ones(3), atol=1e-2)
    assert data.report.counts == {"circle": 20, "square": 20, "triangle": 20}
