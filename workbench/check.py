"""Every problem in a spec: the analysis' findings plus bad data and training settings.

:func:`section_problems` is the one check of the ``data`` and ``training`` sections: ``check`` and the app
list its problems, and ``train``, the trainer and the bundle reader refuse a spec with any
(:func:`require_valid_sections`).
"""

from __future__ import annotations

from workbench.analysis import analyze
from workbench.spec.model import ModelSpec
from workbench.spec.params import check_value
from workbench.spec.problems import Problem, SpecError
from workbench.spec.sections import SECTIONS, device_problem


def section_problems(spec: ModelSpec) -> list[Problem]:
    """Problems in the ``data`` and ``training`` sections."""
    src = spec.source
    out = []
    for section, params in SECTIONS.items():
        values = getattr(spec, section)
        for p in params:
            if p.name in values:
                message = check_value(p, values[p.name])
                if message is None and p.name == "device":
                    message = device_problem(values[p.name])
                if message:
                    out.append(
                        Problem(
                            f"{section}.{p.name}: {message.removeprefix(p.name).lstrip()}",
                            "use auto, cpu, cuda, cuda:N or mps" if p.name == "device" else f"use {p.range_text()}",
                            file=src.file if src else None,
                            line=src.line_of(section, p.name) if src else None,
                        )
                    )
    images = spec.data.get("images")
    if (spec.data_value("source") == "shapes" and isinstance(images, int) and not isinstance(images, bool)
            and 0 < images < spec.num_classes):
        out.append(Problem(f"data.images: {images} images cannot cover {spec.num_classes} classes: some would have none",
                           f"use at least {spec.num_classes} images (a few dozen per class to learn anything)",
                           file=src.file if src else None, line=src.line_of("data", "images") if src else None))
    if spec.data_value("source") == "folder" and not spec.data_value("path"):
        out.append(Problem("data.source is folder but data.path is not set", "add data: {path: /my/images}",
                           file=src.file if src else None, line=src.line_of("data") if src else None))
    return out


def require_valid_sections(spec: ModelSpec) -> None:
    """Raise :class:`SpecError` listing the problems of the data and training sections, if any."""
    problems = section_problems(spec)
    if problems:
        raise SpecError(problems)


def check_spec(spec: ModelSpec) -> list[Problem]:
    """All problems of ``spec``, in file order as far as known."""
    problems = analyze(spec).problems + section_problems(spec)
    return sorted(problems, key=lambda p: p.line if p.line is not None else 1 << 30)
