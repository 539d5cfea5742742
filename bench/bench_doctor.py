"""Doctor speed: static rules on a 100-layer spec, the init check on overfeat-small-fc7_1, the
learning-rate range test (lenet5 and overfeat-small on the shapes, beside a plain training run of the same
number of steps), and the training monitor's overhead (the same run with and without it, alternated to even
out noise).

    python bench/bench_doctor.py [--threads 2] [--steps 300]

Targets: static < 20 ms, init check < 3 s on 2 cores, range test on lenet5 < 5 s on 2 cores (overfeat-small
reported), monitor overhead ≤ 5%.
"""

from __future__ import annotations

import argparse
import os
import time

import torch

from workbench.analysis import analyze
from workbench.data.dataset import load_data
from workbench.doctor import check_init, static_findings
from workbench.doctor.lr_find import STEPS, lr_find
from workbench.doctor.monitor import TrainingMonitor
from workbench.presets import load_preset
from workbench.spec import Layer, ModelSpec
from workbench.training.trainer import Trainer


def bench_static() -> float:
    layers = [Layer(f"conv{i}", "conv", {"filters": 8, "kernel": 3, "padding": "same"}) for i in range(98)]
    layers += [Layer("gap", "gap"), Layer("logits", "conv", {"filters": 3, "kernel": 1, "activation": "none"})]
    spec = ModelSpec(name="deep", layers=layers)
    start = time.perf_counter()
    for _ in range(20):
        static_findings(spec, analyze(spec))
    return (time.perf_counter() - start) / 20


def bench_init(runs: int = 3) -> float:
    """Best of ``runs`` init checks on overfeat-small-fc7_1 (the best is the least disturbed by other work)."""
    spec = load_preset("overfeat-small-fc7_1")
    data = load_data(spec)
    check_init(spec, data=data)  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        check_init(spec, data=data)
        times.append(time.perf_counter() - start)
    return min(times)


def bench_lr_find(preset: str) -> tuple[float, float, int]:
    """(range-test seconds, seconds of a plain training run of as many steps, steps the test took)."""
    spec = load_preset(preset)
    data = load_data(spec)
    lr_find(spec, data=data, steps=10)  # warm-up
    start = time.perf_counter()
    result = lr_find(spec, data=data)
    seconds = time.perf_counter() - start
    plain = spec.copy()
    plain.training.update(epochs=1000)
    train_seconds = run_once(plain, data, len(result.lrs), False)[0]
    return seconds, train_seconds, len(result.lrs)


class TimedMonitor(TrainingMonitor):
    """The monitor, timing the seconds spent inside its own callback."""

    seconds = 0.0

    def on_batch_end(self, ctx) -> None:
        start = time.perf_counter()
        super().on_batch_end(ctx)
        self.seconds += time.perf_counter() - start


def run_once(spec, data, steps: int, monitored: bool) -> tuple[float, float]:
    """(run seconds, seconds inside the monitor)."""
    monitor = TimedMonitor(every=20)
    trainer = Trainer(spec, data=data, run_dir=False, max_steps=steps, log_every=10,
                      callbacks=[monitor] if monitored else [])
    start = time.perf_counter()
    trainer.run()
    return time.perf_counter() - start, monitor.seconds


def bench_monitor(steps: int) -> tuple[float, float, float]:
    """Best run time without and with the monitor, and the monitor's own share of the monitored run."""
    spec = load_preset("tiny-vgg").copy()
    spec.training.update(epochs=1000)
    data = load_data(spec)
    run_once(spec, data, 20, False)  # warm-up
    plain, monitored, shares = [], [], []
    for _ in range(3):
        plain.append(run_once(spec, data, steps, False)[0])
        total, inside = run_once(spec, data, steps, True)
        monitored.append(total)
        shares.append(inside / total)
    return min(plain), min(monitored), min(shares)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=300, help="steps per run (shorter runs are noisier)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print("load average (1, 5, 15 min) at the start: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    static = bench_static()
    print(f"static rules, 100-layer spec: {static * 1000:.2f} ms (target < 20 ms: {static / 0.020:.2f}× the budget)")
    init = bench_init()
    print(f"init check, overfeat-small-fc7_1, 16 images, {args.threads} threads, best of 3: {init:.2f} s "
          f"(target < 3 s: {init / 3:.2f}× the budget)")
    for preset, target in (("lenet5", 5.0), ("overfeat-small", None)):
        seconds, train, steps = bench_lr_find(preset)
        budget = f"target < {target:g} s: {seconds / target:.2f}× the budget; " if target else ""
        print(f"range test, {preset}, {steps} of {STEPS} steps, {args.threads} threads: {seconds:.2f} s ({budget}"
              f"{seconds / train:.2f}× a plain training run of as many steps, {train:.2f} s)")
    plain, monitored, share = bench_monitor(args.steps)
    print(f"training monitor, tiny-vgg {args.steps} steps: {plain:.2f} s without, {monitored:.2f} s with "
          f"(wall-clock overhead {monitored / plain - 1:+.1%}; time inside the monitor {share:.1%} of the run; "
          "target ≤ 5%)")


if __name__ == "__main__":
    main()
