"""Batched augmentation: flips, padded crops and jitter as tensor ops, reproducible from a generator."""

import torch

from workbench.data.augment import Augmenter


def _batch():
    return torch.arange(2 * 3 * 4 * 4, dtype=torch.float32).view(2, 3, 4, 4) / 96


def test_inactive_augmenter_returns_input():
    aug = Augmenter()
    x = _batch()
    assert not aug.active and aug(x) is x


def test_flip_mirrors_some_images_whole():
    x = torch.rand(64, 1, 5, 5)
    out = Augmenter(flip=True, generator=torch.Generator().manual_seed(0))(x)
    flipped = [torch.equal(o, i.flip(2)) for o, i in zip(out, x)]
    same = [torch.equal(o, i) for o, i in zip(out, x)]
    assert all(f or s for f, s in zip(flipped, same))
    assert 10 < sum(flipped) < 54


def test_crop_shifts_within_padding_and_keeps_size():
    x = torch.ones(32, 3, 6, 6)
    out = Augmenter(crop_padding=2, generator=torch.Generator().manual_seed(0))(x)
    assert out.shape == x.shape
    zeros = (out == 0).flatten(1).sum(1)
    assert int(zeros.max()) > 0 and int(zeros.min()) >= 0
    assert int(zeros.max()) <= 3 * (6 * 6 - 4 * 4)  # at most a 2-pixel border on two sides


def test_jitter_stays_in_range_and_same_seed_same_result():
    x = torch.rand(8, 3, 5, 5)
    a = Augmenter(flip=True, crop_padding=1, jitter=0.5, generator=torch.Generator().manual_seed(3))(x)
    b = Augmenter(flip=True, crop_padding=1, jitter=0.5, generator=torch.Generator().manual_seed(3))(x)
    assert torch.equal(a, b)
    assert float(a.min()) >= 0 and float(a.max()) <= 1
    assert not torch.equal(a, x)
