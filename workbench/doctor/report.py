"""Run the doctor's parts in order for one spec and collect what they found (used by the CLI and the docs)."""

from __future__ import annotations

from dataclasses import dataclass, field

from workbench.analysis import analyze
from workbench.doctor.findings import Finding, Fix, combined_fix, sort_findings
from workbench.doctor.init_check import InitReport
from workbench.doctor.static_rules import static_findings
from workbench.spec.model import ModelSpec

MAX_TRIAL_FIXES = 4


@dataclass
class Diagnosis:
    """Static findings, the init report (None when the spec cannot be built) and every finding together."""

    spec: ModelSpec
    static: list[Finding]
    init: InitReport | None = None
    problems: list = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return sort_findings(self.static + (self.init.findings if self.init else []))


def diagnose(spec: ModelSpec, data=None, data_path=None, with_init: bool = True) -> Diagnosis:
    """Static rules, then (when the spec builds) the check at initialisation on the spec's data."""
    analysis = analyze(spec)
    result = Diagnosis(spec, static_findings(spec, analysis), problems=list(analysis.problems))
    if with_init and analysis.ok:
        from workbench.doctor.init_check import check_init

        result.init = check_init(spec, data=data, data_path=data_path)
    return result


def candidate_fixes(spec: ModelSpec, findings: list[Finding]) -> list[Fix]:
    """The fixes worth a trial run: all recommended fixes together, then each fix of every error."""
    out = []
    combined = combined_fix(spec, findings)
    if combined is not None:
        out.append(combined)
    for finding in sort_findings(findings):
        if finding.severity != "error":
            continue
        out += [f for f in finding.fixes if all(f.edits != o.edits for o in out)]
    return out[: MAX_TRIAL_FIXES]
