"""The pure stack edits in workbench/edits.py (no Qt involved)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench import edits
from workbench.analysis import analyze
from workbench.presets import load_preset
from workbench.spec.layer_kinds import KINDS, PALETTE


@pytest.fixture(scope="module")
def base():
    return load_preset("overfeat-small")


def names(spec):
    return [layer.name for layer in spec.layers]


def test_insert_gives_unique_names_and_keeps_the_original(base):
    before = base.copy()
    spec, name = edits.insert_layer(base, 2, "conv", {"filters": 8})
    assert name == "conv6"  # conv1..conv5 are taken
    assert names(spec)[2] == "conv6" and spec.layers[2].params == {"filters": 8}
    assert base == before
    spec, second = edits.insert_layer(spec, 0, "maxpool")
    assert second == "pool3"  # pool1, pool2 taken; pool5 too, but pool3 is free
    assert names(spec)[0] == "pool3"


def test_insert_every_palette_entry_at_the_end(base):
    spec = base
    for label, kind, params, _tip in PALETTE:
        k, p = edits.palette_entry(label)
        assert (k, p) == (kind, params)
        spec, name = edits.insert_layer(spec, 999, k, p)
        assert spec.layers[-1].name == name and spec.layers[-1].type == kind
    assert len(set(names(spec))) == len(spec.layers)
    with pytest.raises(edits.EditError):
        edits.palette_entry("Transformer")
    with pytest.raises(edits.EditError):
        edits.insert_layer(base, 0, "lstm")


def test_move_lands_before_the_target_position(base):
    spec = edits.move_layer(base, "conv1", 3)  # before conv2's old slot's successor
    assert names(spec)[:4] == ["pool1", "conv2", "conv1", "pool2"]
    spec = edits.move_layer(base, "fc9", 0)
    assert names(spec)[0] == "fc9"
    spec = edits.move_layer(base, "conv1", len(base.layers))
    assert names(spec)[-1] == "conv1"
    with pytest.raises(edits.EditError, match="no layer named 'nope'"):
        edits.move_layer(base, "nope", 0)


@settings(max_examples=40, deadline=None)
@given(src=st.integers(0, 12), dst=st.integers(0, 13))
def test_move_is_a_permutation_and_puts_the_layer_where_asked(src, dst):
    spec = load_preset("overfeat-small")
    name = spec.layers[src].name
    moved = edits.move_layer(spec, name, dst)
    assert sorted(names(moved)) == sorted(names(spec))
    expected = names(spec)
    expected.pop(src)
    expected.insert(dst - 1 if dst > src else dst, name)
    assert names(moved) == expected


def test_delete_duplicate_rename(base):
    spec = edits.delete_layer(base, "drop6")
    assert "drop6" not in names(spec) and len(spec.layers) == len(base.layers) - 1
    spec, copy_name = edits.duplicate_layer(base, "conv3")
    assert copy_name == "conv6"
    i = spec.index_of("conv3")
    assert spec.layers[i + 1].name == "conv6" and spec.layers[i + 1].params == spec.layers[i].params
    renamed = edits.rename_layer(base, "fc7", "fc7_1")
    assert "fc7_1" in names(renamed) and "fc7" not in names(renamed)
    assert edits.rename_problem(base, "fc7", "fc6") == "another layer is already named 'fc6'"
    assert "not an identifier" in edits.rename_problem(base, "fc7", "7up")
    assert "reserved" in edits.rename_problem(base, "fc7", "forward")
    assert edits.rename_problem(base, "fc7", "fc7") is None
    with pytest.raises(edits.EditError):
        edits.rename_layer(base, "fc7", "fc6")


def test_set_param_stores_bad_values_for_the_analysis_and_none_restores_default(base):
    bad = edits.set_param(base, "conv2", "stride", 0)
    info = analyze(bad)
    assert info.info("conv2").status == "error" and "stride" in info.info("conv2").param_errors
    assert all(i.status == "unreachable" for i in info.layers[3:])
    restored = edits.set_param(bad, "conv2", "stride", None)
    assert "stride" not in restored.layer("conv2").params and analyze(restored).ok
    with pytest.raises(edits.EditError, match="no parameter 'units'"):
        edits.set_param(base, "conv2", "units", 3)


def test_input_and_classes(base):
    spec = edits.set_input(base, 1, 32, 32)
    assert (spec.input.channels, spec.input.height, spec.input.width) == (1, 32, 32)
    with pytest.raises(edits.EditError):
        edits.set_input(base, 0, 32, 32)
    assert edits.parse_classes(" 4 ") == 4
    assert edits.parse_classes("cat, dog") == ["cat", "dog"]
    with pytest.raises(edits.EditError):
        edits.parse_classes("cat,")
    spec = edits.set_classes(base, ["cat", "dog"])
    assert spec.num_classes == 2
    for bad in (1, ["a", "a"], True):
        with pytest.raises(edits.EditError):
            edits.set_classes(base, bad)


@pytest.mark.parametrize(
    "kind,key,text,value",
    [
        ("conv", "kernel", "3", 3),
        ("conv", "kernel", "3,5", [3, 5]),
        ("conv", "kernel", "3×5", [3, 5]),
        ("conv", "kernel", "[2, 2]", 2),
        ("conv", "kernel", "FULL", "full"),
        ("conv", "padding", "same", "same"),
        ("conv", "stride", "0", 0),  # readable; the range check is the analysis' job
        ("conv", "stride", "", None),
        ("dropout", "rate", "0.25", 0.25),
    ],
)
def test_parse_param_text(kind, key, text, value):
    assert edits.parse_param_text(KINDS[kind].param(key), text) == value


@pytest.mark.parametrize("kind,key,text", [("conv", "stride", "two"), ("conv", "kernel", "1,2,3"), ("dropout", "rate", "half")])
def test_parse_param_text_rejects_unreadable_text(kind, key, text):
    with pytest.raises(edits.EditError, match=key):
        edits.parse_param_text(KINDS[kind].param(key), text)


def test_cli_edit_goes_through_the_same_edits(tmp_path, capsys):
    from workbench.cli import main as cli
    from workbench.spec import load_spec, save_spec

    path = tmp_path / "net.yaml"
    save_spec(load_preset("tiny-vgg"), path)
    assert cli(["edit", str(path), "add", "1×1 conv", "--at", "2", "--set", "filters=8"]) == 0
    expected, _ = edits.insert_layer(load_preset("tiny-vgg"), 2, "conv", {"filters": 8, "kernel": 1})
    assert load_spec(path) == expected
    assert cli(["edit", str(path), "set", "conv1", "stride=0", "init={weight: trunc_normal, std: 0.01}"]) == 0
    assert "stride must be ≥ 1" in capsys.readouterr().out
    layer = load_spec(path).layer("conv1")
    assert layer.params["stride"] == 0 and layer.params["init"] == {"weight": "trunc_normal", "std": 0.01}
    assert cli(["edit", str(path), "set", "conv1", "stride="]) == 0
    assert "stride" not in load_spec(path).layer("conv1").params
    assert cli(["edit", str(path), "move", "conv1", "0"]) == 0
    assert load_spec(path).layers[0].name == "conv1"
    before = path.read_text()
    assert cli(["edit", str(path), "rename", "conv1", "forward"]) == 1
    assert cli(["edit", str(path), "set", "conv1", "units=3"]) == 1
    assert cli(["edit", str(path), "delete", "nope"]) == 1
    assert "no layer named 'nope'" in capsys.readouterr().err
    assert path.read_text() == before  # a failed edit leaves the file alone
    assert cli(["edit", "tiny-vgg", "delete", "conv1_1"]) == 2
    out = tmp_path / "copy.yaml"
    assert cli(["edit", "tiny-vgg", "-o", str(out), "classes", "cat, dog"]) == 0
    assert load_spec(out).classes == ["cat", "dog"]


def test_cli_edit_sets_the_training_and_data_settings_the_panel_edits(tmp_path, capsys):
    from workbench.cli import main as cli
    from workbench.spec import load_spec, save_spec

    path = tmp_path / "net.yaml"
    save_spec(load_preset("tiny-vgg"), path)
    assert cli(["edit", str(path), "training", "optimizer=sgd", "lr=1e-2", "momentum=0.9", "device=cpu"]) == 0
    assert cli(["edit", str(path), "data", "images=300", "flip=true"]) == 0
    spec = load_spec(path)
    assert spec.training_value("optimizer") == "sgd" and spec.training_value("lr") == 0.01
    assert spec.training_value("momentum") == 0.9 and spec.data_value("flip") is True
    assert spec.data_value("images") == 300
    before = path.read_text()
    assert cli(["edit", str(path), "training", "lr=fast"]) == 1
    assert "lr must be a number" in capsys.readouterr().err
    assert cli(["edit", str(path), "training", "learning_rate=0.1"]) == 1
    assert "no key 'learning_rate'" in capsys.readouterr().err
    assert path.read_text() == before
    assert cli(["edit", str(path), "training", "momentum="]) == 0  # back to the default
    assert "momentum" not in load_spec(path).training
