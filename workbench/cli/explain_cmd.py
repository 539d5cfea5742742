"""explain MODEL IMAGE... --out DIR: where the model looks when it classifies each image.

For every image it writes ``<name>.<method>.png`` (the map in colour over the image, beside the image) and
``<name>.<method>.npy`` (the raw map, float32 at the model's input size) into DIR. Grad-CAM uses the last
layer with a spatial output unless ``--layer`` names another; ``--class`` explains a class other than the
predicted one.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image

from workbench.data.errors import DataError
from workbench.data.folder import load_image
from workbench.export import ModelFileError, load_trained
from workbench.insight.errors import InsightError
from workbench.insight.methods import METHOD_TITLES, METHODS


def add_parser(sub) -> None:
    p = sub.add_parser("explain", help="show where a trained model looks in images (Grad-CAM, saliency, ...)",
                       description=__doc__)
    p.add_argument("model", help="a run folder or a .wbm bundle")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files (any size; resized like training)")
    p.add_argument("--method", choices=METHODS, default="gradcam", help="attribution method (default gradcam)")
    p.add_argument("--layer", metavar="NAME", help="layer for Grad-CAM (default: the last with a spatial output)")
    p.add_argument("--class", dest="target", metavar="NAME", help="class to explain (default: the predicted one)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the PNG and .npy files")
    p.set_defaults(run=run)


def _error(message: str, hint: str = "") -> int:
    print(f"error: {message}", file=sys.stderr)
    if hint:
        print(f"hint: {hint}", file=sys.stderr)
    return 1


def _stem(path: Path, taken: set[str]) -> str:
    stem, n = path.stem, 2
    while stem in taken:
        stem, n = f"{path.stem}-{n}", n + 1
    taken.add(stem)
    return stem


def run(args) -> int:
    from workbench.insight.explain import Explainer, class_index  # loads Captum: only when explaining
    from workbench.insight.layers import spatial_layer
    from workbench.insight.overlay import explanation_picture

    try:
        explainer = Explainer(load_trained(args.model))
        class_index(explainer.class_names, args.target)
        layer = spatial_layer(explainer.model, explainer.input_shape, args.layer).name if args.method == "gradcam" else None
    except (ModelFileError, InsightError) as exc:
        return _error(exc.message, exc.hint)
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return _error(f"cannot create '{out}': {exc.strerror or exc}")
    c, h, w = explainer.input_shape
    taken: set[str] = set()
    failed = 0
    for name in args.images:
        path = Path(name)
        try:
            image = load_image(path, c, h, w, explainer.trained.resize)
        except DataError as exc:
            print(f"{path}: error: {exc.message}", file=sys.stderr)
            failed += 1
            continue
        result = explainer.explain(image, args.method, layer, args.target)
        stem = f"{_stem(path, taken)}.{args.method}"
        try:
            Image.fromarray(explanation_picture(result.image, result.attribution.heat)).save(out / f"{stem}.png")
            np.save(out / f"{stem}.npy", result.attribution.heat.astype(np.float32))
        except OSError as exc:
            return _error(f"cannot write into '{out}': {exc.strerror or exc}")
        predicted = result.class_names[result.predicted]
        where = f" on {layer}" if layer else ""
        print(f"{path}: predicted {predicted} ({result.probabilities[result.predicted]:.1%}); "
              f"{METHOD_TITLES[args.method]}{where} for {result.target_name} -> {out / (stem + '.png')}")
    return 1 if failed else 0

