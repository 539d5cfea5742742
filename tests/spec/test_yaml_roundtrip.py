"""Load → save → load is identical, for every preset and for generated specs."""

import pytest
from hypothesis import HealthCheck, given, settings

from workbench.presets import load_preset, preset_names
from workbench.spec import dumps_spec, load_spec, loads_spec, save_spec

from .strategies import specs


@pytest.mark.parametrize("name", preset_names())
def test_preset_round_trip(name, tmp_path):
    spec = load_preset(name)
    path = tmp_path / f"{name}.yaml"
    save_spec(spec, path)
    again = load_spec(path)
    assert again == spec
    assert dumps_spec(again) == dumps_spec(spec)


def test_documented_example_saves_as_written(tiny_spec):
    text = dumps_spec(tiny_spec)
    assert "init: {weight: trunc_normal, std: 0.005, bias: 0.1}" in text
    assert loads_spec(text) == tiny_spec
    assert tiny_spec.layer("fc7").init() == {"weight": "trunc_normal", "std": 0.005, "bias": 0.1}
    assert tiny_spec.class_names == ["circle", "square", "triangle"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs())
def test_generated_specs_round_trip(spec):
    text = dumps_spec(spec)
    again = loads_spec(text)
    assert again == spec
    assert dumps_spec(again) == text


def test_save_is_atomic_and_keeps_old_file_on_failure(tmp_path, tiny_spec, monkeypatch):
    path = tmp_path / "net.yaml"
    save_spec(tiny_spec, path)
    before = path.read_text()
    import workbench.spec.yaml_io as yaml_io

    def broken(spec):
        raise RuntimeError("disk full")

    monkeypatch.setattr(yaml_io, "dumps_spec", broken)
    with pytest.raises(RuntimeError):
        yaml_io.save_spec(tiny_spec, path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["net.yaml"]


def test_exponent_numbers_are_numbers_and_numeric_looking_text_stays_text(tiny_spec):
    text = dumps_spec(tiny_spec).replace("lr: 0.001", "lr: 1e-3")
    text = text.replace("std: 0.005", "std: 5E-3").replace("classes: [circle, square, triangle]",
                                                          "classes: ['1e-3', square, triangle]")
    spec = loads_spec(text)
    assert spec.training["lr"] == 0.001 and spec.layer("fc7").params["init"]["std"] == 0.005
    assert spec.classes[0] == "1e-3"  # quoted in the file: a name, not a number
    assert loads_spec(dumps_spec(spec)) == spec
