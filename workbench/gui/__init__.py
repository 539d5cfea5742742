"""The desktop app: a thin PySide6 view over the workbench core."""

from workbench.gui import none_guard  # noqa: F401  (first: guards the whole process against a PySide6 leak)
