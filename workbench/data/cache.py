"""The decoded-image cache: memory estimates, parallel decoding into one uint8 tensor, and placement."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch

from workbench.analysis.formatting import human_bytes
from workbench.data.errors import DataError
from workbench.data.folder import load_image_sized

# Share of free memory the image cache may take: main memory when building it, device memory to live there.
_HOST_SHARE = 0.8
_DEVICE_SHARE = 0.5


def cache_bytes(count: int, channels: int, height: int, width: int) -> int:
    """Bytes the uint8 cache of ``count`` images takes."""
    return count * channels * height * width


def available_host_bytes() -> int | None:
    """Free main memory in bytes (Linux ``MemAvailable``, else ``sysconf``), or None when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_host_memory(needed: int, what: str) -> None:
    """Raise :class:`DataError` when ``needed`` bytes clearly do not fit in free main memory."""
    free = available_host_bytes()
    if free is not None and needed > _HOST_SHARE * free:
        raise DataError(
            f"{what} need {human_bytes(needed)} of memory but only {human_bytes(free)} is free",
            "use fewer images or a smaller input size",
        )


def fits_on_device(needed: int, device: torch.device) -> bool:
    """Whether a cache of ``needed`` bytes may live on ``device`` next to the model."""
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return needed <= _DEVICE_SHARE * free
    return True


def decode_files(
    files: Sequence[Path],
    channels: int,
    height: int,
    width: int,
    resize: str,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[torch.Tensor, list[int], list[tuple[str, str]], torch.Tensor]:
    """Decode ``files`` in parallel into one uint8 tensor.

    Returns the images that could be read (N×C×H×W), the indices into ``files`` they came from,
    ``(path, reason)`` for each file that could not be read, and the files' own sizes (N×2: height, width;
    a large JPEG decoded at a reduced scale, never below the requested size, reports that scale).
    """
    out = torch.empty(len(files), channels, height, width, dtype=torch.uint8)
    sizes = torch.zeros(len(files), 2, dtype=torch.int32)
    ok: list[int] = []
    skipped: list[tuple[str, str]] = []

    def one(i: int) -> tuple[int, str | None]:
        try:
            out[i], original = load_image_sized(files[i], channels, height, width, resize)
            sizes[i] = torch.tensor(original, dtype=torch.int32)
            return i, None
        except DataError as exc:
            return i, exc.message.split(": ", 1)[-1]

    workers = max(1, min(8, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for done, (i, reason) in enumerate(pool.map(one, range(len(files))), start=1):
            if reason is None:
                ok.append(i)
            else:
                skipped.append((str(files[i]), reason))
            if progress is not None:
                progress(done, len(files))
    if len(ok) == len(files):
        return out, ok, skipped, sizes
    keep = torch.tensor(ok, dtype=torch.long)
    return out[keep], ok, skipped, sizes[keep]
