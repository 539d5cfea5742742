"""Small specs for the doctor's tests, written inline so each test shows the network it judges."""

from __future__ import annotations

from workbench.spec import loads_spec

HEADER = """
schema_version: 1
name: {name}
input: {{channels: {channels}, height: {size}, width: {size}}}
classes: {classes}
layers:
"""
FOOTER = """
data: {{source: shapes, images: {images}, seed: 0, val_split: 0.2}}
training: {{optimizer: {optimizer}, lr: {lr}, batch_size: 32, epochs: {epochs}, seed: 0}}
"""


def make_spec(layers: str, name: str = "t", size: int = 16, channels: int = 3, classes: int = 3, images: int = 90,
              optimizer: str = "adam", lr: float = 0.001, epochs: int = 3):
    """A spec from YAML layer lines (each ``- {...}``, indented by two spaces)."""
    text = HEADER.format(name=name, channels=channels, size=size, classes=classes) + layers.strip("\n") + "\n" + \
        FOOTER.format(images=images, optimizer=optimizer, lr=lr, epochs=epochs)
    return loads_spec(text)


# A scaled-down OverFeat head with the question's initialisation: fc layers with std 0.005 / bias 0.1,
# dropout on the logits.
FC7_1 = "  - {name: fc7_1, type: conv, filters: 128, kernel: 1, activation: relu, init: {weight: trunc_normal, std: 0.005, bias: 0.1}}"
SICK_HEAD = """
  - {name: conv1, type: conv, filters: 8, kernel: 3, padding: same, activation: relu}
  - {name: pool1, type: maxpool, kernel: 2}
  - {name: conv2, type: conv, filters: 16, kernel: 3, padding: same, activation: relu}
  - {name: pool2, type: maxpool, kernel: 2}
  - {name: conv3, type: conv, filters: 16, kernel: 3, padding: same, activation: relu}
  - {name: pool3, type: maxpool, kernel: 2}
  - {name: fc6, type: conv, filters: 64, kernel: 3, padding: valid, activation: relu, init: {weight: trunc_normal, std: 0.005, bias: 0.1}}
  - {name: drop6, type: dropout, rate: 0.5}
  - {name: fc7, type: conv, filters: 128, kernel: 1, activation: relu, init: {weight: trunc_normal, std: 0.005, bias: 0.1}}
FC7_1
  - {name: gap, type: gap}
  - {name: fc9, type: conv, filters: 3, kernel: 1, activation: none, init: {weight: trunc_normal, std: 0.005, bias: 0.0}}
  - {name: drop9, type: dropout, rate: 0.5}
""".replace("FC7_1", FC7_1)


def sick_spec(**kwargs):
    """The scaled-down question network on 32×32 shapes (fc6 sees a 4×4 map, like OverFeat's 6×6)."""
    return make_spec(SICK_HEAD, name="mini-question", size=32, **kwargs)


def question_spec(name: str = "mini-question-shallow", **kwargs):
    """The scaled-down question network without fc7_1: the version that trains, one weak layer less."""
    return make_spec(SICK_HEAD.replace(FC7_1 + "\n", ""), name=name, size=32, **kwargs)
