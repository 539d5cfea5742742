"""Ordered steps that bring older spec files up to the current ``schema_version``.

Version 0 is the unversioned draft format: ``input`` as a list ``[channels, height, width]`` and
layers naming their type with ``kind``. Version 2 adds blocks (``residual``, ``parallel``); every
version 1 file is a valid version 2 file as it stands. Each step takes and returns a plain dict.
"""

from __future__ import annotations

from typing import Any, Callable

from workbench.spec.model import SCHEMA_VERSION


def _v0_to_v1(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    shape = out.get("input")
    if isinstance(shape, list) and len(shape) == 3:
        out["input"] = {"channels": shape[0], "height": shape[1], "width": shape[2]}
    layers = out.get("layers")
    if isinstance(layers, list):
        fixed = []
        for layer in layers:
            if isinstance(layer, dict) and "kind" in layer and "type" not in layer:
                layer = {("type" if k == "kind" else k): v for k, v in layer.items()}
            fixed.append(layer)
        out["layers"] = fixed
    out["schema_version"] = 1
    return out


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Blocks are new in version 2; a flat stack reads the same, so only the version changes."""
    return {**data, "schema_version": 2}


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: _v0_to_v1, 1: _v1_to_v2}


class MigrationError(ValueError):
    """A file's schema_version cannot be brought to the current one."""


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Apply every step from the file's version up to :data:`SCHEMA_VERSION`."""
    version = data.get("schema_version", 0)
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise MigrationError(f"schema_version must be a whole number 0..{SCHEMA_VERSION}, got {version!r}")
    if version > SCHEMA_VERSION:
        raise MigrationError(
            f"schema_version {version} is newer than this workbench understands ({SCHEMA_VERSION}); update the workbench"
        )
    while version < SCHEMA_VERSION:
        data = MIGRATIONS[version](data)
        version = data["schema_version"]
    return data
