"""Text from users' files made safe to show: control characters become visible escapes.

A class name or spec name holding ``\\x1b[2J`` would clear the terminal (or retitle it, or hide text) when
printed raw. :func:`printable` keeps newlines and tabs and writes every other control character, and the
Unicode direction overrides that reorder what is shown, as an escape such as ``\\x1b`` or ``\\u202e``.
"""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, C1 controls, and the bidirectional embedding/override/isolate marks.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control character (but newline and tab) shown as an escape."""
    return _UNSAFE.sub(_escape, text)


def printable_line(text: str) -> str:
    """``text`` on one line: newlines and tabs escaped too (for one-line labels and titles)."""
    return printable(text).replace("\n", "\\n").replace("\t", "\\t")


class EscapingStream:
    """A text stream that writes through :func:`printable`; ``raw`` is the stream underneath, for output
    that carries its own deliberate control codes (a progress bar redrawing its line)."""

    def __init__(self, raw):
        self.raw = raw

    def write(self, text: str) -> int:
        self.raw.write(printable(text))
        return len(text)

    def __getattr__(self, name):
        return getattr(self.raw, name)
