"""One small model trained on the shapes (3×32×32, five epochs), shared by the insight and app tests through
the top-level conftest, and the spec of a six-step run for the recording tests."""

from __future__ import annotations

import pytest

from workbench.export.trained import trained_from_run
from workbench.spec import loads_spec
from workbench.training import Trainer

SIZE = 32
SPEC = f"""
schema_version: 1
name: insight-test
input: {{channels: 3, height: {SIZE}, width: {SIZE}}}
classes: [circle, square, triangle]
layers:
  - {{name: conv1, type: conv, filters: 8, kernel: 3, padding: same, activation: relu}}
  - {{name: pool1, type: maxpool, kernel: 2}}
  - {{name: conv2, type: conv, filters: 16, kernel: 3, padding: same, activation: relu}}
  - {{name: conv3, type: conv, filters: 32, kernel: 3, padding: same, activation: relu}}
  - {{name: gap, type: gap}}
  - {{name: logits, type: conv, filters: 3, kernel: 1, activation: none}}
data: {{source: shapes, images: 480, seed: 0, val_split: 0.2}}
training: {{optimizer: adam, lr: 0.005, batch_size: 32, epochs: 5, seed: 0}}
"""

# a six-step run (3×16×16, 36 training images, batches of 12, two epochs) for the recording tests
SMALL = """
name: hist-test
input: {channels: 3, height: 16, width: 16}
classes: 3
layers:
  - {name: conv1, type: conv, filters: 4, kernel: 3, padding: same, activation: relu}
  - {name: pool1, type: maxpool, kernel: 2}
  - {name: flat, type: flatten}
  - {name: fc, type: dense, units: 3, activation: none}
data: {source: shapes, images: 48, seed: 0, val_split: 0.25}
training: {optimizer: adam, lr: 0.01, batch_size: 12, epochs: 2, seed: 0}
"""


@pytest.fixture(scope="session")
def shapes_run(tmp_path_factory):
    """A finished run folder of the spec above (about 98% validation accuracy)."""
    run_dir = tmp_path_factory.mktemp("insight") / "run"
    ended = Trainer(loads_spec(SPEC), run_dir=run_dir, device="cpu").run()
    assert ended.status == "completed", ended.reason
    return run_dir


@pytest.fixture(scope="session")
def trained(shapes_run):
    return trained_from_run(shapes_run)
