"""Failed exports leave no file behind and say why; exporting never changes the run it reads."""

from __future__ import annotations

import errno
import hashlib
import shutil

import pytest

from workbench.export import ExportError, export_model
from workbench.export.atomic import write_atomic


def _folder_listing(folder):
    return sorted(p.name for p in folder.iterdir())


def test_parent_that_is_a_file_is_refused_and_nothing_written(trained_run, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(ExportError, match="is a file, not a folder"):
        export_model(trained_run, "onnx", blocker / "model.onnx")
    assert _folder_listing(tmp_path) == ["not-a-folder"]


def test_missing_folder_is_refused_and_a_folder_target_gets_the_default_name(trained_run, tmp_path):
    with pytest.raises(ExportError, match="does not exist"):
        export_model(trained_run, "wbm", tmp_path / "missing" / "m.wbm")
    assert _folder_listing(tmp_path) == []
    assert export_model(trained_run, "wbm", tmp_path).path == tmp_path / "tiny-export.wbm"
    assert export_model(trained_run, "python", tmp_path).path == tmp_path / "model.py"
    assert _folder_listing(tmp_path) == ["model.pt", "model.py", "tiny-export.wbm"]
    with pytest.raises(ExportError, match="is a folder"):
        write_atomic(tmp_path, lambda tmp: None)


def test_disk_full_mid_write_leaves_no_half_file(trained_run, tmp_path, monkeypatch):
    import workbench.export.torch_formats as torch_formats

    def fill_disk(obj, path):
        with open(path, "wb") as fh:
            fh.write(b"half a file")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch_formats.torch, "save", fill_disk)
    with pytest.raises(ExportError, match="the disk is full") as info:
        export_model(trained_run, "pt", tmp_path / "weights.pt")
    assert info.value.hint
    assert _folder_listing(tmp_path) == []


def test_interrupted_write_keeps_the_previous_file(tmp_path):
    target = tmp_path / "model.onnx"
    target.write_bytes(b"previous export")

    def interrupted(tmp):
        tmp.write_bytes(b"partial")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, interrupted)
    assert target.read_bytes() == b"previous export"
    assert _folder_listing(tmp_path) == ["model.onnx"]


def test_unwritable_folder_is_refused(tmp_path, monkeypatch):
    import workbench.atomic_write as atomic

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(atomic.tempfile, "mkdtemp", denied)
    with pytest.raises(ExportError, match="permission denied"):
        write_atomic(tmp_path / "m.wbm", lambda tmp: None)
    assert _folder_listing(tmp_path) == []


def _digest(folder):
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {p.relative_to(folder): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def test_export_while_training_uses_last_checkpoint_and_leaves_run_untouched(trained_run, tmp_path):
    running = tmp_path / "running"
    shutil.copytree(trained_run, running)
    (running / "summary.json").unlink()  # a run still in progress has no summary yet
    (running / "checkpoints" / "best.pt").write_bytes(b"being replaced")  # must not be read
    before = _digest(running)
    report = export_model(running, "wbm", tmp_path / "live.wbm")
    assert report.ok and report.checkpoint == "last"
    assert _digest(running) == before


def test_unknown_format_and_missing_checkpoint(trained_run, tmp_path):
    with pytest.raises(ExportError, match="unknown export format"):
        export_model(trained_run, "tflite", tmp_path / "m.tflite")
    with pytest.raises(ExportError, match="not a .py file name"):
        export_model(trained_run, "python", tmp_path / "model.pt")
    assert _folder_listing(tmp_path) == []
    fresh = tmp_path / "fresh"
    shutil.copytree(trained_run, fresh)
    shutil.rmtree(fresh / "checkpoints")
    (fresh / "summary.json").unlink()
    with pytest.raises(ExportError, match="no last checkpoint yet"):
        export_model(fresh, "pt", tmp_path / "m.pt")


def test_run_whose_spec_no_longer_fits_its_checkpoint_is_refused(trained_run, tmp_path):
    changed = tmp_path / "changed"
    shutil.copytree(trained_run, changed)
    spec = changed / "spec.yaml"
    spec.write_text(spec.read_text().replace("filters: 8", "filters: 6"))
    with pytest.raises(ExportError, match="does not fit its spec"):
        export_model(changed, "wbm", tmp_path / "m.wbm")
    assert not (tmp_path / "m.wbm").exists()
