"""Replacing a file through a temporary file in the same folder and a rename: never a half-written file."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Callable


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


TEMP_SUFFIX = ".part"
_UMASK = _read_umask()  # read once at import: changing the umask later would race with other threads


def new_file_mode(path: Path) -> int:
    """The permissions ``path`` gets: those it has now, else what a plain ``open(path, "w")`` would give."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o666 & ~_UMASK


def replace_atomically(path: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file next to ``path``, then rename it over ``path``.

    The temporary file already has the final name, inside a temporary folder ``.<name>.<random>.part``:
    writers that record their file's name inside it (``torch.save`` and ``torch.export.save`` name the
    archive's root folder after it) record the final one. On any failure (including an interrupt) the
    temporary folder is removed and ``path`` keeps its old content; the error propagates.
    """
    path = Path(path)
    folder = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent))
    tmp = folder / path.name
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, new_file_mode(path))
        os.replace(tmp, path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return path


def remove_stale_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Remove what writes cut short by a killed process left in ``folder`` (``.*.part`` folders and files)."""
    removed = []
    for entry in Path(folder).glob(f".*{TEMP_SUFFIX}*"):
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed
