"""Blocks in the spec file: exact round trip, version 1 migration, and every reader error placed by line."""

import pytest

from workbench.spec import SCHEMA_VERSION, SpecError, dumps_spec, loads_spec
from workbench.spec import tree

from .specs import RESNET_TINY

V1 = """schema_version: 1
name: flat
description: ''
input: {channels: 1, height: 8, width: 8}
classes: 2
layers:
  - {name: c1, type: conv, filters: 2, kernel: 8}
data: {}
training: {}
"""


def test_block_file_round_trips_exactly():
    spec = loads_spec(RESNET_TINY)
    assert dumps_spec(spec) == RESNET_TINY
    assert loads_spec(dumps_spec(spec)) == spec


def test_tree_walk_visits_every_layer_with_its_place():
    spec = loads_spec(RESNET_TINY)
    walked = [(layer.name, place.depth, place.yaml_path) for layer, place in tree.walk(spec.layers)]
    assert ("s1c2", 1, ("layers", 1, "body", 1)) in walked
    assert ("b2c", 2, ("layers", 3, "branches", 1, 1, "body", 0)) in walked
    assert [n for n, _, _ in walked][:4] == ["stem", "stage1", "s1c1", "s1c2"]
    assert spec.layer("b2c").get("filters") == 3 and spec.index_of("b2c") == 0


def test_a_module_path_finds_the_spec_layer_it_is_an_instance_of():
    spec = loads_spec(RESNET_TINY)
    assert spec.layer("stage1.1.body.s1c2").name == "s1c2"
    assert spec.layer("stage1.1").name == "stage1"  # a copy of a block is that block
    assert tree.layer_name("stage1.0.body.s1c2") == "s1c2" and tree.layer_name("stage1.0") == "stage1"


def test_version_1_file_loads_unchanged_and_saves_as_version_2():
    spec = loads_spec(V1)
    assert spec.schema_version == SCHEMA_VERSION == 2
    assert [(layer.name, layer.params) for layer in spec.layers] == [("c1", {"filters": 2, "kernel": 8})]
    assert dumps_spec(spec) == V1.replace("schema_version: 1", "schema_version: 2")


def _problems(text):
    with pytest.raises(SpecError) as info:
        loads_spec(text, "f.yaml")
    return info.value.problems


HEAD = "schema_version: 2\ninput: {channels: 3, height: 8, width: 8}\nclasses: 2\nlayers:\n"


def test_duplicate_name_inside_a_block_is_placed_by_line():
    (p,) = _problems(HEAD + "  - {name: a, type: conv, filters: 2}\n  - name: r\n    type: residual\n    body:\n"
                     "      - {name: a, type: conv, filters: 2}\n")
    assert "duplicate layer name 'a'" in p.message and p.line == 9 and p.layer == "a"


def test_block_without_body_or_branches_and_unknown_keys():
    problems = _problems(HEAD + "  - {name: r, type: residual}\n  - {name: m, type: parallel, merge: concat}\n"
                         "  - {name: q, type: residual, body: [], shortcuts: identity}\n")
    messages = [(p.line, p.message) for p in problems]
    assert (5, "a residual block needs a body") in messages
    assert (6, "a parallel block needs branches") in messages
    assert any(line == 7 and "unknown key 'shortcuts'" in m for line, m in messages)
    assert "did you mean 'shortcut'?" in problems[-1].hint


def test_body_that_is_not_a_list_is_named():
    (p,) = _problems(HEAD + "  - {name: r, type: residual, body: 3}\n")
    assert p.message == "the body of layer #1 must be a list" and p.line == 5


def test_nesting_is_bounded():
    text = "x"
    for i in range(40):
        text = f"{{name: r{i}, type: residual, body: [{text}]}}"
    text = text.replace("x", "{name: c, type: conv, filters: 2}")
    problems = _problems(HEAD + f"  - {text}\n")
    assert any("nested more than" in p.message for p in problems)
