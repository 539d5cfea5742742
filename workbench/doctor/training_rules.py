"""Instant checks of the training settings: a learning rate outside the optimizer's plausible band, a batch
larger than the training set, a run too short to leave chance.

These read the spec alone, so they say what is unusual and point at the measurement (``lr-find``); the
learning-rate findings with a measured value to set come from the range test (:mod:`workbench.doctor.lr_rules`).
"""

from __future__ import annotations

import math

from workbench.analysis import Analysis
from workbench.doctor.edits import set_training
from workbench.doctor.findings import Finding, Fix
from workbench.spec.model import ModelSpec

# Plausible learning rates per optimizer, with the reason for each band:
# - SGD: the update is lr × gradient. Published CNN recipes use 0.01-0.1 (AlexNet, VGG, ResNet at batch 256) and
#   up to ~3 only with warm-up at batch 8k (Goyal et al. 2017); below 1e-4 an SGD run moves the weights so little
#   that it needs hundreds of epochs to leave chance.
# - Adam, AdamW, RMSprop: the update is about lr per weight whatever the gradient's scale (Kingma & Ba 2015), so
#   lr is directly the step of every weight: 1e-3 is the published default, above 1e-2 each step moves a
#   He-initialised conv weight (std ~0.05-0.3) by a large part of its size, below 1e-5 by almost nothing.
LR_BANDS = {"sgd": (1e-4, 1.0), "adam": (1e-5, 1e-2), "adamw": (1e-5, 1e-2), "rmsprop": (1e-5, 1e-2)}
# Measured on the built-in shapes at a good learning rate (the two-conv nets of tests/data/lr-*.yaml with the
# range test's suggestion, a 16×16 two-conv GAP net with Adam 3e-3): the accuracy first leaves chance between
# step 8 and step 24, so a run of fewer steps ends where it started whatever else is right.
MIN_STEPS = 24


def lr_band(spec: ModelSpec, analysis: Analysis | None = None) -> list[Finding]:
    optimizer, lr = spec.training_value("optimizer"), float(spec.training_value("lr"))
    low, high = LR_BANDS[optimizer]
    if low <= lr <= high:
        return []
    side = "above" if lr > high else "below"
    effect = ("the first steps throw the weights far from where they started: the loss explodes or the ReLUs die"
              if lr > high else "each step moves the weights so little that the run ends about where it started")
    return [Finding(
        "lr-out-of-band", "warning", f"The learning rate is {side} the usual range for {optimizer}",
        f"lr {lr:g} is {side} {low:g}-{high:g}, the range where {optimizer} usually trains a CNN: {effect}. "
        "Run the learning-rate range test (`lr-find`, or `doctor` without --static) to measure a value for this "
        "network and data.",
        "Smith 2015 (cyclical learning rates); Kingma & Ba 2015; Goyal et al. 2017",
        measured={"lr": lr, "band": [low, high]},
    )]


def shapes_train_images(spec: ModelSpec) -> int | None:
    """Training images of a built-in shapes spec (its validation split taken away); None for folders."""
    if spec.data_value("source") != "shapes":
        return None
    images = int(spec.data_value("images"))
    return images - int(round(images * float(spec.data_value("val_split"))))


def count_findings(spec: ModelSpec, train_images: int) -> list[Finding]:
    """The checks that need the number of training images: batch size and total steps."""
    out = []
    batch, epochs = int(spec.training_value("batch_size")), int(spec.training_value("epochs"))
    if batch > train_images:
        out.append(Finding(
            "batch-above-data", "warning", "The batch is larger than the training set",
            f"batch_size {batch} with {train_images} training images: every step sees the whole set, so an epoch is "
            "one step and the gradient has no noise to help it.",
            "Keskar et al. 2017 (large-batch training)", (),
            (Fix(f"Set batch_size to {train_images}", (set_training("batch_size", train_images),)),),
            {"batch_size": batch, "train_images": train_images},
        ))
    steps = epochs * math.ceil(train_images / min(batch, train_images))
    if steps < MIN_STEPS:
        per_epoch = math.ceil(train_images / min(batch, train_images))
        need = math.ceil(MIN_STEPS / per_epoch)
        out.append(Finding(
            "run-too-short", "warning", "The run is too short to leave chance",
            f"{epochs} epoch(s) of {per_epoch} step(s) is {steps} steps; on the built-in shapes small networks at a "
            f"good learning rate need 8 to {MIN_STEPS} steps before their accuracy leaves chance.",
            "measured on the built-in shapes", (),
            (Fix(f"Set epochs to {need} ({need * per_epoch} steps)", (set_training("epochs", need),)),),
            {"steps": steps, "min_steps": MIN_STEPS},
        ))
    return out


def training_settings(spec: ModelSpec, analysis: Analysis | None = None) -> list[Finding]:
    """The static training checks (the counting ones only where the count is known from the spec)."""
    train_images = shapes_train_images(spec)
    return lr_band(spec) + (count_findings(spec, train_images) if train_images else [])
