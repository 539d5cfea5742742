"""The ``data`` and ``training`` sections of a spec: their keys, defaults and ranges."""

from __future__ import annotations

import re

from workbench.spec.params import Param

DEVICE_RE = re.compile(r"^(auto|cpu|mps|cuda(:[0-9]+)?)$")

DATA_PARAMS: tuple[Param, ...] = (
    Param("source", "choice", default="shapes", doc="Built-in shapes or an image folder.", choices=("shapes", "folder")),
    Param("images", "int", default=600, doc="Number of generated shapes images.", minimum=3, maximum=1_000_000),
    Param("seed", "int", default=0, doc="Seed for generating and splitting the data.", minimum=0),
    Param("val_split", "float", default=0.2, doc="Share of images held out for validation.", minimum=0.0, maximum=0.9),
    Param("path", "str", default=None, doc="Image folder with one sub-folder per class.", nullable=True),
    Param("val_path", "str", default=None, doc="Separate validation folder (overrides val_split).", nullable=True),
    Param("resize", "choice", default="stretch", doc="How images reach the input size.", choices=("stretch", "center-crop", "pad")),
    Param("flip", "bool", default=False, doc="Augment: random horizontal flip."),
    Param("crop_padding", "int", default=0, doc="Augment: random crop after padding by this many pixels.", minimum=0, maximum=64),
    Param("jitter", "float", default=0.0, doc="Augment: brightness/contrast jitter strength.", minimum=0.0, maximum=1.0),
)

TRAINING_PARAMS: tuple[Param, ...] = (
    Param("optimizer", "choice", default="adam", doc="Optimisation algorithm.", choices=("sgd", "adam", "adamw", "rmsprop")),
    Param("lr", "float", default=0.001, doc="Learning rate.", minimum=0.0, maximum=10.0),
    Param("momentum", "float", default=0.9, doc="Momentum (SGD, RMSprop).", minimum=0.0, maximum=1.0, exclusive_max=True),
    Param("nesterov", "bool", default=False, doc="Nesterov momentum (SGD)."),
    Param("weight_decay", "float", default=0.0, doc="L2 weight decay.", minimum=0.0, maximum=1.0),
    Param("batch_size", "int", default=32, doc="Images per step.", minimum=1, maximum=65536),
    Param("epochs", "int", default=10, doc="Passes over the training data.", minimum=1, maximum=100_000),
    Param("seed", "int", default=0, doc="Seed for initialisation, shuffling and augmentation.", minimum=0),
    Param("schedule", "choice", default="constant", doc="Learning-rate schedule.", choices=("constant", "step", "cosine", "onecycle")),
    Param("warmup_epochs", "float", default=0.0, doc="Linear warm-up length in epochs.", minimum=0.0, maximum=1000.0),
    Param("step_size", "int", default=10, doc="Epochs between decays (step schedule).", minimum=1),
    Param("gamma", "float", default=0.1, doc="Decay factor (step schedule).", minimum=0.0, maximum=1.0),
    Param("clip_grad", "float", default=0.0, doc="Clip the gradient norm to this value; 0 = off.", minimum=0.0),
    Param("label_smoothing", "float", default=0.0, doc="Label smoothing.", minimum=0.0, maximum=1.0, exclusive_max=True),
    Param("early_stopping", "int", default=0, doc="Stop after this many epochs without improvement; 0 = off.", minimum=0),
    Param("monitor", "choice", default="val_loss", doc="Metric for best checkpoint and early stopping.", choices=("val_loss", "val_acc")),
    Param("device", "str", default="auto", doc="auto, cpu, cuda, cuda:N or mps."),
    Param("precision", "choice", default="fp32", doc="Mixed precision on CUDA.", choices=("fp32", "bf16", "fp16")),
    Param("channels_last", "bool", default=None, nullable=True,
          doc="Channels-last memory format; unset: on for the CPU (faster there for every preset), off on GPUs."),
    Param("compile", "bool", default=False, doc="Compile the model with torch.compile."),
)

SECTIONS: dict[str, tuple[Param, ...]] = {"data": DATA_PARAMS, "training": TRAINING_PARAMS}


def section_param(section: str, name: str) -> Param:
    """The parameter ``name`` of ``section`` (``data`` or ``training``)."""
    for p in SECTIONS[section]:
        if p.name == name:
            return p
    raise KeyError(f"{section}.{name}")


def device_problem(value: str) -> str | None:
    """Why ``value`` cannot name a training device (whether it is present is known only when training)."""
    if DEVICE_RE.match(value.strip().lower()):
        return None
    return f"device must be auto, cpu, cuda, cuda:N or mps, got {value!r}"
