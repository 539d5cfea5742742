"""Runs told apart by what changed: a run of an edited preset is named after the preset plus its changes."""

from __future__ import annotations

from functools import lru_cache

from workbench.presets import load_preset, preset_names
from workbench.spec import ModelSpec, SpecError
from workbench.training.errors import TrainingError
from workbench.training.runs import RunRecord

SHOWN_CHANGES = 3


def _value(value) -> str:
    return ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)


def spec_changes(base: ModelSpec, spec: ModelSpec) -> list[str]:
    """Short notes of how ``spec`` differs from ``base``: added (+) and removed (−) layers, changed layers and
    settings (``lr 0.01→0.001``)."""
    old = {layer.name: layer.to_dict() for layer in base.layers}
    new = {layer.name: layer.to_dict() for layer in spec.layers}
    notes = [f"+{name}" for name in new if name not in old] + [f"−{name}" for name in old if name not in new]
    notes += [f"{name} changed" for name in new if name in old and new[name] != old[name]]
    if (base.input, base.classes) != (spec.input, spec.classes):
        notes.append("input or classes changed")
    for section in ("data", "training"):
        a, b = getattr(base, section), getattr(spec, section)
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                notes.append(f"{key} {_value(a.get(key, 'default'))}→{_value(b.get(key, 'default'))}")
    return notes


@lru_cache(maxsize=None)
def _preset(name: str) -> ModelSpec | None:
    return load_preset(name) if name in preset_names() else None


def run_label(record: RunRecord) -> tuple[str, str]:
    """(label, tooltip): the run's spec name, plus what it changed when it is an edited preset."""
    name = str(record.meta.get("spec_name") or record.name)
    base = _preset(name)
    if base is None:
        return name, ""
    try:
        notes = spec_changes(base, record.spec)
    except (SpecError, TrainingError, OSError):
        return name, ""
    if not notes:
        return name, f"the {name} preset as it is"
    more = f" +{len(notes) - SHOWN_CHANGES} more" if len(notes) > SHOWN_CHANGES else ""
    return f"{name} ({', '.join(notes[:SHOWN_CHANGES])}{more})", f"{name} preset with: " + "; ".join(notes)
