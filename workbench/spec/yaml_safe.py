"""The YAML reader for specs: PyYAML's safe loader, which also reads ``1e-3`` as a number.

PyYAML follows YAML 1.1, where a float needs a dot (``1.0e-3``), so ``lr: 1e-3`` — how most people write a
learning rate — would arrive as the text "1e-3". This loader adds the YAML 1.2 float forms; it is a
``SafeLoader`` in every other respect (plain data only, never arbitrary objects).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
    |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)


class SpecLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` with YAML 1.2 floats (``1e-3``, ``5E+2``)."""


SpecLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))


def safe_load(text: str) -> Any:
    """Like ``yaml.safe_load``, reading ``1e-3`` as the number 0.001."""
    return yaml.load(text, Loader=SpecLoader)  # noqa: S506 (SpecLoader is a SafeLoader)


def compose(text: str) -> yaml.Node | None:
    """The node tree of ``text`` (for line numbers), resolved like :func:`safe_load`."""
    return yaml.compose(text, Loader=SpecLoader)
