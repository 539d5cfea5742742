"""Histograms of each layer's weights, gradients and activations every N steps of a run, kept compactly.

:class:`HistogramRecorder` is a Trainer callback. Between record steps it costs one Python check per hooked
module; on a record step the activations are caught by forward hooks armed one step ahead, every histogram is
computed on the device (min, max, sum, sum of squares and ``BINS`` equal-width bin counts between min and max)
and all of them come to the CPU in one transfer. The run folder's ``histograms.npz`` holds, per series
``<layer>|<kind>``, one row per record step; ``steps`` holds the steps. It is rewritten at each epoch's end.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from workbench.atomic_write import replace_atomically
from workbench.model_parts import model_parts

HISTOGRAMS_FILE = "histograms.npz"
BINS = 32
KINDS = ("weight", "grad", "activation")
STATS = 4  # each row: min, max, sum, sum of squares, then BINS counts
MAX_FILE_BYTES = 256 * 1024 * 1024  # a larger file is not a histogram file this program wrote


@dataclass
class Histogram:
    """One series of histograms over steps: ``counts`` is steps × BINS, bin edges spread from ``low`` to ``high``."""

    layer: str
    kind: str
    steps: np.ndarray
    low: np.ndarray
    high: np.ndarray
    total: np.ndarray
    total_sq: np.ndarray
    counts: np.ndarray

    def edges(self, row: int) -> np.ndarray:
        return np.linspace(self.low[row], self.high[row], self.counts.shape[1] + 1)


def _summary(t: torch.Tensor, bins: int = BINS) -> torch.Tensor:
    """min, max, sum, sum of squares and bin counts of ``t`` as one float vector, computed on its device."""
    flat = t.detach().float().flatten()
    low, high = flat.min(), flat.max()
    width = (high - low).clamp_min(1e-12)
    index = ((flat - low) / width * bins).long().clamp_(0, bins - 1)
    counts = torch.bincount(index, minlength=bins).float()
    return torch.cat([torch.stack([low, high, flat.sum(), flat.square().sum()]), counts])


def _weighted(model: nn.Module) -> list[tuple[str, nn.Parameter]]:
    """Every module with a weight, inside blocks too, by module path (``stage2.0.body.conv1``)."""
    return [(name, m.weight) for name, m in model.named_modules()
            if name and isinstance(getattr(m, "weight", None), nn.Parameter)]


class HistogramRecorder:
    """Records histograms every ``every`` steps into the run folder (and keeps them in ``self.rows``)."""

    def __init__(self, every: int = 50, bins: int = BINS):
        self.every = max(1, int(every))
        self.bins = int(bins)
        self.steps: list[int] = []
        self.rows: dict[str, list[np.ndarray]] = {}
        self.listeners: list = []  # called with (step, {series: row}) after each record
        self._armed = False
        self._caught: dict[str, torch.Tensor] = {}
        self._handles: list = []
        self._path: Path | None = None

    # -- Trainer callbacks ----------------------------------------------------------------------
    def on_train_start(self, ctx) -> None:
        self._path = Path(ctx.run_dir) / HISTOGRAMS_FILE if getattr(ctx, "run_dir", None) else None
        if self._path is not None and self._path.is_file():  # a resumed run keeps what it recorded before
            self._load_existing(ctx.step)
        for part in model_parts(ctx.model):
            self._handles.append(part.module.register_forward_hook(self._hook(part.path)))
        self._armed = (ctx.step + 1) % self.every == 0

    def on_batch_end(self, ctx) -> None:
        if ctx.step % self.every == 0:
            self._record(ctx)
        self._armed = (ctx.step + 1) % self.every == 0

    def on_epoch_end(self, ctx) -> None:
        self.save()

    def on_train_end(self, ctx) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        self.save()

    # -- recording ------------------------------------------------------------------------------
    def _hook(self, name: str):
        def hook(_module, _inputs, output):
            if self._armed and isinstance(output, torch.Tensor):
                self._caught[name] = output.detach()
        return hook

    def _record(self, ctx) -> None:
        tensors: dict[str, torch.Tensor] = {}
        for name, weight in _weighted(ctx.model):
            tensors[f"{name}|weight"] = weight
            if weight.grad is not None:
                tensors[f"{name}|grad"] = weight.grad
        for name, output in self._caught.items():
            tensors[f"{name}|activation"] = output
        self._caught = {}
        if not tensors:
            return
        rows = torch.stack([_summary(t, self.bins) for t in tensors.values()]).cpu().double().numpy()  # one sync
        record = dict(zip(tensors, rows))
        self.steps.append(int(ctx.step))
        for key, row in record.items():
            series = self.rows.setdefault(key, [])
            series.extend([_missing(self.bins)] * (len(self.steps) - 1 - len(series)))
            series.append(row)
        for fn in list(self.listeners):
            fn(int(ctx.step), record)

    def _load_existing(self, up_to: int) -> None:
        for item in read_histograms(self._path.parent):
            keep = item.steps <= up_to
            self.rows[f"{item.layer}|{item.kind}"] = list(_rows(item)[keep])
            self.steps = [int(s) for s in item.steps[keep]]

    def save(self) -> None:
        if self._path is None or not self.steps:
            return
        n = len(self.steps)
        arrays = {"steps": np.asarray(self.steps, dtype=np.int64)}
        for key, series in self.rows.items():
            padded = series + [_missing(self.bins)] * (n - len(series))
            arrays[key] = np.stack(padded).astype(np.float32)
        replace_atomically(self._path, lambda tmp: _write_npz(tmp, arrays))


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    with open(path, "wb") as fh:
        np.savez_compressed(fh, **arrays)


def _missing(bins: int) -> np.ndarray:
    """A row for a step at which a series was not recorded (no gradient yet): NaN statistics, zero counts."""
    row = np.zeros(STATS + bins)
    row[:STATS] = np.nan
    return row


def _rows(item: Histogram) -> np.ndarray:
    return np.column_stack([item.low, item.high, item.total, item.total_sq, item.counts])


def read_histograms(run_dir) -> list[Histogram]:
    """The histograms recorded in a run folder, in the order they were first recorded; [] when there are none
    or the file is not one this program wrote."""
    path = Path(run_dir) / HISTOGRAMS_FILE
    try:
        if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
            return []
        with np.load(path, allow_pickle=False) as data:
            steps = np.asarray(data["steps"], dtype=np.int64)
            out = []
            for key in data.files:
                layer, sep, kind = key.rpartition("|")
                if not sep or kind not in KINDS:
                    continue
                rows = np.asarray(data[key], dtype=np.float64)
                if rows.ndim != 2 or rows.shape[0] != steps.shape[0] or rows.shape[1] <= STATS:
                    continue
                out.append(Histogram(layer, kind, steps, rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3], rows[:, STATS:]))
            return out
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return []
