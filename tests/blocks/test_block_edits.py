"""The tree edits in workbench/block_edits.py: insert into a stack, move between stacks, wrap, unwrap, branches."""

from __future__ import annotations

import pytest

from tests.blocks.specs import RESNET_TINY
from workbench import block_edits as be
from workbench.analysis import analyze
from workbench.edits import EditError
from workbench.spec import tree
from workbench.spec.yaml_io import dumps_spec, loads_spec


@pytest.fixture
def spec():
    return loads_spec(RESNET_TINY)


def body(spec, block, slot=0):
    return [layer.name for layer in be.stack_at(spec, (block, slot))]


def test_insert_into_a_body_and_a_new_block_starts_with_empty_stacks(spec):
    out, name = be.insert_into(spec, ("stage1", 0), 1, "batchnorm")
    assert body(out, "stage1") == ["s1c1", name, "s1c2"] and body(spec, "stage1") == ["s1c1", "s1c2"]
    out, res = be.insert_into(out, be.TOP, 1, "residual")
    out, mix = be.insert_into(out, be.TOP, 1, "parallel")
    assert out.layer(res).stacks == [[]] and out.layer(mix).stacks == [[], []]
    assert any("the body is empty" in p.message for p in analyze(out).problems)
    assert loads_spec(dumps_spec(out)) == out
    with pytest.raises(EditError, match="no layer named 'nope'"):
        be.insert_into(spec, ("nope", 0), 0, "conv")
    with pytest.raises(EditError, match="has no stack 3"):
        be.insert_into(spec, ("mix", 2), 0, "conv")


def test_move_into_and_out_of_a_body_and_between_branches(spec):
    out = be.move_into(spec, "stem", ("stage1", 0), 0)
    assert body(out, "stage1") == ["stem", "s1c1", "s1c2"] and out.layers[0].name == "stage1"
    back = be.move_into(out, "stem", be.TOP, 0)
    assert back == spec
    across = be.move_into(spec, "b1", ("mix", 1), 2)
    assert body(across, "mix", 0) == [] and body(across, "mix", 1) == ["b2", "inner", "b1"]
    same = be.move_into(spec, "s1c1", ("stage1", 0), 2)
    assert body(same, "stage1") == ["s1c2", "s1c1"]
    with pytest.raises(EditError, match="into itself"):
        be.move_into(spec, "mix", ("inner", 0), 0)


def test_wrap_then_unwrap_gives_the_spec_back(spec):
    out, name = be.wrap(spec, ["s2c1", "s2bn"], "residual")
    assert body(out, "stage2") == [name] and body(out, name) == ["s2c1", "s2bn"]
    assert be.unwrap(out, name) == spec
    out, name = be.wrap(spec, ["gap", "logits"], "parallel")
    assert [layer.name for layer in out.layers][-1] == name and out.layer(name).stacks[0][1].name == "logits"
    assert analyze(out).output_shape == analyze(spec).output_shape
    assert be.unwrap(out, name) == spec
    with pytest.raises(EditError, match="nothing between"):
        be.wrap(spec, ["stem", "mix"], "residual")
    with pytest.raises(EditError, match="one stack"):
        be.wrap(spec, ["stem", "s1c1"], "residual")


def test_unwrap_refuses_what_would_change_the_network_silently(spec):
    with pytest.raises(EditError, match="repeats 2 times"):
        be.unwrap(spec, "stage1")
    with pytest.raises(EditError, match="2 branches"):
        be.unwrap(spec, "mix")
    with pytest.raises(EditError, match="not a block"):
        be.unwrap(spec, "stem")


def test_add_and_remove_branches(spec):
    out = be.add_branch(spec, "mix")
    assert len(out.layer("mix").stacks) == 3
    assert analyze(out).info("mix").out_shape[0] == analyze(spec).info("mix").out_shape[0] + 8  # an empty branch passes its 8-channel input on
    out = be.remove_branch(out, "mix", 0)
    assert body(out, "mix", 0) == ["b2", "inner"] and "b1" not in tree.names(out.layers)
    out = be.remove_branch(out, "mix", 1)
    with pytest.raises(EditError, match="at least one branch"):
        be.remove_branch(out, "mix", 0)
    with pytest.raises(EditError, match="not a parallel block"):
        be.add_branch(spec, "stage1")
