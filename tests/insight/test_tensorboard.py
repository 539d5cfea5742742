"""TensorBoard event files, live and converted, read back with TensorBoard's own EventAccumulator."""

from __future__ import annotations

import json

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from tests.insight.models import SMALL
from workbench.cli import main
from workbench.doctor.findings import Finding
from workbench.insight import tensorboard as tb
from workbench.insight.recording import run_recorders
from workbench.spec import loads_spec
from workbench.training import DiagnosisEvent, Trainer, open_run


class _Diagnose:
    """Emits one doctor finding at step 2, as the training monitor does."""

    def on_batch_end(self, ctx):
        if ctx.step == 2:
            ctx.emit(DiagnosisEvent(ctx.step, Finding("test-rule", "warning", "the loss sits at chance",
                                                      "measured 1.10 over 2 steps", "test", ("conv1",))))


def _events(folder) -> EventAccumulator:
    acc = EventAccumulator(str(folder), size_guidance={"scalars": 0, "histograms": 0, "images": 0, "tensors": 0})
    acc.Reload()
    return acc


@pytest.fixture(scope="module")
def live_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("tb") / "run"
    trainer = Trainer(loads_spec(SMALL), run_dir=run_dir, device="cpu", log_every=1, callbacks=[_Diagnose()])
    run_recorders(histograms_every=3, tensorboard=True).attach(trainer)
    assert trainer.run().status == "completed"
    return run_dir


def _check_events(acc: EventAccumulator, run_dir) -> None:
    run = open_run(run_dir)
    losses = acc.Scalars("train/loss")
    assert [e.step for e in losses] == [s["step"] for s in run.steps] == [1, 2, 3, 4, 5, 6]
    assert [e.value for e in losses] == pytest.approx([s["loss"] for s in run.steps])
    for tag in ("train/accuracy", "train/lr", "train/images_per_s", "epoch/val_loss", "epoch/val_accuracy"):
        assert tag in acc.Tags()["scalars"]
    assert [e.value for e in acc.Scalars("epoch/val_accuracy")] == pytest.approx([e["val_acc"] for e in run.epochs])
    weights = acc.Histograms("weights/conv1")
    assert [e.step for e in weights] == [3, 6]
    assert weights[-1].histogram_value.num == 4 * 3 * 3 * 3
    assert {"gradients/conv1", "activations/pool1"} <= set(acc.Tags()["histograms"])
    image = acc.Images("confusion_matrix")[-1]
    assert image.step == 6 and image.width > 100 and image.height > 100
    text = acc.Tensors("doctor/text_summary")
    assert len(text) == 1 and text[0].step == 2
    assert b"the loss sits at chance" in text[0].tensor_proto.string_val[0]


def test_a_live_run_writes_scalars_histograms_confusion_and_findings(live_run):
    assert json.loads((live_run / "findings.jsonl").read_text().splitlines()[0])["title"] == "the loss sits at chance"
    _check_events(_events(live_run / "tensorboard"), live_run)


def test_runs_tensorboard_converts_a_recorded_run(live_run, capsys):
    for _ in range(2):  # converting again replaces the files it wrote before
        assert main(["runs", "--tensorboard", str(live_run)]) == 0
    assert "tensorboard --logdir" in capsys.readouterr().out
    assert len(list((live_run / "tensorboard").glob("events.out.tfevents.*"))) == 1
    _check_events(_events(live_run / "tensorboard"), live_run)


def test_without_tensorboard_the_option_says_how_to_get_it(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(tb, "tensorboard_available", lambda: False)
    assert main(["train", "tiny-shapes", "--tensorboard", "--out", str(tmp_path)]) == 1
    assert 'pip install -e ".[tensorboard]"' in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_a_folder_that_is_not_a_run_is_reported(tmp_path, capsys):
    assert main(["runs", "--tensorboard", str(tmp_path)]) == 1
    assert "is not a run folder" in capsys.readouterr().err
