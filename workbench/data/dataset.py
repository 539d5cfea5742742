"""Training data for a spec: the shapes or an image folder, split, measured and placed on the device."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from workbench.data.cache import cache_bytes, check_host_memory, decode_files, fits_on_device
from workbench.data.errors import DataError
from workbench.data.folder import FolderScan, scan_folder
from workbench.data.shapes import SHAPE_CLASSES, generate_shapes
from workbench.spec.model import ModelSpec


@dataclass
class DataReport:
    """What was loaded: images per class (training + validation), files left out and why, warnings."""

    source: str
    counts: dict[str, int] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        """A JSON-ready summary (at most 20 skipped files listed)."""
        return {
            "source": self.source,
            "counts": dict(self.counts),
            "skipped_count": len(self.skipped),
            "skipped": [list(s) for s in self.skipped[:20]],
            "warnings": list(self.warnings),
        }


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
    def nbytes(self) -> int:
        """Memory the images and labels take."""
        return sum(t.numel() * t.element_size() for t in (self.train_x, self.train_y, self.val_x, self.val_y))

    def to(self, device) -> DataBundle:
        """This bundle with its tensors on ``device`` (itself when they are there already)."""
        device = torch.device(device)
        if self.train_x.device == device:
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


def channel_stats(images: torch.Tensor) -> tuple[list[float], list[float]]:
    """Per-channel mean and standard deviation of uint8 images, in 0..1 units (std at least 1e-3)."""
    if images.shape[0] == 0:
        return [0.5] * images.shape[1], [0.25] * images.shape[1]
    c = images.shape[1]
    total = torch.zeros(c, dtype=torch.float64)
    squares = torch.zeros(c, dtype=torch.float64)
    for start in range(0, images.shape[0], 1024):
        chunk = images[start : start + 1024].to(torch.float64).div_(255.0)
        total += chunk.sum(dim=(0, 2, 3))
        squares += chunk.square().sum(dim=(0, 2, 3))
    n = images.shape[0] * images.shape[2] * images.shape[3]
    mean = total / n
    std = (squares / n - mean.square()).clamp_min(0).sqrt().clamp_min(1e-3)
    return mean.tolist(), std.tolist()


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


def _shapes(spec: ModelSpec) -> tuple[torch.Tensor, torch.Tensor, list[str], DataReport]:
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
    check_host_memory(cache_bytes(count, inp.channels, inp.height, inp.width), f"{count} shapes images")
    try:
        x, y = generate_shapes(count, n_classes, inp.channels, inp.height, inp.width, spec.data_value("seed"))
    except ValueError as exc:
        raise DataError(str(exc), "use an input of at least 8×8 pixels") from None
    names = list(SHAPE_CLASSES[:n_classes])
    report = DataReport(source="shapes")
    if not isinstance(spec.classes, int) and list(spec.classes) != names:
        report.warnings.append(f"the shapes data names its classes {', '.join(names)}; the spec's names are not used")
    return x, y, names, report


def _scan_report(scan: FolderScan, report: DataReport, label: str) -> None:
    report.skipped.extend(scan.skipped)
    for name in scan.empty_classes:
        report.warnings.append(f"{label} class folder '{name}' has no images and is left out")


def _decode(scan: FolderScan, classes: list[str], spec: ModelSpec, progress, report: DataReport):
    inp = spec.input
    files, labels = [], []
    for i, name in enumerate(classes):
        for f in scan.files.get(name, []):
            files.append(f)
            labels.append(i)
    check_host_memory(cache_bytes(len(files), inp.channels, inp.height, inp.width), f"{len(files)} images")
    x, ok, skipped, sizes = decode_files(files, inp.channels, inp.height, inp.width, spec.data_value("resize"), progress)
    report.skipped.extend(skipped)
    y = torch.tensor(labels, dtype=torch.int64)[torch.tensor(ok, dtype=torch.long)] if files else torch.zeros(0, dtype=torch.int64)
    return x, y, sizes


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


def _folder(spec: ModelSpec, data_path, progress):
    raw = data_path if data_path is not None else spec.data_value("path")
    if not raw:
        raise DataError("the spec's data source is 'folder' but no folder is given", "set data.path or pass --data FOLDER")
    root = _resolve_path(str(raw), spec)
    report = DataReport(source=f"folder {root}")
    scan = scan_folder(root)
    _scan_report(scan, report, "")
    x, y, sizes = _decode(scan, scan.classes, spec, progress, report)
    present = [c for i, c in enumerate(scan.classes) if (y == i).any()]
    for name in scan.classes:
        if name not in present:
            report.warnings.append(f"no image of class '{name}' could be read; the class is left out")
    if present != scan.classes:
        remap = torch.tensor([present.index(c) if c in present else -1 for c in scan.classes])
        y = remap[y]
    _check_classes(present, spec, root, report)

    val_raw = spec.data_value("val_path")
    if not val_raw:
        train_idx, val_idx = stratified_split(y, spec.data_value("val_split"), spec.data_value("seed"))
        return x[train_idx], y[train_idx], x[val_idx], y[val_idx], present, report, sizes[train_idx]
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
    vx, vy, _ = _decode(val_scan, present, spec, progress, report)
    return x, y, vx, vy, present, report, sizes


def load_data(spec: ModelSpec, data_path=None, device="cpu", progress: Callable[[int, int], None] | None = None) -> DataBundle:
    """The data the spec trains on; ``data_path`` (a folder) overrides the spec's data source.

    Images are decoded once into uint8 tensors, split (stratified by ``data.seed``) unless a
    validation folder is given, measured for normalisation on the training split, and placed on
    ``device`` when they fit there (otherwise they stay in main memory, with a warning).
    ``progress(done, total)`` is called while image files are decoded.
    Raises :class:`DataError` for problems the user has to fix.
    """
    source = "folder" if data_path is not None else spec.data_value("source")
    sizes = None
    if source == "folder":
        tx, ty, vx, vy, names, report, sizes = _folder(spec, data_path, progress)
    else:
        x, y, names, report = _shapes(spec)
        train_idx, val_idx = stratified_split(y, spec.data_value("val_split"), spec.data_value("seed"))
        tx, ty, vx, vy = x[train_idx], y[train_idx], x[val_idx], y[val_idx]
    if tx.shape[0] == 0:
        raise DataError("no training images are left after the validation split", "lower data.val_split or add images")
    for i, name in enumerate(names):
        report.counts[name] = int((ty == i).sum()) + int((vy == i).sum())
    if vx.shape[0] == 0:
        report.warnings.append("there is no validation data; the best checkpoint follows the training metrics")
    mean, std = channel_stats(tx)
    bundle = DataBundle(tx, ty, vx, vy, names, mean, std, report, sizes)
    device = torch.device(device)
    if device.type != "cpu":
        if fits_on_device(bundle.nbytes, device):
            bundle = bundle.to(device)
        else:
            report.warnings.append(f"the images do not fit in {device} memory; they stay in main memory")
    return bundle
