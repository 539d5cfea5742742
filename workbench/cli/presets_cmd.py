"""presets: list the built-in presets with their descriptions."""

from __future__ import annotations

import textwrap

from workbench.presets import list_presets


def add_parser(sub) -> None:
    p = sub.add_parser("presets", help="list the built-in presets", description=__doc__)
    p.set_defaults(run=run)


def run(args) -> int:
    for info in list_presets():
        print(info.name)
        print(textwrap.indent(textwrap.fill(" ".join(info.description.split()), 96), "    "))
    return 0
