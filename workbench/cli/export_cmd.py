"""export SOURCE --format F --out PATH: write a trained model as a bundle, ONNX, PyTorch or Python source,
then reload the file and compare its outputs with PyTorch."""

from __future__ import annotations

import sys

from workbench.export import FORMATS, ModelFileError, export_model
from workbench.export.trained import CHECKPOINTS


def add_parser(sub) -> None:
    p = sub.add_parser("export", help="export a trained model and check the file", description=__doc__)
    p.add_argument("source", help="a run folder (or a .wbm bundle to convert)")
    p.add_argument("--format", "-f", required=True, choices=tuple(FORMATS),
                   help="; ".join(f"{key}: {fmt.label}" for key, fmt in FORMATS.items()))
    p.add_argument("--out", "-o", help="the file to write, or a folder for <spec name>.<ext> (model.py for python); "
                   "default: the current folder")
    p.add_argument("--checkpoint", choices=CHECKPOINTS,
                   help="which checkpoint of a run (default: best when finished, last while training)")
    p.set_defaults(run=run)


def run(args) -> int:
    try:
        report = export_model(args.source, args.format, args.out, args.checkpoint)
    except ModelFileError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return 1
    print(report.text())
    return 0 if report.ok else 1
