"""``lr-find SPEC``: the learning-rate range test (lr growing exponentially per step on a copy of the model),
its curve, the suggested and the largest stable learning rate. Exit 0 when it ran, 1 on bad input or when
--apply has no suggestion to write."""

from __future__ import annotations

import json
import sys

from workbench.cli.common import SPEC_HELP, read_spec_or_report

TABLE_ROWS = 12


def add_parser(sub) -> None:
    p = sub.add_parser("lr-find", help="measure a learning rate (range test)", description=__doc__)
    p.add_argument("spec", help=SPEC_HELP)
    p.add_argument("--data", metavar="FOLDER", help="image folder to measure on (default: the spec's data)")
    p.add_argument("--json", action="store_true", help="print the curve and the result as JSON")
    p.add_argument("--apply", metavar="OUT.yaml", help="write the spec with lr set to the suggested value")
    p.set_defaults(run=run)


class _Progress:
    """One progress line on stderr (rewritten in place on a terminal)."""

    def __init__(self, stream):
        self.stream = stream
        self.tty = hasattr(stream, "isatty") and stream.isatty()

    def __call__(self, step: int, steps: int, lr: float, loss: float) -> None:
        text = f"range test: step {step}/{steps} lr {lr:.3g} smoothed loss {loss:.4f}"
        self.stream.write(("\r\x1b[2K" + text) if self.tty else text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")


def _print_text(result, findings) -> None:
    from workbench.doctor.lr_rules import fmt_lr

    every = max(1, len(result.lrs) // TABLE_ROWS)
    print(f"{'lr':>10} {'loss':>9} {'smoothed':>9}")
    for i in range(0, len(result.lrs), every):
        mark = "  <- suggested" if i == result.suggested_index else ""
        print(f"{result.lrs[i]:>10.3g} {result.losses[i]:>9.4f} {result.smoothed[i]:>9.4f}{mark}")
    print(f"stopped: {result.stopped}")
    print(f"configured lr: {result.configured_lr:g} ({result.optimizer})")
    print("suggested lr: " + (f"{fmt_lr(result.suggested)} ({result.method})" if result.suggested is not None
                              else "none (the loss did not fall at any learning rate of the test)"))
    print("largest stable lr: " + (fmt_lr(result.max_stable) if result.max_stable is not None
                                   else f"not reached (stable up to {fmt_lr(result.lrs[-1])})"))
    for finding in findings:
        print()
        print(finding.format())


def run(args) -> int:
    from workbench.analysis import analyze
    from workbench.data.errors import DataError
    from workbench.doctor.edits import apply_edits
    from workbench.doctor.lr_find import lr_find
    from workbench.doctor.lr_rules import lr_findings, suggested_fix
    from workbench.spec import SpecError, save_spec
    from workbench.training.errors import TrainingError

    spec = read_spec_or_report(args.spec)
    if spec is None:
        return 1
    analysis = analyze(spec)
    if not analysis.ok:
        for problem in analysis.problems:
            print(problem.format(), file=sys.stderr)
        return 1
    progress = _Progress(sys.stderr)
    try:
        result = lr_find(spec, data_path=args.data, progress=progress)
    except (DataError, TrainingError) as exc:
        print(f"error: {exc.message}" + (f" (hint: {exc.hint})" if exc.hint else ""), file=sys.stderr)
        return 1
    finally:
        progress.close()
    findings = lr_findings(result)
    if args.json:
        print(json.dumps({"spec": spec.name, "result": result.to_dict(),
                          "findings": [f.to_dict() for f in findings]}, indent=2))
    else:
        _print_text(result, findings)
    if args.apply:
        fix = suggested_fix(result)
        if not fix:
            print("error: the range test has no suggestion to apply", file=sys.stderr)
            return 1
        try:
            save_spec(apply_edits(spec, fix[0].edits), args.apply)
        except (OSError, SpecError) as exc:
            print(f"error: cannot write {args.apply}: {exc}", file=sys.stderr)
            return 1
        print(f"wrote {args.apply} with: {fix[0].label}", file=sys.stderr)
    return 0
