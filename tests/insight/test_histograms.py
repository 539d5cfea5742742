"""Histograms every N steps: what they hold, where they are stored, and that other steps stay untouched."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from workbench.insight.histograms import HISTOGRAMS_FILE, HistogramRecorder, read_histograms
from tests.insight.models import SMALL
from workbench.spec import loads_spec
from workbench.training import Trainer
from workbench.training.checkpoint import load_checkpoint



@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """A run of 6 steps (3 per epoch) recording every 3 steps; the recorder counts its device reads."""
    recorder = HistogramRecorder(every=3)
    reads = []
    record = recorder._record
    recorder._record = lambda ctx: (reads.append(ctx.step), record(ctx))
    run_dir = tmp_path_factory.mktemp("hist") / "run"
    ended = Trainer(loads_spec(SMALL), run_dir=run_dir, device="cpu", callbacks=[recorder]).run()
    assert ended.status == "completed"
    return run_dir, recorder, reads


def test_histograms_are_recorded_every_n_steps_into_the_run_folder(recorded):
    run_dir, _recorder, reads = recorded
    assert reads == [3, 6]
    series = {(h.layer, h.kind): h for h in read_histograms(run_dir)}
    assert set(series) == {("conv1", "weight"), ("conv1", "grad"), ("fc", "weight"), ("fc", "grad"),
                           ("conv1", "activation"), ("pool1", "activation"), ("flat", "activation"),
                           ("fc", "activation")}
    assert list(series["conv1", "weight"].steps) == [3, 6]
    assert (run_dir / HISTOGRAMS_FILE).stat().st_size < 20_000


def test_the_last_weight_histogram_is_that_of_the_final_weights(recorded):
    run_dir, _recorder, _reads = recorded
    weights = load_checkpoint(run_dir / "checkpoints" / "last.pt")["model"]["conv1.weight"].numpy().ravel()
    hist = next(h for h in read_histograms(run_dir) if (h.layer, h.kind) == ("conv1", "weight"))
    assert hist.low[-1] == pytest.approx(weights.min()) and hist.high[-1] == pytest.approx(weights.max())
    assert hist.total[-1] == pytest.approx(weights.sum(), abs=1e-4)
    expected, _ = np.histogram(weights, bins=hist.edges(-1))
    assert np.abs(hist.counts[-1] - expected).sum() <= 2  # a value on a bin edge may fall either side


def test_activations_cover_one_batch_of_each_layers_output(recorded):
    run_dir, recorder, _reads = recorded
    acts = {h.layer: h for h in read_histograms(run_dir) if h.kind == "activation"}
    assert acts["conv1"].counts[0].sum() == 12 * 4 * 16 * 16
    assert acts["pool1"].counts[0].sum() == 12 * 4 * 8 * 8
    assert acts["conv1"].low.min() >= 0.0  # after its ReLU
    assert not recorder._handles  # hooks are removed when the run ends


def test_nothing_is_recorded_without_the_recorder(tmp_path):
    run_dir = tmp_path / "run"
    Trainer(loads_spec(SMALL.replace("epochs: 2", "epochs: 1")), run_dir=run_dir, device="cpu").run()
    assert not (run_dir / HISTOGRAMS_FILE).exists() and read_histograms(run_dir) == []


def test_a_damaged_file_reads_as_no_histograms(tmp_path):
    (tmp_path / HISTOGRAMS_FILE).write_bytes(b"PK\x03\x04 not really")
    assert read_histograms(tmp_path) == []
    np.savez(tmp_path / HISTOGRAMS_FILE, steps=np.array([1, 2]), **{"a|weight": np.zeros((3, 40))})
    assert read_histograms(tmp_path) == []  # rows that do not match the steps are skipped


def test_layers_inside_a_repeated_block_are_recorded_by_path_each_copy_after_its_join(tmp_path):
    block = ("  - name: res\n    type: residual\n    repeat: 2\n    body:\n"
             "      - {name: c1, type: conv, filters: 4, kernel: 3, padding: same, activation: relu}\n"
             "      - {name: c2, type: conv, filters: 4, kernel: 3, padding: same, activation: none}\n")
    spec = loads_spec(SMALL.replace("  - {name: pool1", block + "  - {name: pool1").replace("epochs: 2", "epochs: 1"))
    run_dir = tmp_path / "run"
    Trainer(spec, run_dir=run_dir, device="cpu", callbacks=[HistogramRecorder(every=3)]).run()
    series = {(h.layer, h.kind): h for h in read_histograms(run_dir)}
    acts = {layer for layer, kind in series if kind == "activation"}
    assert acts == {"conv1", "res.0.body.c1", "res.0.body.c2", "res.0", "res.1.body.c1", "res.1.body.c2", "res.1",
                    "pool1", "flat", "fc"}  # not the row of copies, a body or a block's own ReLU: their outputs repeat
    assert {("res.1.body.c1", "weight"), ("res.1.body.c1", "grad")} <= set(series)
    assert series["res.1", "activation"].counts[0].sum() == 12 * 4 * 16 * 16
    assert series["res.1", "activation"].low.min() >= 0.0  # after the ReLU that follows the add
