"""The command line: ``python -m workbench VERB ...``; one module per verb."""

from __future__ import annotations

import argparse
import importlib
import sys

from workbench.cli.interrupt import BROKEN_PIPE, INTERRUPTED, silence_stdout
from workbench.safe_text import EscapingStream

# Each module (``lr-find`` -> ``lr_find_cmd``) defines ``add_parser(subparsers)`` and ``run(args) -> int``.
VERBS = ("summary", "check", "presets", "layers", "doctor", "lr-find", "train", "runs", "export", "predict", "explain",
         "edit")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m workbench",
        description="CNN Workbench: design, check, train, diagnose and export small CNNs.",
    )
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    sub.required = True
    for verb in VERBS:
        importlib.import_module(f"workbench.cli.{verb.replace('-', '_')}_cmd").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one verb. Whatever it prints goes through :func:`printable` (text from files never reaches the
    terminal as control codes); Ctrl-C ends with one "interrupted" line and status 130; a closed pipe
    (``... | head -1``) ends quietly."""
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = EscapingStream(out), EscapingStream(err)
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        status = args.run(args)
        out.flush()  # here, not at exit, so that a closed pipe is caught below
        return status
    except KeyboardInterrupt:
        print("interrupted", file=err)
        return INTERRUPTED
    except BrokenPipeError:
        silence_stdout()
        return BROKEN_PIPE
    finally:
        sys.stdout, sys.stderr = out, err
