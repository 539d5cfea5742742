"""The built-in presets in ``presets/``: listing them and loading one by name."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workbench.paths import PRESETS_DIR
from workbench.spec import ModelSpec, load_spec
from workbench.spec.problems import Problem, SpecError
from workbench.spec.yaml_io import did_you_mean

DEFAULT_PRESET = "overfeat-small"


@dataclass(frozen=True)
class PresetInfo:
    name: str
    path: Path
    description: str


def preset_names() -> list[str]:
    return sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))


def preset_path(name: str) -> Path:
    path = PRESETS_DIR / f"{name}.yaml"
    if not path.is_file():
        raise SpecError([Problem(f"no preset named '{name}'", did_you_mean(name, preset_names()))])
    return path


def load_preset(name: str) -> ModelSpec:
    """The preset ``name`` as a spec (its source file is the preset file)."""
    return load_spec(preset_path(name))


def list_presets() -> list[PresetInfo]:
    """Every preset with its description, sorted by name."""
    out = []
    for name in preset_names():
        spec = load_preset(name)
        out.append(PresetInfo(name, preset_path(name), spec.description))
    return out


def resolve_spec(arg: str) -> ModelSpec:
    """A spec from a file path, or from a preset name when no such file exists."""
    path = Path(arg)
    if path.exists() or arg.endswith((".yaml", ".yml")) or "/" in arg:
        return load_spec(path)
    return load_preset(arg)
