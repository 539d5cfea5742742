"""Training data: the built-in shapes, image folders, the decoded tensor cache and batched augmentation."""

from workbench.data.dataset import DataBundle, DataReport, load_data
from workbench.data.errors import DataError
from workbench.data.folder import FolderScan, load_image, scan_folder
from workbench.data.shapes import SHAPE_CLASSES, generate_shapes

__all__ = [
    "SHAPE_CLASSES",
    "DataBundle",
    "DataError",
    "DataReport",
    "FolderScan",
    "generate_shapes",
    "load_data",
    "load_image",
    "scan_folder",
]
