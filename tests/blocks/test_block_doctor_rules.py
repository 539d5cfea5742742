"""The static and init rules look inside blocks: each layer rule fires on a layer inside a residual body or a
branch under the layer's module path, stays silent on the healthy version, and its fix edits the nested
layer and clears the finding."""

import pytest
import torch

from workbench.analysis import analyze
from workbench.doctor import diagnose_init, static_findings
from workbench.doctor.edits import apply_edits, insert_before
from workbench.spec import loads_spec

HEADER = """
name: blocks
input: {channels: 3, height: 16, width: 16}
classes: 3
layers:
  - {name: stem, type: conv, filters: 8, padding: same}
"""
HEAD = """
  - {name: gap, type: gap}
  - {name: logits, type: conv, filters: 3, kernel: 1, activation: none}
training: {epochs: 10}
"""


def _residual(*body, repeat=1, before=""):
    lines = "".join(f"      - {layer}\n" for layer in body)
    return loads_spec(HEADER + before + f"  - name: res\n    type: residual\n    repeat: {repeat}\n    body:\n{lines}" + HEAD)


CONV = "{name: c1, type: conv, filters: 8, padding: same}"
CASES = {
    "linear-stack": (
        ["{name: c1, type: conv, filters: 8, padding: same, activation: none}", "{name: c2, type: conv, filters: 8, padding: same}"],
        ["{name: c1, type: conv, filters: 8, padding: same}", "{name: c2, type: conv, filters: 8, padding: same}"],
        ("res.0.body.c1",)),
    "bias-init-relu": (
        ["{name: c1, type: conv, filters: 8, padding: same, init: {bias: 0.1}}",
         "{name: c2, type: conv, filters: 8, padding: same, init: {bias: 0.1}}"],
        [CONV, "{name: c2, type: conv, filters: 8, padding: same}"],
        ("res.0.body.c1", "res.0.body.c2")),
    "weight-init-scale": (
        ["{name: c1, type: conv, filters: 8, padding: same, init: {weight: trunc_normal, std: 0.005}}"],
        [CONV],
        ("res.0.body.c1",)),
    "bias-before-batchnorm": (
        ["{name: c1, type: conv, filters: 8, padding: same, activation: none}", "{name: bn1, type: batchnorm}"],
        ["{name: c1, type: conv, filters: 8, padding: same, activation: none, bias: false}", "{name: bn1, type: batchnorm}"],
        ("res.0.body.c1",)),
    "dropout-before-batchnorm": (
        [CONV, "{name: drop1, type: dropout, rate: 0.3}", "{name: bn1, type: batchnorm}"],
        [CONV, "{name: bn1, type: batchnorm}", "{name: drop1, type: dropout, rate: 0.3}"],
        ("res.0.body.drop1",)),
    "dropout-rate-high": (
        [CONV, "{name: drop1, type: dropout, rate: 0.8}"],
        [CONV, "{name: drop1, type: dropout, rate: 0.5}"],
        ("res.0.body.drop1",)),
}


def _finding(spec, rule):
    hits = [f for f in static_findings(spec) if f.rule == rule]
    return hits[0] if hits else None


def _fixes_clear(spec, finding):
    for fix in finding.fixes:
        fixed = fix(spec)
        assert analyze(fixed).ok, fix.label
        assert _finding(fixed, finding.rule) is None, f"{finding.rule} still fires after “{fix.label}”"


@pytest.mark.parametrize("rule", sorted(CASES))
def test_layer_rule_inside_a_residual_body(rule):
    trigger, healthy, paths = CASES[rule]
    spec = _residual(*trigger)
    finding = _finding(spec, rule)
    assert finding is not None and finding.layers == paths
    assert all(path in finding.explanation or path in finding.fixes[0].label for path in paths)
    _fixes_clear(spec, finding)
    assert _finding(_residual(*healthy), rule) is None


def test_vanishing_map_inside_a_block():
    pool = "  - {name: pool, type: maxpool, kernel: 16}\n"
    spec = _residual("{name: c1, type: conv, filters: 8, padding: same}", before=pool)
    finding = _finding(spec, "vanishing-map")
    assert finding.layers == ("res.0.body.c1",)
    _fixes_clear(spec, finding)
    assert spec.layer("c1").get("kernel") == 3 and finding.fixes[0](spec).layer("c1").get("kernel") == 1
    assert _finding(_residual("{name: c1, type: conv, filters: 8, kernel: 1}", before=pool), "vanishing-map") is None


def test_a_repeated_block_is_reported_once_under_its_first_copy():
    spec = _residual("{name: c1, type: conv, filters: 8, padding: same, init: {weight: trunc_normal, std: 0.005}}", repeat=3)
    finding = _finding(spec, "weight-init-scale")
    assert finding.layers == ("res.0.body.c1",) and list(finding.measured) == ["res.0.body.c1"]
    assert finding.fixes[0].edits == ({"op": "set", "layer": "c1", "key": "init", "value": None},)


def test_parameter_hog_in_a_branch_is_replaced_inside_that_branch():
    spec = loads_spec(HEADER.replace("filters: 8", "filters: 64") + """
  - name: mix
    type: parallel
    branches:
      -
        - {name: flat, type: flatten}
        - {name: fc1, type: dense, units: 256}
  - {name: logits, type: dense, units: 3, activation: none}
""")
    finding = _finding(spec, "parameter-hog")
    assert finding.layers == ("mix.0.branches.0.fc1",)
    assert finding.measured["params"] == 64 * 16 * 16 * 256 + 256
    fixed = finding.fixes[0](spec)
    assert [(layer.name, layer.type) for layer in fixed.layer("mix").stacks[0]] == [("fc1", "conv"), ("gap", "gap")]
    assert [layer.name for layer in fixed.layers] == ["stem", "mix", "logits"]
    _fixes_clear(spec, finding)
    healthy = spec.copy()
    healthy.layer("fc1").params["units"] = 8
    assert _finding(healthy, "parameter-hog") is None


def test_a_depthwise_separable_pair_is_not_a_linear_stack():
    spec = _residual("{name: dw, type: depthwise, activation: none, padding: same}",
                     "{name: pw, type: conv, filters: 8, kernel: 1}")
    assert _finding(spec, "linear-stack") is None
    assert _finding(_residual("{name: dw, type: depthwise, padding: same, init: {weight: trunc_normal, std: 0.005}}"),
                    "weight-init-scale").layers == ("res.0.body.dw",)


def test_head_rules_stay_silent_when_the_logits_come_out_of_a_block():
    spec = loads_spec(HEADER + """
  - {name: gap, type: gap}
  - name: heads
    type: parallel
    branches:
      -
        - {name: logits, type: dense, units: 3, activation: none}
""")
    assert analyze(spec).ok
    assert [f.rule for f in static_findings(spec) if f.severity != "info"] == []
    spec.layer("stem").params["activation"] = "tanh"  # a hidden layer's activation is not the logits'
    assert not [f for f in static_findings(spec) if f.rule == "activation-on-logits"]


def test_insert_before_places_a_layer_at_the_start_of_a_body():
    spec = _residual(CONV)
    fixed = apply_edits(spec, [insert_before("c1", {"name": "bn0", "type": "batchnorm"})])
    assert [layer.name for layer in fixed.layer("res").stacks[0]] == ["bn0", "c1"]


def test_dead_relus_inside_a_block_are_named_by_path_and_fixed_there():
    spec = _residual("{name: c1, type: conv, filters: 8, padding: same, init: {bias: -20.0}}",
                     "{name: c2, type: conv, filters: 8, padding: same, activation: none}")
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(32, 3, 16, 16, generator=g), torch.randint(0, 3, (32,), generator=g)
    (finding,) = [f for f in diagnose_init(spec, x, y).findings if f.rule == "dead-relu-init"]
    assert finding.layers == ("res.0.body.c1",)
    fixed = finding.fixes[0](spec)
    assert "init" not in fixed.layer("c1").params
    assert not [f for f in diagnose_init(fixed, x, y).findings if f.rule == "dead-relu-init"]


def test_weak_layers_alone_in_residual_bodies_get_fixes_that_keep_the_bodies():
    """Removing the last weak layer would leave its body empty (no network): that fix is not offered; the
    batch-norm fix puts batch norm inside each body, after its weak layer."""
    weak = "init: {weight: trunc_normal, std: 0.005, bias: 0.1}"
    blocks = "".join(f"  - name: r{i}\n    type: residual\n    body:\n"
                     f"      - {{name: c{i}, type: conv, filters: 16, padding: same, {weak}}}\n" for i in range(4))
    spec = loads_spec(HEADER.replace("filters: 8, padding: same", f"filters: 16, padding: same, {weak}") + blocks + HEAD)
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(32, 3, 16, 16, generator=g), torch.randint(0, 3, (32,), generator=g)
    (finding,) = [f for f in diagnose_init(spec, x, y).findings if f.rule == "weak-signal"]
    assert finding.layers == ("stem", "r0.0.body.c0", "r1.0.body.c1", "r2.0.body.c2", "r3.0.body.c3")
    assert finding.fixes and not [fix for fix in finding.fixes if fix.label.startswith("Remove")]
    norm = finding.fixes[0](spec)
    assert [layer.type for layer in norm.layer("r3").stacks[0]] == ["conv", "batchnorm", "activation"]
    assert analyze(norm).ok
