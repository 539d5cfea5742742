"""The scale measurements of ``bench_engine.py``: the decode cache on disk, start-up, peak memory under a limit,
and several processes. Each returns the numbers it prints, measured in this run."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent

from workbench.data import load_data  # noqa: E402
from workbench.data.disk_cache import clear_caches  # noqa: E402
from workbench.training import Trainer  # noqa: E402


def write_small_images(root: Path, count: int, size: int, classes: int = 3) -> None:
    """``count`` random-noise PNGs of ``size``×``size`` in ``classes`` class folders (fast to write)."""
    rng = np.random.default_rng(0)
    for c in range(classes):
        (root / f"class{c}").mkdir(parents=True, exist_ok=True)
    for i in range(count):
        arr = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
        arr[:, :, i % classes] //= 2  # a little class signal
        Image.fromarray(arr).save(root / f"class{i % classes}" / f"{i:06d}.png", compress_level=1)


def disk_vs_memory(spec, device) -> tuple[float, float]:
    """Engine images/s training from the decode cache on disk and from memory, same data (page cache warm)."""
    memory = load_data(spec, device=device, cache="memory")
    disk = load_data(spec, device=device, cache="disk")
    rates = {"memory": [], "disk": []}
    for _ in range(3):
        for name, data in (("memory", memory), ("disk", disk)):
            ended = Trainer(spec, data=data, run_dir=False, device=device, log_every=50).run()
            rates[name].append(ended.final["images_per_s"])
    return max(rates["disk"]), max(rates["memory"])


def startup(spec) -> tuple[float, float]:
    """Seconds to load a folder with an empty decode cache, then again with the cache of the first run."""
    clear_caches(spec.data_value("path"))
    start = time.perf_counter()
    load_data(spec, cache="disk")
    first = time.perf_counter() - start
    start = time.perf_counter()
    load_data(spec, cache="disk")
    return first, time.perf_counter() - start


_RSS_CHILD = r"""
import json, resource, sys
sys.path.insert(0, {root!r})
from workbench.data import load_data
from workbench.spec import load_spec
from workbench.training import Trainer
spec = load_spec({spec!r})
data = load_data(spec)
ended = Trainer(spec, data=data, run_dir=False, device="cpu", max_steps={steps}).run()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({{"peak": peak, "on_disk": data.on_disk, "status": ended.status}}))
"""


def _train_child(spec_file: Path, steps: int, env: dict) -> dict:
    code = _RSS_CHILD.format(root=str(ROOT), spec=str(spec_file), steps=steps)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def baseline_images(batch_size: int, val_split: float) -> int:
    """Images of the small folder the engine's own peak is measured on: enough for full training batches and
    full validation batches (validation runs at ``max(batch, 128)`` images, the largest batch of a run)."""
    return math.ceil(max(batch_size, 128) / val_split) + batch_size


# glibc's mmap threshold, fixed: freed activations and batches go back to the system at once, so a peak is the
# memory in use. By default the threshold grows with the blocks freed and the allocator keeps freed memory in a
# way that differs from run to run (identical runs peak up to ~70 MiB apart), which would hide what is measured.
FIXED_MMAP_THRESHOLD = {"MALLOC_MMAP_THRESHOLD_": "131072"}


def peak_memory(spec_file: Path, small_spec_file: Path, data_bytes: int, steps: int, allocator: dict) -> dict:
    """Peak resident memory of a fresh process training ``steps`` steps on the folder of ``spec_file`` with
    ``$WORKBENCH_MEMORY_LIMIT`` set to a quarter of its decoded images, and the engine's own peak to compare
    with: the same training, same limit, on the small folder of ``small_spec_file`` (its images read from the
    decode cache on disk too, so that the difference is the memory that grows with the folder). ``allocator``:
    environment variables both processes run with (e.g. :data:`FIXED_MMAP_THRESHOLD`)."""
    env = {k: v for k, v in os.environ.items() if k != "WORKBENCH_MEMORY_LIMIT" and not k.startswith("MALLOC_")}
    limit = data_bytes // 4
    env.update(allocator, WORKBENCH_MEMORY_LIMIT=str(limit))
    own = _train_child(small_spec_file, steps, env)
    result = _train_child(spec_file, steps, env)
    result.update(limit=limit, own=own["peak"])
    return result


def nproc_scaling(spec_text: str, nproc: int) -> tuple[float, float]:
    """Images/s (the run's own measure) of ``train --nproc nproc`` and of one process, same spec and global batch."""
    rates = []
    with tempfile.TemporaryDirectory() as tmp:
        spec_file = Path(tmp) / "spec.yaml"
        spec_file.write_text(spec_text)
        for n in (1, nproc):
            out = Path(tmp) / f"runs{n}"
            env = dict(os.environ, PYTHONPATH=str(ROOT))
            subprocess.run([sys.executable, "-m", "workbench", "train", str(spec_file), "--nproc", str(n),
                            "--no-doctor", "--device", "cpu", "--out", str(out), "--log-every", "50"],
                           env=env, check=True, capture_output=True)
            (run,) = list(out.iterdir())
            rates.append(json.loads((run / "summary.json").read_text())["images_per_s"])
    return rates[1], rates[0]
