"""Checks on the training data itself, run with the check at initialisation on the data the spec loads.

Each reads the cached uint8 tensors (a few vectorised passes, one hash and one 8×8 thumbnail per
image), so together they cost a fraction of decoding the images.
"""

from __future__ import annotations

import hashlib

import torch
from torch.nn import functional

from workbench.doctor.findings import Finding
from workbench.spec.model import ModelSpec

IMBALANCE_RATIO = 5.0  # largest / smallest class: past 5:1 a network can score well by ignoring the small class
MIN_PER_CLASS = 10  # fewer training images than this per class teach a class nothing a network can generalise
PARAMS_PER_IMAGE = 10_000  # past this many parameters per training image, memorising is easier than learning
CONSTANT_STD = 2.0  # an image whose pixels vary by less than this (of 255) shows nothing
CONSTANT_SHARE = 0.05  # share of such images worth a warning
DISTINCT_SHARE = 0.5  # fewer distinct images than this share of the training set: most are copies
NEAR_SIZE = 8  # near copies: the images averaged to 8×8 per channel ...
NEAR_TOL = 3.0  # ... differ nowhere by more than 3 of 255 (a re-encode, a slight brightness change)
UPSAMPLE = 2.0  # an image enlarged by at least this factor on both sides is mostly interpolated pixels
SPLIT_NAMES = {"train", "training", "val", "valid", "validation", "test", "testing", "eval"}
SOURCE = "Data checks as in Google's ML Test Score (Breck et al. 2017) and Deepchecks' data-integrity suite"


def _hashes(images: torch.Tensor) -> list[bytes]:
    """A hash of each image's exact pixels."""
    return [hashlib.blake2b(img.numpy().tobytes(), digest_size=12).digest() for img in images.cpu()]


def _thumbnails(images: torch.Tensor) -> torch.Tensor:
    """Each image averaged to NEAR_SIZE×NEAR_SIZE per channel, flattened (float, 0..255)."""
    return torch.cat([functional.adaptive_avg_pool2d(images[i:i + 1024].cpu().float(), (NEAR_SIZE, NEAR_SIZE)).flatten(1)
                      for i in range(0, images.shape[0], 1024)])


def _near_copies(val: torch.Tensor, train: torch.Tensor) -> torch.Tensor:
    """For each validation thumbnail: whether a training thumbnail is within NEAR_TOL everywhere."""
    return torch.cat([torch.cdist(val[i:i + 256], train, p=float("inf")).min(1).values <= NEAR_TOL
                      for i in range(0, val.shape[0], 256)])


def _balance(spec: ModelSpec, data, params: int) -> list[Finding]:
    counts = torch.bincount(data.train_y.cpu(), minlength=len(data.class_names)).tolist()
    named = dict(zip(data.class_names, counts))
    out = []
    big, small = max(named, key=named.get), min(named, key=named.get)
    if named[small] and named[big] / named[small] > IMBALANCE_RATIO:
        out.append(Finding(
            "data-imbalanced", "warning", "The classes are badly imbalanced",
            f"The training split has {named[big]} images of {big} and {named[small]} of {small} "
            f"({named[big] / named[small]:.1f}:1). Always answering {big} already scores {named[big] / sum(counts):.0%}, "
            f"so the accuracy says little and {small} is learned last, if at all. Add images of the small classes or "
            "leave out some of the large ones.", SOURCE, (), (), {"counts": named}, "data"))
    per_image = params / max(sum(counts), 1)
    if named[small] < MIN_PER_CLASS or per_image > PARAMS_PER_IMAGE:
        out.append(Finding(
            "data-too-few", "warning", "Too few images for this network",
            f"The smallest class ({small}) has {named[small]} training images and the network has {params:,} parameters, "
            f"{per_image:,.0f} per training image. A network that can memorise every image does not need to learn what "
            f"the classes have in common (fewer than {MIN_PER_CLASS} per class, or more than {PARAMS_PER_IMAGE:,} "
            "parameters per image, is too few). Add images, use a smaller network, or augment them (data.flip, "
            "data.crop_padding).", SOURCE, (), (),
            {"smallest_class": named[small], "params": params, "params_per_image": per_image}, "data"))
    return out


def _content(data, exact: list[bytes]) -> list[Finding]:
    x = data.train_x
    n = x.shape[0]
    spread = torch.cat([x[i:i + 1024].float().flatten(1).std(1) for i in range(0, n, 1024)]) if n > 1 else torch.zeros(n)
    flat = int((spread < CONSTANT_STD).sum())
    distinct = len(set(exact))
    out = []
    if flat >= max(1, CONSTANT_SHARE * n):
        out.append(Finding(
            "data-constant-images", "warning", "Many images are almost blank",
            f"{flat} of {n} training images ({flat / n:.0%}) vary by less than {CONSTANT_STD:g} of 255 across their "
            "pixels: they show nothing to learn from and teach the network a label for an empty picture. Check the "
            "files (a failed export, an all-black frame).", SOURCE, (), (), {"constant": flat, "images": n}, "data"))
    if n > 1 and distinct < DISTINCT_SHARE * n:
        out.append(Finding(
            "data-identical-images", "warning", "Most training images are copies",
            f"The {n} training images hold only {distinct} different pictures: the network sees far less variety than "
            "the count suggests.", SOURCE, (), (), {"distinct": distinct, "images": n}, "data"))
    return out


def _leaks(data, exact: list[bytes]) -> list[Finding]:
    if data.val_x.shape[0] == 0:
        return []
    train_exact = set(exact)
    val_exact = _hashes(data.val_x)
    same = sum(h in train_exact for h in val_exact)
    close = int(_near_copies(_thumbnails(data.val_x), _thumbnails(data.train_x)).sum()) - same
    if not same and not close:
        return []
    return [Finding(
        "data-train-val-duplicates", "warning", "Validation images also appear in the training split",
        f"{same} of the {len(val_exact)} validation images are exact copies of training images and {close} more are "
        f"near copies ({NEAR_SIZE}×{NEAR_SIZE} thumbnails within {NEAR_TOL:g} of 255 everywhere). The validation accuracy "
        "rewards memorising them and overstates how well the network does on new images. Remove the copies from one "
        "split.", SOURCE, (), (), {"exact": same, "near": close, "val_images": len(val_exact)}, "data")]


def _splits(data) -> list[Finding]:
    out = []
    if data.val_x.shape[0]:
        present = set(torch.unique(data.val_y.cpu()).tolist())
        missing = [name for i, name in enumerate(data.class_names) if i not in present]
        if missing:
            out.append(Finding(
                "data-class-missing-in-validation", "warning", "A class is missing from the validation split",
                f"The validation split has no image of {', '.join(missing)}: its accuracy on that class is never "
                "measured and early stopping cannot see it. Add validation images of it (or a larger val_split).",
                SOURCE, (), (), {"missing": missing}, "data"))
    named = [c for c in data.class_names if c.strip().lower() in SPLIT_NAMES]
    if len(named) >= 2:
        out.append(Finding(
            "data-split-folders-as-classes", "error", "The class folders are named like splits",
            f"The classes are the folders {', '.join(data.class_names)}: {', '.join(named)} look like a training / "
            "validation split, each holding the real class folders. The network is learning which split an image "
            "came from. Point data.path at the training folder (and data.val_path at the validation folder).",
            SOURCE, (), (), {"classes": list(data.class_names)}, "data"))
    return out


def _upsampled(spec: ModelSpec, data) -> list[Finding]:
    sizes = data.train_sizes
    if sizes is None or sizes.shape[0] == 0:
        return []
    h, w = spec.input.height, spec.input.width
    small = (sizes[:, 0] * UPSAMPLE <= h) & (sizes[:, 1] * UPSAMPLE <= w)
    if int(small.sum()) * 2 <= sizes.shape[0]:
        return []
    mh, mw = (int(v) for v in sizes.float().median(0).values)
    return [Finding(
        "data-upsampled", "warning", "Most images are much smaller than the input",
        f"{int(small.sum())} of {sizes.shape[0]} training images are at most 1/{UPSAMPLE:g} of the {h}×{w} input on both "
        f"sides (median {mh}×{mw}): enlarged, they are mostly interpolated pixels, and the network spends its compute "
        f"and receptive field on them. An input of about {mh}×{mw} sees the same information.",
        SOURCE, (), (), {"median_size": [mh, mw], "upsampled": int(small.sum())}, "data")]


def data_findings(spec: ModelSpec, data, params: int) -> list[Finding]:
    """Findings about ``data`` (a DataBundle) for ``spec`` with ``params`` parameters."""
    if data.train_x.shape[0] == 0:
        return []
    exact = _hashes(data.train_x)
    return (_splits(data) + _balance(spec, data, params) + _content(data, exact) + _leaks(data, exact)
            + _upsampled(spec, data))
