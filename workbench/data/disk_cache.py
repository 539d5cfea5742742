"""The persistent decode cache: an image folder decoded once into a uint8 file on disk and reused by later runs.

One cache per folder, input size and resize mode, in ``cache_dir()/<key>/``:

- ``index.json``: the folder, the input, and every image file with its size, modification time, the row it
  went to (or the reason it was skipped) and the row's CRC-32;
- ``images-<token>.u8``: the rows, C×H×W uint8 each, in index order;
- ``stats-<token>.f64``: per-row channel sums and sums of squares (0..1 units) for the normalisation.

Data files are written under temporary names and renamed when complete, ``index.json`` last, so a cache that a
crash cut short is never used. A cache whose files do not match its index (sizes, sampled row checksums) is
rebuilt. When files were changed, added or removed only those are decoded; the other rows are copied over.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from workbench.data.cache import decode_into, image_sums
from workbench.data.cache_rows import CacheRows
from workbench.data.errors import DataError
from workbench.data.folder import FolderScan
from workbench.paths import cache_dir
from workbench.spec.yaml_io import write_text_atomic

FORMAT = 1
INDEX = "index.json"
CHUNK = 256  # files decoded and written per step: bounds the memory a build takes
CHECKED_ROWS = 16  # rows whose checksum is verified each time a cache is opened


class CacheUnavailable(Exception):
    """The cache folder cannot be created or written (the caller decodes in memory instead)."""


def cache_key(root: Path, channels: int, height: int, width: int, resize: str) -> str:
    text = f"{root.resolve()}|{channels}x{height}x{width}|{resize}"
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:20]


@contextlib.contextmanager
def _locked(folder: Path):
    """Hold an exclusive lock on ``folder`` (other processes building the same cache wait)."""
    try:
        import fcntl
    except ImportError:  # no advisory locks on this platform
        yield
        return
    with open(folder / ".lock", "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


@dataclass
class FolderCache:
    """An opened, valid cache: its index (every file, for the caller to take what it needs), its data files
(:attr:`data`: all that reading rows needs, without the index) and how it was obtained (rows reused/decoded)."""

    folder: Path
    index: dict
    reused: int = 0
    decoded: int = 0

    def __post_init__(self):
        self.data = CacheRows(self.folder / self.index["images"], self.folder / self.index["stats"],
                              self.shape, self.rows)
        self.row_bytes = self.data.row_bytes

    @property
    def rows(self) -> int:
        return int(self.index["rows"])

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.index["shape"])

    def row_classes(self) -> list[str]:
        """The class folder name of every row, in row order."""
        out = [""] * self.rows
        for entry in self.index["files"]:
            if entry["row"] >= 0:
                out[entry["row"]] = entry["path"].split("/", 1)[0]
        return out

    def skipped(self) -> list[tuple[str, str]]:
        root = Path(self.index["folder"])
        return [(str(root / e["path"]), e["reason"]) for e in self.index["files"] if e["row"] < 0]

    def row_sizes(self) -> torch.Tensor | None:
        """Rows × 2 int32: each row's file's own (height, width); None for a cache built without them."""
        entries = [e for e in self.index["files"] if e.get("row", -1) >= 0]
        if any(not isinstance(e.get("hw"), list) or len(e["hw"]) != 2 for e in entries):
            return None
        sizes = torch.zeros((self.rows, 2), dtype=torch.int32)
        if entries:
            rows = torch.tensor([e["row"] for e in entries])
            sizes[rows] = torch.tensor([e["hw"] for e in entries], dtype=torch.int32)
        return sizes

    def read_rows(self, rows, out: torch.Tensor | None = None) -> torch.Tensor:
        """The images of ``rows`` (see :meth:`CacheRows.read_rows`)."""
        return self.data.read_rows(rows, out)

    def close(self) -> None:
        self.data.close()


def _read_index(folder: Path) -> dict | None:
    try:
        index = json.loads((folder / INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return index if isinstance(index, dict) and index.get("format") == FORMAT else None


def _valid(folder: Path, index: dict) -> bool:
    """Whether the cache's data files are complete and match the index (sizes and sampled checksums)."""
    try:
        c, h, w = index["shape"]
        rows = int(index["rows"])
        crcs = [e["crc"] for e in sorted((e for e in index["files"] if e["row"] >= 0), key=lambda e: e["row"])]
        if len(crcs) != rows:
            return False
        if (folder / index["images"]).stat().st_size != rows * c * h * w:
            return False
        if (folder / index["stats"]).stat().st_size != rows * 2 * c * 8:
            return False
        cache = FolderCache(folder, index)
        sample = sorted(set(np.linspace(0, rows - 1, min(rows, CHECKED_ROWS)).astype(int).tolist())) if rows else []
        data = cache.read_rows(sample)
        cache.close()
        return all(zlib.crc32(data[i].numpy().tobytes()) == crcs[r] for i, r in enumerate(sample))
    except (OSError, KeyError, TypeError, ValueError):
        return False


def _current_files(scan: FolderScan) -> list[tuple[str, Path, int, int]]:
    """(relative path, file, size, mtime in ns) of every image file in the scan, in class order."""
    out = []
    for name in scan.classes:
        for f in scan.files[name]:
            st = f.stat()
            out.append((f.relative_to(scan.root).as_posix(), f, st.st_size, st.st_mtime_ns))
    return out


def _build(folder: Path, scan: FolderScan, files, old: FolderCache | None, shape, resize: str,
           progress: Callable[[int, int], None] | None) -> FolderCache:
    """Write a new cache for ``files``, copying unchanged rows from ``old`` and decoding the rest."""
    known = {e["path"]: e for e in old.index["files"]} if old is not None else {}

    def unchanged(rel, size, mtime):
        e = known.get(rel)
        return e if e is not None and e["size"] == size and e["mtime_ns"] == mtime else None

    to_decode = sum(1 for rel, _f, size, mtime in files if unchanged(rel, size, mtime) is None)
    token = secrets.token_hex(6)
    images_name, stats_name = f"images-{token}.u8", f"stats-{token}.f64"
    parts = [folder / (images_name + ".part"), folder / (stats_name + ".part")]
    entries, row, done = [], 0, 0
    try:
        with open(parts[0], "wb") as out_images, open(parts[1], "wb") as out_stats:
            for start in range(0, len(files), CHUNK):
                chunk = files[start:start + CHUNK]
                buf = torch.empty((len(chunk), *shape), dtype=torch.uint8)
                kept = [unchanged(rel, size, mtime) for rel, _f, size, mtime in chunk]
                fresh = [k for k, e in enumerate(kept) if e is None]
                copied = [k for k, e in enumerate(kept) if e is not None and e["row"] >= 0]
                if copied:
                    buf[copied] = old.read_rows([kept[k]["row"] for k in copied])
                reasons: list[str | None] = [e["reason"] if e is not None else None for e in kept]
                sizes: list = [e.get("hw") if e is not None else None for e in kept]
                if fresh:
                    decoded = torch.empty((len(fresh), *shape), dtype=torch.uint8)
                    fresh_sizes = torch.zeros((len(fresh), 2), dtype=torch.int32)
                    fresh_reasons = decode_into([chunk[k][1] for k in fresh], decoded, resize, sizes=fresh_sizes)
                    buf[fresh] = decoded
                    for k, r, hw in zip(fresh, fresh_reasons, fresh_sizes.tolist()):
                        reasons[k], sizes[k] = r, hw
                    done += len(fresh)
                    if progress is not None:
                        progress(done, to_decode)
                good = [k for k, r in enumerate(reasons) if r is None]
                rows_data = buf[good]
                out_images.write(rows_data.numpy().tobytes())
                out_stats.write(image_sums(rows_data).numpy().tobytes())
                for k, (rel, _f, size, mtime) in enumerate(chunk):
                    entry = {"path": rel, "size": size, "mtime_ns": mtime, "row": -1, "reason": reasons[k], "crc": None,
                             "hw": sizes[k]}
                    if reasons[k] is None:
                        entry["row"], entry["crc"] = row, zlib.crc32(buf[k].numpy().tobytes())
                        row += 1
                    entries.append(entry)
            for fh in (out_images, out_stats):
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(parts[0], folder / images_name)
        os.replace(parts[1], folder / stats_name)
        index = {"format": FORMAT, "folder": str(scan.root.resolve()), "shape": list(shape), "resize": resize,
                 "rows": row, "images": images_name, "stats": stats_name, "built": time.time(), "files": entries}
        write_text_atomic(folder / INDEX, json.dumps(index))
    finally:
        for p in parts:
            p.unlink(missing_ok=True)
    if old is not None:
        old.close()
    _remove_unreferenced(folder, {images_name, stats_name})
    return FolderCache(folder, index, reused=len(files) - to_decode, decoded=to_decode)


def _remove_unreferenced(folder: Path, keep: set[str]) -> None:
    for p in folder.iterdir():
        if p.name.startswith(("images-", "stats-")) and p.name not in keep:
            p.unlink(missing_ok=True)


def open_folder_cache(scan: FolderScan, channels: int, height: int, width: int, resize: str,
                      progress: Callable[[int, int], None] | None = None) -> FolderCache:
    """The cache of ``scan``'s images at this input size: reused as it is, updated for changed files, or built.

    Raises :class:`CacheUnavailable` when the cache folder cannot be written.
    """
    folder = cache_dir() / cache_key(scan.root, channels, height, width, resize)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with _locked(folder):
            files = _current_files(scan)
            index = _read_index(folder)
            old = FolderCache(folder, index) if index is not None and _valid(folder, index) else None
            if old is not None and _matches(old.index, files, (channels, height, width), resize):
                _remove_unreferenced(folder, {old.index["images"], old.index["stats"]})  # a killed build's parts
                return FolderCache(folder, old.index, reused=len(files))
            return _build(folder, scan, files, old, (channels, height, width), resize, progress)
    except OSError as exc:
        if isinstance(exc, FileNotFoundError) and not scan.root.exists():
            raise DataError(f"image folder '{scan.root}' disappeared while it was read", "check the folder") from None
        raise CacheUnavailable(str(exc)) from None


def _matches(index: dict, files, shape, resize: str) -> bool:
    if list(index.get("shape", ())) != list(shape) or index.get("resize") != resize:
        return False
    entries = index["files"]
    return len(entries) == len(files) and all(
        e["path"] == rel and e["size"] == size and e["mtime_ns"] == mtime
        for e, (rel, _f, size, mtime) in zip(entries, files))


@dataclass
class CacheInfo:
    """One cache on disk, for listing: where it is, the folder it holds, its input and its size."""

    path: Path
    folder: str
    shape: tuple[int, int, int] | None
    resize: str
    images: int
    bytes: int
    valid: bool


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


def list_caches(root: Path | None = None) -> list[CacheInfo]:
    """Every cache in ``root`` (default: the cache folder), largest first; damaged ones too (``valid`` False)."""
    root = cache_dir() if root is None else Path(root)
    if not root.is_dir():
        return []
    out = []
    for folder in root.iterdir():
        if not folder.is_dir():
            continue
        index = _read_index(folder)
        if index is None:
            out.append(CacheInfo(folder, "?", None, "?", 0, _folder_bytes(folder), False))
            continue
        out.append(CacheInfo(folder, str(index.get("folder", "?")), tuple(index.get("shape", ())) or None,
                             str(index.get("resize", "?")), int(index.get("rows", 0)), _folder_bytes(folder),
                             _valid(folder, index)))
    return sorted(out, key=lambda c: -c.bytes)


def clear_caches(image_folder=None, root: Path | None = None) -> list[CacheInfo]:
    """Delete every cache (or those of ``image_folder``); the ones deleted."""
    wanted = str(Path(image_folder).expanduser().resolve()) if image_folder is not None else None
    removed = []
    for info in list_caches(root):
        if wanted is not None and info.folder != wanted:
            continue
        with _locked(info.path):
            for p in info.path.iterdir():
                if p.name != ".lock":
                    p.unlink(missing_ok=True)
        (info.path / ".lock").unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            info.path.rmdir()
        removed.append(info)
    return removed
