"""Two stacks at initialisation, layer by layer, on the same batch: where does the image-dependent signal die?"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import torch

from workbench.doctor.findings import Finding
from workbench.doctor.init_check import WEAK_SHARE, InitReport, diagnose_init
from workbench.doctor.measure import LayerStats
from workbench.spec.model import ModelSpec


@dataclass
class CompareRow:
    """One layer name; ``a`` or ``b`` is None where only the other stack has it."""

    name: str
    a: LayerStats | None
    b: LayerStats | None


@dataclass
class Comparison:
    report_a: InitReport
    report_b: InitReport
    rows: list[CompareRow]
    finding: Finding

    def to_dict(self) -> dict:
        def cell(s):
            return None if s is None else {"signal_share": s.signal_share, "std": s.std, "signal_std": s.signal_std}

        return {
            "a": self.report_a.spec_name, "b": self.report_b.spec_name,
            "rows": [{"layer": r.name, "a": cell(r.a), "b": cell(r.b)} for r in self.rows],
            "logit_share": {"a": self.report_a.measurement.logit_share, "b": self.report_b.measurement.logit_share},
            "finding": self.finding.to_dict(),
        }

    def table(self) -> str:
        """A plain-text table: share and std of each layer in both stacks."""
        a, b = self.report_a.spec_name, self.report_b.spec_name
        w = max([12] + [len(r.name) for r in self.rows])
        lines = [f"{'layer':<{w}} {a[:28]:>30} {b[:28]:>30}", f"{'':<{w}} {'share (std)':>30} {'share (std)':>30}"]
        for r in self.rows:
            fa = f"{r.a.signal_share:.3g} (std {r.a.std:.2g})" if r.a else "—"
            fb = f"{r.b.signal_share:.3g} (std {r.b.std:.2g})" if r.b else "—"
            lines.append(f"{r.name:<{w}} {fa:>30} {fb:>30}")
        return "\n".join(lines)


def leaf_name(path: str) -> str:
    """The spec's layer name at the end of a module path."""
    return path.rsplit(".", 1)[-1]


def _both(a: str, b: str) -> str:
    return a if a == b else f"{a} = {b}"


def align(a: list[LayerStats], b: list[LayerStats]) -> list[CompareRow]:
    """Rows pairing layers of the same name, in walk order; a layer moved into a block pairs with itself
    (``c1`` with ``res1.0.body.c1``), and the row names both paths when they differ."""
    names_a, names_b = [leaf_name(s.name) for s in a], [leaf_name(s.name) for s in b]
    rows = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, names_a, names_b, autojunk=False).get_opcodes():
        if tag == "equal":
            rows += [CompareRow(_both(a[i].name, b[j].name), a[i], b[j]) for i, j in zip(range(i1, i2), range(j1, j2))]
        else:
            rows += [CompareRow(a[i].name, a[i], None) for i in range(i1, i2)]
            rows += [CompareRow(b[j].name, None, b[j]) for j in range(j1, j2)]
    return rows


def _dies_at(report: InitReport) -> str | None:
    return next((s.name for s in report.measurement.layers if s.signal_share < WEAK_SHARE), None)


def _describe(report: InitReport) -> str:
    m, at = report.measurement, _dies_at(report)
    where = (f"the input-dependent share falls below {WEAK_SHARE:.0%} at {at} ({m.layer(at).signal_share:.2g})"
             if at else f"the input-dependent share stays above {WEAK_SHARE:.0%} in every layer")
    return f"in {report.spec_name} {where}, and {m.logit_share:.2%} of the logits' variance depends on the image"


def compare_reports(a: InitReport, b: InitReport) -> Comparison:
    rows = align(a.measurement.layers, b.measurement.layers)
    only_b = [r.name for r in rows if r.a is None]
    only_a = [r.name for r in rows if r.b is None]
    diff = []
    if only_b:
        diff.append(f"{b.spec_name} adds {', '.join(only_b)}")
    if only_a:
        diff.append(f"{a.spec_name} has {', '.join(only_a)} that {b.spec_name} lacks")
    worse = a if a.measurement.logit_share < b.measurement.logit_share else b
    text = (f"{'; '.join(diff) + '. ' if diff else ''}At initialisation, {_describe(a)}; {_describe(b)}. "
            f"{worse.spec_name} leaves the logits less to learn from.")
    finding = Finding("compare-init", "info", f"{a.spec_name} vs {b.spec_name} at initialisation", text,
                      "He et al. 2015 (signal propagation at initialisation)",
                      tuple(only_a + only_b), (), {"logit_share": {a.spec_name: a.measurement.logit_share,
                                                                    b.spec_name: b.measurement.logit_share}}, "compare")
    return Comparison(a, b, rows, finding)


def compare_init(spec_a: ModelSpec, spec_b: ModelSpec, inputs: torch.Tensor, targets: torch.Tensor) -> Comparison:
    """Measure both specs on the same normalised batch and line their layers up."""
    return compare_reports(diagnose_init(spec_a, inputs, targets), diagnose_init(spec_b, inputs, targets))
