"""The doctor through blocks: the init check measures every layer inside blocks by path, and a deep
plain stack that loses its signal is measured beside its residual version, with the wrap as the fix."""

import torch

from workbench.analysis import analyze
from workbench.doctor.edits import apply_edits, wrap_layers
from workbench.doctor.init_check import diagnose_init
from workbench.spec import InputShape, Layer, ModelSpec, loads_spec

from .specs import RESNET_TINY


def _batch(channels=3, size=12):
    g = torch.Generator().manual_seed(0)
    return torch.randn(32, channels, size, size, generator=g), torch.randint(0, 3, (32,), generator=g)


def _plain(depth, init=None, norm=False):
    layers = []
    for i in range(depth):
        layers.append(Layer(f"c{i}", "conv", {"filters": 8, "padding": "same", **({"init": init} if init else {})}))
        if norm:
            layers.append(Layer(f"bn{i}", "batchnorm"))
    layers += [Layer("gap", "gap"), Layer("logits", "conv", {"filters": 3, "kernel": 1, "activation": "none"})]
    return ModelSpec(input=InputShape(3, 12, 12), classes=3, layers=layers)


def test_init_check_measures_layers_inside_blocks_by_path():
    spec = loads_spec(RESNET_TINY)
    x, y = _batch(size=8)
    report = diagnose_init(spec, x, y)
    names = [s.name for s in report.measurement.layers]
    assert "stage1.1.body.s1c2" in names and "mix.0.branches.1.inner.0.body.b2c" in names
    assert len(names) == sum(1 for info in analyze(spec).nodes if not info.copies)
    # the gain of a layer in a branch is against what reaches it (the block input), not the layer above
    b1, b2 = report.measurement.layer("mix.0.branches.0.b1"), report.measurement.layer("mix.0.branches.1.b2")
    assert b1.in_signal_std == b2.in_signal_std > 0 and b2.in_signal_std != b1.signal_std
    assert report.gains["mix.0.branches.0.b1"] == b1.signal_std / b1.in_signal_std


def test_deep_plain_stack_that_loses_its_signal_is_offered_residual_blocks():
    spec = _plain(12, {"weight": "trunc_normal", "std": 0.02, "bias": 0.1})
    x, y = _batch()
    report = diagnose_init(spec, x, y)
    (finding,) = [f for f in report.findings if f.rule == "skips-keep-signal"]
    plain_end = finding.measured["plain_share"]["c11"]
    kept = finding.measured["residual_share"]["c11"]
    assert plain_end < 0.05 and kept >= 2 * plain_end and kept >= 0.05
    assert f"falls from {finding.measured['plain_share']['c0']:.2g} after c0 to {plain_end:.2g} at c11" in finding.explanation
    fixed = finding.fixes[0](spec)
    assert [layer.type for layer in fixed.layers[:3]] == ["conv", "residual", "residual"]
    assert [layer.name for layer in fixed.layer("res1").stacks[0]] == ["c1", "c2"]
    assert analyze(fixed).ok
    again = diagnose_init(fixed, x, y)
    assert again.measurement.layer("c11").signal_share == kept
    assert not [f for f in again.findings if f.rule == "skips-keep-signal"]


def test_healthy_plain_stack_gets_no_skip_advice():
    x, y = _batch()
    for spec in (_plain(12), _plain(12, norm=True)):
        assert not [f for f in diagnose_init(spec, x, y).findings if f.rule == "skips-keep-signal"]


def test_wrap_and_unwrap_edits():
    spec = _plain(3)
    wrapped = apply_edits(spec, [wrap_layers(["c1", "c2"], {"name": "r", "type": "residual"})])
    assert [layer.name for layer in wrapped.layers] == ["c0", "r", "gap", "logits"]
    assert analyze(wrapped).info("r.0.body.c2").out_shape == (8, 12, 12)
    back = apply_edits(wrapped, [{"op": "unwrap", "layer": "r"}])
    assert back == spec


def _unnormalised_resnet(blocks, **block_params):
    layers = [Layer("stem", "conv", {"filters": 8, "padding": "same"})]
    for b in range(blocks):
        body = [Layer(f"r{b}a", "conv", {"filters": 8, "padding": "same"}),
                Layer(f"r{b}b", "conv", {"filters": 8, "padding": "same", "activation": "none"})]
        layers.append(Layer(f"res{b}", "residual", dict(block_params), [body]))
    layers += [Layer("gap", "gap"), Layer("logits", "conv", {"filters": 3, "kernel": 1, "activation": "none"})]
    return ModelSpec(input=InputShape(3, 12, 12), classes=3, layers=layers)


def test_residual_blocks_without_normalisation_get_zero_init_or_batch_norm():
    spec = _unnormalised_resnet(6, activation="none")  # pre-activation style: nothing rescales the sum
    x, y = _batch()
    (finding,) = [f for f in diagnose_init(spec, x, y).findings if f.rule == "residual-growth"]
    assert finding.measured["growth"] > 4 and f"×{finding.measured['growth']:.3g} over 6 blocks" in finding.explanation
    zero, norm = finding.fixes
    for fix in (zero, norm):
        fixed = fix(spec)
        assert analyze(fixed).ok
        assert not [f for f in diagnose_init(fixed, x, y).findings if f.rule == "residual-growth"]
    assert [layer.name for layer in norm(spec).layer("res0").stacks[0]] == ["r0a", "r0b", "bn_res0"]


def test_zero_initialised_residual_blocks_stay_silent():
    x, y = _batch()
    assert not [f for f in diagnose_init(_unnormalised_resnet(6, activation="none", zero_init=True), x, y).findings
                if f.rule == "residual-growth"]


def test_compare_lines_a_plain_stack_up_with_its_residual_version():
    from workbench.doctor.compare import compare_init

    spec = _plain(12, {"weight": "trunc_normal", "std": 0.02, "bias": 0.1})
    wrapped = apply_edits(spec, [wrap_layers(["c1", "c2"], {"name": "res1", "type": "residual", "activation": "none"})])
    x, y = _batch()
    comparison = compare_init(spec, wrapped, x, y)
    rows = {r.name: r for r in comparison.rows}
    assert "c1 = res1.0.body.c1" in rows and rows["c1 = res1.0.body.c1"].b.name == "res1.0.body.c1"
    assert all(r.a is not None and r.b is not None for r in comparison.rows)
    assert "c2 = res1.0.body.c2" in comparison.table()
    # the skip around c1, c2 keeps more of the image-dependent signal at c3
    assert rows["c3"].b.signal_share > rows["c3"].a.signal_share
