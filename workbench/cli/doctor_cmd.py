"""``doctor SPEC``: why the network does not train, and what to change. Exit 0 without errors, 1 with."""

from __future__ import annotations

import json
import math
import sys

from workbench.cli.common import SPEC_HELP, read_spec_or_report
from workbench.cli.interrupt import Interruption


def add_parser(sub) -> None:
    p = sub.add_parser("doctor", help="diagnose why a network does not train", description=__doc__)
    p.add_argument("spec", help=SPEC_HELP)
    p.add_argument("--data", metavar="FOLDER", help="image folder to measure on (default: the spec's data)")
    p.add_argument("--json", action="store_true", help="print machine-readable findings")
    p.add_argument("--fix", metavar="OUT.yaml", help="write the spec with the recommended fixes applied")
    p.add_argument("--try-fixes", action="store_true", help="train the candidate fixes briefly and rank them")
    p.add_argument("--steps", type=int, default=100, help="steps per trial run with --try-fixes (default 100)")
    p.add_argument("--compare", metavar="OTHER_SPEC", help="compare with another stack at initialisation")
    p.add_argument("--static", action="store_true",
                   help="only the rules that need no data (instant; no init check, no learning-rate range test)")
    p.set_defaults(run=run)


def _print_text(diagnosis, comparison, trials, fixed) -> None:
    init = diagnosis.init
    if init is not None:
        m = init.measurement
        print(f"At initialisation ({m.batch} images): loss {m.loss:.3f} (ln {diagnosis.spec.num_classes} = "
              f"{m.chance_loss:.3f}), input-dependent share of the logits {m.logit_share:.2%}")
        for check in init.checks:
            print(f"  {'pass' if check.passed else 'FAIL'}  {check.name}: {check.value}")
        print(f"  {'layer':<12} {'share':>8} {'std':>9} {'dead':>6} {'grad':>9}")
        for s in m.layers:
            dead = f"{s.dead_fraction:.0%}" if s.dead_fraction is not None else ""
            grad = f"{s.grad_norm:.2g}" if s.grad_norm is not None else ""
            print(f"  {s.name:<12} {s.signal_share:>8.3g} {s.std:>9.3g} {dead:>6} {grad:>9}")
        print()
    if diagnosis.lr is not None:
        print(_lr_line(diagnosis.lr))
        print()
    for finding in diagnosis.findings:
        print(finding.format())
        print()
    if comparison is not None:
        print(comparison.table())
        print(comparison.finding.explanation)
        print()
    if trials:
        chance = math.log(diagnosis.spec.num_classes)
        print("Trial runs, best first (score: 1 = loss 0, 0 = chance):")
        for r in trials:
            status = f"error: {r.error}" if r.error else f"final loss {r.final_loss:.3f}, score {r.score(chance):+.2f}"
            print(f"  {r.label}: {status}")
    if fixed:
        print(f"wrote {fixed[0]} with: " + "; ".join(fixed[1]))
    errors = sum(f.severity == "error" for f in diagnosis.findings)
    warnings = sum(f.severity == "warning" for f in diagnosis.findings)
    print(f"{errors} error(s), {warnings} warning(s)")


def _lr_line(result) -> str:
    from workbench.doctor.lr_rules import fmt_lr

    suggested = fmt_lr(result.suggested) if result.suggested is not None else "none (the loss did not fall)"
    stable = fmt_lr(result.max_stable) if result.max_stable is not None else f"beyond {fmt_lr(result.lrs[-1])}"
    return (f"Learning-rate range test ({len(result.lrs)} steps, {result.stopped}): suggested lr {suggested}, "
            f"largest stable {stable}, configured {result.configured_lr:g}")


def _compare(spec, other_arg, data):
    from workbench.doctor.batch import init_batch
    from workbench.doctor.compare import compare_init

    other = read_spec_or_report(other_arg)
    if other is None:
        return None
    if (other.input, other.num_classes) != (spec.input, spec.num_classes):
        print(f"cannot compare: {other.name} takes a different input or class count", file=sys.stderr)
        return None
    inputs, targets = init_batch(spec, data)
    return compare_init(spec, other, inputs, targets)


def run(args) -> int:
    from workbench.data.errors import DataError
    from workbench.doctor.findings import apply_top_fixes, has_errors
    from workbench.doctor.report import candidate_fixes, diagnose
    from workbench.spec import SpecError, save_spec
    from workbench.training.errors import TrainingError

    spec = read_spec_or_report(args.spec)
    if spec is None:
        return 1
    with Interruption() as interruption:
        try:
            data = None
            if not args.static:
                from workbench.data.dataset import load_data

                data = load_data(spec, data_path=args.data)
            diagnosis = diagnose(spec, data=data, data_path=args.data, with_init=not args.static,
                                 with_lr=not args.static)
            comparison = _compare(spec, args.compare, data) if args.compare and data is not None else None
            trials = []
            if args.try_fixes and diagnosis.init is not None:
                from workbench.doctor.trial import learning_verdict, try_fixes

                fixes = candidate_fixes(spec, diagnosis.findings, diagnosis.lr)
                trials = try_fixes(spec, fixes, data, steps=args.steps, should_stop=lambda: interruption.requested)
                diagnosis.measured += learning_verdict(spec, fixes, trials, args.steps)
        except (DataError, TrainingError) as exc:
            print(f"error: {exc.message}" + (f" (hint: {exc.hint})" if exc.hint else ""), file=sys.stderr)
            return 1
    if interruption.requested:  # a trial cut short is no result: report nothing of them
        return interruption.report()
    for problem in diagnosis.problems:
        print(problem.format(), file=sys.stderr)
    fixed = None
    if args.fix:
        new_spec, applied = apply_top_fixes(spec, diagnosis.findings)
        try:
            save_spec(new_spec, args.fix)
        except (OSError, SpecError) as exc:
            print(f"error: cannot write {args.fix}: {exc}", file=sys.stderr)
            return 1
        fixed = (args.fix, applied)
    if args.json:
        chance = math.log(spec.num_classes)
        print(json.dumps({
            "spec": spec.name,
            "findings": [f.to_dict() for f in diagnosis.findings],
            "problems": [p.format() for p in diagnosis.problems],
            "init": diagnosis.init.to_dict() if diagnosis.init else None,
            "lr_find": diagnosis.lr.to_dict() if diagnosis.lr else None,
            "compare": comparison.to_dict() if comparison else None,
            "trials": [r.to_dict(chance) for r in trials],
            "fixed": {"path": fixed[0], "applied": fixed[1]} if fixed else None,
        }, indent=2, default=float))
    else:
        _print_text(diagnosis, comparison, trials, fixed)
    return 1 if has_errors(diagnosis.findings) or any(p.severity == "error" for p in diagnosis.problems) else 0
