"""check SPEC: validate a spec; exit 0 when valid, 1 with every error otherwise."""

from __future__ import annotations

import sys

from workbench.check import check_spec
from workbench.cli.common import SPEC_HELP, read_spec_or_report


def add_parser(sub) -> None:
    p = sub.add_parser("check", help="validate a spec", description=__doc__)
    p.add_argument("spec", help=SPEC_HELP)
    p.set_defaults(run=run)


def run(args) -> int:
    spec = read_spec_or_report(args.spec)
    if spec is None:
        return 1
    problems = check_spec(spec)
    for problem in problems:
        print(problem.format(), file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in {args.spec}", file=sys.stderr)
        return 1
    print(f"{args.spec}: OK ({len(spec.layers)} layers)")
    return 0
