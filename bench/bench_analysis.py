"""How long re-analysing a 100-layer stack takes, against the 20 ms per-keystroke budget.

Run: python bench/bench_analysis.py
"""

from __future__ import annotations

import statistics
import time

from workbench.analysis import analyze
from workbench.spec import InputShape, Layer, ModelSpec

BUDGET_MS = 20.0


def hundred_layer_spec() -> ModelSpec:
    layers = []
    for i in range(96):
        layers.append(Layer(f"conv{i}", "conv", {"filters": 64, "kernel": 3, "padding": "same"}))
    layers += [
        Layer("pool", "maxpool", {"kernel": 2}),
        Layer("fc", "conv", {"filters": 128, "kernel": 1}),
        Layer("gap", "gap"),
        Layer("logits", "conv", {"filters": 10, "kernel": 1, "activation": "none"}),
    ]
    return ModelSpec(name="deep", input=InputShape(3, 64, 64), classes=10, layers=layers)


def main() -> None:
    spec = hundred_layer_spec()
    analyze(spec)
    times = []
    for _ in range(200):
        start = time.perf_counter()
        analyze(spec)
        times.append((time.perf_counter() - start) * 1000)
    median, p99 = statistics.median(times), sorted(times)[int(0.99 * len(times)) - 1]
    print(f"analyse 100 layers: median {median:.2f} ms, p99 {p99:.2f} ms")
    print(f"ratio to the {BUDGET_MS:.0f} ms budget: median {median / BUDGET_MS:.3f}, p99 {p99 / BUDGET_MS:.3f}")


if __name__ == "__main__":
    main()
