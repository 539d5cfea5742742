"""Before Qt starts on X11: find the system libraries its xcb platform plugin needs and say which to install.

Without them Qt aborts the process with "could not load the Qt platform plugin xcb"; this check runs first and
prints the packages to install instead.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

# the libraries Qt 6's xcb plugin loads, with the Debian/Ubuntu package of each
XCB_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-glx.so.0": "libxcb-glx0",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libdbus-1.so.3": "libdbus-1-3",
}
ALWAYS_NEEDED = ("libxcb-cursor.so.0",)  # Qt ≥ 6.5 loads it at run time, so the linker does not list it


def uses_xcb(env=os.environ, platform: str = sys.platform) -> bool:
    """Whether Qt will pick its xcb plugin: Linux, and no other platform asked for or available (Wayland)."""
    if not platform.startswith("linux"):
        return False
    chosen = env.get("QT_QPA_PLATFORM", "")
    if chosen:
        return chosen.split(";")[0].split(":")[0] == "xcb"
    return not env.get("WAYLAND_DISPLAY")


def xcb_plugin() -> Path | None:
    from PySide6.QtCore import QLibraryInfo  # the core of Qt loads without any platform library

    path = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms" / "libqxcb.so"
    return path if path.is_file() else None


def missing_libraries(plugin: Path, ldd_output: str | None = None, find=ctypes.util.find_library) -> list[str]:
    """The shared libraries ``plugin`` (and Qt at run time) need that the system lacks, by file name."""
    if ldd_output is None:
        ldd = shutil.which("ldd")
        ldd_output = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=20).stdout if ldd else ""
    missing = re.findall(r"^\s*(\S+) => not found", ldd_output, flags=re.M)
    if not ldd_output:  # no ldd: the loader names the first missing library
        try:
            ctypes.CDLL(str(plugin))
        except OSError as exc:
            missing += re.findall(r"(lib[\w.+-]+\.so[\w.]*)", str(exc))[:1]
    for name in ALWAYS_NEEDED:
        if find(name[3:].split(".so")[0]) is None:
            missing.append(name)
    return list(dict.fromkeys(missing))


def install_hint(missing: list[str]) -> str:
    """What to tell the user about ``missing`` libraries: the packages to install on Debian/Ubuntu."""
    packages = " ".join(dict.fromkeys(XCB_PACKAGES.get(name, name) for name in missing))
    return (
        "CNN Workbench cannot open its window: Qt's X11 platform plugin (xcb) needs system libraries that are "
        f"missing: {', '.join(missing)}.\n"
        f"On Debian or Ubuntu install them with:\n    sudo apt-get install {packages}\n"
        "(other systems: the packages that provide these files). Everything else works without a window: "
        "python -m workbench --help."
    )


def platform_problem(env=os.environ) -> str | None:
    """The message to print instead of letting Qt abort, or None when the window can open (or Qt is not on xcb)."""
    if not uses_xcb(env):
        return None
    plugin = xcb_plugin()
    if plugin is None:
        return None
    try:
        missing = missing_libraries(plugin)
    except (OSError, subprocess.SubprocessError):
        return None
    return install_hint(missing) if missing else None
