"""Tiny specs the app's tests train in a second or two on a CPU."""

from __future__ import annotations

from workbench.spec import loads_spec

TINY_YAML = """
schema_version: 1
name: {name}
input: {{channels: 3, height: 16, width: 16}}
classes: [circle, square, triangle]
layers:
  - {{name: conv1, type: conv, filters: 8, kernel: 3, padding: same, activation: relu}}
  - {{name: pool1, type: maxpool, kernel: 2}}
{extra}  - {{name: gap, type: gap}}
  - {{name: logits, type: conv, filters: 3, kernel: 1, activation: none}}
data: {{source: shapes, images: {images}, seed: 0, val_split: 0.25}}
training: {{optimizer: adam, lr: 0.01, batch_size: 16, epochs: {epochs}, seed: 0, device: cpu}}
"""


def tiny_spec(name="tiny", epochs=2, images=80, one_by_one=0):
    """A 3×16×16 net with 8 filters (plus ``one_by_one`` 1×1 convs) on the built-in shapes."""
    extra = "".join(
        f"  - {{name: fc{7 + i}, type: conv, filters: 8, kernel: 1, activation: relu}}\n" for i in range(one_by_one)
    )
    return loads_spec(TINY_YAML.format(name=name, epochs=epochs, images=images, extra=extra))
