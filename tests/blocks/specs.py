"""Small block specs shared by the block tests."""

RESNET_TINY = """schema_version: 2
name: resnet-tiny
description: two residual stages and a parallel block
input: {channels: 3, height: 8, width: 8}
classes: 3
layers:
  - {name: stem, type: conv, filters: 4, padding: same}
  - name: stage1
    type: residual
    repeat: 2
    body:
      - {name: s1c1, type: conv, filters: 4, padding: same}
      - {name: s1c2, type: conv, filters: 4, padding: same, activation: none}
  - name: stage2
    type: residual
    shortcut: auto
    body:
      - {name: s2c1, type: conv, filters: 8, stride: 2, padding: 1}
      - {name: s2bn, type: batchnorm}
  - name: mix
    type: parallel
    branches:
      -
        - {name: b1, type: conv, filters: 2, kernel: 1}
      -
        - {name: b2, type: conv, filters: 3, padding: same}
        - name: inner
          type: residual
          activation: none
          body:
            - {name: b2c, type: conv, filters: 3, kernel: 1}
  - {name: gap, type: gap}
  - {name: logits, type: conv, filters: 3, kernel: 1, activation: none}
data: {}
training: {}
"""
