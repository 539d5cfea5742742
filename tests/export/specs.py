"""The tiny spec the export tests train: 3×16×16 input, a few filters, one epoch on 60 shapes images."""

TINY_SPEC = """
schema_version: 1
name: tiny-export
input: {channels: 3, height: 16, width: 16}
classes: [circle, square, triangle]
layers:
  - {name: conv1, type: conv, filters: 4, kernel: 3, padding: same, activation: relu}
  - {name: bn1, type: batchnorm}
  - {name: pool1, type: maxpool, kernel: 2}
  - {name: conv2, type: conv, filters: 8, kernel: 3, activation: leaky_relu}
  - {name: drop, type: dropout, rate: 0.2}
  - {name: gap, type: gap}
  - {name: logits, type: conv, filters: 3, kernel: 1, activation: none}
data: {source: shapes, images: 60, seed: 0, val_split: 0.2}
training: {optimizer: adam, lr: 0.01, batch_size: 16, epochs: 1, seed: 0}
"""
