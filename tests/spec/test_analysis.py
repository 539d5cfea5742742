"""Hand-checked analysis numbers: shapes, parameters, MACs, receptive fields, errors and reachability."""

from workbench.analysis import analyze
from workbench.presets import load_preset
from workbench.spec import Layer


def test_overfeat_small_numbers():
    a = analyze(load_preset("overfeat-small"))
    fc6 = a.info("fc6")
    assert fc6.out_shape == (512, 4, 4)
    assert fc6.params == 256 * 9 * 512 + 512
    assert fc6.macs == 4 * 4 * 256 * 9 * 512
    assert a.info("fc7").params == 512 * 1024 + 1024
    assert a.info("conv1").rf == (3, 3) and a.info("pool1").jump == (2, 2)
    assert a.info("conv2").rf == (8, 8)
    assert a.output_shape == (3, 1, 1)
    assert a.total_params == 3_335_043 and a.ok
    assert a.model_bytes == a.total_params * 4


def test_invalid_layer_marks_the_rest_unreachable(tiny_spec):
    tiny_spec.layers[1].params["stride"] = 0
    a = analyze(tiny_spec)
    assert [i.status for i in a.layers] == ["ok", "error"] + ["unreachable"] * 5
    assert "stride" in a.layers[1].param_errors
    assert not a.ok and a.problems[0].layer == "pool1"


def test_spatial_logits_error_says_how_to_fix(tiny_spec):
    tiny_spec.layers = [l for l in tiny_spec.layers if l.type != "gap"]
    a = analyze(tiny_spec)
    last = a.layers[-1]
    assert last.status == "error" and "spatial" in last.error
    assert "gap" in last.hint and "kernel: full" in last.hint


def test_wrong_class_count(tiny_spec):
    tiny_spec.layers[-1].params["filters"] = 5
    (p,) = analyze(tiny_spec).problems
    assert "5 values" in p.message and "3 filters" in p.hint


def test_full_kernel_is_a_fully_connected_layer():
    conv, dense = load_preset("fc-as-conv"), load_preset("fc-as-dense")
    a, b = analyze(conv), analyze(dense)
    assert a.info("classifier").params == b.info("classifier").params == 8 * 15 * 15 * 3 + 3
    assert a.total_params == b.total_params


def test_conv_after_dense_is_refused(tiny_spec):
    tiny_spec.layers.insert(2, Layer("fc", "dense", {"units": 4}))
    a = analyze(tiny_spec)
    assert a.layers[2].status == "error" or a.layers[3].status == "error"
    assert any("flatten" in i.hint or "flat" in i.error for i in a.layers if i.status == "error")


def test_analysis_of_empty_and_huge_stacks_never_raises(tiny_spec):
    tiny_spec.layers = []
    assert not analyze(tiny_spec).ok
    tiny_spec.layers = [Layer(f"c{i}", "conv", {"filters": 8, "padding": "same"}) for i in range(100)]
    assert len(analyze(tiny_spec).layers) == 100
