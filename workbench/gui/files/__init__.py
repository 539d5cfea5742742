"""Files for the desktop app: open/save, recent files, preset gallery, autosave and settings."""
