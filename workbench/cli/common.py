"""Helpers shared by the CLI verbs: reading a spec argument and printing problems."""

from __future__ import annotations

import sys

from workbench.presets import resolve_spec
from workbench.spec import ModelSpec, SpecError


def read_spec_or_report(arg: str) -> ModelSpec | None:
    """The spec named by ``arg`` (file, preset or the spec inside a .wbm bundle), or None after printing why
    it cannot be read."""
    if arg.endswith(BUNDLE_SUFFIX):
        from workbench.export import ModelFileError, load_bundle

        try:
            return load_bundle(arg).spec
        except ModelFileError as exc:
            print(f"error: {exc.message}" + (f" (hint: {exc.hint})" if exc.hint else ""), file=sys.stderr)
            return None
    try:
        return resolve_spec(arg)
    except SpecError as exc:
        for problem in exc.problems:
            print(problem.format(), file=sys.stderr)
        return None


BUNDLE_SUFFIX = ".wbm"
SPEC_HELP = "a spec YAML file, a preset name (see 'presets') or a trained-model bundle (.wbm)"


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1, with a clear message otherwise."""
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value
