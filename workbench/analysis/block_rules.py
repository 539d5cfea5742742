"""How a block joins its child stacks: a residual sum with its shortcut, a parallel concat or add.

Each rule takes the shapes and receptive fields that reach the join and returns the block's output,
or raises :class:`JoinError` whose message names the block copy and the stack, with a fix as a spec
edit where one exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.analysis.shape_rules import Shape, ShapeError, fmt_shape
from workbench.spec.model import Layer
from workbench.spec.tree import stack_label


class JoinError(ShapeError):
    """The stacks of a block do not fit together; ``edits`` (plain spec edits) would fix it."""

    def __init__(self, message: str, hint: str = "", edits: tuple = ()):
        super().__init__(message, hint)
        self.edits = edits


@dataclass
class Flow:
    """What reaches a point of the network: the tensor's shape and its receptive field."""

    shape: Shape
    rf: tuple[int, int] = (1, 1)
    jump: tuple[int, int] = (1, 1)


@dataclass
class Join:
    """A block copy's output and the cost of what it adds beside its stacks (shortcut, join)."""

    out: Flow
    shortcut: str | None = None  # identity or projection (residual blocks)
    params: int = 0
    buffers: int = 0
    macs: int = 0
    act_values: int = 0  # values of the tensors the join and the shortcut produce
    projection: Flow | None = None  # what a projection shortcut gives (its cost is the join's)


def _numel(shape: Shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _widest(flows: list[Flow]) -> tuple[tuple[int, int], tuple[int, int]]:
    """A sum or concat sees as far as the widest of its inputs."""
    rf = (max(f.rf[0] for f in flows), max(f.rf[1] for f in flows))
    jump = (max(f.jump[0] for f in flows), max(f.jump[1] for f in flows))
    return rf, jump


def projection_stride(src: Shape, dst: Shape) -> tuple[int, int] | None:
    """The stride of a 1×1 conv taking a ``src`` map to ``dst``'s height and width, or None."""
    if len(src) != 3 or len(dst) != 3:
        return None
    stride = []
    for a, b in ((src[1], dst[1]), (src[2], dst[2])):
        s = max(1, -(-a // b))
        if (a - 1) // s + 1 != b:
            return None
        stride.append(s)
    return stride[0], stride[1]


def residual_join(block: Layer, copy_path: str, x: Flow, body: Flow) -> Join:
    """The sum ``body(x) + shortcut(x)`` of one residual copy."""
    choice = block.get("shortcut")
    same = body.shape == x.shape
    if choice == "identity" or (choice == "auto" and same):
        if not same:
            raise JoinError(
                f"{copy_path}: the body gives {fmt_shape(body.shape)} but the shortcut gives {fmt_shape(x.shape)} "
                "— use `shortcut: projection`",
                "set shortcut: projection (a 1×1 conv with the body's stride), or make the body keep the shape",
                ({"op": "set", "layer": block.name, "key": "shortcut", "value": "projection"},),
            )
        rf, jump = _widest([x, body])
        return Join(Flow(body.shape, rf, jump), "identity", act_values=_numel(body.shape))
    stride = projection_stride(x.shape, body.shape)
    if stride is None:
        raise JoinError(
            f"{copy_path}: the body gives {fmt_shape(body.shape)}, which no 1×1 conv shortcut can make from "
            f"{fmt_shape(x.shape)}",
            "keep the body a C×H×W map whose size is the input's divided by a whole stride",
        )
    c_in, c_out = x.shape[0], body.shape[0]
    hw = body.shape[1] * body.shape[2]
    params, buffers, macs, values = c_in * c_out, 0, hw * c_in * c_out, _numel(body.shape)
    if block.get("shortcut_norm"):
        params, buffers, macs, values = params + 2 * c_out, 2 * c_out + 1, macs + _numel(body.shape), 2 * values
    short = Flow(body.shape, x.rf, (x.jump[0] * stride[0], x.jump[1] * stride[1]))
    rf, jump = _widest([short, body])
    return Join(Flow(body.shape, rf, jump), "projection", params, buffers, macs, values + _numel(body.shape), short)


def parallel_join(block: Layer, copy_path: str, branches: list[Flow]) -> Join:
    """The concat (channels) or sum of the branches of one parallel copy."""
    shapes = [b.shape for b in branches]
    rf, jump = _widest(branches)
    if block.get("merge") == "add":
        for s, shape in enumerate(shapes[1:], start=1):
            if shape != shapes[0]:
                raise JoinError(
                    f"{copy_path}: add needs the same shape from every branch, but {stack_label('branches', 0)} "
                    f"gives {fmt_shape(shapes[0])} and {stack_label('branches', s)} gives {fmt_shape(shape)}",
                    "give every branch the same filters and strides, or use merge: concat",
                )
        return Join(Flow(shapes[0], rf, jump), act_values=_numel(shapes[0]))
    flat = [len(shape) == 1 for shape in shapes]
    if any(flat) and not all(flat):
        raise JoinError(
            f"{copy_path}: concat cannot join flat vectors with C×H×W maps",
            "flatten in every branch, or in none",
        )
    for s, shape in enumerate(shapes[1:], start=1):
        if shape[1:] != shapes[0][1:]:
            raise JoinError(
                f"{copy_path}: concat needs the same height and width from every branch, but "
                f"{stack_label('branches', 0)} gives {fmt_shape(shapes[0])} and {stack_label('branches', s)} "
                f"gives {fmt_shape(shape)}",
                "use padding: same and the same strides in every branch",
            )
    out = (sum(shape[0] for shape in shapes), *shapes[0][1:])
    return Join(Flow(out, rf, jump), act_values=_numel(out))
