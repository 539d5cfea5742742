"""The export and predict verbs, run in-process through ``workbench.cli.main``."""

from __future__ import annotations

import json

from workbench.cli import main


def test_export_prints_the_check_and_writes_the_file(trained_run, tmp_path, capsys):
    out = tmp_path / "net.onnx"
    assert main(["export", str(trained_run), "--format", "onnx", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert out.is_file() and "check passed" in text and "max abs difference" in text and "checkpoint: best" in text


def test_export_failure_says_why(trained_run, tmp_path, capsys):
    assert main(["export", str(trained_run), "-f", "wbm", "-o", str(tmp_path / "no" / "x.wbm")]) == 1
    err = capsys.readouterr().err
    assert "error:" in err and "does not exist" in err and "Traceback" not in err


def test_predict_json_and_text(bundle_path, onnx_path, image_files, capsys):
    assert main(["predict", str(bundle_path), *map(str, image_files), "--top", "2", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["image"] for r in rows] == [str(p) for p in image_files]
    assert all(len(r["top"]) == 2 and r["error"] is None for r in rows)
    assert main(["predict", str(onnx_path), str(image_files[0])]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(str(image_files[0])) and line.count("%") == 3


def test_predict_reports_bad_image_and_bad_model(bundle_path, image_files, tmp_path, capsys):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8 truncated")
    assert main(["predict", str(bundle_path), str(image_files[0]), str(bad)]) == 1
    captured = capsys.readouterr()
    assert str(image_files[0]) in captured.out and "bad.jpg: error:" in captured.err
    assert main(["predict", str(tmp_path / "none.wbm"), str(image_files[0])]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_a_bundle_opens_on_the_command_line_like_in_the_app(bundle_path, trained_run, tmp_path, capsys):
    """Its spec (summary), its curves and confusion matrix (runs --show); editing it writes a new spec file."""
    assert main(["summary", str(bundle_path)]) == 0
    assert "logits" in capsys.readouterr().out
    assert main(["runs", "--show", str(bundle_path)]) == 0
    shown = capsys.readouterr().out
    assert shown.startswith(f"{bundle_path.name}: ") and "confusion matrix at epoch 1" in shown
    assert main(["runs", "--show", str(trained_run)]) == 0
    run_rows = capsys.readouterr().out.splitlines()[1:]
    assert shown.splitlines()[1:] == run_rows  # the same epochs and matrix as the run it came from
    before = bundle_path.read_bytes()
    assert main(["edit", str(bundle_path), "rename", "logits", "scores"]) == 2
    assert "bundle" in capsys.readouterr().err and bundle_path.read_bytes() == before
    out = tmp_path / "from-bundle.yaml"
    assert main(["edit", str(bundle_path), "-o", str(out), "rename", "logits", "scores"]) == 0
    assert "scores" in out.read_text()
    broken = tmp_path / "broken.wbm"
    broken.write_bytes(before[: len(before) // 2])
    assert main(["summary", str(broken)]) == 1
    assert "error:" in capsys.readouterr().err
