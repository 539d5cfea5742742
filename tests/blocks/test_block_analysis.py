"""Analysis through blocks: receptive fields, totals, and every block error naming the copy and stack."""

import re

import pytest

from workbench.analysis import analyze
from workbench.analysis.formatting import summary_table
from workbench.doctor.edits import apply_edits
from workbench.presets import load_preset
from workbench.spec import InputShape, Layer, ModelSpec, loads_spec

from .specs import RESNET_TINY


def _spec(*layers, size=8):
    head = [Layer("gap", "gap"), Layer("logits", "conv", {"filters": 2, "kernel": 1, "activation": "none"})]
    return ModelSpec(input=InputShape(3, size, size), classes=2, layers=list(layers) + head)


def _conv(name, filters, **params):
    return Layer(name, "conv", {"filters": filters, "padding": "same", **params})


def test_sum_takes_the_widest_receptive_field_of_its_inputs():
    block = Layer("r", "residual", {}, [[_conv("a", 3), _conv("b", 3)]])
    analysis = analyze(_spec(block))
    assert analysis.info("r.0.body.b").rf == (5, 5)
    assert analysis.info("r").rf == (5, 5)  # the identity path sees 1×1, the body 5×5
    wide = Layer("p", "parallel", {}, [[_conv("c1", 2, kernel=1)], [_conv("c5", 2, kernel=5)]])
    info = analyze(_spec(wide)).info("p")
    assert info.rf == (5, 5) and info.out_shape == (4, 8, 8)


def test_repeat_applies_strides_to_the_first_copy_only():
    stage = Layer("stage", "residual", {"repeat": 3}, [[Layer("c", "conv", {"filters": 6, "stride": 2, "padding": 1})]])
    analysis = analyze(_spec(stage, size=16))
    assert [c.out_shape for c in analysis.info("stage").copies] == [(6, 8, 8)] * 3
    assert [c.shortcut for c in analysis.info("stage").copies] == ["projection", "identity", "identity"]
    # params: three 3×3 convs (3→6, 6→6, 6→6) + one projection 1×1 (3→6, no bias) + its batch norm
    assert analysis.info("stage").params == (6 * 3 * 9 + 6) + 2 * (6 * 6 * 9 + 6) + 3 * 6 + 2 * 6


def test_identity_shortcut_with_a_changed_shape_says_which_copy_and_offers_projection():
    stage = Layer("stage2", "residual", {"shortcut": "identity"},
                  [[Layer("c", "conv", {"filters": 32, "stride": 2, "padding": 1})]])
    spec = ModelSpec(input=InputShape(16, 32, 32), classes=2, layers=[stage])
    analysis = analyze(spec)
    (problem,) = analysis.problems
    assert problem.message == ("stage2.0: the body gives 32×16×16 but the shortcut gives 16×32×32 "
                               "— use `shortcut: projection`")
    assert problem.layer == "stage2"
    fixed = apply_edits(spec, problem.edits)
    assert fixed.layer("stage2").get("shortcut") == "projection"
    assert analyze(fixed).info("stage2").out_shape == (32, 16, 16)


def test_concat_of_branches_with_different_sizes_names_the_branches():
    mix = Layer("mix", "parallel", {}, [[_conv("a", 2)], [Layer("b", "conv", {"filters": 2, "kernel": 3})]])
    analysis = analyze(_spec(mix))
    (problem,) = analysis.problems
    assert problem.message == ("mix.0: concat needs the same height and width from every branch, but branch 1 "
                               "gives 2×8×8 and branch 2 gives 2×6×6")
    assert analysis.info("gap").status == "unreachable"


def test_add_of_branches_with_different_shapes_and_an_empty_body():
    mix = Layer("mix", "parallel", {"merge": "add"}, [[_conv("a", 2)], []])
    (problem,) = analyze(_spec(mix)).problems
    assert "mix.0: add needs the same shape from every branch" in problem.message
    empty = Layer("res", "residual", {}, [[]])
    (problem,) = analyze(_spec(empty)).problems
    assert problem.message == "res: the body is empty"
    (problem,) = analyze(_spec(Layer("mix", "parallel", {}, []))).problems
    assert problem.message == "mix: the block has no branches"


def test_error_inside_a_block_is_placed_on_the_inner_layer_and_line():
    text = RESNET_TINY.replace("{name: s2c1, type: conv, filters: 8, stride: 2, padding: 1}",
                               "{name: s2c1, type: conv, filters: 8, kernel: 20}")
    analysis = analyze(loads_spec(text, "t.yaml"))
    (problem,) = analysis.problems
    assert problem.layer == "s2c1" and problem.line == 18 and "larger than its 8×8 input" in problem.message
    assert analysis.info("stage2.0.body.s2c1").status == "error"
    assert analysis.info("stage2").status == "error"
    assert analysis.info("b2c").status == "unreachable"


def test_summary_table_indents_the_tree():
    table = summary_table(loads_spec(RESNET_TINY), analyze(loads_spec(RESNET_TINY)))
    lines = table.splitlines()
    assert any(line.startswith("stage1 ") and "2 × residual" in line for line in lines)
    assert any(line.startswith("  stage1.0.body.s1c1 ") for line in lines)
    assert any(line.startswith("    mix.0.branches.1.inner.0.body.b2c ") for line in lines)


@pytest.mark.parametrize("name", ["resnet-8", "resnet-20"])
def test_summary_rows_add_up_with_projection_shortcuts_as_rows_of_their_own(name, capsys):
    from workbench.cli import main

    assert main(["summary", name]) == 0
    lines = capsys.readouterr().out.splitlines()
    rules = [i for i, line in enumerate(lines) if set(line) == {"-"}]
    rows = {}
    for line in lines[rules[1] + 2 : rules[2]]:  # after the input row
        path, kind, params = re.match(r"\s*(\S+)\s+(.+?)\s{2,}\S+\s+([\d,]+)\s", line).groups()
        rows[path] = (kind, int(params.replace(",", "")))
    total = int(re.search(r"Total params:\s+([\d,]+)", "\n".join(lines)).group(1).replace(",", ""))
    shortcuts = [path for path, (kind, _) in rows.items() if kind == "projection"]
    assert shortcuts == ["stage2.0.shortcut", "stage3.0.shortcut"]
    assert rows["stage2.0.shortcut"][1] == 16 * 32 + 2 * 32  # 1×1 conv without bias, then batch norm
    blocks = [path for path, (kind, _) in rows.items() if "residual" in kind]
    leaves = [path for path in rows if path not in blocks]
    assert sum(rows[path][1] for path in leaves) == total == analyze(load_preset(name)).total_params
    for block in blocks:
        inside = [path for path in leaves if path.startswith(block + ".")]
        assert inside and sum(rows[path][1] for path in inside) == rows[block][1], block
    assert any(line.startswith("  stage2.0.shortcut ") for line in lines)
