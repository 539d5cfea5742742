"""The ``doctor`` command, the comparison of two stacks, trial runs and spec edits."""

import json
import math

import pytest

from workbench.cli import main
from workbench.data.dataset import load_data
from workbench.doctor.batch import init_batch
from workbench.doctor.compare import compare_init
from workbench.doctor.edits import apply_edits, insert_layer, move_layer, remove_layer, set_param, set_training
from workbench.doctor.findings import Fix
from workbench.doctor.trial import AS_IS, try_fixes
from workbench.spec import load_spec, save_spec

from .helpers import make_spec, question_spec, sick_spec


def test_static_json_lists_findings_with_fixes_as_edits_and_exits_1(capsys):
    assert main(["doctor", "overfeat-small-fc7_1", "--static", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    rules = {f["rule"]: f for f in out["findings"]}
    assert rules["dropout-on-logits"]["fixes"][0]["edits"] == [{"op": "remove", "layer": "drop9"}]
    assert rules["weight-init-scale"]["layers"] == ["fc6", "fc7", "fc7_1", "fc9"]
    assert out["init"] is None


def test_healthy_preset_exits_0(capsys):
    assert main(["doctor", "fc-as-dense"]) == 0
    assert "0 error(s)" in capsys.readouterr().out


def test_init_check_and_fix_file(tmp_path, capsys):
    spec_path, out_path = tmp_path / "mini.yaml", tmp_path / "fixed.yaml"
    save_spec(sick_spec(images=60), spec_path)
    assert main(["doctor", str(spec_path), "--fix", str(out_path)]) == 1
    text = capsys.readouterr().out
    assert "weak-signal [fc6, fc7, fc7_1]" in text and "pass  initial loss" in text
    fixed = load_spec(out_path)
    names = [layer.name for layer in fixed.layers]
    assert "drop9" not in names and "bn_fc7_1" in names
    assert main(["doctor", str(out_path)]) == 0


def test_compare_names_where_the_signal_dies(tmp_path, capsys):
    question = question_spec("mini-q", images=60)
    deeper = sick_spec(images=60)
    inputs, targets = init_batch(deeper, load_data(deeper))
    comparison = compare_init(question, deeper, inputs, targets)
    assert [r.name for r in comparison.rows if r.a is None] == ["fc7_1"]
    assert comparison.report_b.measurement.logit_share < comparison.report_a.measurement.logit_share
    assert "mini-question adds fc7_1" in comparison.finding.explanation
    path = tmp_path / "q.yaml"
    save_spec(question, path)
    save_spec(deeper, tmp_path / "d.yaml")
    main(["doctor", str(path), "--compare", str(tmp_path / "d.yaml")])
    assert "fc7_1" in capsys.readouterr().out


def test_bad_spec_argument_is_a_message_not_a_traceback(capsys):
    assert main(["doctor", "no-such-preset"]) == 1
    assert "no preset named" in capsys.readouterr().err


def test_try_fixes_ranks_a_working_fix_above_the_broken_network():
    spec = make_spec("  - {name: conv1, type: conv, filters: 8, kernel: 3, padding: same, activation: relu}\n"
                     "  - {name: gap, type: gap}\n"
                     "  - {name: logits, type: conv, filters: 3, kernel: 1, activation: none}\n",
                     images=90, lr=1e-7, epochs=50)
    raise_lr = Fix("Learning rate 0.01", (set_training("lr", 0.01),))
    results = try_fixes(spec, [raise_lr], steps=30)
    assert [r.label for r in results] == ["Learning rate 0.01", AS_IS]
    chance = math.log(3)
    assert results[0].score(chance) > results[1].score(chance)
    assert len(results[0].losses) >= 5


def test_edits_round_trip():
    spec = make_spec("  - {name: conv1, type: conv, filters: 8, kernel: 3, padding: same, activation: relu, init: {weight: he, bias: 0.1}}\n"
                     "  - {name: drop1, type: dropout}\n  - {name: gap, type: gap}\n"
                     "  - {name: logits, type: conv, filters: 3, kernel: 1, activation: none}\n")
    out = apply_edits(spec, [set_param("conv1", "init.bias", None), set_param("conv1", "filters", 16),
                             insert_layer("conv1", {"name": "bn1", "type": "batchnorm"}), move_layer("drop1", "gap"),
                             remove_layer("logits"), set_training("lr", 0.1)])
    assert [layer.name for layer in out.layers] == ["conv1", "bn1", "gap", "drop1"]
    assert out.layer("conv1").params["init"] == {"weight": "he"} and out.layer("conv1").params["filters"] == 16
    assert out.training["lr"] == 0.1
    assert spec.layer("conv1").params["init"] == {"weight": "he", "bias": 0.1}  # the original is untouched
    with pytest.raises(KeyError):
        apply_edits(spec, [remove_layer("nope")])


def test_try_fixes_from_the_command_line(tmp_path, capsys):
    path = tmp_path / "mini.yaml"
    save_spec(sick_spec(images=60, epochs=20), path)
    assert main(["doctor", str(path), "--try-fixes", "--steps", "5", "--json"]) == 1
    trials = json.loads(capsys.readouterr().out)["trials"]
    labels = [t["label"] for t in trials]
    assert AS_IS in labels and any(label.startswith("All recommended fixes") for label in labels)
    scores = [t["score"] for t in trials]
    assert scores == sorted(scores, reverse=True)
