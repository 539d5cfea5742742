"""What the doctor reports: a :class:`Finding` with its measured numbers, source and fixes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workbench.doctor.edits import apply_edits
from workbench.spec.model import ModelSpec

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Fix:
    """A concrete change to the spec: a label and the list of edits that make it.

    Calling the fix (``fix(spec)``) returns the edited copy; ``edits`` is what ``--json`` prints.
    """

    label: str
    edits: tuple[dict, ...]

    def __call__(self, spec: ModelSpec) -> ModelSpec:
        return apply_edits(spec, self.edits)

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "edits": [dict(e) for e in self.edits]}


@dataclass
class Finding:
    """One diagnosis: which rule fired, how bad, on which layers, why, and what to change."""

    rule: str
    severity: str
    title: str
    explanation: str
    source: str
    layers: tuple[str, ...] = ()
    fixes: tuple[Fix, ...] = ()
    measured: dict[str, Any] = field(default_factory=dict)
    phase: str = "static"  # static, init, data, training, compare

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "phase": self.phase,
            "title": self.title,
            "layers": list(self.layers),
            "explanation": self.explanation,
            "source": self.source,
            "measured": dict(self.measured),
            "fixes": [f.to_dict() for f in self.fixes],
        }

    def __str__(self) -> str:
        where = f" ({', '.join(self.layers)})" if self.layers else ""
        return f"{self.severity}: {self.title}{where}"

    def format(self) -> str:
        """Plain text for the terminal."""
        where = f" [{', '.join(self.layers)}]" if self.layers else ""
        lines = [f"{self.severity.upper()} {self.rule}{where}: {self.title}", f"  {self.explanation}", f"  source: {self.source}"]
        lines += [f"  fix: {fix.label}" for fix in self.fixes]
        return "\n".join(lines)


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Errors first, then warnings, then info; stable within a severity."""
    return sorted(findings, key=lambda f: SEVERITIES.index(f.severity))


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)


def top_fixes(findings: list[Finding]) -> list[Fix]:
    """The first fix of every error and warning, most severe first, one per rule and layer set."""
    seen, out = set(), []
    for finding in sort_findings(findings):
        if finding.severity == "info" or not finding.fixes:
            continue
        fix = finding.fixes[0]
        if fix.label not in seen:
            seen.add(fix.label)
            out.append(fix)
    return out


def apply_top_fixes(spec: ModelSpec, findings: list[Finding]) -> tuple[ModelSpec, list[str]]:
    """``spec`` with every applicable top fix applied in order; returns the labels applied."""
    applied = []
    for fix in top_fixes(findings):
        try:
            fixed = fix(spec)
        except KeyError:  # an earlier fix already removed or renamed the layer this one edits
            continue
        if fixed != spec:  # skip fixes an earlier one already made
            spec = fixed
            applied.append(fix.label)
    return spec, applied


def combined_fix(spec: ModelSpec, findings: list[Finding]) -> Fix | None:
    """All top fixes as one fix (what ``--fix`` writes), or None when there is nothing to fix."""
    edits, labels, current = [], [], spec
    for fix in top_fixes(findings):
        try:
            fixed = fix(current)
        except KeyError:
            continue
        if fixed != current:
            current = fixed
            edits += fix.edits
            labels.append(fix.label)
    if not labels:
        return None
    return Fix("All recommended fixes: " + "; ".join(labels), tuple(edits))
