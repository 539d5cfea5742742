"""Training engine speed, printed as ratios measured in one run.

1. Engine vs a hand-written plain PyTorch loop: same model, same pre-loaded tensors, same batch size,
   forward/backward/step only (the plain loop even gets its input normalised in advance, while the
   engine normalises each uint8 batch and tracks loss/accuracy on the device). Target: >= 0.97.
2. Engine vs the usual hand-written pipeline: a torch DataLoader over an image folder with per-sample
   PIL transforms (random flip, padded random crop), end to end (reading the images, training,
   validating every epoch); the engine does the same augmentation batched. Target: >= 1.5x.
   The engine runs as users get it (on a CPU: channels-last, the default there); also shown with the
   layout forced off (``channels_last: false``), the same memory layout as the hand-written pipeline.
   Measured against a DataLoader with 0 and with 2 workers (as users write it).
3. On CUDA: engine images/s with bf16/fp16 autocast and channels-last on and off.
4. The decode cache: images/s training from the cache on disk ÷ from memory, same data, page cache warm
   (target >= 0.9); start-up of a second run ÷ the first on a folder of ``--scale-images`` small images (the
   second reuses the cache); peak resident memory of a fresh process training on that folder with
   ``$WORKBENCH_MEMORY_LIMIT`` set to a quarter of its decoded images, less the engine's own peak (the same
   training on a folder just large enough for full training and validation batches, also read from disk), as a
   share of the limit (target < 1: what the images add does not grow with the folder). Both processes run with
   glibc's mmap threshold fixed, so that a peak is memory in use rather than what the allocator keeps (shown
   with the default too).
5. With ``--nproc N``: images/s of ``train --nproc N`` ÷ one process (CPU, gloo), same spec and global batch.

    python bench/bench_engine.py                  # a few minutes on a CPU
    python bench/bench_engine.py --nproc 2        # and the two-process scaling
    python bench/bench_engine.py --images 2000 --epochs 5 --device cuda

Last measured on a 2-core CPU, torch 2.13, idle (load average 1.0 at the start), defaults:

    [1] engine / plain PyTorch loop 0.964 (1,592 vs 1,651 images/s; 1.004 in the run before, same code:
        the two move by a few per cent between runs)
    [2] end to end vs DataLoader + PIL: 0 workers 1.62x (data path alone 1.20x), 2 workers 2.63x (1.95x)
    [4] disk / memory 0.976 (1,854 vs 1,899 images/s); start-up on 20,000 images 100x100: first 8.2 s,
        second 0.67 s (0.082); peak memory on 572 MiB of decoded images under a 143 MiB limit: 498 MiB, the
        engine's own 499 MiB, difference -1.0 MiB = -0.01 of the limit; with glibc's default threshold
        567 vs 627 MiB (-0.42 of the limit; that figure moves by up to ~70 MiB between identical runs)
    [5] (``--nproc 2``, load 1.3-2.1) train --nproc 2 on the CPU: 1,648 vs 1,806 images/s, 0.91 (two
        processes on two cores)
"""

from __future__ import annotations

import argparse
import atexit
import math
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps
from torch import nn

PAD = 4  # random-crop padding used by both pipelines in [2], with random horizontal flips
VAL_SPLIT = 0.2  # the validation split of every spec here

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workbench.builder import build_model  # noqa: E402
from workbench.data import generate_shapes, load_data  # noqa: E402
from workbench.data.disk_cache import clear_caches  # noqa: E402
from workbench.spec import loads_spec, save_spec  # noqa: E402
from workbench.training import Trainer  # noqa: E402
from workbench.training.devices import resolve_device  # noqa: E402

import engine_scale  # noqa: E402  (bench/ is on the path when this script runs)

SPEC = """
name: bench
input: {{channels: 3, height: {size}, width: {size}}}
classes: 3
layers:
  - {{name: conv1, type: conv, filters: 16, kernel: 3, padding: same, activation: relu}}
  - {{name: pool1, type: maxpool, kernel: 2}}
  - {{name: conv2, type: conv, filters: 32, kernel: 3, padding: same, activation: relu}}
  - {{name: pool2, type: maxpool, kernel: 2}}
  - {{name: fc7, type: conv, filters: 64, kernel: 1, activation: relu}}
  - {{name: gap, type: gap}}
  - {{name: logits, type: conv, filters: 3, kernel: 1, activation: none}}
data: {{source: {source}, images: {images}, seed: 0, val_split: {val_split}{path}}}
training: {{optimizer: adam, lr: 0.001, batch_size: {batch}, epochs: {epochs}, seed: 0{extra}}}
"""


def make_spec(args, source="shapes", path=None, extra="", data_extra=""):
    path_entry = f", path: '{path}'" if path else ""
    return loads_spec(SPEC.format(size=args.size, source=source, images=args.images, batch=args.batch_size,
                                  epochs=args.epochs, path=path_entry + data_extra, extra=extra, val_split=VAL_SPLIT))


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def plain_loop(spec, data, device, epochs) -> float:
    """Images/s of the simplest PyTorch loop over the same tensors, already normalised on the device."""
    model = build_model(spec).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=spec.training_value("lr"),
                           **({"fused": True} if device.type == "cuda" else {}))
    x = data.normalize(data.train_x.to(device))
    y = data.train_y.to(device)
    bs, n = spec.training_value("batch_size"), x.shape[0]
    gen = torch.Generator().manual_seed(0)
    loss_fn = nn.CrossEntropyLoss()
    sync(device)
    start = time.perf_counter()
    for _ in range(epochs):
        perm = torch.randperm(n, generator=gen).to(device)
        for i in range(0, n, bs):
            idx = perm[i:i + bs]
            loss = loss_fn(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    sync(device)
    return n * epochs / (time.perf_counter() - start)


def engine_loop(spec, data, device) -> float:
    """Images/s of the engine's training loop (its own measurement: training steps, not validation)."""
    ended = Trainer(spec, data=data, run_dir=False, device=device, log_every=50).run()
    assert ended.status == "completed", ended.reason
    return ended.final["images_per_s"]


def write_folder(root: Path, args) -> None:
    images, labels = generate_shapes(args.images, 3, 3, args.size, args.size, seed=0)
    for i, (img, label) in enumerate(zip(images, labels.tolist())):
        folder = root / f"class{label}"
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(img.permute(1, 2, 0).numpy()).save(folder / f"{i:05d}.png")


class PilFolder(torch.utils.data.Dataset):
    """The usual per-sample pipeline: open with PIL, convert, resize, augment, to tensor, normalise."""

    def __init__(self, files, labels, size, mean, std, augment):
        self.files, self.labels, self.size, self.augment = files, labels, size, augment
        self.mean = torch.tensor(mean).view(3, 1, 1)
        self.std = torch.tensor(std).view(3, 1, 1)

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        with Image.open(self.files[i]) as img:
            img = img.convert("RGB").resize((self.size, self.size), Image.Resampling.BILINEAR)
        if self.augment:
            if random.random() < 0.5:
                img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
            img = ImageOps.expand(img, border=PAD, fill=0)
            left, top = random.randint(0, 2 * PAD), random.randint(0, 2 * PAD)
            img = img.crop((left, top, left + self.size, top + self.size))
        x = torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0).permute(2, 0, 1)
        return (x - self.mean) / self.std, self.labels[i]


def usual_pipeline(spec, root: Path, device, args, workers: int) -> float:
    """Seconds to train ``epochs`` epochs and validate after each, reading the folder every epoch."""
    start = time.perf_counter()
    files = sorted(root.rglob("*.png"))
    names = sorted({f.parent.name for f in files})
    labels = [names.index(f.parent.name) for f in files]
    gen = torch.Generator().manual_seed(0)
    perm = torch.randperm(len(files), generator=gen).tolist()
    n_val = int(len(files) * VAL_SPLIT)
    val_idx, train_idx = perm[:n_val], perm[n_val:]
    mean, std = [0.5] * 3, [0.25] * 3
    train = PilFolder([files[i] for i in train_idx], [labels[i] for i in train_idx], args.size, mean, std, True)
    val = PilFolder([files[i] for i in val_idx], [labels[i] for i in val_idx], args.size, mean, std, False)
    loader = torch.utils.data.DataLoader(train, batch_size=args.batch_size, shuffle=True, num_workers=workers,
                                         generator=gen, persistent_workers=workers > 0)
    val_loader = torch.utils.data.DataLoader(val, batch_size=128, num_workers=workers)
    model = build_model(spec).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=spec.training_value("lr"))
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(args.epochs):
        model.train()
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            loss = loss_fn(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for x, y in val_loader:
                correct += (model(x.to(device)).argmax(1) == y.to(device)).sum().item()
    sync(device)
    return time.perf_counter() - start


def engine_end_to_end(spec, root: Path, device) -> float:
    """Seconds for the engine to read the same folder once (decoding it: no cache from an earlier run) and train
    and validate the same epochs."""
    clear_caches(root)
    start = time.perf_counter()
    data = load_data(spec, data_path=root, device=device)
    Trainer(spec, data=data, run_dir=False, device=device, log_every=50).run()
    sync(device)
    return time.perf_counter() - start


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--images", type=int, default=600)
    p.add_argument("--size", type=int, default=60)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--repeats", type=int, default=3, help="alternate runs and keep the best of each")
    p.add_argument("--workers", type=int, nargs="+", default=[0, 2], help="DataLoader workers for the usual pipeline")
    p.add_argument("--scale-images", type=int, default=20000, help="folder size for the start-up and memory checks")
    p.add_argument("--scale-size", type=int, default=100, help="image size of that folder")
    p.add_argument("--memory-steps", type=int, default=0,
                   help="steps of the peak-memory training (default: one epoch of the scale folder)")
    p.add_argument("--nproc", type=int, default=0, help="also measure train --nproc N against one process")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    p.add_argument("--device", default="auto")
    args = p.parse_args()
    if "WORKBENCH_CACHE" not in os.environ:  # never the user's caches; removed at the end
        os.environ["WORKBENCH_CACHE"] = tempfile.mkdtemp(prefix="bench-cache-")
        atexit.register(shutil.rmtree, os.environ["WORKBENCH_CACHE"], True)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    print(f"device {device}, {args.images} images {args.size}x{args.size}, batch {args.batch_size}, "
          f"{args.epochs} epochs, torch threads {torch.get_num_threads()}")

    spec = make_spec(args, extra=", channels_last: false")  # the plain loop keeps the default NCHW layout
    data = load_data(spec, device=device)
    plain_loop(spec, data, device, 1)  # warm-up: first-use costs are not what is measured
    plain, engine = [], []
    for _ in range(args.repeats):
        plain.append(plain_loop(spec, data, device, args.epochs))
        engine.append(engine_loop(spec, data, device))
    print(f"\n[1] training loop, images/s (best of {args.repeats}): plain PyTorch {max(plain):,.0f}, "
          f"engine {max(engine):,.0f}")
    print(f"    ratio engine / plain = {max(engine) / max(plain):.3f}   (target >= 0.97)")

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "images"
        write_folder(root, args)
        aug = f", flip: true, crop_padding: {PAD}"
        folder_spec = make_spec(args, source="folder", path=root, data_extra=aug)
        nchw_spec = make_spec(args, source="folder", path=root, data_extra=aug, extra=", channels_last: false")
        usual = {w: [] for w in args.workers}
        ours, ours_nchw = [], []
        for _ in range(args.repeats):
            for w in args.workers:
                usual[w].append(usual_pipeline(folder_spec, root, device, args, w))
            ours.append(engine_end_to_end(folder_spec, root, device))
            ours_nchw.append(engine_end_to_end(nchw_spec, root, device))
        print(f"\n[2] end to end from an image folder, seconds (best of {args.repeats}): engine {min(ours):.2f}, "
              f"engine with channels_last off {min(ours_nchw):.2f}")
        for w, times in usual.items():
            print(f"    DataLoader + PIL transforms, {w} workers: {min(times):.2f} s; speed-up engine = "
                  f"{min(times) / min(ours):.2f}x (target >= 1.5x), of which the data path alone (same layout, "
                  f"channels_last off) {min(times) / min(ours_nchw):.2f}x")

        disk_rate, memory_rate = engine_scale.disk_vs_memory(folder_spec, device)
        print(f"\n[4] decode cache: images/s from disk {disk_rate:,.0f}, from memory {memory_rate:,.0f}; "
              f"ratio disk / memory = {disk_rate / memory_rate:.3f}   (target >= 0.9)")
    scale_root = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    try:
        start = time.perf_counter()
        engine_scale.write_small_images(scale_root / "images", args.scale_images, args.scale_size)
        small_count = engine_scale.baseline_images(args.batch_size, VAL_SPLIT)
        engine_scale.write_small_images(scale_root / "small", small_count, args.scale_size)
        print(f"    wrote {args.scale_images:,} images of {args.scale_size}x{args.scale_size} in "
              f"{time.perf_counter() - start:.1f} s")
        size_args = argparse.Namespace(**{**vars(args), "size": args.scale_size})
        scale_spec = make_spec(size_args, source="folder", path=scale_root / "images")
        first, second = engine_scale.startup(scale_spec)
        print(f"    start-up (load the folder): first run {first:.2f} s, second run {second:.2f} s; "
              f"ratio second / first = {second / first:.3f}")
        decoded = args.scale_images * 3 * args.scale_size * args.scale_size
        steps = args.memory_steps or math.ceil(args.scale_images * (1 - VAL_SPLIT) / args.batch_size)  # one epoch
        small_epochs = math.ceil(steps / math.ceil(small_count * (1 - VAL_SPLIT) / args.batch_size)) + 1
        spec_file, small_file = scale_root / "spec.yaml", scale_root / "small.yaml"
        save_spec(scale_spec, spec_file)
        save_spec(make_spec(argparse.Namespace(**{**vars(size_args), "epochs": small_epochs}), source="folder",
                            path=scale_root / "small", data_extra=", cache: disk"), small_file)
        mem = engine_scale.peak_memory(spec_file, small_file, decoded, steps, engine_scale.FIXED_MMAP_THRESHOLD)
        plain = engine_scale.peak_memory(spec_file, small_file, decoded, steps, {})
        mb = 1024 * 1024
        above, plain_above = mem["peak"] - mem["own"], plain["peak"] - plain["own"]
        print(f"    peak memory (resident set of a fresh process) training {steps} steps, WORKBENCH_MEMORY_LIMIT "
              f"{mem['limit'] / mb:,.0f} MiB = a quarter of the folder's {decoded / mb:,.0f} MiB of decoded images:\n"
              f"      on the folder (4x the limit), images from {'disk' if mem['on_disk'] else 'memory'}: "
              f"peak {mem['peak'] / mb:,.0f} MiB (run {mem['status']})\n"
              f"      the engine's own peak: {mem['own'] / mb:,.0f} MiB (the same training on {small_count} images: "
              f"the same training and validation batches, read from disk)\n"
              f"      difference {above / mb:,.1f} MiB; limit {mem['limit'] / mb:,.0f} MiB; "
              f"ratio difference / limit = {above / mem['limit']:.2f}   (target < 1)\n"
              f"      (glibc's mmap threshold fixed in both, so a peak is memory in use; with its default, as a plain "
              f"run has it: peak {plain['peak'] / mb:,.0f} MiB, own {plain['own'] / mb:,.0f} MiB, difference "
              f"{plain_above / mb:,.1f} MiB = {plain_above / plain['limit']:.2f} of the limit, which moves by up to "
              f"~70 MiB between identical runs)")
    finally:
        clear_caches(scale_root / "images")
        clear_caches(scale_root / "small")
        shutil.rmtree(scale_root, ignore_errors=True)

    if args.nproc > 1:
        spec_text = SPEC.format(size=args.size, source="shapes", images=args.images, batch=args.batch_size,
                                epochs=args.epochs, path="", extra=", device: cpu", val_split=VAL_SPLIT)
        many, one = engine_scale.nproc_scaling(spec_text, args.nproc)
        print(f"\n[5] train --nproc {args.nproc} on the CPU (gloo): {many:,.0f} images/s, one process {one:,.0f}; "
              f"ratio = {many / one:.2f}   (this machine has {os.cpu_count()} cores)")

    if device.type == "cuda":
        print("\n[3] CUDA options, engine images/s:")
        base = engine_loop(spec, data, device)
        print(f"    fp32                     {base:,.0f}  (1.00x)")
        for precision in ("bf16", "fp16"):
            for channels_last in (False, True):
                s = make_spec(args, extra=f", precision: {precision}, channels_last: {str(channels_last).lower()}")
                ips = engine_loop(s, data, device)
                print(f"    {precision} channels_last={channels_last!s:5}  {ips:,.0f}  ({ips / base:.2f}x)")


if __name__ == "__main__":
    main()
