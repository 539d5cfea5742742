"""The data files of one decode cache, read by row: the images (C×H×W uint8 each) and per-row statistics.

Rows are read with ``pread`` into the caller's buffer and never mapped: the file's pages stay in the system's
page cache, shared by every process that reads them, and do not count toward a process's resident memory. What a
reader holds is what it was asked for (a batch), whatever the size of the folder.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import torch

STATS_BLOCK = 65536  # rows of statistics read at a time when summing them


def _read_into(fh, offset: int, view: memoryview, lock: threading.Lock) -> None:
    """Fill ``view`` with the bytes of ``fh`` from ``offset``."""
    if hasattr(os, "preadv"):
        while len(view):
            n = os.preadv(fh.fileno(), [view], offset)
            if n <= 0:
                raise OSError("the cache file is shorter than its index says")
            view, offset = view[n:], offset + n
        return
    with lock:
        fh.seek(offset)
        if fh.readinto(view) != len(view):
            raise OSError("the cache file is shorter than its index says")


class CacheRows:
    """The ``rows`` images of shape ``shape`` in the file ``images`` and their statistics in ``stats``
    (rows × 2 × C float64: channel sums and sums of squares in 0..1 units)."""

    def __init__(self, images: Path, stats: Path, shape: tuple[int, int, int], rows: int):
        self.images_path, self.stats_path = Path(images), Path(stats)
        self.shape, self.rows = tuple(shape), int(rows)
        self.row_bytes = int(np.prod(self.shape))
        self._fh = None
        self._lock = threading.Lock()

    def read_rows(self, rows, out: torch.Tensor | None = None) -> torch.Tensor:
        """The images of ``rows`` (sequence of row numbers) as uint8 N×C×H×W, read into ``out`` when given."""
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        if out is None:
            out = torch.empty((len(rows), *self.shape), dtype=torch.uint8)
        if len(rows) == 0:
            return out
        if self._fh is None:
            self._fh = open(self.images_path, "rb")  # noqa: SIM115 - kept open for the reader's lifetime
        flat = memoryview(out.numpy().reshape(-1))
        rb = self.row_bytes
        breaks = np.flatnonzero(np.diff(rows) != 1) + 1  # runs of consecutive rows: one read each
        starts = np.concatenate(([0], breaks))
        ends = np.concatenate((breaks, [len(rows)]))
        for s, e in zip(starts.tolist(), ends.tolist()):
            _read_into(self._fh, int(rows[s]) * rb, flat[s * rb:e * rb], self._lock)
        return out

    def stats_sum(self, rows: torch.Tensor, block: int = STATS_BLOCK) -> torch.Tensor:
        """2×C float64: the statistics of ``rows`` (row numbers, each counted as often as it appears) summed,
        reading the statistics file ``block`` rows at a time."""
        c = self.shape[0]
        total = torch.zeros(2, c, dtype=torch.float64)
        counts = torch.bincount(torch.as_tensor(rows, dtype=torch.long).reshape(-1), minlength=self.rows)
        for start in range(0, self.rows, block):
            n = min(block, self.rows - start)
            stats = np.fromfile(self.stats_path, dtype=np.float64, count=n * 2 * c, offset=start * 2 * c * 8)
            if stats.size != n * 2 * c:
                raise OSError("the statistics file is shorter than its index says")
            weight = counts[start:start + n].to(torch.float64)
            total += torch.einsum("n,nkc->kc", weight, torch.from_numpy(stats).view(n, 2, c))
        return total

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
