"""Run folders: files per the contract, listing, reading back, loading the trained model."""

import json

import pytest
import torch

from tests.engine.conftest import make_spec
from workbench.spec import dumps_spec
from workbench.training import Trainer, TrainingError, list_runs, open_run


def test_run_folder_contents_and_read_back(tmp_path):
    spec = make_spec(images=60, epochs=2)
    trainer = Trainer(spec)
    ended = trainer.run()
    runs = list_runs()
    assert [r.path for r in runs] == [trainer.run_dir]
    run = runs[0]
    assert run.name.endswith("-tiny-test") and run.name[:8].isdigit()
    assert (run.path / "spec.yaml").read_text() == dumps_spec(spec)
    assert run.spec.name == "tiny-test"
    assert run.meta["class_names"] == ["circle", "square", "triangle"]
    assert run.meta["input"] == {"channels": 3, "height": 16, "width": 16}
    assert run.meta["normalization"]["mean"] == pytest.approx(trainer.data.mean)
    assert run.meta["data"]["counts"] == {"circle": 20, "square": 20, "triangle": 20}
    assert run.meta["status"] == "completed" and run.status == "completed"
    assert [e["epoch"] for e in run.epochs] == [1, 2]
    assert run.steps[-1]["step"] == 6
    summary = run.summary
    assert summary["final"] == ended.final and summary["best"] == ended.best
    assert summary["duration_s"] > 0 and summary["images_per_s"] > 0 and summary["device"] == "cpu"
    confusion = run.confusion
    assert confusion["classes"] == ["circle", "square", "triangle"]
    assert sum(map(sum, confusion["matrix"])) == 15
    correct = sum(confusion["matrix"][i][i] for i in range(3))
    assert correct / 15 == pytest.approx(ended.final["val_acc"])


def test_checkpoints_load_with_weights_only_and_rebuild_the_model(tmp_path):
    trainer = Trainer(make_spec(images=60, epochs=1))
    trainer.run()
    run = open_run(trainer.run_dir)
    for which in ("best", "last"):
        state = torch.load(run.checkpoint_path(which), weights_only=True)
        assert {"model", "optimizer", "scheduler", "rng", "epoch", "step"} <= set(state)
        assert isinstance(state["rng"]["shuffle"], torch.Tensor)
    model, norm = run.load_model("best")
    assert not model.training and norm["std"] == pytest.approx(trainer.data.std)
    x = trainer.data.normalize(trainer.data.val_x[:4])
    trainer.model.eval()
    with torch.no_grad():
        assert torch.allclose(model(x), trainer.model(x), atol=1e-6)


def test_list_runs_newest_first_and_ignores_other_folders(tmp_path):
    first = Trainer(make_spec(images=30), run_dir=tmp_path / "runs" / "20200101-000000-a")
    first.run()
    second = Trainer(make_spec(images=30))
    second.run()
    (tmp_path / "runs" / "not-a-run").mkdir()
    (tmp_path / "runs" / "broken").mkdir()
    (tmp_path / "runs" / "broken" / "run.json").write_text("{oops")
    assert [r.path for r in list_runs()] == [second.run_dir, first.run_dir]
    assert list_runs(tmp_path / "nowhere") == []


def test_open_run_refuses_other_folders(tmp_path):
    with pytest.raises(TrainingError, match="not a run folder"):
        open_run(tmp_path)


def test_running_run_has_no_summary_yet(tmp_path):
    seen = {}

    class Peek:
        def on_epoch_end(self, ctx):
            record = open_run(trainer.run_dir)
            seen["summary"], seen["status"] = record.summary, record.status

    trainer = Trainer(make_spec(images=30), callbacks=[Peek()])
    trainer.run()
    assert seen == {"summary": None, "status": "running"}
    assert json.loads((trainer.run_dir / "summary.json").read_text())["status"] == "completed"
