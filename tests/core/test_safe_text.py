"""Text from files is shown with its control characters escaped, by every command-line print."""

import io

import pytest

from workbench.safe_text import EscapingStream, printable, printable_line


@pytest.mark.parametrize(
    "raw, shown",
    [
        ("cat\x1b[2J", "cat\\x1b[2J"),
        ("a\rb", "a\\x0db"),
        ("bell\x07", "bell\\x07"),
        ("c1\x9b2J", "c1\\x9b2J"),
        ("rtl\u202eevil", "rtl\\u202eevil"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("café ✓ 猫", "café ✓ 猫"),
    ],
)
def test_control_characters_become_escapes(raw, shown):
    assert printable(raw) == shown


def test_one_line_form_escapes_newlines_too():
    assert printable_line("a\nb\tc\x1b") == "a\\nb\\tc\\x1b"


def test_cli_prints_escape_what_they_print(capsys):
    from workbench.cli import main

    assert main(["layers", "no\x1b[2Jsuch"]) == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err and "no\\x1b[2Jsuch" in err


def test_escaping_stream_passes_the_raw_stream_on():
    raw = io.StringIO()
    stream = EscapingStream(raw)
    stream.write("x\x1b")
    assert raw.getvalue() == "x\\x1b" and stream.raw is raw
