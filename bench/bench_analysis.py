"""How long re-analysing a 100-layer stack and a 100-block (300-layer) tree takes, against the 20 ms
per-keystroke budget.

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


def hundred_block_spec() -> ModelSpec:
    """100 residual blocks of conv, batch norm, conv (300 layers in bodies), every tenth a projection."""
    layers = [Layer("stem", "conv", {"filters": 16, "padding": "same"})]
    for b in range(100):
        wide = 16 * (1 + b // 10)
        body = [
            Layer(f"b{b}conv1", "conv", {"filters": wide, "padding": "same"}),
            Layer(f"b{b}bn", "batchnorm"),
            Layer(f"b{b}conv2", "conv", {"filters": wide, "padding": "same", "activation": "none"}),
        ]
        layers.append(Layer(f"block{b}", "residual", {}, [body]))
    layers += [Layer("gap", "gap"), Layer("logits", "conv", {"filters": 10, "kernel": 1, "activation": "none"})]
    return ModelSpec(name="deep-tree", input=InputShape(3, 32, 32), classes=10, layers=layers)


def _time(label: str, spec: ModelSpec) -> None:
    analysis = analyze(spec)
    assert analysis.ok, analysis.problems
    times = []
    for _ in range(200):
        start = time.perf_counter()
        analyze(spec)
        times.append((time.perf_counter() - start) * 1000)
    median, p99 = statistics.median(times), sorted(times)[int(0.99 * len(times)) - 1]
    print(f"analyse {label}: median {median:.2f} ms, p99 {p99:.2f} ms")
    print(f"ratio to the {BUDGET_MS:.0f} ms budget: median {median / BUDGET_MS:.3f}, p99 {p99 / BUDGET_MS:.3f}")


def main() -> None:
    _time("100 layers", hundred_layer_spec())
    _time("100 blocks (300 layers)", hundred_block_spec())


if __name__ == "__main__":
    main()
