"""Image folders with one sub-folder per class: scanning them and reading one image as the network sees it."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from workbench.data.errors import DataError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
RESIZE_MODES = ("stretch", "center-crop", "pad")


@dataclass
class FolderScan:
    """What a folder holds: class names (sorted sub-folder names), image files per class and skipped files."""

    root: Path
    classes: list[str] = field(default_factory=list)
    files: dict[str, list[Path]] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    empty_classes: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {name: len(self.files[name]) for name in self.classes}

    @property
    def total(self) -> int:
        return sum(len(f) for f in self.files.values())


def _hidden(name: str) -> bool:
    return name.startswith(".")


def scan_folder(path, extensions: tuple[str, ...] = IMAGE_EXTENSIONS) -> FolderScan:
    """List the classes and image files of ``path`` without decoding anything.

    Files in class folders (searched recursively) with another extension, empty files and files
    directly in ``path`` are listed in ``skipped`` with the reason. Class folders without any image
    are left out of ``classes`` and named in ``empty_classes``. Raises :class:`DataError` when
    ``path`` is not a folder or has no class folder.
    """
    root = Path(path).expanduser()
    if not root.exists():
        raise DataError(f"image folder '{root}' does not exist", "check the path, or use data source 'shapes'")
    if not root.is_dir():
        raise DataError(f"'{root}' is not a folder", "give a folder with one sub-folder of images per class")
    scan = FolderScan(root=root)
    wanted = tuple(e.lower() for e in extensions)
    class_dirs = []
    for entry in sorted(root.iterdir()):
        if _hidden(entry.name):
            continue
        if entry.is_dir():
            class_dirs.append(entry)
        else:
            scan.skipped.append((str(entry), "not inside a class folder"))
    if not class_dirs:
        raise DataError(
            f"'{root}' has no class folders",
            "put the images of each class in their own sub-folder, e.g. cats/ and dogs/",
        )
    for class_dir in class_dirs:
        found = []
        for file in sorted(class_dir.rglob("*")):
            if any(_hidden(p) for p in file.relative_to(class_dir).parts):
                continue
            if file.is_dir():
                if file.is_symlink():  # never followed: it may loop back to a folder above
                    scan.skipped.append((str(file), "a link to a folder (links to folders are not followed)"))
                continue
            if not file.is_file():
                reason = "a link that leads nowhere or to itself" if file.is_symlink() else "not a regular file"
                scan.skipped.append((str(file), reason))
                continue
            if file.suffix.lower() not in wanted:
                scan.skipped.append((str(file), f"not an image file (extension '{file.suffix or 'none'}')"))
            elif file.stat().st_size == 0:
                scan.skipped.append((str(file), "empty file (0 bytes)"))
            else:
                found.append(file)
        if found:
            scan.classes.append(class_dir.name)
            scan.files[class_dir.name] = found
        else:
            scan.empty_classes.append(class_dir.name)
    return scan


def _to_8bit(img: Image.Image) -> Image.Image:
    """16-bit and 32-bit grayscale or float images scaled to 8-bit ``L`` (Pillow's convert would clip)."""
    arr = np.asarray(img, dtype=np.float64)
    top = arr.max(initial=0.0)
    if top > 255:
        arr = arr * (255.0 / (65535.0 if top <= 65535 else top))
    elif img.mode == "F" and top <= 1.0:
        arr = arr * 255.0
    return Image.fromarray(np.clip(np.rint(arr), 0, 255).astype(np.uint8), "L")


def _convert(img: Image.Image, channels: int) -> Image.Image:
    if img.mode.startswith("I") or img.mode == "F":
        img = _to_8bit(img)
    if img.mode == "P":
        img = img.convert("RGBA")
    if channels == 1:
        return img.convert("L")
    if channels == 4:
        return img.convert("RGBA")
    return img.convert("RGB")


def _resize(img: Image.Image, height: int, width: int, resize: str) -> Image.Image:
    size = (width, height)
    if img.size == size:
        return img
    if resize == "center-crop":
        return ImageOps.fit(img, size, Image.Resampling.BILINEAR)
    if resize == "pad":
        return ImageOps.pad(img, size, Image.Resampling.BILINEAR, color=0)
    return img.resize(size, Image.Resampling.BILINEAR)


def load_image(path, channels: int, height: int, width: int, resize: str = "stretch") -> torch.Tensor:
    """The image at ``path`` as a uint8 tensor C×H×W, converted and resized like training does
    (see :func:`load_image_sized`)."""
    return load_image_sized(path, channels, height, width, resize)[0]


def load_image_sized(path, channels: int, height: int, width: int,
                     resize: str = "stretch") -> tuple[torch.Tensor, tuple[int, int]]:
    """The image at ``path`` as a uint8 tensor C×H×W, converted and resized like training does, and the
    file's own (height, width).

    Any mode (grayscale, RGBA, palette, 16-bit) becomes ``channels`` channels (1 gray, 3 RGB, 4 RGBA,
    otherwise gray repeated); ``resize`` is ``stretch``, ``center-crop`` or ``pad``.
    Raises :class:`DataError` when the file cannot be read as an image.
    """
    if resize not in RESIZE_MODES:
        raise DataError(f"unknown resize mode '{resize}'", f"use one of {', '.join(RESIZE_MODES)}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as img:
                if img.format == "JPEG":
                    img.draft(img.mode, (width, height))  # decode large JPEGs at a reduced scale
                img.load()
                original = (img.height, img.width)
                out = _resize(_convert(img, channels), height, width, resize)
                arr = np.array(out, dtype=np.uint8)
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise DataError(f"cannot read image '{path}': {_reason(exc)}", "remove or replace the file") from None
    if arr.ndim == 2:
        arr = arr[:, :, None]
    tensor = torch.from_numpy(arr).permute(2, 0, 1).contiguous()
    if tensor.shape[0] != channels:
        tensor = tensor[:1].expand(channels, height, width).contiguous()
    return tensor, original


def _reason(exc: Exception) -> str:
    if isinstance(exc, UnidentifiedImageError):
        return "not a recognised image format"
    text = str(exc)
    if "truncated" in text:
        return "the file is truncated"
    return text or type(exc).__name__
