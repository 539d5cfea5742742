"""The hint printed instead of Qt's abort when the X11 platform plugin's system libraries are missing."""

from __future__ import annotations

from pathlib import Path

from workbench.gui import app as app_module
from workbench.gui.platform_check import install_hint, missing_libraries, uses_xcb

LDD = """\
\tlinux-vdso.so.1 (0x00007ffc)
\tlibQt6XcbQpa.so.6 => /site-packages/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
"""


def test_only_an_xcb_start_on_linux_is_checked():
    assert uses_xcb({}, "linux")
    assert uses_xcb({"QT_QPA_PLATFORM": "xcb"}, "linux")
    assert not uses_xcb({"QT_QPA_PLATFORM": "offscreen"}, "linux")
    assert not uses_xcb({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert not uses_xcb({}, "darwin") and not uses_xcb({}, "win32")


def test_missing_libraries_are_named_once_with_their_packages():
    missing = missing_libraries(Path("libqxcb.so"), LDD, find=lambda name: None)
    assert missing == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-cursor.so.0"]
    hint = install_hint(missing)
    assert "sudo apt-get install libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0" in hint
    assert missing_libraries(Path("libqxcb.so"), "\tlibc.so.6 => /lib/libc.so.6\n", find=lambda n: "found") == []


def test_main_prints_the_hint_instead_of_starting_qt(monkeypatch, capsys):
    monkeypatch.setattr(app_module.QApplication, "instance", staticmethod(lambda: None))
    monkeypatch.setattr(app_module, "platform_problem", lambda: install_hint(["libxcb-cursor.so.0"]))
    assert app_module.main(["main.py"]) == 1
    err = capsys.readouterr().err
    assert "libxcb-cursor0" in err and "Traceback" not in err
