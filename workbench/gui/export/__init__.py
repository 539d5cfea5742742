"""Exporting a trained model (a dialog) and trying it on images (the Predict panel)."""

from workbench.gui.export.export_dialog import ExportDialog
from workbench.gui.export.predict_panel import PredictPanel

__all__ = ["ExportDialog", "PredictPanel"]
