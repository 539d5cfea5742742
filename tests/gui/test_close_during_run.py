"""Closing the window during a training: the question, a mid-epoch checkpoint, cancel, close when done."""

from __future__ import annotations

from pathlib import Path

import torch
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from workbench.gui.training.close_guard import TITLE

from .specs import tiny_spec
from .test_training_panel import StepRecorder


def answer_running_box(qtbot, label_start: str, seen: list) -> None:
    """When the "training is running" box opens, record its buttons and click the one starting ``label_start``."""

    def click():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, click)
            return
        seen.append((box.windowTitle(), [b.text() for b in box.buttons()]))
        next(b for b in box.buttons() if b.text().replace("&", "").startswith(label_start)).click()

    QTimer.singleShot(0, click)


def paused_mid_epoch_run(qtbot, window, epochs):
    """A run of ``epochs`` (4 steps each) paused after its second step."""
    recorder = StepRecorder(hold_at=2)
    panel = window.panels.training
    panel.add_callback_factory(lambda _spec: recorder)
    window.document.apply(tiny_spec(epochs=epochs), "Tiny spec")
    window.document.undo_stack.setClean()
    assert panel.start()
    assert recorder.holding.wait(20)
    panel.pause()
    recorder.release.set()
    qtbot.waitUntil(lambda: panel.worker.latest_step is not None and panel.worker.latest_step.step == 2, timeout=10_000)
    return panel, recorder


def test_stop_on_close_keeps_a_mid_epoch_checkpoint_that_continues(qtbot, window):
    panel, recorder = paused_mid_epoch_run(qtbot, window, epochs=3)
    run_dir = Path(panel.started.run_dir)
    seen = []
    answer_running_box(qtbot, "Stop", seen)
    assert window.close()
    assert seen[0][0] == TITLE
    assert sorted(seen[0][1]) == ["Cancel", "Keep training, close when done", "Stop and keep a resumable checkpoint"]
    assert not panel.is_running
    state = torch.load(run_dir / "checkpoints" / "last.pt", weights_only=True)
    assert (state["epoch"], state["step"], state["batch"]) == (0, 2, 2)
    assert recorder.steps == [1, 2]


def test_cancel_keeps_training_and_close_when_done_waits_for_the_run(qtbot, window):
    panel, recorder = paused_mid_epoch_run(qtbot, window, epochs=2)
    seen = []
    answer_running_box(qtbot, "Cancel", seen)
    assert not window.close()
    assert window.isVisible() and panel.is_running and len(seen) == 1
    answer_running_box(qtbot, "Keep training", seen)
    assert not window.close()
    assert window.isVisible() and "closes when this run ends" in panel.controls.banner.label.text()
    panel.resume()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=20_000)
    assert panel.ended.status == "completed" and recorder.steps == list(range(1, 9))
