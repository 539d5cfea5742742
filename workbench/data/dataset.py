"""Training data for a spec: the shapes or an image folder, split, measured and placed on the device."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from workbench.analysis.formatting import human_bytes
from workbench.data.cache import (cache_bytes, check_host_memory, copies_text, fits_in_host_memory, fits_on_device,
                                  host_bytes_allowed, host_bytes_needed, image_sums, memory_estimate)
from workbench.data.disk_images import DiskImages
from workbench.data.errors import DataError
from workbench.data.folder import FolderScan, scan_folder
from workbench.data.folder_rows import FolderRows, folder_rows, reorder_rows_in_place
from workbench.data.shapes import SHAPE_CLASSES, generate_shapes
from workbench.spec.model import ModelSpec


@dataclass
class DataReport:
    """What was loaded: images per class (training + validation), files left out and why, warnings."""

    source: str
    counts: dict[str, int] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    cache: str | None = None  # what the decode cache did, e.g. "40,000 images (1.6 GB), reused"
    placement: str = "memory"  # where the training images live: memory or disk
    memory: str | None = None  # what the images take in memory, e.g. "1.2 GiB of decoded images in memory"

    def brief(self) -> str:
        """One line for a run's status: what the decode cache did, where the images live, files left out."""
        return brief_text(self.cache, self.placement, len(self.skipped))

    def summary(self) -> dict:
        """A JSON-ready summary (at most 20 skipped files listed)."""
        return {
            "source": self.source,
            "cache": self.cache,
            "placement": self.placement,
            "memory": self.memory,
            "counts": dict(self.counts),
            "skipped_count": len(self.skipped),
            "skipped": [list(s) for s in self.skipped[:20]],
            "warnings": list(self.warnings),
        }


def brief_text(cache: str | None, placement: str, skipped: int) -> str:
    """``decode cache: 600 images (6.4 MiB), reused · read from disk a batch at a time · 2 files left out``."""
    parts = [f"decode cache: {cache}"] if cache else []
    if placement == "disk":
        parts.append("read from disk a batch at a time")
    if skipped:
        parts.append(f"{skipped:,} file{'s' if skipped != 1 else ''} left out")
    return " · ".join(parts)


@dataclass
class DataBundle:
    """Training and validation images (uint8 N×C×H×W) with labels, class names and normalisation."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor
    class_names: list[str]
    mean: list[float]
    std: list[float]
    report: DataReport
    train_sizes: torch.Tensor | None = None  # each training image's own (height, width); None for generated data

    @property
    def device(self) -> torch.device:
        return self.train_x.device

    @property
    def on_disk(self) -> bool:
        """Whether the images stay in the decode cache on disk (read batch by batch) rather than in memory."""
        return isinstance(self.train_x, DiskImages)

    @property
    def nbytes(self) -> int:
        """Memory the images and labels take."""
        return sum(t.numel() * t.element_size() for t in (self.train_x, self.train_y, self.val_x, self.val_y))

    def to(self, device) -> DataBundle:
        """This bundle with its tensors on ``device`` (itself when they are there already)."""
        device = torch.device(device)
        if self.train_x.device == device or self.on_disk:
            return self
        move = {k: getattr(self, k).to(device) for k in ("train_x", "train_y", "val_x", "val_y")}
        return DataBundle(**move, class_names=self.class_names, mean=self.mean, std=self.std, report=self.report,
                          train_sizes=self.train_sizes)

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        """uint8 images as float, scaled to 0..1 and normalised per channel: ``(x/255 - mean)/std``."""
        return self.normalize_unit(x.float().div_(255.0))

    def normalize_unit(self, x: torch.Tensor) -> torch.Tensor:
        """Images already in 0..1 units, normalised per channel."""
        mean = torch.tensor(self.mean, device=x.device, dtype=x.dtype).view(1, -1, 1, 1)
        std = torch.tensor(self.std, device=x.device, dtype=x.dtype).view(1, -1, 1, 1)
        return (x - mean) / std

    def normalization(self) -> dict[str, list[float]]:
        return {"mean": list(self.mean), "std": list(self.std)}


def stats_from_sums(sums: torch.Tensor, pixels: int, channels: int) -> tuple[list[float], list[float]]:
    """Per-channel mean and standard deviation (at least 1e-3) from summed :func:`image_sums` over ``pixels``."""
    if pixels == 0:
        return [0.5] * channels, [0.25] * channels
    mean = sums[0] / pixels
    std = (sums[1] / pixels - mean.square()).clamp_min(0).sqrt().clamp_min(1e-3)
    return mean.tolist(), std.tolist()


def channel_stats(images: torch.Tensor) -> tuple[list[float], list[float]]:
    """Per-channel mean and standard deviation of uint8 images, in 0..1 units (std at least 1e-3)."""
    total = torch.zeros(2, images.shape[1], dtype=torch.float64)
    for start in range(0, images.shape[0], 1024):
        total += image_sums(images[start : start + 1024]).sum(dim=0)
    return stats_from_sums(total, images.shape[0] * images.shape[2] * images.shape[3], images.shape[1])


def stratified_split(labels: torch.Tensor, val_split: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices of training and validation images; each class is split in the same proportion."""
    gen = torch.Generator().manual_seed(int(seed))
    train, val = [], []
    for cls in labels.unique().tolist():
        idx = (labels == cls).nonzero().squeeze(1)
        idx = idx[torch.randperm(idx.numel(), generator=gen)]
        n_val = int(round(idx.numel() * val_split))
        if val_split > 0 and idx.numel() >= 2:
            n_val = min(max(n_val, 1), idx.numel() - 1)
        val.append(idx[:n_val])
        train.append(idx[n_val:])
    return torch.cat(train).sort().values, torch.cat(val).sort().values


def _resolve_path(raw: str, spec: ModelSpec) -> Path:
    path = Path(raw).expanduser()
    if not path.is_absolute() and spec.source is not None and not path.exists():
        beside = Path(spec.source.file).parent / path
        if beside.exists():
            return beside
    return path


def _shapes(spec: ModelSpec, processes: int) -> tuple[torch.Tensor, torch.Tensor, list[str], DataReport]:
    n_classes = spec.num_classes
    if n_classes > len(SHAPE_CLASSES):
        raise DataError(
            f"the built-in shapes have at most {len(SHAPE_CLASSES)} classes, the spec asks for {n_classes}",
            f"set classes to {len(SHAPE_CLASSES)} or fewer, or train on an image folder",
        )
    if n_classes < 2:
        raise DataError("a classifier needs at least two classes", "set classes to 2 or more")
    inp = spec.input
    count = spec.data_value("images")
    needed = cache_bytes(count, inp.channels, inp.height, inp.width)
    check_host_memory(host_bytes_needed(needed, processes), f"{count} shapes images{copies_text(processes)}")
    try:
        x, y = generate_shapes(count, n_classes, inp.channels, inp.height, inp.width, spec.data_value("seed"))
    except ValueError as exc:
        raise DataError(str(exc), "use an input of at least 8×8 pixels") from None
    names = list(SHAPE_CLASSES[:n_classes])
    report = DataReport(source="shapes", memory=memory_estimate(needed, processes, "memory", "generated images"))
    if not isinstance(spec.classes, int) and list(spec.classes) != names:
        report.warnings.append(f"the shapes data names its classes {', '.join(names)}; the spec's names are not used")
    return x, y, names, report


def _scan_report(scan: FolderScan, report: DataReport, label: str) -> None:
    report.skipped.extend(scan.skipped)
    for name in scan.empty_classes:
        report.warnings.append(f"{label} class folder '{name}' has no images and is left out")


def _check_classes(classes: list[str], spec: ModelSpec, root: Path, report: DataReport) -> None:
    if not classes:
        raise DataError(f"'{root}' has no readable images in any class folder", "add images (png, jpg, bmp, gif, tiff, webp)")
    if len(classes) == 1:
        raise DataError(
            f"'{root}' has only one class folder with images ('{classes[0]}'); a classifier needs at least two",
            "add a sub-folder of images for every other class",
        )
    if len(classes) != spec.num_classes:
        raise DataError(
            f"the folder has {len(classes)} classes ({', '.join(classes)}) but the spec has {spec.num_classes}",
            f"set classes to {len(classes)} (or the list of names) in the spec, or fix the folder",
        )
    if not isinstance(spec.classes, int) and list(spec.classes) != classes:
        report.warnings.append(
            f"class names come from the folder names ({', '.join(classes)}), not the spec ({', '.join(spec.classes)})"
        )


def _folder(spec: ModelSpec, data_path, progress, processes: int):
    """(training rows, validation rows, class names, report); validation positions index the training rows
    when they come from a split, else they are a second folder's rows."""
    raw = data_path if data_path is not None else spec.data_value("path")
    if not raw:
        raise DataError("the spec's data source is 'folder' but no folder is given", "set data.path or pass --data FOLDER")
    root = _resolve_path(str(raw), spec)
    report = DataReport(source=f"folder {root}")
    scan = scan_folder(root)
    _scan_report(scan, report, "")
    rows = folder_rows(scan, scan.classes, spec, progress, report, processes)
    y = rows.labels
    present = [c for i, c in enumerate(scan.classes) if (y == i).any()]
    for name in scan.classes:
        if name not in present:
            report.warnings.append(f"no image of class '{name}' could be read; the class is left out")
    if present != scan.classes:
        remap = torch.tensor([present.index(c) if c in present else -1 for c in scan.classes])
        rows.labels = remap[y]
    _check_classes(present, spec, root, report)

    val_raw = spec.data_value("val_path")
    if not val_raw:
        return rows, None, present, report
    val_root = _resolve_path(str(val_raw), spec)
    val_scan = scan_folder(val_root)
    _scan_report(val_scan, report, "validation")
    unknown = [c for c in val_scan.classes if c not in present]
    if unknown:
        raise DataError(
            f"the validation folder has classes the training folder does not: {', '.join(unknown)}",
            "use the same class folder names in both folders",
        )
    for name in present:
        if name not in val_scan.classes:
            report.warnings.append(f"the validation folder has no images of class '{name}'")
    return rows, folder_rows(val_scan, present, spec, progress, report, processes), present, report


def _placement(spec: ModelSpec, cache: str | None, needed: int, cached: bool, processes: int,
               report: DataReport) -> str:
    """``memory`` or ``disk``: the spec's (or the caller's) ``data.cache``, with ``auto`` resolved for
    ``processes`` processes on this machine (in memory each holds a copy; from disk they share the file's pages);
    the estimate of what the images take goes into ``report.memory``."""
    mode = cache or spec.data_value("cache")
    in_memory = host_bytes_needed(needed, processes)
    why = ""
    if mode == "auto":
        mode = "memory" if fits_in_host_memory(in_memory) or not cached else "disk"
        if mode == "disk":
            why = (f"; in memory they would take {human_bytes(in_memory)}{copies_text(processes)}, more than the "
                   f"{human_bytes(host_bytes_allowed())} they may take")
    if mode == "disk" and not cached and cache == "disk":
        mode = "memory"  # a caller that reads a few images: decoded in memory when there is no cache to read
    elif mode == "disk" and not cached:
        raise DataError("data.cache is 'disk' but the decode cache cannot be written",
                        "set WORKBENCH_CACHE to a writable folder, or data.cache: memory")
    if mode == "memory":
        check_host_memory(in_memory, f"the decoded images{copies_text(processes)}",
                          "set data.cache: disk (or auto) to train from the decode cache on disk")
    report.memory = memory_estimate(needed, processes, mode) + why
    return mode


def _assemble(rows: FolderRows, val_rows: FolderRows | None, spec: ModelSpec, cache: str | None, report: DataReport,
              processes: int):
    """(train_x, train_y, val_x, val_y, normalisation sums or None): index views of the cache on disk, or one
    tensor in memory whose front rows are the training images and back rows the validation images."""
    if val_rows is None:
        train_pos, val_pos = stratified_split(rows.labels, spec.data_value("val_split"), spec.data_value("seed"))
        val_rows, val_y = rows, rows.labels[val_pos]
    else:
        train_pos = torch.arange(len(rows.rows))
        val_pos = torch.arange(len(val_rows.rows))
        val_y = val_rows.labels
    train_y = rows.labels[train_pos]
    sums = rows.stats_sums(train_pos)
    inp = spec.input
    n_train, n_val = len(train_pos), len(val_pos)
    cached = rows.cache is not None and val_rows.cache is not None
    mode = _placement(spec, cache, cache_bytes(n_train + n_val, inp.channels, inp.height, inp.width), cached,
                      processes, report)
    report.placement = mode
    if mode == "disk":
        return (DiskImages(rows.cache, rows.rows[train_pos]), train_y,
                DiskImages(val_rows.cache, val_rows.rows[val_pos]), val_y, sums)
    if rows.cache is None and val_rows is rows:  # decoded in memory: split in place, no second copy
        x = reorder_rows_in_place(rows.images, torch.cat([train_pos, val_pos]))
        return x[:n_train], train_y, x[n_train:], val_y, sums
    if rows.cache is None:
        return rows.images, train_y, val_rows.images, val_y, sums
    x = torch.empty((n_train + n_val, *rows.cache.shape), dtype=torch.uint8)
    rows.cache.read_rows(rows.rows[train_pos].numpy(), out=x[:n_train])
    val_rows.cache.read_rows(val_rows.rows[val_pos].numpy(), out=x[n_train:])
    return x[:n_train], train_y, x[n_train:], val_y, sums


def _train_sizes(rows: FolderRows, val_rows: FolderRows | None, spec: ModelSpec) -> torch.Tensor | None:
    """The training images' own sizes, in the order of the training split (as :func:`_assemble` splits)."""
    if rows.sizes is None:
        return None
    if val_rows is not None:
        return rows.sizes
    train_pos, _ = stratified_split(rows.labels, spec.data_value("val_split"), spec.data_value("seed"))
    return rows.sizes[train_pos]


def load_data(spec: ModelSpec, data_path=None, device="cpu", progress: Callable[[int, int], None] | None = None,
              cache: str | None = None, processes: int = 1) -> DataBundle:
    """The data the spec trains on; ``data_path`` (a folder) overrides the spec's data source.

    A folder is decoded once into the persistent decode cache (reused by later runs, updated for changed
    files); ``cache`` (``memory``, ``disk`` or ``auto``) overrides the spec's ``data.cache`` (a caller's ``disk``, for
    reading a few images, falls back to memory when the cache cannot be written): in memory the
    images are one uint8 tensor (training rows first, validation rows after), on disk they are index views read
    batch by batch. ``processes`` is how many processes on this machine load the same data (``train --nproc``):
    in memory each holds a copy, so ``auto`` and the memory check count them all; from disk they share the
    cache file's pages. ``report.memory`` says what the images take. The split is stratified by ``data.seed``
    unless a validation folder is given; the normalisation is measured on the training split. In-memory images
    are placed on ``device`` when they fit there (otherwise they stay in main memory, with a warning).
    ``progress(done, total)`` is called while image files are decoded. Raises :class:`DataError` for problems
    the user has to fix.
    """
    source = "folder" if data_path is not None else spec.data_value("source")
    if source == "folder":
        rows, val_rows, names, report = _folder(spec, data_path, progress, processes)
        tx, ty, vx, vy, sums = _assemble(rows, val_rows, spec, cache, report, processes)
        sizes = _train_sizes(rows, val_rows, spec)
    else:
        x, y, names, report = _shapes(spec, processes)
        train_idx, val_idx = stratified_split(y, spec.data_value("val_split"), spec.data_value("seed"))
        x = reorder_rows_in_place(x, torch.cat([train_idx, val_idx]))
        n_train = len(train_idx)
        tx, ty, vx, vy, sums = x[:n_train], y[train_idx], x[n_train:], y[val_idx], None
        sizes = None
    if tx.shape[0] == 0:
        raise DataError("no training images are left after the validation split", "lower data.val_split or add images")
    for i, name in enumerate(names):
        report.counts[name] = int((ty == i).sum()) + int((vy == i).sum())
    if vx.shape[0] == 0:
        report.warnings.append("there is no validation data; the best checkpoint follows the training metrics")
    if sums is None:
        mean, std = channel_stats(tx)
    else:
        mean, std = stats_from_sums(sums, tx.shape[0] * tx.shape[2] * tx.shape[3], tx.shape[1])
    bundle = DataBundle(tx, ty, vx, vy, names, mean, std, report, sizes)
    device = torch.device(device)
    if device.type != "cpu" and not bundle.on_disk:
        if fits_on_device(bundle.nbytes, device):
            bundle = bundle.to(device)
        else:
            report.warnings.append(f"the images do not fit in {device} memory; they stay in main memory")
    return bundle
