"""Per-layer analysis of a spec: shapes, parameters, cost, receptive field, and every problem.

The walk goes through blocks: each copy of a block runs its stacks on the block's input and joins
them (see :mod:`workbench.analysis.block_rules`). Never raises on a bad spec: the offending layer
carries the error and the layers after it in its stack (and outside its block) are unreachable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from workbench.analysis.block_rules import Flow, Join, JoinError, parallel_join, residual_join
from workbench.analysis.shape_rules import Shape, ShapeError, apply_rule, fmt_shape
from workbench.spec import tree
from workbench.spec.layer_kinds import KINDS
from workbench.spec.model import Layer, ModelSpec
from workbench.spec.names import name_problem
from workbench.spec.params import check_value
from workbench.spec.problems import Problem

BYTES_PER_VALUE = 4
MAX_ACTIVATION_BYTES = 2 * 1024**3  # per image
MAX_PARAMS = 500_000_000
INNER_ERROR = "a layer inside this block has an error"


@dataclass
class CopyInfo:
    """One copy of a block (``stage2.0``): its input and output, its stacks' layers and its shortcut."""

    path: str
    in_shape: Shape
    out_shape: Shape | None = None
    stacks: list[list[LayerInfo]] = field(default_factory=list)
    shortcut: str | None = None  # residual blocks: identity or projection
    projection: LayerInfo | None = None  # a projection shortcut as a row of its own (``stage2.0.shortcut``)


@dataclass
class LayerInfo:
    """What one layer (or one block, all copies together) does, as the editor shows it."""

    index: int  # position in the stack that holds it
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
    path: str = ""  # module path in the built network, e.g. stage2.0.body.conv1
    depth: int = 0
    layer: Layer | None = field(default=None, repr=False, compare=False)  # the layer as built (strides of later copies dropped)
    copies: list[CopyInfo] = field(default_factory=list)  # blocks only

    @property
    def shape_text(self) -> str:
        return fmt_shape(self.out_shape) if self.out_shape else "—"


@dataclass
class Analysis:
    """The analysis of a whole spec: ``layers`` follows the top stack, ``nodes`` every layer instance
    of the tree in walk order (a block before its copies' layers)."""

    layers: list[LayerInfo]
    input_shape: Shape
    problems: list[Problem]
    total_params: int = 0
    total_buffers: int = 0
    total_macs: int = 0
    activation_bytes: int = 0
    nodes: list[LayerInfo] = field(default_factory=list)

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

    def rows(self) -> Iterator[LayerInfo]:
        """Every layer instance in the order of :attr:`nodes`, each block copy's projection shortcut after the
        copy's layers: the rows of the summary, whose leaves add up to the totals."""

        def visit(infos: list[LayerInfo]) -> Iterator[LayerInfo]:
            for info in infos:
                yield info
                for copy in info.copies:
                    for stack in copy.stacks:
                        yield from visit(stack)
                    if copy.projection is not None:
                        yield copy.projection

        return visit(self.layers)

    def info(self, name: str) -> LayerInfo:
        """The info of the instance at path ``name``, else of the first instance of the layer ``name``."""
        for info in self.nodes:
            if info.path == name:
                return info
        for info in self.nodes:
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
        self.bad_names = _name_problems(spec)

    def problem(self, message: str, hint: str, layer: str | None, *path, edits: tuple = ()) -> None:
        src = self.spec.source
        self.problems.append(
            Problem(message, hint, layer=layer, file=src.file if src else None, line=src.line_of(*path) if src else None, edits=edits)
        )

    def run(self) -> Analysis:
        spec = self.spec
        shape: Shape = (spec.input.channels, spec.input.height, spec.input.width)
        self.result = result = Analysis([], shape, self.problems)
        self.act_values = _numel(shape)
        result.layers, out = self._stack(spec.layers, Flow(shape), "", ("layers",), 0, False)
        result.activation_bytes = self.act_values * BYTES_PER_VALUE
        if out is not None:
            self._check_head(result)
            self._check_size(result)
        return result

    def _stack(self, layers: list[Layer], flow: Flow | None, prefix: str, yaml_path: tuple, depth: int, later: bool):
        """Analyse one stack from ``flow``; returns its infos and what leaves it (None after an error)."""
        infos = []
        for i, layer in enumerate(layers):
            info = LayerInfo(i, layer.name, layer.type, path=tree.child_path(prefix, layer.name), depth=depth)
            info.layer = _as_built(layer, later)
            infos.append(info)
            self.result.nodes.append(info)
            if flow is None:
                self._unreachable(info, layer)
                continue
            info.in_shape = flow.shape
            flow = self._one(layer, info, flow, yaml_path + (i,), later)
        return infos, flow

    def _unreachable(self, info: LayerInfo, layer: Layer) -> None:
        """Mark ``info`` unreachable, and the layers of its block's first copy with it."""
        info.status, info.error = "unreachable", "not reachable: an earlier layer has an error"
        key = tree.stacks_key(layer)
        if not key:
            return
        copy = CopyInfo(tree.copy_path(info.path, 0), ())
        info.copies.append(copy)
        for s, stack in enumerate(layer.stacks):
            infos, _ = self._stack(stack, None, tree.stack_path(copy.path, key, s), (), info.depth + 1, False)
            copy.stacks.append(infos)

    def _one(self, layer: Layer, info: LayerInfo, flow: Flow, yaml_path: tuple, later: bool) -> Flow | None:
        """One layer or block on ``flow``: fills ``info``; None when it fails."""
        bad_name = self.bad_names.get(id(layer))
        if bad_name:
            self._fail(info, bad_name, "give every layer its own identifier", yaml_path + ("name",))
            return None
        info.param_errors = param_errors(layer)
        if info.param_errors:
            key, message = next(iter(info.param_errors.items()))
            p = KINDS[layer.type].param(key)
            self._fail(info, message, f"use {p.range_text()}", yaml_path + (key,))
            return None
        if tree.is_block(layer):
            return self._block(layer, info, flow, yaml_path, later)
        try:
            step = apply_rule(info.layer, flow.shape, flow.rf, flow.jump)
        except ShapeError as exc:
            self._fail(info, str(exc), exc.hint, yaml_path)
            return None
        info.out_shape, info.rf, info.jump = step.out, step.rf, step.jump
        info.params, info.buffers, info.macs = step.params, step.buffers, step.macs
        info.act_bytes = _numel(step.out) * BYTES_PER_VALUE
        self._count(step.params, step.buffers, step.macs, _numel(step.out))
        return Flow(step.out, step.rf, step.jump)

    def _count(self, params: int, buffers: int, macs: int, values: int) -> None:
        r = self.result
        r.total_params += params
        r.total_buffers += buffers
        r.total_macs += macs
        self.act_values += values

    def _block(self, layer: Layer, info: LayerInfo, flow: Flow, yaml_path: tuple, later: bool) -> Flow | None:
        """Every copy of a block in turn; the block's numbers are the sum over its copies."""
        r = self.result
        before = (r.total_params, r.total_buffers, r.total_macs, self.act_values)
        key = tree.stacks_key(layer)
        if key == "body" and not (layer.stacks and layer.stacks[0]):
            self._fail(info, f"{info.path}: the body is empty", "add layers to the body, or remove the block", yaml_path)
            return None
        if key == "branches" and not layer.stacks:
            self._fail(info, f"{info.path}: the block has no branches", "add a branch, or remove the block", yaml_path)
            return None
        for c in range(layer.get("repeat")):
            copy = CopyInfo(tree.copy_path(info.path, c), flow.shape)
            info.copies.append(copy)
            outs = []
            for s, stack in enumerate(layer.stacks):
                path = tree.stack_path(copy.path, key, s)
                infos, out = self._stack(stack, flow, path, tree.stack_yaml_path(yaml_path, key, s), info.depth + 1, later or c > 0)
                copy.stacks.append(infos)
                outs.append(out)
            if any(out is None for out in outs):
                info.status, info.error = "error", INNER_ERROR
                return None
            try:
                if key == "body":
                    join = residual_join(layer, copy.path, flow, outs[0])
                else:
                    join = parallel_join(layer, copy.path, outs)
            except JoinError as exc:
                self._fail(info, str(exc), exc.hint, yaml_path, exc.edits)
                return None
            copy.out_shape, copy.shortcut = join.out.shape, join.shortcut
            if join.projection is not None:
                copy.projection = _projection_info(copy, join, info.depth + 1)
            self._count(join.params, join.buffers, join.macs, join.act_values)
            flow = join.out
        info.out_shape, info.rf, info.jump = flow.shape, flow.rf, flow.jump
        info.params = r.total_params - before[0]
        info.buffers = r.total_buffers - before[1]
        info.macs = r.total_macs - before[2]
        info.act_bytes = (self.act_values - before[3]) * BYTES_PER_VALUE
        return flow

    def _fail(self, info: LayerInfo, message: str, hint: str, path: tuple, edits: tuple = ()) -> None:
        info.status, info.error, info.hint = "error", message, hint
        self.problem(message, hint, info.name, *path, edits=edits)

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


def _projection_info(copy: CopyInfo, join: Join, depth: int) -> LayerInfo:
    """The projection shortcut of one residual copy as a row: its output, weights, cost and receptive field."""
    out = join.projection
    return LayerInfo(
        0, "shortcut", "projection", copy.in_shape, out.shape, join.params, join.buffers,
        join.macs, out.rf, out.jump, _numel(out.shape) * BYTES_PER_VALUE, path=f"{copy.path}.shortcut", depth=depth,
    )


def _name_problems(spec: ModelSpec) -> dict[int, str]:
    """Layers (by id) whose name is not an identifier or repeats a name used earlier in the tree."""
    seen: set[str] = set()
    out = {}
    for layer, _place in tree.walk(spec.layers):
        problem = name_problem(layer.name) or (f"duplicate layer name '{layer.name}'" if layer.name in seen else None)
        seen.add(layer.name)
        if problem:
            out[id(layer)] = problem
    return out


def _as_built(layer: Layer, later: bool) -> Layer:
    """The layer as a later copy of a repeated block builds it: its conv stride back to 1."""
    if later and layer.type in ("conv", "depthwise") and "stride" in layer.params:
        return Layer(layer.name, layer.type, {k: v for k, v in layer.params.items() if k != "stride"})
    return layer


def analyze(spec: ModelSpec) -> Analysis:
    """Analyse ``spec`` layer by layer; never raises for a bad spec."""
    return _Walker(spec).run()
