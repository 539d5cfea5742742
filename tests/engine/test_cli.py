"""``train`` and ``runs`` on the command line, run in-process."""

import os
import signal

import pytest

from tests.engine.conftest import BROKEN_LAYERS, make_spec
from workbench.cli import main
from workbench.cli import train_cmd
from workbench.spec import save_spec
from workbench.training import StepEvent, list_runs, open_run


@pytest.fixture
def spec_file(tmp_path):
    path = tmp_path / "tiny.yaml"
    save_spec(make_spec(images=60, epochs=2), path)
    return path


def test_train_then_runs(tmp_path, spec_file, capsys):
    out = tmp_path / "out"
    assert main(["train", str(spec_file), "--out", str(out), "--epochs", "1", "--batch-size", "8", "--device", "cpu"]) == 0
    err = capsys.readouterr().err
    assert "epoch 1/1" in err and "img/s" in err and "ETA" in err and "completed" in err
    (run,) = list_runs(out)
    assert run.meta["batch_size"] == 8 and run.meta["epochs"] == 1 and run.spec.training["epochs"] == 1
    assert main(["runs", str(out)]) == 0
    table = capsys.readouterr().out
    assert run.name in table and "completed" in table and "1/1" in table


def test_runs_on_empty_folder(tmp_path, capsys):
    assert main(["runs", str(tmp_path)]) == 0
    assert "no runs" in capsys.readouterr().out


def test_bad_spec_bad_data_bad_device(tmp_path, spec_file, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("layers: [{name: c, type: conv, filters: 0}]\n")
    assert main(["train", str(bad)]) == 1
    assert "bad.yaml" in capsys.readouterr().err
    assert main(["train", str(spec_file), "--data", str(tmp_path / "missing")]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert main(["train", str(spec_file), "--device", "quantum"]) == 1
    assert "unknown device" in capsys.readouterr().err
    assert main(["train"]) == 1
    assert "no spec given" in capsys.readouterr().err
    assert main(["train", "--resume", str(tmp_path)]) == 1
    assert "not a run folder" in capsys.readouterr().err
    assert list_runs() == []


def test_train_on_an_image_folder(tmp_path, image_folder, capsys):
    spec = make_spec(classes=2)
    path = tmp_path / "two.yaml"
    save_spec(spec, path)
    (image_folder / "dark" / "broken.png").write_text("nope")
    assert main(["train", str(path), "--data", str(image_folder), "--out", str(tmp_path / "o")]) == 0
    err = capsys.readouterr().err
    assert "skipped 1 file" in err and "broken.png" in err
    assert list_runs(tmp_path / "o")[0].meta["class_names"] == ["dark", "light"]


def test_ctrl_c_stops_cleanly_and_resume_finishes(monkeypatch, spec_file, tmp_path, capsys):
    original = train_cmd.ProgressBar.__call__

    def interrupt_at_first_step(self, event):
        original(self, event)
        if isinstance(event, StepEvent) and event.step == 1:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(train_cmd.ProgressBar, "__call__", interrupt_at_first_step)
    out = tmp_path / "out"
    assert main(["train", str(spec_file), "--out", str(out), "--log-every", "1"]) == 130
    err = capsys.readouterr().err
    assert "stopped" in err and "--resume" in err
    (run,) = list_runs(out)
    assert run.status == "stopped" and run.summary["steps"] == 1
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler

    monkeypatch.setattr(train_cmd.ProgressBar, "__call__", original)
    assert main(["train", "--resume", str(run.path)]) == 0  # from the mid-epoch checkpoint written at step 1
    record = open_run(run.path)
    assert record.status == "completed" and [e["epoch"] for e in record.epochs] == [1, 2]
    assert [s["step"] for s in record.steps] == [1, 3, 6]  # step 1 is in the checkpoint; the rest follows it


def test_resume_from_the_command_line(monkeypatch, spec_file, tmp_path, capsys):
    original = train_cmd.ProgressBar.__call__

    def interrupt_in_epoch_two(self, event):
        original(self, event)
        if isinstance(event, StepEvent) and event.step == 4:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(train_cmd.ProgressBar, "__call__", interrupt_in_epoch_two)
    assert main(["train", str(spec_file), "--log-every", "1"]) == 130
    (run,) = list_runs()
    assert [e["epoch"] for e in run.epochs] == [1]
    monkeypatch.setattr(train_cmd.ProgressBar, "__call__", original)
    assert main(["train", "--resume", str(run.path)]) == 0
    record = open_run(run.path)
    assert record.status == "completed" and [e["epoch"] for e in record.epochs] == [1, 2]
    assert len(list_runs()) == 1


def test_documented_example_trains_as_is(capsys):
    assert main(["train", "tests/data/tiny-shapes.yaml"]) == 0
    (run,) = list_runs()
    assert run.meta["train_images"] == 480 and run.meta["val_images"] == 120
    assert [e["epoch"] for e in run.epochs] == [1, 2, 3]
    assert "completed: trained for 3 epochs" in capsys.readouterr().err


def test_show_and_compare_runs(tmp_path, spec_file, capsys):
    out = tmp_path / "out"
    for batch in ("8", "16"):
        assert main(["train", str(spec_file), "--out", str(out), "--batch-size", batch, "--device", "cpu"]) == 0
    first, second = list_runs(out)
    capsys.readouterr()
    assert main(["runs", "--show", str(first.path)]) == 0
    text = capsys.readouterr().out
    assert "train loss" in text and "confusion matrix at epoch 2" in text
    lines = text.splitlines()
    header = lines.index(next(line for line in lines if line.startswith("confusion matrix"))) + 1
    assert lines[header].split() == ["circle", "square", "triangle", "accuracy"]
    matrix = [line.split() for line in lines[header + 1:header + 4]]
    assert [row[0] for row in matrix] == ["circle", "square", "triangle"]
    assert sum(int(v) for row in matrix for v in row[1:4]) == 15  # 25 % of 60 images
    assert all(row[4].endswith("%") for row in matrix)
    assert main(["runs", "--compare", str(first.path), str(second.path)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert "[1] val loss / acc" in table[2] and "[2] val loss / acc" in table[2]
    epoch_rows = [line for line in table if line.split()[:1] in (["1"], ["2"])]
    assert len(epoch_rows) == 2 and all(line.count("/") == 2 for line in epoch_rows)
    assert table[-1].startswith("best acc")
    assert main(["runs", "--compare", str(first.path)]) == 2
    assert main(["runs", "--show", str(tmp_path)]) == 1
    assert "not a run folder" in capsys.readouterr().err


def test_train_reports_the_doctors_findings_before_and_during_the_run(tmp_path, capsys):
    broken = tmp_path / "broken.yaml"
    save_spec(make_spec(images=60, epochs=1, layers=BROKEN_LAYERS), broken)
    assert main(["train", str(broken), "--out", str(tmp_path / "out"), "--device", "cpu"]) == 0
    err = capsys.readouterr().err
    assert "doctor: error: Dropout is applied to the logits (drop)" in err
    assert main(["train", str(broken), "--out", str(tmp_path / "out"), "--device", "cpu", "--no-doctor"]) == 0
    assert "doctor:" not in capsys.readouterr().err
