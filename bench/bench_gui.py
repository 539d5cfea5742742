"""GUI responsiveness while a run trains, and the cost of redrawing a 100 000-point curve.

    QT_QPA_PLATFORM=offscreen python bench/bench_gui.py [--seconds 10] [--device cpu] [--threads N]

1. Event-loop stall: a QTimer asks to tick every 5 ms; each tick records how late it came. Measured
   once with the panel idle (baseline) and once while a run trains at full speed. Target: p99 < 50 ms.
2. Redraw: the live plots showing a run with 100 000 logged steps; time to push the buffers to the
   curves and paint the plots (one frame), with peak downsampling and clip-to-view.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from workbench.gui.document import SpecDocument  # noqa: E402
from workbench.gui.gc_guard import collect_on_gui_thread  # noqa: E402
from workbench.gui.training import TrainingPanel  # noqa: E402
from workbench.gui.training.curves import RunCurves  # noqa: E402
from workbench.gui.training.live_plots import REDRAW_HZ, LivePlots  # noqa: E402
from workbench.spec import loads_spec  # noqa: E402

TICK_MS = 5
STALL_TARGET_MS = 50
SPEC = """
schema_version: 1
name: bench-gui
input: {channels: 3, height: 32, width: 32}
classes: [circle, square, triangle]
layers:
  - {name: conv1, type: conv, filters: 16, kernel: 3, padding: same, activation: relu}
  - {name: pool1, type: maxpool, kernel: 2}
  - {name: conv2, type: conv, filters: 32, kernel: 3, padding: same, activation: relu}
  - {name: gap, type: gap}
  - {name: logits, type: conv, filters: 3, kernel: 1, activation: none}
data: {source: shapes, images: 3000, seed: 0, val_split: 0.2}
training: {optimizer: adam, lr: 0.003, batch_size: 32, epochs: 100, seed: 0}
"""


def lateness(app: QApplication, seconds: float, busy=lambda: True) -> np.ndarray:
    """Lateness (ms) of every tick of a 5 ms timer over ``seconds`` (or until ``busy()`` is False)."""
    clock, late = QElapsedTimer(), []
    last = [0.0]

    def tick() -> None:
        now = clock.nsecsElapsed() / 1e6
        late.append(max(0.0, now - last[0] - TICK_MS))
        last[0] = now

    timer = QTimer(interval=TICK_MS)
    timer.timeout.connect(tick)
    clock.start()
    timer.start()
    end = time.perf_counter() + seconds
    while time.perf_counter() < end and busy():
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
    timer.stop()
    return np.array(late[1:] or [0.0])


def report(name: str, late: np.ndarray) -> None:
    print(
        f"{name:<28} ticks {len(late):>5}  p50 {np.percentile(late, 50):6.2f} ms  "
        f"p99 {np.percentile(late, 99):6.2f} ms  max {late.max():7.2f} ms"
    )


def stall(app: QApplication, seconds: float, device: str) -> None:
    spec = loads_spec(SPEC)
    spec.training["device"] = device
    panel = TrainingPanel(SpecDocument(spec))
    panel.resize(600, 860)
    panel.show()
    panel.tabs.setCurrentIndex(2)  # the live curves are what repaints during a run
    app.processEvents()
    panel.estimator.enabled = False  # measure the training run, not the estimate
    idle = lateness(app, 2.0)
    panel.start()
    deadline = time.perf_counter() + 60
    while panel.started is None and time.perf_counter() < deadline:  # data generation happens first
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
    training = lateness(app, seconds, busy=lambda: panel.is_running)
    step = panel.worker.latest_step if panel.worker else None
    panel.shutdown(30)
    print(f"Event-loop stall (timer every {TICK_MS} ms), torch threads {torch.get_num_threads()}, device {device}")
    report("idle panel", idle)
    report("while training", training)
    if step is not None:
        print(f"{'training speed':<28} {step.images_per_s:,.0f} images/s at step {step.step}")
    p99 = np.percentile(training, 99)
    print(f"p99 while training / target {STALL_TARGET_MS} ms: {p99 / STALL_TARGET_MS:.2f}  "
          f"({'meets' if p99 < STALL_TARGET_MS else 'misses'} the target)")


def redraw(app: QApplication, points: int = 100_000, frames: int = 20) -> None:
    curves = RunCurves()
    rng = np.random.default_rng(0)
    loss = 1.1 * np.exp(-np.arange(points) / 30_000) + 0.1 * rng.random(points)
    for i in range(points):
        curves.add_step(i + 1, loss[i], 0.5, 1e-3)
        if (i + 1) % 1000 == 0:
            curves.add_epoch(i + 1, loss[i], 0.5, loss[i], 0.5)
    plots = LivePlots()
    plots.resize(600, 600)
    plots.show()
    plots.set_run(curves, 3)
    app.processEvents()
    times = []
    for frame in range(frames):
        curves.add_step(points + frame + 1, 0.2, 0.5, 1e-3)  # a new point: the frame must redraw
        start = time.perf_counter()
        plots.redraw()  # pushes the points and paints the plots (a whole frame)
        times.append((time.perf_counter() - start) * 1000)
    times = np.array(times[1:])
    budget = STALL_TARGET_MS  # a frame blocks the event loop: it must stay under the stall target
    print(f"Redraw of {points:,} logged steps (7 live curves, peak downsampling, clip to view)")
    print(f"{'one frame':<28} median {np.median(times):6.2f} ms  max {times.max():6.2f} ms")
    print(f"median frame / stall target ({budget:.0f} ms): {np.median(times) / budget:.2f}; "
          f"the plots redraw at most {REDRAW_HZ} times a second")
    plots.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to measure while training")
    parser.add_argument("--device", default="cpu", help="training device (cpu, cuda, cuda:N, mps)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: the panel's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    os.environ["WORKBENCH_RUNS"] = tempfile.mkdtemp(prefix="bench-gui-runs-")
    app = QApplication.instance() or QApplication([])
    collect_on_gui_thread(app)  # as the app does: garbage is collected on the GUI thread only
    stall(app, args.seconds, args.device)
    print()
    redraw(app)
    return 0


if __name__ == "__main__":
    sys.exit(main())
