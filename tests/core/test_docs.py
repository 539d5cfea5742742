"""The format reference names every key the program accepts."""

import pathlib

from workbench.spec.layer_kinds import KINDS
from workbench.spec.sections import SECTIONS
from workbench.spec.yaml_io import TOP_KEYS

DOC = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "spec-format.md").read_text()


def test_every_key_is_documented():
    keys = set(TOP_KEYS) | set(KINDS)
    keys |= {p.name for kind in KINDS.values() for p in kind.params}
    keys |= {p.name for params in SECTIONS.values() for p in params}
    keys |= {kind.stacks_key for kind in KINDS.values() if kind.is_block}
    missing = sorted(k for k in keys if f"`{k}`" not in DOC)
    assert missing == []


def test_every_command_line_in_the_readme_parses_and_every_verb_is_shown():
    import shlex

    from workbench.cli import VERBS, build_parser

    readme = (pathlib.Path(__file__).resolve().parents[2] / "README.md").read_text()
    lines = [line.split("#")[0] for line in readme.splitlines() if line.startswith("python -m workbench ")]
    parser = build_parser()
    shown = set()
    for line in lines:
        args = shlex.split(line)[3:]
        parsed = parser.parse_args(args)
        shown.add(parsed.verb)
    assert shown == set(VERBS)
