"""The doctor panel of the main window."""

from workbench.gui.doctor.panel import DoctorPanel

__all__ = ["DoctorPanel"]
