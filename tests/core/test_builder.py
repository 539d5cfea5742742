"""The builder: layer names become module names, inits are applied, the same seed gives the same weights."""

import math

import pytest
import torch

from workbench.builder import build_model
from workbench.presets import load_preset
from workbench.spec import SpecError


def test_state_dict_keys_use_layer_names(tiny_spec):
    model = build_model(tiny_spec)
    keys = set(model.state_dict())
    assert {"fc7.weight", "fc7.bias", "conv1.weight", "logits.weight"} <= keys
    out = model(torch.zeros(4, 3, 60, 60))
    assert out.shape == (4, 3)


def test_trunc_normal_init_matches_spec(tiny_spec):
    model = build_model(tiny_spec)
    w = model.fc7.weight.detach()
    assert w.abs().max() <= 2 * 0.005 + 1e-9
    assert 0.004 < w.std().item() < 0.0052  # truncation at 2 std shrinks the std to ~0.88 std
    assert torch.all(model.fc7.bias == 0.1)


def test_he_default_and_zero_bias():
    model = build_model(load_preset("overfeat-small"))
    w = model.fc6.weight.detach()
    expected = math.sqrt(2.0 / (256 * 9))
    assert abs(w.std().item() - expected) / expected < 0.05
    assert torch.all(model.fc6.bias == 0)


def test_same_seed_same_weights_other_seed_differs(tiny_spec):
    a, b, c = build_model(tiny_spec, seed=1), build_model(tiny_spec, seed=1), build_model(tiny_spec, seed=2)
    assert all(torch.equal(a.state_dict()[k], b.state_dict()[k]) for k in a.state_dict())
    assert not torch.equal(a.conv1.weight, c.conv1.weight)


def test_build_does_not_touch_global_rng(tiny_spec):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    build_model(tiny_spec)
    assert torch.equal(torch.rand(3), expected)


def test_invalid_spec_refused(tiny_spec):
    tiny_spec.layers[0].params["filters"] = 0
    with pytest.raises(SpecError):
        build_model(tiny_spec)


def test_fc_as_conv_equals_flatten_dense():
    conv_model = build_model(load_preset("fc-as-conv")).eval()
    dense_model = build_model(load_preset("fc-as-dense")).eval()
    state = conv_model.state_dict()
    state["classifier.weight"] = state["classifier.weight"].reshape(3, -1)
    dense_model.load_state_dict(state)
    x = torch.rand(2, 3, 60, 60)
    assert torch.allclose(conv_model(x), dense_model(x), atol=1e-5)
