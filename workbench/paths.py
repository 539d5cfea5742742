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
