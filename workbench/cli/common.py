"""Helpers shared by the CLI verbs: reading a spec argument and printing problems."""

from __future__ import annotations

import sys

from workbench.presets import resolve_spec
from workbench.spec import ModelSpec, SpecError


def read_spec_or_report(arg: str) -> ModelSpec | None:
    """The spec named by ``arg`` (file or preset), or None after printing why it cannot be read."""
    try:
        return resolve_spec(arg)
    except SpecError as exc:
        for problem in exc.problems:
            print(problem.format(), file=sys.stderr)
        return None


SPEC_HELP = "a spec YAML file or a preset name (see 'presets')"
