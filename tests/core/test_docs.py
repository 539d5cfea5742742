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
    missing = sorted(k for k in keys if f"`{k}`" not in DOC)
    assert missing == []
