"""Engine test helpers: one torch thread, tiny specs for the shapes data, and image folders made with Pillow."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from workbench.spec import loads_spec
from workbench.spec.yaml_safe import safe_load

torch.set_num_threads(1)

SOUND_LAYERS = """
  - {name: c1, type: conv, filters: 8, kernel: 3, padding: same, activation: relu}
  - {name: p1, type: maxpool, kernel: 2}
  - {name: c2, type: conv, filters: 16, kernel: 3, padding: same, activation: relu}
  - {name: p2, type: maxpool, kernel: 2}
  - {name: c3, type: conv, filters: 16, kernel: 3, padding: same, activation: relu}
  - {name: gap, type: gap}
  - {name: logits, type: conv, filters: CLASSES, kernel: 1, activation: none}
"""

# four fc layers as 1x1 convolutions from trunc_normal(0.005) with bias 0.1, and dropout on the logits
BROKEN_LAYERS = """
  - {name: c1, type: conv, filters: 8, kernel: 3, padding: same, activation: relu}
  - {name: p1, type: maxpool, kernel: 2}
  - {name: c2, type: conv, filters: 16, kernel: 3, padding: same, activation: relu}
  - {name: p2, type: maxpool, kernel: 2}
  - {name: fc6, type: conv, filters: 32, kernel: 1, activation: relu, init: {weight: trunc_normal, std: 0.005, bias: 0.1}}
  - {name: fc7, type: conv, filters: 32, kernel: 1, activation: relu, init: {weight: trunc_normal, std: 0.005, bias: 0.1}}
  - {name: fc8, type: conv, filters: 32, kernel: 1, activation: relu, init: {weight: trunc_normal, std: 0.005, bias: 0.1}}
  - {name: fc9, type: conv, filters: 32, kernel: 1, activation: relu, init: {weight: trunc_normal, std: 0.005, bias: 0.1}}
  - {name: gap, type: gap}
  - {name: logits, type: conv, filters: CLASSES, kernel: 1, activation: none, init: {weight: trunc_normal, std: 0.005, bias: 0.0}}
  - {name: drop, type: dropout, rate: 0.5}
"""


def make_spec(size: int = 16, images: int = 60, epochs: int = 1, classes=3, channels: int = 3,
              layers: str = SOUND_LAYERS, data: str = "", training: str = ""):
    """A tiny spec for the shapes data; ``data``/``training`` add or replace flow-mapping entries like ``"lr: 0.1"``."""
    n = classes if isinstance(classes, int) else len(classes)
    data_section = _flow({"source": "shapes", "images": images, "seed": 0, "val_split": 0.25}, data)
    training_section = _flow({"optimizer": "adam", "lr": 0.003, "batch_size": 16, "epochs": epochs, "seed": 0}, training)
    return loads_spec(f"""
name: tiny-test
input: {{channels: {channels}, height: {size}, width: {size}}}
classes: {classes}
layers: {layers.replace("CLASSES", str(n))}
data: {data_section}
training: {training_section}
""")


def _flow(base: dict, extra: str) -> str:
    """``base`` with the entries of the flow-mapping text ``extra`` added or replaced, as one flow mapping
    (a spec may not give a key twice)."""
    entries = {**base, **(safe_load("{" + extra + "}") if extra else {})}
    return "{" + ", ".join(f"{key}: {json.dumps(value)}" for key, value in entries.items()) + "}"


@pytest.fixture
def spec_factory():
    return make_spec


def save_image(path, mode: str = "RGB", size=(20, 14), value: int = 128, fmt: str | None = None):
    """Write a small image in ``mode`` (RGB, L, RGBA, P, I;16) to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    w, h = size
    if mode == "I;16":
        arr = np.full((h, w), value * 257, dtype=np.uint16)
        img = Image.fromarray(arr)  # uint16 -> mode I;16
    elif mode == "P":
        img = Image.new("RGB", size, (value, value, 255 - value)).convert("P")
    else:
        bands = len(mode) if mode != "L" else 1
        img = Image.new(mode, size, tuple([value] * bands) if bands > 1 else value)
    img.save(path, format=fmt)
    return path


@pytest.fixture
def image_folder(tmp_path):
    """A folder with classes 'dark' and 'light' (8 images each, 20×14 RGB) — returns its path."""
    root = tmp_path / "images"
    for i in range(8):
        save_image(root / "dark" / f"d{i}.png", value=20 + i)
        save_image(root / "light" / f"l{i}.png", value=220 - i)
    return root
