"""The per-layer measurement: which values count as finite, and a changed spec measured from its first changed
top-level layer on gives exactly the numbers of measuring it whole, also when the change sits inside a
residual or parallel block or after one."""

import pytest
import torch

from workbench.builder import build_model
from workbench.doctor.edits import apply_edits, insert_layer, remove_layer, set_param
from workbench.doctor.measure import _stats, _unchanged_layers, measure, remeasure, trace

from .helpers import make_spec, sick_spec

BLOCKS = """
  - {name: stem, type: conv, filters: 8, kernel: 3, padding: same, activation: relu}
  - name: res1
    type: residual
    repeat: 2
    body:
      - {name: r1conv1, type: conv, filters: 8, kernel: 3, padding: same, activation: relu, init: {weight: trunc_normal, std: 0.005, bias: 0.1}}
      - {name: r1conv2, type: conv, filters: 8, kernel: 3, padding: same, activation: none}
  - name: mix
    type: parallel
    branches:
      -
        - {name: mix_a, type: conv, filters: 4, kernel: 1, activation: relu}
      -
        - {name: mix_b, type: conv, filters: 4, kernel: 3, padding: same, activation: relu}
  - {name: fc6, type: conv, filters: 16, kernel: 1, activation: relu, init: {weight: trunc_normal, std: 0.005, bias: 0.1}}
  - {name: gap, type: gap}
  - {name: logits, type: conv, filters: 3, kernel: 1, activation: none}
"""


@pytest.mark.parametrize("value, finite", [(3e38, True), (float("inf"), False), (float("-inf"), False),
                                          (float("nan"), False)])
def test_an_output_is_finite_exactly_when_every_value_is(value, finite):
    out = torch.ones(4, 2, 3, 3)
    out[1, 0, 2, 1] = value
    stats = _stats("conv1", "conv", out, True)
    assert stats.finite is finite
    assert (stats.signal_std == stats.signal_std) is finite  # not a number unless finite


def _batch(spec, n=8):
    images = torch.randn(n, spec.input.channels, spec.input.height, spec.input.width,
                         generator=torch.Generator().manual_seed(0))
    return images, torch.arange(n) % spec.num_classes


def _check(spec, edits, unchanged):
    """The changed spec's fast measurement equals its whole one, reuses ``unchanged`` top-level layers and
    differs from the original's."""
    images, targets = _batch(spec)
    traced = trace(spec, images, targets, seed=0)
    fixed = apply_edits(spec, edits)
    reused = _unchanged_layers(traced, fixed, build_model(fixed, seed=0))
    assert reused == unchanged
    fast = remeasure(traced, fixed).to_dict()
    assert fast == measure(fixed, images, targets, seed=0, backward=False).to_dict()
    assert fast["logit_share"] != traced.measurement.logit_share


@pytest.mark.parametrize("edits, unchanged", [
    ((set_param("fc6", "init", None),), 6),  # He init on fc6: its RNG draws shift every layer after it
    ((insert_layer("fc6", {"name": "bn6", "type": "batchnorm"}),), 7),
    ((remove_layer("fc7_1"),), 9),
])
def test_a_fix_measured_from_its_first_change_equals_the_whole_measurement(edits, unchanged):
    _check(sick_spec(), edits, unchanged)


@pytest.mark.parametrize("edits, unchanged", [
    ((set_param("r1conv1", "init", None),), 1),  # inside both copies of a residual block
    ((insert_layer("mix_b", {"name": "bn_b", "type": "batchnorm"}),), 2),  # inside a branch
    ((set_param("fc6", "init", None),), 3),  # after the blocks
    ((insert_layer("stem", {"name": "bn0", "type": "batchnorm"}),), 1),  # before them: the blocks run again
])
def test_a_change_inside_or_after_a_block_is_measured_as_whole(edits, unchanged):
    _check(make_spec(BLOCKS, name="blocks"), edits, unchanged)


def test_a_layer_whose_weights_change_with_what_follows_is_measured_again():
    spec = make_spec("""
  - {name: conv1, type: conv, filters: 8, kernel: 3, padding: same, activation: none}
  - {name: relu1, type: activation, activation: relu}
  - {name: gap, type: gap}
  - {name: logits, type: conv, filters: 3, kernel: 1, activation: none}
""")
    # batch norm between conv1 and its ReLU: conv1's own entry is unchanged, its default init is not (He -> Glorot)
    _check(spec, (insert_layer("conv1", {"name": "bn1", "type": "batchnorm"}),), 0)
