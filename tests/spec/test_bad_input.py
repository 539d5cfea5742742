"""Bad spec files get a clear message naming file, line, layer and a hint — never a traceback."""

import pytest

from workbench.check import check_spec
from workbench.spec import SpecError, load_spec, loads_spec

HEAD = "schema_version: 1\nname: t\ninput: {channels: 3, height: 16, width: 16}\nclasses: 2\nlayers:\n"


def problems_of(text):
    with pytest.raises(SpecError) as info:
        loads_spec(text, "net.yaml")
    return info.value.problems


def checked(text):
    return check_spec(loads_spec(text, "net.yaml"))


def test_not_yaml():
    (p,) = problems_of("name: [unclosed\nlayers: 3\n")
    assert "not valid YAML" in p.message and p.file == "net.yaml" and p.line == 2


def test_not_a_mapping():
    (p,) = problems_of("- just\n- a list\n")
    assert "mapping" in p.message


def test_unknown_layer_type_suggests_the_right_one():
    (p,) = problems_of(HEAD + "  - {name: c1, type: conv, filters: 4}\n  - {name: p1, type: maxpol}\n")
    assert p.layer == "p1" and p.line == 7 and "maxpool" in p.hint


def test_unknown_key_suggests_the_right_one():
    p, missing = problems_of(HEAD + "  - {name: c1, type: conv, filtres: 4}\n")
    assert "filtres" in p.message and "filters" in p.hint and p.line == 6
    assert "needs 'filters'" in missing.message


def test_missing_and_duplicate_names():
    ps = problems_of(HEAD + "  - {type: gap}\n  - {name: a, type: gap}\n  - {name: a, type: gap}\n")
    messages = " | ".join(p.message for p in ps)
    assert "has no name" in messages and "duplicate layer name 'a'" in messages
    assert [p.line for p in ps] == [6, 8]


def test_reserved_name_refused():
    (p,) = problems_of(HEAD + "  - {name: forward, type: gap}\n")
    assert "reserved" in p.message


def test_unknown_top_level_and_section_keys():
    ps = problems_of(HEAD + "  - {name: g, type: gap}\ntrainig: {}\ndata: {imgs: 5}\n")
    hints = [p.hint for p in ps]
    assert any("training" in h for h in hints) and any("images" in h for h in hints)


def test_wrong_input_and_classes():
    ps = problems_of("input: {channels: 0, height: x, width: 4}\nclasses: 1\nlayers: []\n")
    assert len(ps) == 3
    assert all(p.line in (1, 2) for p in ps)


@pytest.mark.parametrize(
    "layer, fragment",
    [
        ("{name: c, type: conv, filters: 0}", "filters must be"),
        ("{name: c, type: conv, filters: -3}", "filters must be"),
        ("{name: c, type: conv, filters: 4, stride: 0}", "stride must be ≥ 1"),
        ("{name: c, type: conv, filters: 4, kernel: 40}", "larger than its 16×16 input"),
        ("{name: d, type: dropout, rate: 1.0}", "rate must be"),
        ("{name: d, type: dropout, rate: -0.1}", "rate must be"),
        ("{name: d, type: dropout, rate: .nan}", "finite"),
        ("{name: c, type: conv, filters: 4, init: {weight: trunc_normal}}", "needs a std"),
        ("{name: c, type: conv, filters: 4.5}", "must be an integer"),
        ("{name: c, type: conv, filters: 4, padding: sme}", "padding"),
    ],
)
def test_value_problems_name_the_layer_and_line(layer, fragment):
    (p, *rest) = checked(HEAD + f"  - {layer}\n  - {{name: g, type: gap}}\n")
    assert fragment in p.message
    assert p.file == "net.yaml" and p.line == 6 and p.layer in ("c", "d") and p.hint


def test_empty_stack():
    (p,) = checked(HEAD.replace("layers:\n", "layers: []\n"))
    assert "empty" in p.message


def test_absurd_memory_refused_before_allocating():
    from workbench.builder import build_model

    text = "input: {channels: 3, height: 100000, width: 100000}\nclasses: 2\nlayers:\n  - {name: g, type: gap}\n  - {name: c, type: conv, filters: 2, kernel: 1, activation: none}\n"
    spec = loads_spec(text)
    (p,) = check_spec(spec)
    assert "GiB" in p.message
    with pytest.raises(SpecError):
        build_model(spec)


def test_section_values_checked():
    ps = checked(HEAD + "  - {name: g, type: gap}\n  - {name: c, type: conv, filters: 2, kernel: 1}\ntraining: {lr: -1, batch_size: 0}\n")
    assert {p.line for p in ps} == {8}
    assert len(ps) == 2


@pytest.mark.parametrize("content", [b"", b"\x00\xff\xfe", b"42"])
def test_unreadable_files(tmp_path, content):
    path = tmp_path / "x.yaml"
    path.write_bytes(content)
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert info.value.problems[0].file == str(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(SpecError, match="not found"):
        load_spec(tmp_path / "nope.yaml")
    with pytest.raises(SpecError, match="folder"):
        load_spec(tmp_path)
