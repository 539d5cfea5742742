"""A run folder read back as events while it grows, and stopping a run through its folder."""

from tests.engine.conftest import make_spec
from workbench.training import Trainer, run_control
from workbench.training.events import EpochEvent, RunEnded, RunStarted, StepEvent
from workbench.training.follow import RunFollower


def test_follower_replays_a_real_run_and_only_what_is_new(tmp_path):
    events_seen = []
    follower = RunFollower(tmp_path / "run")

    class Poll:
        def on_epoch_end(self, ctx):
            events_seen.extend(follower.poll())

    trainer = Trainer(make_spec(images=60, epochs=2), run_dir=tmp_path / "run", callbacks=(Poll(),), log_every=1)
    trainer.add_listener(lambda e: None)
    ended = trainer.run()
    events_seen.extend(follower.poll())
    assert follower.poll() == []
    assert isinstance(events_seen[0], RunStarted) and events_seen[0].total_epochs == 2
    steps = [e.step for e in events_seen if isinstance(e, StepEvent)]
    assert steps == list(range(1, ended.final["step"] + 1))
    epochs = [e for e in events_seen if isinstance(e, EpochEvent)]
    assert [e.epoch for e in epochs] == [1, 2] and epochs[-1].val_loss == ended.final["val_loss"]
    assert isinstance(events_seen[-1], RunEnded) and events_seen[-1].status == "completed"


def test_a_stop_request_file_stops_the_run_after_the_batch_and_is_removed(tmp_path):
    class AskAtStep2:
        def __init__(self):
            self.trainer = None

        def on_batch_end(self, ctx):
            if ctx.step == 2:
                run_control.request_stop(self.trainer.run_dir, "stopped from another window")

    asker = AskAtStep2()
    trainer = Trainer(make_spec(images=60, epochs=3), run_dir=tmp_path / "run", callbacks=(asker,))
    asker.trainer = trainer
    run_control.attach(trainer)
    ended = trainer.run()
    assert ended.status == "stopped" and ended.reason == "stopped from another window" and trainer.step == 2
    assert not (tmp_path / "run" / run_control.STOP_FILE).exists()
    assert (tmp_path / "run" / "checkpoints" / "last.pt").is_file()
