"""What the app remembers between starts, kept in a QSettings store.

Tests pass their own store (an ini file in a temporary folder), so they never touch the user's
real settings.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, QStandardPaths

MAX_RECENT = 8


class AppSettings:
    """Typed access to the QSettings keys the app uses."""

    def __init__(self, store: QSettings | None = None):
        self.store = store if store is not None else QSettings()

    def _get(self, key: str, default=None):
        return self.store.value(key, default)

    def _set(self, key: str, value) -> None:
        self.store.setValue(key, value)
        self.store.sync()

    # -- recent files -------------------------------------------------------------------------
    def recent_files(self) -> list[str]:
        value = self._get("files/recent", [])
        if isinstance(value, str):  # a one-item list comes back as a string from an ini file
            value = [value]
        return [str(v) for v in value or []]

    def add_recent(self, path: str | Path) -> None:
        path = str(Path(path).resolve())
        files = [path] + [p for p in self.recent_files() if p != path]
        self._set("files/recent", files[:MAX_RECENT])

    def remove_recent(self, path: str) -> None:
        self._set("files/recent", [p for p in self.recent_files() if p != path])

    def clear_recent(self) -> None:
        self._set("files/recent", [])

    # -- folders ------------------------------------------------------------------------------
    @property
    def last_spec_folder(self) -> str:
        return str(self._get("files/lastSpecFolder", "") or "")

    @last_spec_folder.setter
    def last_spec_folder(self, folder: str) -> None:
        self._set("files/lastSpecFolder", str(folder))

    @property
    def last_data_folder(self) -> str:
        """The image folder last chosen for training data ('' when none)."""
        return str(self._get("files/lastDataFolder", "") or "")

    @last_data_folder.setter
    def last_data_folder(self, folder: str) -> None:
        self._set("files/lastDataFolder", str(folder))

    def autosave_folder(self) -> Path:
        """Where autosaves go: the ``autosave/folder`` setting, else the app's data folder."""
        folder = self._get("autosave/folder", "")
        if not folder:
            folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
        return Path(folder)

    # -- window layout ------------------------------------------------------------------------
    def layout(self, key: str) -> QByteArray | None:
        value = self._get(f"window/{key}")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_layout(self, key: str, value: QByteArray) -> None:
        self._set(f"window/{key}", value)

    # -- sessions -----------------------------------------------------------------------------
    def last_clean_exit(self) -> float:
        """When the app last closed normally (seconds since the epoch; 0 when never)."""
        try:
            return float(self._get("session/lastCleanExit", 0) or 0)
        except (TypeError, ValueError):
            return 0.0

    def record_clean_exit(self) -> None:
        self._set("session/lastCleanExit", time.time())
