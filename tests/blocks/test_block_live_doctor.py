"""The doctor during training looks inside blocks: its probes walk every layer of the tree by module path, each
live rule fires on a layer inside a residual body (each copy of a repeated block named) and stays silent on
the healthy version, and a fix edits the nested spec layer once for all copies."""

import pytest
import torch

from workbench.analysis import analyze
from workbench.builder import build_model
from workbench.doctor.monitor import TrainingMonitor
from workbench.doctor.probes import dead_fractions, first_non_finite_layer, weight_layers
from workbench.presets import load_preset

from tests.doctor.test_monitor import Run

C1 = "{name: c1, type: conv, filters: 4, kernel: 3, padding: same, activation: relu}"
C2 = "{name: c2, type: conv, filters: 4, kernel: 3, padding: same, activation: none}"


def _layers(*body: str, repeat: int = 2, stem: bool = True, activation: str = "relu") -> str:
    """A stem conv, a residual block of ``body`` repeated ``repeat`` times, global average pooling, a 1×1 head."""
    lines = "".join(f"      - {layer}\n" for layer in body)
    first = "  - {name: stem, type: conv, filters: 4, kernel: 3, padding: same, activation: relu}\n" if stem else ""
    return (first + f"  - name: res\n    type: residual\n    repeat: {repeat}\n    activation: {activation}\n"
            f"    body:\n{lines}"
            "  - {name: gap, type: gap}\n  - {name: logits, type: conv, filters: 3, kernel: 1, activation: none}\n")


def _finding(run: Run, rule: str):
    return next((f for f in run.monitor.findings if f.rule == rule), None)


def test_weight_layers_are_every_conv_and_dense_of_the_tree_by_path():
    spec = load_preset("resnet-8")
    expected = [info.path for info in analyze(spec).nodes if info.type in ("conv", "depthwise", "dense")]
    assert [name for name, _ in weight_layers(build_model(spec))] == expected
    assert "stage2.0.body.s2conv1" in expected


def test_a_dead_relu_in_every_copy_of_a_block_is_named_per_copy_and_fixed_once_at_the_bias():
    body = C1.replace("relu}", "relu, init: {bias: -20.0}}")
    run = Run(TrainingMonitor(every=1, dead_every=1), lr=0.05, layers=_layers(body, C2))
    run.step(1.0)
    finding = _finding(run, "dying-relu")
    assert finding is not None and finding.layers == ("res.0.body.c1", "res.1.body.c1")
    assert "res.0.body.c1 starts with bias -20" in finding.explanation
    assert finding.fixes, finding.explanation
    (fix,) = finding.fixes
    assert fix.edits == ({"op": "set", "layer": "c1", "key": "init.bias", "value": None},)
    fixed = fix(run.spec)
    assert fixed.layer("c1").init()["bias"] == 0.0 and fixed.training == run.spec.training


def test_relus_inside_a_healthy_block_are_measured_and_not_reported():
    run = Run(TrainingMonitor(every=1, dead_every=1), lr=0.05, layers=_layers(C1, C2))
    dead = dead_fractions(run.model, run.ctx.inputs)
    assert {"res.0.body.c1", "res.1.body.c1", "res.0", "res.1"} <= set(dead)  # body ReLUs and the ReLUs after each join
    assert "res.0.body.c2" not in dead  # no ReLU there
    run.step(1.0)
    assert _finding(run, "dying-relu") is None


def test_a_join_that_is_dead_is_reported_under_its_copy_without_a_bias_fix():
    """The ReLU after the add of res.1 gets a sum far below 0 from c2's bias: the copy is named, and as no layer
    of its own starts with a negative bias, no bias fix is offered."""
    run = Run(TrainingMonitor(every=1, dead_every=1), lr=0.001, layers=_layers(C1, C2))
    with torch.no_grad():
        run.model.res[1].body.c2.bias.fill_(-1e4)
    run.step(1.0)
    finding = _finding(run, "dying-relu")
    assert finding is not None and "res.1" in finding.layers and "res.0" not in finding.layers
    assert not any(edit.get("key") == "init.bias" for fix in finding.fixes for edit in fix.edits)


def test_a_nan_weight_inside_a_block_is_named_by_the_copy_that_holds_it():
    run = Run(TrainingMonitor(every=5), layers=_layers(C1, C2))
    assert first_non_finite_layer(run.model, run.ctx.inputs) is None
    with torch.no_grad():
        run.model.res[1].body.c2.weight[0, 0, 0, 0] = float("nan")
    assert first_non_finite_layer(run.model, run.ctx.inputs) == "res.1.body.c2"
    for _ in range(5):
        run.step(float("nan"), update=False)
    assert _finding(run, "non-finite-loss").layers == ("res.1.body.c2",)


def test_a_join_that_overflows_is_named_by_its_copy():
    """Every weight finite, every layer's output finite, but body + shortcut overflows float32 at res.0's add."""
    run = Run(TrainingMonitor(every=5), layers=_layers(C1, C2, repeat=1, activation="none"))
    with torch.no_grad():
        run.model.stem.bias.fill_(2e38)
        run.model.res[0].body.c1.weight.zero_()
        run.model.res[0].body.c2.weight.zero_()
        run.model.res[0].body.c2.bias.fill_(2e38)
    assert first_non_finite_layer(run.model, run.ctx.inputs) == "res.0"


def test_vanishing_gradients_before_a_first_layer_inside_a_block():
    layers = _layers(C1.replace("filters: 4", "filters: 3"), C2.replace("filters: 4", "filters: 3"), repeat=1, stem=False)
    run = Run(TrainingMonitor(every=1), layers=layers)
    with torch.no_grad():
        run.model.logits.weight.mul_(1e-7)
    run.step(1.0)
    finding = _finding(run, "vanishing-gradients")
    assert finding is not None and finding.layers == ("res.0.body.c1", "logits")


def test_gradients_of_a_first_layer_inside_a_block_that_flow_are_not_vanishing():
    layers = _layers(C1.replace("filters: 4", "filters: 3"), C2.replace("filters: 4", "filters: 3"), repeat=1, stem=False)
    run = Run(TrainingMonitor(every=1), layers=layers)
    run.step(1.0)
    assert _finding(run, "vanishing-gradients") is None


@pytest.mark.parametrize("boost,fires", [(1e8, True), (1.0, False)])
def test_an_exploding_gradient_inside_a_block_is_counted_and_named(boost, fires):
    run = Run(TrainingMonitor(every=1), layers=_layers(C1, C2))
    run.model.res[1].body.c1.weight.register_hook(lambda grad: grad * boost)
    run.step(1.0)
    finding = _finding(run, "exploding-gradients")
    assert (finding is not None) == fires
    if fires:
        assert finding.layers == ("res.1.body.c1",) and "res.1.body.c1" in finding.explanation


@pytest.mark.parametrize("lr,fires", [(50.0, True), (0.01, False)])
def test_update_ratios_are_measured_for_every_copy_inside_a_block(lr, fires):
    run = Run(TrainingMonitor(every=5), lr=lr, layers=_layers(C1, C2))
    for _ in range(7):
        run.step(1.0)
    finding = _finding(run, "update-ratio-high")
    assert (finding is not None) == fires
    if fires:
        assert any(name.startswith("res.1.body.") for name in finding.measured["ratio"])
