"""The spec reader on hostile and careless files: refused fast with one placed message, never a crash."""

import os
import time

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.check import check_spec, require_valid_sections
from workbench.spec import SpecError, load_spec, loads_spec
from workbench.spec.yaml_safe import MAX_DEPTH, safe_load

HEAD = "schema_version: 1\nname: t\ninput: {channels: 1, height: 8, width: 8}\nclasses: 2\nlayers:\n"
LAYERS = "  - {name: f, type: flatten}\n  - {name: d, type: dense, units: 2}\n"


def alias_bomb(levels: int) -> str:
    """A few hundred bytes that expand to 9**levels strings when aliases are followed."""
    lines = ['l0: &l0 ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, levels):
        ref = f"*l{i - 1}"
        lines.append(f"l{i}: &l{i} [{','.join([ref] * 9)}]")
    return "\n".join(lines) + "\n"


def only_problem(text):
    with pytest.raises(SpecError) as info:
        loads_spec(text, "net.yaml")
    (problem,) = info.value.problems
    return problem


def test_alias_bomb_refused_at_once():
    started = time.perf_counter()
    p = only_problem(alias_bomb(9))
    assert time.perf_counter() - started < 1.0
    assert "aliases" in p.message and p.line == 1


def test_single_alias_refused_where_it_is_used():
    p = only_problem(HEAD + "  - &c {name: f, type: flatten}\n  - *c\n")
    assert "anchors and aliases" in p.message and p.line == 6


@pytest.mark.parametrize("tag", ["!!python/object:os.system", "!!python/name:os.system", "!custom", "!!str"])
def test_tags_refused_as_tags(tag):
    p = only_problem(f"name: {tag} x\nlayers: []\n")
    assert "tags are not allowed" in p.message and "indentation" not in p.hint


def test_duplicate_key_names_both_places():
    p = only_problem(HEAD + "  - {name: c, type: conv, filters: 6,\n     kernel: 3, filters: 600}\n")
    assert "duplicate key 'filters'" in p.message and "line 6" in p.message and p.line == 7


def test_duplicate_top_level_key():
    p = only_problem(HEAD + LAYERS + "classes: 3\n")
    assert "duplicate key 'classes'" in p.message and "line 4" in p.message and p.line == 8


def test_deep_nesting_refused_without_recursion_error():
    p = only_problem("[" * 20_000)
    assert f"more than {MAX_DEPTH} levels" in p.message
    p = only_problem("{a: " * 5_000)
    assert "levels" in p.message


@pytest.mark.parametrize("bad", ["[conv]", "{conv: 1}", "3", "null"])
def test_layer_type_of_wrong_kind(bad):
    with pytest.raises(SpecError) as info:
        loads_spec(HEAD + f"  - {{name: c, type: {bad}}}\n", "net.yaml")
    (p,) = info.value.problems
    assert p.layer == "c" and p.line == 6 and ("type" in p.message)


def test_unhashable_key_is_a_yaml_error():
    p = only_problem("{[a]: 1}\n")
    assert "not valid YAML" in p.message


def test_devices_and_fifos_refused_before_reading(tmp_path):
    with pytest.raises(SpecError, match="not a regular file"):
        load_spec("/dev/zero")
    fifo = tmp_path / "spec.yaml"
    os.mkfifo(fifo)
    with pytest.raises(SpecError, match="not a regular file"):
        load_spec(fifo)


def test_latin1_names_the_byte_and_utf8(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_bytes(HEAD.encode() + LAYERS.encode() + "description: café\n".encode("latin-1"))
    with pytest.raises(SpecError) as info:
        load_spec(path)
    (p,) = info.value.problems
    assert "0xe9" in p.message and "UTF-8" in p.hint and p.line == 8


def test_oversized_file_refused(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_bytes(b"# " + b"x" * 6_000_000)
    with pytest.raises(SpecError, match="too large"):
        load_spec(path)


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("batch_size: -5", "training.batch_size: must be an integer ≥ 1"),
        ("batch_size: 0", "training.batch_size: must be an integer ≥ 1"),
        ("epochs: -1", "training.epochs: must be an integer ≥ 1"),
        ("epochs: 1e9", "training.epochs: must be an integer"),
        ("epochs: 1000000", "training.epochs: must be an integer ≥ 1 and ≤ 100000"),
        ("lr: .nan", "training.lr: must be a finite number"),
        ("lr: .inf", "training.lr: must be a finite number"),
        ("lr: -0.1", "training.lr: must be a number ≥ 0"),
        ("lr: '1e-3'", "training.lr: must be a number, got '1e-3'"),
        ("device: tpu", "training.device: must be auto, cpu, cuda, cuda:N or mps"),
    ],
)
def test_training_values_refused_with_file_and_line(value, fragment):
    spec = loads_spec(HEAD + LAYERS + f"training:\n  {value}\n", "net.yaml")
    with pytest.raises(SpecError) as info:
        require_valid_sections(spec)
    (p,) = info.value.problems
    assert p.format().startswith("net.yaml:9: " + fragment)


def test_trainer_refuses_bad_training_section():
    from workbench.training import Trainer

    spec = loads_spec(HEAD + LAYERS + "training: {batch_size: 0}\n", "net.yaml")
    with pytest.raises(SpecError, match="batch_size"):
        Trainer(spec, run_dir=False)


# Random YAML: well-formed or not, with aliases, tags, deep nesting and values of every type.
_scalars = st.one_of(
    st.integers(-10, 10), st.floats(allow_nan=True), st.booleans(), st.none(),
    st.sampled_from(["conv", "dense", "flatten", "f", "d", "x", "1e-3", "", "[", "{", ":", "- ", "&a", "*a", "!!python/object:os.system", "~"]),
)
_keys = st.sampled_from(["name", "type", "layers", "classes", "input", "training", "data", "filters", "units",
                         "lr", "batch_size", "channels", "height", "width", "schema_version", "[a]", "? x"])


def _fragment(children):
    mapping = st.dictionaries(_keys, children, max_size=4).map(
        lambda d: "{" + ", ".join(f"{k}: {v}" for k, v in d.items()) + "}")
    return st.one_of(st.lists(children, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"), mapping,
                     st.tuples(st.sampled_from(["&a ", "*a", "!!str ", "!!python/tuple ", "!x ", ""]), children)
                     .map("".join))


_yaml_values = st.recursive(_scalars.map(str), _fragment, max_leaves=25)
_documents = st.one_of(
    st.dictionaries(_keys, _yaml_values, max_size=8).map(lambda d: "".join(f"{k}: {v}\n" for k, v in d.items())),
    _yaml_values,
    st.integers(1, 300).map(lambda n: "[" * n + "]" * (n % 3)),
    st.text(max_size=60),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_documents)
def test_random_yaml_gives_a_spec_or_a_spec_error(text):
    try:
        spec = loads_spec(text, "random.yaml")
    except SpecError as exc:
        assert exc.problems and all(p.file == "random.yaml" for p in exc.problems)
        return
    assert isinstance(check_spec(spec), list)


@pytest.mark.parametrize("text", [alias_bomb(3), "a: !!python/tuple [1]\n", "[" * 60 + "]" * 60, "{a: 1, a: 2}"],
                         ids=["aliases", "tag", "depth", "repeat"])
def test_plain_yaml_reader_refuses_aliases_tags_depth_and_repeats(text):
    """``yaml_safe.safe_load`` (used for edit values too) applies the same limits as the spec reader."""
    with pytest.raises(yaml.YAMLError):
        safe_load(text)
