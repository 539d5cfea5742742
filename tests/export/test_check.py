"""The check after writing really compares outputs, and exporting from a run that is training works."""

from __future__ import annotations

import torch

from workbench.export import export_model, exporter, load_bundle
from workbench.export.torch_formats import write_state_dict
from workbench.spec import loads_spec
from workbench.training import CheckpointEvent, Trainer, open_run

from tests.export.specs import TINY_SPEC


def test_a_file_that_reloads_differently_fails_the_check(trained_run, tmp_path, monkeypatch):
    def write_perturbed(trained, path):
        trained.state_dict = {k: v + 0.01 if v.is_floating_point() else v for k, v in trained.state_dict.items()}
        return write_state_dict(trained, path)

    monkeypatch.setattr(exporter, "write_state_dict", write_perturbed)
    report = export_model(trained_run, "pt", tmp_path / "off.pt")
    assert not report.ok and report.max_abs_diff > 1e-4
    assert "differ" in report.message and "CHECK FAILED" in report.text()


def test_export_during_training_reads_the_last_checkpoint(tmp_path):
    spec = loads_spec(TINY_SPEC.replace("epochs: 1", "epochs: 2"))
    reports = []

    def export_after_first_epoch(event):
        if isinstance(event, CheckpointEvent) and event.kind == "last" and event.epoch == 1:
            reports.append(export_model(tmp_path / "run", "wbm", tmp_path / "live.wbm"))

    trainer = Trainer(spec, run_dir=tmp_path / "run", device="cpu")
    trainer.add_listener(export_after_first_epoch)
    ended = trainer.run()
    assert ended.status == "completed" and ended.final["epoch"] == 2
    assert len(reports) == 1 and reports[0].ok and reports[0].checkpoint == "last"
    live = load_bundle(tmp_path / "live.wbm")
    assert [e["epoch"] for e in live.epochs] == [1] and live.summary is None  # the run as it was mid-training
    final = open_run(tmp_path / "run").load_model("last")[0].state_dict()
    assert any(not torch.equal(live.trained.state_dict[k], final[k]) for k in final)  # epoch 2 changed the weights
