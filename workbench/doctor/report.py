"""Run the doctor's parts in order for one spec and collect what they found (used by the CLI and the docs)."""

from __future__ import annotations

from dataclasses import dataclass, field

from workbench.analysis import analyze
from workbench.doctor.findings import Finding, Fix, combined_fix, sort_findings
from workbench.doctor.init_check import InitReport
from workbench.doctor.lr_find import LRFindResult
from workbench.doctor.static_rules import static_findings
from workbench.doctor.training_rules import count_findings, shapes_train_images
from workbench.spec.model import ModelSpec

MAX_TRIAL_FIXES = 4


@dataclass
class Diagnosis:
    """Static findings, the init report (None when the spec cannot be built), the learning-rate range test with
    its findings and every finding together."""

    spec: ModelSpec
    static: list[Finding]
    init: InitReport | None = None
    problems: list = field(default_factory=list)
    lr: LRFindResult | None = None
    measured: list[Finding] = field(default_factory=list)  # from the range test and the trial runs

    @property
    def findings(self) -> list[Finding]:
        return sort_findings(self.static + (self.init.findings if self.init else []) + self.measured)


def diagnose(spec: ModelSpec, data=None, data_path=None, with_init: bool = True, with_lr: bool = False) -> Diagnosis:
    """Static rules, then (when the spec builds) the check at initialisation on the spec's data and, with
    ``with_lr``, the learning-rate range test (a cached result when there is one)."""
    analysis = analyze(spec)
    result = Diagnosis(spec, static_findings(spec, analysis), problems=list(analysis.problems))
    if with_init and analysis.ok:
        from workbench.doctor.init_check import check_init

        result.init = check_init(spec, data=data, data_path=data_path)
    if data is not None and shapes_train_images(spec) is None:  # a folder: the static checks could not count
        result.measured += count_findings(spec, int(data.train_x.shape[0]))
    if with_lr and analysis.ok:
        from workbench.doctor.lr_find import cached_lr_find, lr_find
        from workbench.doctor.lr_rules import lr_findings

        result.lr = cached_lr_find(spec, data_path) or lr_find(spec, data=data, data_path=data_path)
        result.measured += lr_findings(result.lr)
    return result


def candidate_fixes(spec: ModelSpec, findings: list[Finding], lr: LRFindResult | None = None) -> list[Fix]:
    """The fixes worth a trial run: all recommended fixes together, then each fix of every error, then the
    learning-rate candidates (the suggestion of ``lr`` or of a cached range test, the configured lr ×0.1 and ×10)."""
    from workbench.doctor.lr_find import cached_lr_find
    from workbench.doctor.trial import lr_candidates

    out = []
    combined = combined_fix(spec, findings)
    if combined is not None:
        out.append(combined)
    for finding in sort_findings(findings):
        if finding.severity != "error":
            continue
        out += [f for f in finding.fixes if all(f.edits != o.edits for o in out)]
    out = out[: MAX_TRIAL_FIXES]
    return out + [f for f in lr_candidates(spec, lr or cached_lr_find(spec)) if all(f.edits != o.edits for o in out)]
