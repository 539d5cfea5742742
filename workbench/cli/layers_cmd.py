"""layers [TYPE]: the layer types a stack may hold, with every parameter, default and valid range."""

from __future__ import annotations

import sys

from workbench.spec.layer_kinds import KINDS
from workbench.spec.sections import SECTIONS
from workbench.spec.yaml_io import did_you_mean


STACKS_TEXT = {
    "body": "the block's own stack of layers (required, not empty), written like the top-level layers",
    "branches": "a list of stacks run side by side on the same input (required); an empty stack passes the input on",
}


def add_parser(sub) -> None:
    p = sub.add_parser("layers", help="describe the layer types and their parameters", description=__doc__)
    p.add_argument("type", nargs="?", help="one layer type, or 'data' / 'training' for those sections")
    p.set_defaults(run=run)


def _param_lines(params) -> list[str]:
    lines = []
    for p in params:
        default = "required" if p.required else ("unset by default" if p.default is None else f"default {p.default!r}")
        lines.append(f"    {p.name:<15} {p.range_text()}; {default}")
        if p.doc:
            lines.append(f"    {'':<15} {p.doc}")
    return lines


def run(args) -> int:
    wanted = args.type
    names = list(KINDS) + list(SECTIONS)
    if wanted is not None and wanted not in names:
        print(f"unknown layer type '{wanted}' ({did_you_mean(wanted, names)})", file=sys.stderr)
        return 1
    for kind in KINDS.values():
        if wanted in (None, kind.type):
            print(f"{kind.type} — {kind.tooltip}")
            print("\n".join(_param_lines(kind.params)) or "    (no parameters)")
            if kind.stacks_key:
                print(f"    {kind.stacks_key:<15} {STACKS_TEXT[kind.stacks_key]}")
    for section, params in SECTIONS.items():
        if wanted in (None, section):
            print(f"{section}: section of the spec file")
            print("\n".join(_param_lines(params)))
    return 0
