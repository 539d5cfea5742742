"""Every problem in a spec: the analysis' findings plus bad data and training settings."""

from __future__ import annotations

from workbench.analysis import analyze
from workbench.spec.model import ModelSpec
from workbench.spec.params import check_value
from workbench.spec.problems import Problem
from workbench.spec.sections import SECTIONS


def section_problems(spec: ModelSpec) -> list[Problem]:
    """Problems in the ``data`` and ``training`` sections."""
    src = spec.source
    out = []
    for section, params in SECTIONS.items():
        values = getattr(spec, section)
        for p in params:
            if p.name in values:
                message = check_value(p, values[p.name])
                if message:
                    out.append(
                        Problem(
                            f"{section}.{message}",
                            f"use {p.range_text()}",
                            file=src.file if src else None,
                            line=src.line_of(section, p.name) if src else None,
                        )
                    )
    if spec.data_value("source") == "folder" and not spec.data_value("path"):
        out.append(Problem("data.source is folder but data.path is not set", "add data: {path: /my/images}",
                           file=src.file if src else None, line=src.line_of("data") if src else None))
    return out


def check_spec(spec: ModelSpec) -> list[Problem]:
    """All problems of ``spec``, in file order as far as known."""
    problems = analyze(spec).problems + section_problems(spec)
    return sorted(problems, key=lambda p: p.line if p.line is not None else 1 << 30)
