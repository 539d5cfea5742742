"""The workbench bundle layout (.wbm, a zip): member names, size limits and the format version."""

from __future__ import annotations

FORMAT_NAME = "workbench-model"
FORMAT_VERSION = 1
EXTENSION = ".wbm"

METADATA = "metadata.json"  # format, versions, date, origin
SPEC = "spec.yaml"  # the spec, exactly as the editor saves it
WEIGHTS = "weights.safetensors"  # the state_dict
MODEL = "model.json"  # class names, input size, resize mode, normalisation
METRICS = "metrics.json"  # epochs and steps curves, summary, confusion matrix

# Largest accepted uncompressed size of each member: refuses zip bombs before anything is inflated.
MEMBER_LIMITS = {
    METADATA: 64 * 1024,
    SPEC: 1024 * 1024,
    WEIGHTS: 1024 * 1024 * 1024,
    MODEL: 1024 * 1024,
    METRICS: 64 * 1024 * 1024,
}
MAX_MEMBERS = 64
