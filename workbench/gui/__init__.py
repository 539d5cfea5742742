"""The desktop app: a thin PySide6 view over the workbench core."""
