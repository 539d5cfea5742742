"""Writing a file through a temporary file in the same folder and a rename: never a half-written file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from workbench.atomic_write import replace_atomically
from workbench.export.errors import ExportError, os_reason

_HINT = "choose a folder you can write to, with free space"


def check_target(path: str | os.PathLike) -> Path:
    """``path`` as a Path after checking its folder exists and it is not itself a folder."""
    path = Path(path).expanduser()
    parent = path.parent
    if path.is_dir():
        raise ExportError(f"'{path}' is a folder", "give a file name inside it")
    if parent.exists() and not parent.is_dir():
        raise ExportError(f"cannot write '{path}': '{parent}' is a file, not a folder", _HINT)
    if not parent.is_dir():
        raise ExportError(f"cannot write '{path}': the folder '{parent}' does not exist", "create the folder first")
    return path


def write_atomic(path: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file next to ``path``, then rename it into place.

    On any failure (including an interrupt) the temporary file is removed and ``path`` keeps its old
    content; operating-system errors become :class:`ExportError` with the reason.
    """
    path = check_target(path)
    try:
        return replace_atomically(path, write)
    except OSError as exc:
        raise ExportError(f"cannot write '{path}': {os_reason(exc)}", _HINT) from None
