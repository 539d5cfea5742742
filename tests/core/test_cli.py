"""The command line: summary, check, presets and --help on every verb."""

import pytest

from workbench.cli import VERBS, main


def test_summary_prints_table(capsys):
    assert main(["summary", "tests/data/tiny-shapes.yaml"]) == 0
    out = capsys.readouterr().out
    assert "fc7" in out and "64×15×15" in out and "Total params:      7,395" in out


def test_summary_of_preset_by_name(capsys):
    assert main(["summary", "overfeat-small"]) == 0
    assert "3,335,043" in capsys.readouterr().out


def test_check_ok_and_errors(tmp_path, capsys):
    assert main(["check", "tests/data/tiny-shapes.yaml"]) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("classes: 2\nlayers:\n  - {name: c, type: conv, filters: 2, stride: 0}\n")
    assert main(["check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:3: layer 'c': stride must be" in err


def test_check_unknown_preset(capsys):
    assert main(["check", "overfeat-smal"]) == 1
    assert "overfeat-small" in capsys.readouterr().err


@pytest.mark.parametrize("verb", VERBS)
def test_help_on_every_verb(verb, capsys):
    with pytest.raises(SystemExit) as info:
        main([verb, "--help"])
    assert info.value.code == 0
    assert "usage:" in capsys.readouterr().out
