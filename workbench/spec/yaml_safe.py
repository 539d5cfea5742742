"""The YAML reader for specs: PyYAML's safe loader, bounded, and reading ``1e-3`` as a number.

PyYAML follows YAML 1.1, where a float needs a dot (``1.0e-3``), so ``lr: 1e-3`` — how most people write a
learning rate — would arrive as the text "1e-3". This loader adds the YAML 1.2 float forms; it is a
``SafeLoader`` in every other respect (plain data only, never arbitrary objects).

Specs are plain data, so the loader refuses what has no use in them and lets a small hostile file cost much
time or memory: anchors and aliases (an "alias bomb" of a few hundred bytes expands to billions of nodes),
explicit tags, nesting deeper than :data:`MAX_DEPTH`, more than :data:`MAX_NODES` nodes, and a key given twice
in one mapping (the second silently won).
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.events import AliasEvent, CollectionStartEvent, ScalarEvent

MAX_DEPTH = 50
MAX_NODES = 200_000

_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
    |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)


class RefusedYAML(yaml.MarkedYAMLError):
    """Well-formed YAML that a spec may not contain; ``hint`` says what to write instead."""

    def __init__(self, problem: str, mark, hint: str):
        super().__init__(problem=problem, problem_mark=mark)
        self.hint = hint


class SpecLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` with YAML 1.2 floats, bounded size and depth, and no aliases, tags or repeated keys."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, AliasEvent) or getattr(event, "anchor", None) is not None:
            raise RefusedYAML("anchors and aliases (& and *) are not allowed in a spec", event.start_mark,
                              "write each value out in full")
        if getattr(event, "tag", None) not in (None, "!") and not _implicit(event):
            raise RefusedYAML(f"tags are not allowed in a spec (found {event.tag!r})", event.start_mark,
                              "remove the '!' tag: a spec holds plain numbers, texts, lists and mappings")
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise RefusedYAML(f"more than {MAX_NODES:,} values: too large for a spec", event.start_mark,
                              "spec files are a few kilobytes")
        if isinstance(event, CollectionStartEvent):
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise RefusedYAML(f"nested more than {MAX_DEPTH} levels deep", event.start_mark,
                                  "a spec nests a few levels: layers, then one mapping per layer")
        try:
            return super().compose_node(parent, index)
        finally:
            if isinstance(event, CollectionStartEvent):
                self._depth -= 1

    def compose_mapping_node(self, anchor):
        node = super().compose_mapping_node(anchor)
        seen: dict[Any, yaml.Node] = {}
        for key, _ in node.value:
            if not isinstance(key, yaml.ScalarNode):
                continue
            first = seen.setdefault((key.tag, key.value), key)
            if first is not key:
                where = f"line {first.start_mark.line + 1}"
                if first.start_mark.line == key.start_mark.line:
                    where += f", column {first.start_mark.column + 1}"
                raise RefusedYAML(f"duplicate key '{key.value}' (first given at {where})", key.start_mark,
                                  "give each key once; remove one of the two")
        return node


def _implicit(event) -> bool:
    """Whether a tagged event's tag is only the one YAML would resolve anyway (no explicit '!' in the file)."""
    if isinstance(event, ScalarEvent):
        return event.implicit[0] or event.implicit[1]
    return bool(getattr(event, "implicit", False))


SpecLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))


def load_with_nodes(text: str) -> tuple[Any, yaml.Node | None]:
    """The data of ``text`` and its node tree (for line numbers), parsed once; raises ``yaml.YAMLError``."""
    loader = SpecLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return data, node


def safe_load(text: str) -> Any:
    """Like ``yaml.safe_load`` within the limits above, reading ``1e-3`` as the number 0.001."""
    return load_with_nodes(text)[0]
