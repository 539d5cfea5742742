"""Per-layer analysis of a spec: shapes, parameters, cost, receptive field, and every problem.

Never raises on a bad spec: the offending layer carries the error and the layers after it are
marked unreachable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from workbench.analysis.shape_rules import Shape, ShapeError, apply_rule, fmt_shape
from workbench.spec.layer_kinds import KINDS
from workbench.spec.model import Layer, ModelSpec
from workbench.spec.names import name_problem
from workbench.spec.params import check_value
from workbench.spec.problems import Problem

BYTES_PER_VALUE = 4
MAX_ACTIVATION_BYTES = 2 * 1024**3  # per image
MAX_PARAMS = 500_000_000


@dataclass
class LayerInfo:
    """What one layer does, as the editor shows it."""

    index: int
    name: str
    type: str
    in_shape: Shape | None = None
    out_shape: Shape | None = None
    params: int = 0
    buffers: int = 0
    macs: int = 0
    rf: tuple[int, int] | None = None
    jump: tuple[int, int] | None = None
    act_bytes: int = 0
    status: str = "ok"  # ok, error, unreachable
    error: str = ""
    hint: str = ""
    param_errors: dict[str, str] = field(default_factory=dict)

    @property
    def shape_text(self) -> str:
        return fmt_shape(self.out_shape) if self.out_shape else "—"


@dataclass
class Analysis:
    """The analysis of a whole spec."""

    layers: list[LayerInfo]
    input_shape: Shape
    problems: list[Problem]
    total_params: int = 0
    total_buffers: int = 0
    total_macs: int = 0
    activation_bytes: int = 0

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    @property
    def model_bytes(self) -> int:
        return (self.total_params + self.total_buffers) * BYTES_PER_VALUE

    @property
    def output_shape(self) -> Shape | None:
        if not self.layers:
            return self.input_shape
        return self.layers[-1].out_shape

    def info(self, name: str) -> LayerInfo:
        for info in self.layers:
            if info.name == name:
                return info
        raise KeyError(name)


def param_errors(layer: Layer) -> dict[str, str]:
    """Messages for each explicitly set parameter whose value is out of range or of the wrong type."""
    kind = KINDS[layer.type]
    errors = {}
    for p in kind.params:
        if p.name in layer.params:
            message = check_value(p, layer.params[p.name])
            if message:
                errors[p.name] = message
        elif p.required:
            errors[p.name] = f"{p.name} is required ({p.range_text()})"
    return errors


def _numel(shape: Shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


class _Walker:
    def __init__(self, spec: ModelSpec):
        self.spec = spec
        self.problems: list[Problem] = []

    def problem(self, message: str, hint: str, layer: str | None, *path) -> None:
        src = self.spec.source
        self.problems.append(
            Problem(message, hint, layer=layer, file=src.file if src else None, line=src.line_of(*path) if src else None)
        )

    def run(self) -> Analysis:
        spec = self.spec
        shape: Shape = (spec.input.channels, spec.input.height, spec.input.width)
        result = Analysis([], shape, self.problems)
        act_total = _numel(shape) * BYTES_PER_VALUE
        rf, jump = (1, 1), (1, 1)
        broken = False
        seen: set[str] = set()
        for i, layer in enumerate(spec.layers):
            info = LayerInfo(i, layer.name, layer.type, in_shape=None if broken else shape)
            result.layers.append(info)
            if broken:
                info.status, info.error = "unreachable", "not reachable: an earlier layer has an error"
                continue
            bad_name = name_problem(layer.name) or (
                f"duplicate layer name '{layer.name}'" if layer.name in seen else None
            )
            seen.add(layer.name)
            if bad_name:
                self._fail(info, bad_name, "give every layer its own identifier", ("layers", i, "name"))
                broken = True
                continue
            info.param_errors = param_errors(layer)
            if info.param_errors:
                key, message = next(iter(info.param_errors.items()))
                p = KINDS[layer.type].param(key)
                self._fail(info, message, f"use {p.range_text()}", ("layers", i, key))
                broken = True
                continue
            try:
                step = apply_rule(layer, shape, rf, jump)
            except ShapeError as exc:
                self._fail(info, str(exc), exc.hint, ("layers", i))
                broken = True
                continue
            shape, rf, jump = step.out, step.rf, step.jump
            info.out_shape, info.rf, info.jump = shape, rf, jump
            info.params, info.buffers, info.macs = step.params, step.buffers, step.macs
            info.act_bytes = _numel(shape) * BYTES_PER_VALUE
            act_total += info.act_bytes
            result.total_params += step.params
            result.total_buffers += step.buffers
            result.total_macs += step.macs
        result.activation_bytes = act_total
        if not broken:
            self._check_head(result)
            self._check_size(result)
        return result

    def _fail(self, info: LayerInfo, message: str, hint: str, path: tuple) -> None:
        info.status, info.error, info.hint = "error", message, hint
        self.problem(message, hint, info.name, *path)

    def _check_head(self, result: Analysis) -> None:
        spec = self.spec
        if not spec.layers:
            self.problem("the layer stack is empty", "add layers, ending with one that gives one score per class", None, "layers")
            return
        last = result.layers[-1]
        out = last.out_shape
        k = spec.num_classes
        path = ("layers", len(spec.layers) - 1)
        if len(out) == 3 and (out[1], out[2]) != (1, 1):
            message = f"the logits are {fmt_shape(out)} (spatial) instead of one vector of {k} class scores per image"
            hint = "add a gap layer before the last 1×1 conv, or make the last conv kernel: full"
        elif out[0] != k:
            unit = "units" if last.type == "dense" else "filters"
            message = f"the last layer gives {out[0]} values per image but there are {k} classes"
            hint = f"end with a conv or dense layer of {k} {unit}"
        else:
            return
        last.status, last.error, last.hint = "error", message, hint
        self.problem(message, hint, last.name, *path)

    def _check_size(self, result: Analysis) -> None:
        if result.activation_bytes > MAX_ACTIVATION_BYTES:
            gib = result.activation_bytes / 1024**3
            self.problem(
                f"one image would need {gib:.1f} GiB of activations",
                "reduce the input size, filters or add pooling earlier",
                None,
                "input",
            )
        if result.total_params > MAX_PARAMS:
            self.problem(
                f"the model would hold {result.total_params:,} parameters ({result.model_bytes / 1024**3:.1f} GiB)",
                "use fewer filters or units, or gap instead of a large dense/full layer",
                None,
                "layers",
            )


def analyze(spec: ModelSpec) -> Analysis:
    """Analyse ``spec`` layer by layer; never raises for a bad spec."""
    return _Walker(spec).run()
