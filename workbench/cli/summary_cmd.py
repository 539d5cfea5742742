"""summary SPEC: the layer table with shapes, parameters, MACs and receptive fields."""

from __future__ import annotations

from workbench.analysis import analyze
from workbench.analysis.formatting import summary_table
from workbench.cli.common import SPEC_HELP, read_spec_or_report


def add_parser(sub) -> None:
    p = sub.add_parser("summary", help="print the layer table of a spec", description=__doc__)
    p.add_argument("spec", help=SPEC_HELP)
    p.set_defaults(run=run)


def run(args) -> int:
    spec = read_spec_or_report(args.spec)
    if spec is None:
        return 1
    analysis = analyze(spec)
    print(summary_table(spec, analysis))
    return 0 if analysis.ok else 1
