"""Where the workbench finds its presets and assets, and where it keeps runs and user files."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRESETS_DIR = ROOT / "presets"
ASSETS_DIR = ROOT / "assets"


def runs_dir() -> Path:
    """The default folder for run records: ``$WORKBENCH_RUNS`` or ``./runs``."""
    return Path(os.environ.get("WORKBENCH_RUNS", "runs"))


def cache_dir() -> Path:
    """The folder for decoded-image caches: ``$WORKBENCH_CACHE``, else the user's cache folder."""
    explicit = os.environ.get("WORKBENCH_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or (
        os.environ.get("LOCALAPPDATA") if os.name == "nt" else None) or str(Path.home() / ".cache")
    return Path(base) / "cnn-workbench"
