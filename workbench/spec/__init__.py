"""The model spec: layers, sections, YAML reading and writing."""

from workbench.spec.layer_kinds import KINDS, PALETTE, LayerKind
from workbench.spec.model import SCHEMA_VERSION, InputShape, Layer, ModelSpec, SourceInfo
from workbench.spec.problems import Problem, SpecError
from workbench.spec.yaml_io import dumps_spec, load_spec, loads_spec, save_spec

__all__ = [
    "KINDS",
    "PALETTE",
    "SCHEMA_VERSION",
    "InputShape",
    "Layer",
    "LayerKind",
    "ModelSpec",
    "Problem",
    "SourceInfo",
    "SpecError",
    "dumps_spec",
    "load_spec",
    "loads_spec",
    "save_spec",
]
