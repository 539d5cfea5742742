"""Export and prediction speed, printed as ratios measured in one run.

1. Seconds to write and check each export format for a freshly built preset (default: tiny-vgg), relative
   to the bundle (the format the workbench itself uses).
2. Prediction throughput (images/s, image decoding and resizing included) from the bundle (PyTorch) vs the
   ONNX export (onnxruntime). Target: ONNX >= 0.8 x PyTorch, so the ONNX path is a fair way to deploy.

    python bench/bench_export.py                  # well under a minute on a CPU
    python bench/bench_export.py --preset overfeat-small --images 256
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.builder import build_model  # noqa: E402
from workbench.data.shapes import generate_shapes  # noqa: E402
from workbench.export import FORMATS, TrainedModel, export_model  # noqa: E402
from workbench.predict import load_predictor, predict  # noqa: E402
from workbench.presets import load_preset  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="tiny-vgg")
    parser.add_argument("--images", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    spec = load_preset(args.preset)
    c = spec.input.channels
    trained = TrainedModel(spec, build_model(spec).state_dict(), [0.5] * c, [0.25] * c, spec.class_names)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        seconds = {}
        for key in FORMATS:
            start = time.perf_counter()
            report = export_model(trained, key, tmp / f"model{'.py' if key == 'python' else FORMATS[key].extension}")
            seconds[key] = time.perf_counter() - start
            assert report.ok, report.message
        print(f"[1] write + check, {args.preset}:")
        for key, value in seconds.items():
            print(f"    {FORMATS[key].label:36s} {value:6.2f} s   {value / seconds['wbm']:5.1f} x bundle")

        images, _ = generate_shapes(args.images, spec.num_classes, c, 48, 40, seed=0)
        paths = []
        for i, img in enumerate(images):
            paths.append(tmp / f"img{i}.png")
            Image.fromarray(img.permute(1, 2, 0).numpy().squeeze()).save(paths[-1])
        rates = {}
        for key in ("wbm", "onnx"):
            predictor = load_predictor(tmp / f"model.{key}")
            predict(predictor, paths[:4])  # warm-up
            start = time.perf_counter()
            predict(predictor, paths)
            rates[key] = len(paths) / (time.perf_counter() - start)
        ratio = rates["onnx"] / rates["wbm"]
        print(f"[2] predict {len(paths)} image files: PyTorch {rates['wbm']:.0f} images/s, "
              f"ONNX Runtime {rates['onnx']:.0f} images/s -> ratio {ratio:.2f} (target >= 0.8)")


if __name__ == "__main__":
    main()
