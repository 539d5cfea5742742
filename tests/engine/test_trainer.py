"""The trainer: events, bounded logging, stop/pause, divergence, checkpoints and exact resume."""

import json
import threading
import time

import pytest
import torch

from tests.engine.conftest import SOUND_LAYERS, make_spec
from workbench.training import (
    CheckpointEvent, EpochEvent, RunEnded, RunStarted, StepEvent, Trainer, TrainingError, open_run,
)
from workbench.training.devices import resolve_device

PLAIN = (int, float, str, bool, type(None))


def _plain(value) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return isinstance(value, PLAIN)


class AtStep:
    """A callback that runs ``action(ctx)`` once, after batch ``step``."""

    def __init__(self, step, action):
        self.step, self.action, self.seen = step, action, []

    def on_batch_end(self, ctx):
        self.seen.append(ctx.step)
        if ctx.step == self.step:
            self.action(ctx)


def test_events_in_order_with_plain_values():
    spec = make_spec(images=60, epochs=2)  # 45 training images, batch 16 -> 3 steps per epoch
    trainer = Trainer(spec, run_dir=False, log_every=2)
    events = []
    trainer.add_listener(events.append)
    ended = trainer.run()
    assert isinstance(events[0], RunStarted) and events[-1] is ended and isinstance(ended, RunEnded)
    assert events[0].steps_per_epoch == 3 and events[0].train_images == 45 and events[0].val_images == 15
    assert [e.epoch for e in events if isinstance(e, EpochEvent)] == [1, 2]
    assert [e.step for e in events if isinstance(e, StepEvent)] == [2, 3, 4, 6]
    assert not any(isinstance(e, CheckpointEvent) for e in events)  # run_dir=False writes nothing
    for event in events:
        assert _plain(vars(event)), event
    assert ended.status == "completed" and ended.final["epoch"] == 2 and ended.run_dir is None


def test_no_files_without_run_dir(tmp_path):
    Trainer(make_spec(images=30), run_dir=False).run()
    assert not (tmp_path / "runs").exists()


def test_log_rate_and_device_reads_are_bounded(monkeypatch):
    spec = make_spec(images=200, epochs=2, training="optimizer: sgd")  # 10 steps per epoch
    reads = []
    for name in ("item", "tolist", "__float__", "__bool__"):
        original = getattr(torch.Tensor, name)

        def counted(self, *a, _original=original, _name=name, **k):
            reads.append(_name)
            return _original(self, *a, **k)

        monkeypatch.setattr(torch.Tensor, name, counted)
    trainer = Trainer(spec, run_dir=False, log_every=5)
    steps = []
    trainer.add_listener(lambda e: steps.append(e) if isinstance(e, StepEvent) else None)
    reads.clear()
    trainer.run()
    assert [e.step for e in steps] == [5, 10, 15, 20]
    # one read per step event, and a couple per epoch (epoch totals, validation): never one per step
    assert len(reads) <= len(steps) + 3 * 2


def test_stop_answers_within_one_batch():
    trainer = Trainer(make_spec(images=120, epochs=3), run_dir=False)
    cb = AtStep(2, lambda ctx: ctx.request_stop("enough"))
    trainer.callbacks.append(cb)
    ended = trainer.run()
    assert ended.status == "stopped" and ended.reason == "enough"
    assert trainer.step == 2 and cb.seen == [1, 2]


def test_stop_from_another_thread_while_paused():
    trainer = Trainer(make_spec(images=120, epochs=3), run_dir=False)
    trainer.callbacks.append(AtStep(1, lambda ctx: trainer.pause()))
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("ended", trainer.run()))
    thread.start()
    deadline = time.time() + 20
    while not trainer.paused and time.time() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    assert trainer.paused and trainer.step == 1  # paused before the second batch
    trainer.request_stop()
    thread.join(20)
    assert result["ended"].status == "stopped" and trainer.step == 1


def test_pause_and_resume_continue_the_run():
    trainer = Trainer(make_spec(images=60, epochs=1), run_dir=False)
    times = {}

    def pause(ctx):
        trainer.pause()
        threading.Timer(0.3, trainer.resume).start()
        times["paused"] = time.perf_counter()

    class After:
        def on_batch_end(self, ctx):
            if ctx.step == 2:
                times["next"] = time.perf_counter()

    trainer.callbacks += [AtStep(1, pause), After()]
    ended = trainer.run()
    assert ended.status == "completed" and trainer.step == 3
    assert times["next"] - times["paused"] >= 0.3


def _poison(ctx):
    with torch.no_grad():
        ctx.model.logits.weight.fill_(float("inf"))


def test_nan_loss_stops_as_diverged_and_keeps_last_good_checkpoint():
    trainer = Trainer(make_spec(images=60, epochs=3), log_every=100)
    trainer.callbacks.append(AtStep(4, _poison))  # epoch 2, after one good epoch
    ended = trainer.run()
    assert ended.status == "diverged"
    assert "step 5" in ended.reason
    run = open_run(ended.run_dir)
    assert run.summary["status"] == "diverged" and run.meta["status"] == "diverged"
    state = torch.load(run.checkpoint_path("last"), weights_only=True)
    assert state["epoch"] == 1
    assert all(torch.isfinite(t).all() for t in state["model"].values())


def test_huge_learning_rate_diverges():
    layers = SOUND_LAYERS.replace("activation: relu", "activation: none")  # nothing saturates: weights blow up
    spec = make_spec(images=60, epochs=3, layers=layers, training="optimizer: sgd, lr: 10, momentum: 0.9")
    ended = Trainer(spec, run_dir=False, log_every=100).run()
    assert ended.status == "diverged" and "NaN or infinite at step 3" in ended.reason
    assert ended.final is None


def _epochs(run_dir):
    return [json.loads(line) for line in (run_dir / "epochs.jsonl").read_text().splitlines()]


RESUME_SPEC = dict(images=60, epochs=3, data="flip: true, crop_padding: 2, jitter: 0.2",
                   training="schedule: cosine, warmup_epochs: 1")


def test_stop_and_resume_matches_an_uninterrupted_run(tmp_path):
    full = Trainer(make_spec(**RESUME_SPEC), run_dir=tmp_path / "full").run()
    first = Trainer(make_spec(**RESUME_SPEC), run_dir=tmp_path / "split")
    first.callbacks.append(AtStep(5, lambda ctx: ctx.request_stop("pause for now")))  # in epoch 2
    assert first.run().status == "stopped"
    assert [e["epoch"] for e in _epochs(tmp_path / "split")] == [1]
    mid = torch.load(tmp_path / "split" / "checkpoints" / "last.pt", weights_only=True)
    assert (mid["epoch"], mid["step"], mid["batch"]) == (1, 5, 2)  # kept in the middle of epoch 2
    resumed = Trainer(make_spec(**RESUME_SPEC), resume_from=tmp_path / "split")
    seen = []
    resumed.add_listener(lambda e: seen.append(e.step) if isinstance(e, StepEvent) else None)
    ended = resumed.run()
    assert seen and min(seen) > 5  # nothing of epoch 2 is trained twice
    assert ended.status == "completed" and ended.run_dir == str(tmp_path / "split")
    keys = ("train_loss", "train_acc", "val_loss", "val_acc", "lr", "step")
    a = [{k: e[k] for k in keys} for e in _epochs(tmp_path / "full")]
    b = [{k: e[k] for k in keys} for e in _epochs(tmp_path / "split")]
    assert a == b
    steps = [json.loads(line)["step"] for line in (tmp_path / "split" / "steps.jsonl").read_text().splitlines()]
    assert steps == sorted(set(steps))
    for name, tensor in full_state(tmp_path / "full").items():
        assert torch.equal(tensor, full_state(tmp_path / "split")[name]), name


def full_state(run_dir):
    return torch.load(run_dir / "checkpoints" / "last.pt", weights_only=True)["model"]


def test_resume_of_finished_run_does_nothing_more(tmp_path):
    Trainer(make_spec(images=30), run_dir=tmp_path / "r").run()
    ended = Trainer(make_spec(images=30), resume_from=tmp_path / "r").run()
    assert ended.status == "completed" and "already" in ended.reason


def test_resume_from_a_folder_without_checkpoint(tmp_path):
    with pytest.raises(TrainingError, match="no checkpoint"):
        Trainer(make_spec(images=30), resume_from=tmp_path)


def test_early_stopping_on_monitored_metric():
    spec = make_spec(images=30, epochs=6, training="lr: 0.0, early_stopping: 2, monitor: val_acc")
    ended = Trainer(spec, run_dir=False).run()
    assert ended.status == "completed" and "early stopping" in ended.reason
    assert ended.final["epoch"] == 3 and ended.best["epoch"] == 1


@pytest.mark.parametrize("training", [
    "optimizer: sgd, nesterov: true, weight_decay: 0.01",
    "optimizer: adamw, weight_decay: 0.05, clip_grad: 1.0",
    "optimizer: rmsprop, label_smoothing: 0.1, schedule: onecycle",
    "optimizer: adam, schedule: step, step_size: 1, gamma: 0.5",
    "optimizer: adam, channels_last: true, precision: bf16",  # bf16 autocast is for CUDA; fp32 elsewhere
])
def test_optimisers_and_options_train(training):
    trainer = Trainer(make_spec(images=30, training=training), run_dir=False, max_steps=2)
    before = [p.detach().clone() for p in trainer.model.parameters()]
    ended = trainer.run()
    assert ended.status == "completed" and "step limit" in ended.reason and trainer.step == 2
    assert any(not torch.equal(a, b) for a, b in zip(before, trainer.model.parameters()))


@pytest.mark.parametrize("training, expected", [("", True), ("channels_last: false", False), ("channels_last: true", True)])
def test_channels_last_is_the_cpu_default_and_can_be_turned_off(training, expected):
    trainer = Trainer(make_spec(images=30, training=training), run_dir=False, device="cpu", max_steps=1)
    weight = trainer.model.c1.weight
    assert trainer.channels_last is expected
    assert weight.is_contiguous(memory_format=torch.channels_last) is expected
    assert trainer.run().status == "completed"


def test_callback_error_ends_the_run_as_failed(tmp_path):
    def boom(ctx):
        raise RuntimeError("callback broke")

    trainer = Trainer(make_spec(images=30), run_dir=tmp_path / "r", callbacks=[AtStep(1, boom)])
    ended = trainer.run()
    assert ended.status == "failed" and "callback broke" in ended.reason
    assert "RuntimeError" in (tmp_path / "r" / "error.txt").read_text()


def test_learning_rate_schedules():
    from workbench.training.optim import LRSchedule

    def factors(training, steps_per_epoch=10, epochs=4):
        spec = make_spec(training=training)
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
        sched = LRSchedule(opt, spec, steps_per_epoch, epochs)
        return [sched.factor(s) for s in range(steps_per_epoch * epochs)]

    assert set(factors("schedule: constant")) == {1.0}
    step = factors("schedule: step, step_size: 2, gamma: 0.1")
    assert step[0] == 1.0 and step[19] == 1.0 and step[20] == pytest.approx(0.1)
    cosine = factors("schedule: cosine, warmup_epochs: 1")
    assert cosine[0] == pytest.approx(0.1) and cosine[9] == pytest.approx(1.0)
    assert cosine == sorted(cosine[:10]) + sorted(cosine[10:], reverse=True) and cosine[-1] < 0.01
    onecycle = factors("schedule: onecycle")
    peak = onecycle.index(max(onecycle))
    assert onecycle[0] == pytest.approx(1 / 25 + (1 - 1 / 25) / 12) and max(onecycle) == pytest.approx(1.0) and peak == 11 and onecycle[-1] < 0.01


def test_without_validation_data_the_training_metrics_decide():
    spec = make_spec(images=30, epochs=2)
    spec.data["val_split"] = 0.0
    trainer = Trainer(spec, run_dir=False)
    assert any("no validation data" in w for w in trainer.data.report.warnings)
    ended = trainer.run()
    assert ended.status == "completed" and ended.final["val_acc"] is None
    assert ended.best["train_loss"] == min(ended.best["train_loss"], ended.final["train_loss"])


def test_data_that_does_not_fit_the_spec_is_refused():
    from workbench.data import load_data

    data = load_data(make_spec(images=30))
    with pytest.raises(TrainingError, match="16×16 but the spec's input is 3×24×24"):
        Trainer(make_spec(images=30, size=24), data=data, run_dir=False)
    with pytest.raises(TrainingError, match="3 classes but the spec has 4"):
        Trainer(make_spec(images=30, classes=4), data=data, run_dir=False)


def test_devices():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type in ("cpu", "cuda", "mps")
    with pytest.raises(TrainingError, match="unknown device"):
        resolve_device("tpu9")
    if not torch.cuda.is_available():
        with pytest.raises(TrainingError, match="CUDA is not available"):
            resolve_device("cuda")
