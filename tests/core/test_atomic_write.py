"""Files the workbench writes replace the old ones whole and get ordinary permissions."""

from __future__ import annotations

import os
import stat

import pytest
import torch

from workbench.atomic_write import replace_atomically
from workbench.spec import save_spec
from workbench.training.checkpoint import save_checkpoint


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_new_files_get_the_permissions_open_would_give(tmp_path, tiny_spec):
    umask = os.umask(0o022)
    os.umask(umask)
    expected = 0o666 & ~umask
    save_spec(tiny_spec, tmp_path / "spec.yaml")
    save_checkpoint(tmp_path / "run" / "last.pt", {"model": {"w": torch.zeros(2)}})
    with open(tmp_path / "plain.txt", "w") as fh:
        fh.write("x")
    assert mode(tmp_path / "spec.yaml") == expected == mode(tmp_path / "plain.txt")
    assert mode(tmp_path / "run" / "last.pt") == expected


def test_an_existing_file_keeps_its_permissions(tmp_path, tiny_spec):
    target = tmp_path / "spec.yaml"
    target.write_text("old")
    os.chmod(target, 0o640)
    save_spec(tiny_spec, target)
    assert mode(target) == 0o640 and "layers" in target.read_text()


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "keep.txt"
    target.write_text("old content")

    def fail(tmp):
        tmp.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        replace_atomically(target, fail)
    assert target.read_text() == "old content"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
