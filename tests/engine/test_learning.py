"""A sound tiny net learns the shapes; the same net with the broken initialisation stays at chance."""

from tests.engine.conftest import BROKEN_LAYERS, make_spec
from workbench.training import Trainer

SETTINGS = {"size": 24, "images": 480, "epochs": 5, "training": "lr: 0.005"}


def test_sound_tiny_net_learns_shapes():
    ended = Trainer(make_spec(**SETTINGS), run_dir=False, log_every=1000).run()
    assert ended.status == "completed"
    assert ended.final["val_acc"] >= 0.9
    assert ended.final["train_loss"] < 0.5


def test_broken_init_with_dropout_on_logits_stays_at_chance():
    ended = Trainer(make_spec(layers=BROKEN_LAYERS, **SETTINGS), run_dir=False, log_every=1000).run()
    assert ended.status == "completed"
    assert ended.final["val_acc"] <= 0.4
    assert ended.final["train_loss"] > 1.05
