"""Reading a user's file within bounds: regular files only, size checked before a byte is read.

``/dev/zero`` never ends and a FIFO blocks forever; both are refused before reading, as is a file larger
than the caller's limit.
"""

from __future__ import annotations

import os
import stat


class NotARegularFile(OSError):
    """The path is a device, FIFO or socket."""


class FileTooLarge(OSError):
    """The file is larger than the limit the caller set."""


def read_bounded(path: str | os.PathLike, max_bytes: int) -> bytes:
    """The bytes of ``path``; raises :class:`NotARegularFile`, :class:`FileTooLarge`, or the ``OSError`` of
    opening it (``FileNotFoundError``, ``IsADirectoryError``, ``PermissionError``…)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as f:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(21, "is a folder", str(path))
        if not stat.S_ISREG(mode):
            raise NotARegularFile(0, "not a regular file (a device, pipe or socket)", str(path))
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FileTooLarge(0, f"larger than {max_bytes:,} bytes", str(path))
    return data
