"""Exporting trained models (bundle, ONNX, PyTorch, Python source) and opening bundles safely."""

from workbench.export.bundle_read import Bundle, load_bundle
from workbench.export.bundle_write import write_bundle
from workbench.export.errors import BundleError, ExportError, ModelFileError
from workbench.export.exporter import FORMATS, ExportReport, default_export_path, export_model, load_trained
from workbench.export.trained import TrainedModel

__all__ = [
    "FORMATS",
    "Bundle",
    "BundleError",
    "ExportError",
    "ExportReport",
    "ModelFileError",
    "TrainedModel",
    "default_export_path",
    "export_model",
    "load_bundle",
    "load_trained",
    "write_bundle",
]
