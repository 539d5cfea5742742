"""The decoded-image cache: memory estimates, parallel decoding into one uint8 tensor, and placement."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch

from workbench.analysis.formatting import human_bytes
from workbench.data.errors import DataError
from workbench.data.folder import load_image_sized

# Share of free memory the image cache may take: main memory when building it, device memory to live there.
# Small images decode in about 0.15 ms, less than a thread pool costs per file in handing work over and in
# contention for the interpreter lock (600 PNGs of 60×60 on 2 cores: 0.10 s in one thread, 0.24 s in two).
# The first files are decoded in one thread and timed; threads take the rest only when a file takes longer.
_PROBE_FILES = 16
_THREADS_FROM_S = 0.001
_HOST_SHARE = 0.8
_DEVICE_SHARE = 0.5


def cache_bytes(count: int, channels: int, height: int, width: int) -> int:
    """Bytes the uint8 cache of ``count`` images takes."""
    return count * channels * height * width


_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def memory_limit() -> int | None:
    """``$WORKBENCH_MEMORY_LIMIT`` in bytes (``8G``, ``512M``, ``1000000``): the most memory decoded images may
    take in memory (more trains from the decode cache on disk); None when unset or unreadable."""
    raw = os.environ.get("WORKBENCH_MEMORY_LIMIT", "").strip().lower().removesuffix("b").removesuffix("i")
    if not raw:
        return None
    unit = raw[-1] if raw[-1] in _UNITS else ""
    try:
        value = float(raw[: len(raw) - len(unit)])
    except ValueError:
        return None
    return int(value * _UNITS[unit]) if value > 0 else None


def available_host_bytes() -> int | None:
    """Main memory the decoded images may take: free memory, capped by ``$WORKBENCH_MEMORY_LIMIT``; None when
    unknown."""
    free = _free_host_bytes()
    limit = memory_limit()
    if limit is None:
        return free
    return limit if free is None else min(free, limit)


def _free_host_bytes() -> int | None:
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


def host_bytes_allowed() -> int | None:
    """Main memory the decoded images may take (a share of :func:`available_host_bytes`); None when unknown."""
    free = available_host_bytes()
    return None if free is None else int(_HOST_SHARE * free)


def fits_in_host_memory(needed: int) -> bool:
    """Whether ``needed`` bytes fit in the main memory the cache may take."""
    allowed = host_bytes_allowed()
    return allowed is None or needed <= allowed


def check_host_memory(needed: int, what: str, hint: str = "use fewer images or a smaller input size") -> None:
    """Raise :class:`DataError` when ``needed`` bytes clearly do not fit in free main memory."""
    if not fits_in_host_memory(needed):
        capped = " (WORKBENCH_MEMORY_LIMIT)" if memory_limit() is not None else ""
        raise DataError(
            f"{what} need {human_bytes(needed)} of memory but they may take only {human_bytes(host_bytes_allowed())}, "
            f"{_HOST_SHARE:.0%} of the {human_bytes(available_host_bytes())} available{capped}",
            hint,
        )


def host_bytes_needed(image_bytes: int, processes: int) -> int:
    """Main memory ``processes`` processes on one machine take to hold ``image_bytes`` of decoded images in
    memory: a copy each."""
    return image_bytes * max(1, processes)


def copies_text(processes: int) -> str:
    """`` (a copy in each of N processes)`` for several processes, else nothing: for memory messages."""
    return f" (a copy in each of {processes} processes)" if processes > 1 else ""


def memory_estimate(image_bytes: int, processes: int, placement: str, what: str = "decoded images") -> str:
    """What the images take in memory, said before training: in memory a copy in each of ``processes``
    processes on this machine; from the decode cache on disk a few batches per process, the file's pages shared
    by all of them (``placement`` is ``memory`` or ``disk``)."""
    size = human_bytes(image_bytes)
    if placement == "memory":
        if processes <= 1:
            return f"{size} of {what} in memory"
        return (f"{size} of {what} in memory in each of the {processes} processes on this machine, "
                f"{human_bytes(host_bytes_needed(image_bytes, processes))} in all")
    text = f"{size} of decoded images read from the decode cache on disk a batch at a time"
    if processes > 1:
        text += f", its pages shared by the {processes} processes on this machine"
    return text


def fits_on_device(needed: int, device: torch.device) -> bool:
    """Whether a cache of ``needed`` bytes may live on ``device`` next to the model."""
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return needed <= _DEVICE_SHARE * free
    return True


def image_sums(images: torch.Tensor, block: int = 32) -> torch.Tensor:
    """N×2×C float64: each image's channel sums and sums of squares, in 0..1 units (computed ``block`` images at
    a time, so the float copy stays small)."""
    out = torch.empty((images.shape[0], 2, images.shape[1]), dtype=torch.float64)
    for start in range(0, images.shape[0], block):
        unit = images[start:start + block].to(torch.float64).div_(255.0)
        out[start:start + block, 0] = unit.sum(dim=(2, 3))
        out[start:start + block, 1] = unit.square_().sum(dim=(2, 3))
    return out


def decode_into(
    files: Sequence[Path],
    out: torch.Tensor,
    resize: str,
    progress: Callable[[int], None] | None = None,
    sizes: torch.Tensor | None = None,
) -> list[str | None]:
    """Decode ``files`` (in parallel when each takes long enough) into the rows of ``out`` (uint8 N×C×H×W); the reason each file that cannot
    be read was skipped (None for the files that were read). ``progress(1)`` is called after each file;
    ``sizes`` (N×2), when given, receives each file's own (height, width)."""
    _n, channels, height, width = out.shape
    reasons: list[str | None] = [None] * len(files)

    def one(i: int) -> None:
        try:
            out[i], original = load_image_sized(files[i], channels, height, width, resize)
            if sizes is not None:
                sizes[i] = torch.tensor(original, dtype=sizes.dtype)
        except DataError as exc:
            reasons[i] = exc.message.split(": ", 1)[-1]

    def run(indices: range) -> range:
        for i in indices:
            one(i)
        return indices

    def done(indices: range) -> None:
        for _ in indices if progress is not None else ():
            progress(1)

    def serially(indices: range) -> None:
        for i in indices:
            done(run(range(i, i + 1)))

    probe = range(min(_PROBE_FILES, len(files)))
    started = time.perf_counter()
    serially(probe)
    per_file = (time.perf_counter() - started) / max(1, len(probe))
    rest = range(len(probe), len(files))
    workers = max(1, min(8, os.cpu_count() or 1))
    if workers == 1 or per_file < _THREADS_FROM_S or len(rest) < 2 * workers:
        serially(rest)
        return reasons
    size = max(1, -(-len(rest) // (8 * workers)))
    chunks = [range(s, min(rest.stop, s + size)) for s in range(rest.start, rest.stop, size)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for chunk in pool.map(run, chunks):  # progress is reported in the calling thread
            done(chunk)
    return reasons


def compact_rows(images: torch.Tensor, keep: Sequence[int]) -> torch.Tensor:
    """Rows ``keep`` (ascending) of ``images`` moved to the front in place; the view of those rows (no copy)."""
    for j, i in enumerate(keep):
        if j != i:
            images[j] = images[i]
    return images[: len(keep)]


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
    ``(path, reason)`` for each file that could not be read, and the read files' own sizes (N×2: height, width).
    """
    out = torch.empty(len(files), channels, height, width, dtype=torch.uint8)
    sizes = torch.zeros(len(files), 2, dtype=torch.int32)
    done = [0]

    def step(n: int) -> None:
        done[0] += n
        progress(done[0], len(files))

    reasons = decode_into(files, out, resize, step if progress is not None else None, sizes)
    ok = [i for i, r in enumerate(reasons) if r is None]
    skipped = [(str(files[i]), r) for i, r in enumerate(reasons) if r is not None]
    return compact_rows(out, ok), ok, skipped, sizes[torch.tensor(ok, dtype=torch.long)]
