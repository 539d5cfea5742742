"""Following a run trained by another process: a growing run folder plotted live, findings, Stop through the
folder, and "all N GPUs" (faked device count) starting such a run as a subprocess."""

from __future__ import annotations

import json
import signal

import pytest
import torch

from workbench.doctor.findings import Finding, Fix
from workbench.gui.document import SpecDocument
from workbench.gui.training import TrainingPanel
from workbench.gui.training import follow_worker, panel as panel_module
from workbench.gui.training.settings_form import ALL_GPUS, SettingsForm, available_devices
from workbench.training.run_control import STOP_FILE
from workbench.training.runs import new_run_dir

from .specs import tiny_spec


class FakeRun:
    """A run folder written record by record, as a trainer in another process would."""

    def __init__(self, path):
        self.path = path
        (path / "checkpoints").mkdir(parents=True, exist_ok=True)
        meta = {"spec_name": "far-away", "device": "cuda:0", "class_names": ["a", "b", "c"], "epochs": 2,
                "steps_per_epoch": 4, "train_images": 64, "val_images": 16, "status": "running"}
        (path / "run.json").write_text(json.dumps(meta))

    def append(self, name, record, partial=False):
        text = json.dumps(record) + ("" if partial else "\n")
        with open(self.path / name, "a") as f:
            f.write(text)

    def step(self, step, epoch, loss=1.0):
        self.append("steps.jsonl", {"step": step, "epoch": epoch, "loss": loss, "acc": 0.5, "lr": 0.01,
                                    "images_per_s": 100.0})

    def epoch(self, epoch, step):
        self.append("epochs.jsonl", {"epoch": epoch, "train_loss": 1.0, "train_acc": 0.5, "val_loss": 0.9,
                                     "val_acc": 0.6, "lr": 0.01, "images_per_s": 100.0, "seconds": 1.0, "step": step})

    def end(self, status):
        (self.path / "summary.json").write_text(json.dumps({"status": status, "reason": "done", "best": None,
                                                            "final": None}))


@pytest.fixture
def make_panel(qtbot):
    panels = []

    def make():
        panel = TrainingPanel(SpecDocument(tiny_spec()))
        qtbot.addWidget(panel)
        panels.append(panel)
        return panel

    yield make
    for panel in panels:
        assert panel.shutdown(10)


def _points(panel, name):
    return len(panel.worker.curves.series[name]) if panel.worker else 0


def test_the_app_plots_a_run_the_command_line_is_training(qtbot, make_panel, tmp_path):
    run = FakeRun(new_run_dir("far-away"))
    panel = make_panel()
    panel.runs.refresh()
    panel.runs.tree.setCurrentItem(panel.runs.tree.topLevelItem(0))
    assert panel.runs.follow_button.isEnabled()  # a run whose status is "running"
    with qtbot.waitSignal(panel.runStarted, timeout=5000):
        panel.runs.follow_button.click()
    assert panel.is_running and not panel.controls.pause_button.isEnabled()
    run.step(1, 1, loss=1.1)
    run.step(2, 1, loss=1.0)
    run.append("steps.jsonl", {"step": 3, "epoch": 1}, partial=True)  # a line still being written
    qtbot.waitUntil(lambda: _points(panel, "loss") == 2, timeout=5000)
    qtbot.waitUntil(lambda: "Epoch 1/2 · step 2/8" in panel.controls.status.text(), timeout=5000)
    finding = Finding("dead-relu", "warning", "most ReLUs are dead", "measured 90% zeros", "monitor",
                      ("c1",), (Fix("lower lr", ({"op": "set", "section": "training", "key": "lr", "value": 0.001},)),))
    run.append("findings.jsonl", {"step": 2, **finding.to_dict()})
    with qtbot.waitSignal(panel.diagnosis, timeout=5000) as diagnosed:
        pass
    assert isinstance(diagnosed.args[0], Finding) and diagnosed.args[0].fixes[0].label == "lower lr"
    assert "most ReLUs are dead" in panel.log.item(0).text()
    run.epoch(1, 4)
    qtbot.waitUntil(lambda: _points(panel, "val_loss") == 1, timeout=5000)
    with qtbot.waitSignal(panel.runFinished, timeout=5000) as finished:
        run.end("completed")
    assert finished.args[0].status == "completed"
    qtbot.waitUntil(lambda: panel.worker is None, timeout=5000)
    assert panel.controls.status.text() == "Run completed."
    assert not (run.path / STOP_FILE).exists()


def test_closing_the_app_leaves_a_followed_run_training(qtbot, make_panel):
    run = FakeRun(new_run_dir("far-away"))
    panel = make_panel()
    with qtbot.waitSignal(panel.runStarted, timeout=5000):
        assert panel.follow_run(str(run.path))
    assert panel.shutdown(5)
    assert not (run.path / STOP_FILE).exists()


def test_stop_on_a_followed_run_asks_it_through_its_folder(qtbot, make_panel):
    run = FakeRun(new_run_dir("far-away"))
    panel = make_panel()
    with qtbot.waitSignal(panel.runStarted, timeout=5000):
        assert panel.follow_run(str(run.path))
    run.step(1, 1)
    qtbot.waitUntil(lambda: _points(panel, "loss") == 1, timeout=5000)
    panel.controls.stop_button.click()
    assert (run.path / STOP_FILE).is_file()  # the trainer reads it between batches
    run.end("stopped")
    qtbot.waitUntil(lambda: panel.worker is None, timeout=5000)
    assert panel.ended.status == "stopped" and panel.controls.status.text().startswith("Run stopped")


class FakeProcess:
    """Stands in for the ``train --nproc N`` process: records signals; a SIGINT ends the run stopped."""

    def __init__(self, run):
        self.run, self.signals, self.returncode = run, [], None

    def send_signal(self, sig):
        self.signals.append(sig)
        if sig == signal.SIGINT:
            self.run.end("stopped")
            self.returncode = 0

    def poll(self):
        return self.returncode

    def wait(self, timeout=None):
        return self.returncode


def test_all_gpus_starts_a_followed_subprocess_and_stop_interrupts_it(qtbot, make_panel, monkeypatch):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda i: f"Fake GPU {i}")
    assert available_devices()[0] == (ALL_GPUS, "all 2 GPUs")
    launched = {}

    def fake_launch(spec, gpus, runs_root=None, resume_from=None):
        run = FakeRun(new_run_dir(spec.name))
        launched.update(gpus=gpus, process=FakeProcess(run), run=run)
        return launched["process"], run.path

    monkeypatch.setattr(panel_module, "launch_all_gpus", fake_launch)
    monkeypatch.setattr(panel_module.TrainingPanel, "_request_estimate", lambda self, *a: None)
    panel = make_panel()
    box = panel.settings.device_box
    box.setCurrentIndex(box.findData(ALL_GPUS))
    assert panel.settings.device == ALL_GPUS and panel.document.spec.training["device"] == "cuda"
    panel.document.apply(panel.document.spec.copy(), "no-op edit")  # a refresh keeps the choice
    assert panel.settings.device == ALL_GPUS
    with qtbot.waitSignal(panel.runStarted, timeout=5000):
        assert panel.start()
    assert launched["gpus"] == 2
    launched["run"].step(1, 1)
    qtbot.waitUntil(lambda: _points(panel, "loss") == 1, timeout=5000)
    panel.stop()
    assert launched["process"].signals == [signal.SIGINT]
    qtbot.waitUntil(lambda: panel.worker is None, timeout=5000)
    assert panel.ended.status == "stopped"


def test_all_gpus_command(monkeypatch, tmp_path):
    seen = {}

    class Popen:
        def __init__(self, cmd, **kwargs):
            seen["cmd"], seen["kwargs"] = cmd, kwargs

    monkeypatch.setattr(follow_worker.subprocess, "Popen", Popen)
    _proc, run_dir = follow_worker.launch_all_gpus(tiny_spec(), 4)
    cmd = seen["cmd"]
    assert cmd[1:4] == ["-m", "workbench", "train"]
    assert cmd[cmd.index("--nproc") + 1] == "4" and cmd[cmd.index("--device") + 1] == "cuda"
    assert cmd[cmd.index("--run-dir") + 1] == str(run_dir) and seen["kwargs"]["start_new_session"]
    assert (run_dir / ".launch-spec.yaml").is_file()


def test_one_gpu_has_no_all_gpus_entry(qtbot, monkeypatch, tiny_spec):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda i: "Fake GPU")
    form = SettingsForm(SpecDocument(tiny_spec))
    qtbot.addWidget(form)
    assert form.device_box.findData(ALL_GPUS) < 0 and form.device_box.findData("cuda:0") > 0
