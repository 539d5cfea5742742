"""predict MODEL IMAGE...: classify images with a run folder, a .wbm bundle or an ONNX file."""

from __future__ import annotations

import json
import sys

from workbench.export import ModelFileError
from workbench.predict import predict


def add_parser(sub) -> None:
    p = sub.add_parser("predict", help="classify image files with a trained model", description=__doc__)
    p.add_argument("model", help="a run folder, a .wbm bundle or an .onnx file")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files (any size; resized like training)")
    p.add_argument("--top", type=int, default=3, metavar="K", help="how many classes to show per image (default 3)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(run=run)


def run(args) -> int:
    if args.top < 1:
        print("error: --top must be at least 1", file=sys.stderr)
        return 2
    try:
        results = predict(args.model, args.images, args.top)
    except ModelFileError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return 1
    if args.json:
        rows = [
            {
                "image": str(r.path),
                "top": [{"class": s.name, "index": s.index, "probability": s.probability} for s in r.top],
                "error": r.error,
            }
            for r in results
        ]
        print(json.dumps(rows, indent=2))
    else:
        for r in results:
            if r.ok:
                print(f"{r.path}: " + ", ".join(f"{s.name} {s.probability:.1%}" for s in r.top))
            else:
                print(f"{r.path}: error: {r.error}", file=sys.stderr)
    return 0 if all(r.ok for r in results) else 1
