"""Python source for blocks in the standalone ``model.py``: one class per block kind (``Residual``,
``Parallel``), a ``stack`` of named layers and a ``Projection`` shortcut, written as nested
constructor calls that keep the built model's state_dict keys (``stage2.0.body.conv1.weight``)."""

from __future__ import annotations

from typing import Callable

from torch import nn

from workbench.block_modules import ACTIVATION_MODULES, ParallelBlock, ResidualBlock

BLOCK_HELPERS = {
    "stack": '''

def stack(*named_layers):
    """Layers applied in order, each under its own name: stack(("conv1", ...), ("bn1", ...))."""
    return nn.Sequential(OrderedDict(named_layers))
''',
    "Projection": '''

class Projection(nn.Module):
    """The shortcut of a residual block whose body changes the shape: keep every stride-th pixel,
    then a 1x1 conv and batch norm (the same as a strided 1x1 conv)."""

    def __init__(self, in_channels, out_channels, stride, norm=True):
        super().__init__()
        self.stride = stride
        self.conv = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.bn = nn.BatchNorm2d(out_channels) if norm else nn.Identity()

    def forward(self, x):
        return self.bn(self.conv(x[:, :, :: self.stride[0], :: self.stride[1]]))
''',
    "Residual": '''

class Residual(nn.Module):
    """A residual block: act(body(x) + shortcut(x)); the shortcut is the identity unless given."""

    def __init__(self, body, shortcut=None, activation="relu"):
        super().__init__()
        self.body = body
        self.shortcut = shortcut if shortcut is not None else nn.Identity()
        self.act = ACTIVATIONS[activation]()

    def forward(self, x):
        return self.act(self.body(x) + self.shortcut(x))
''',
    "Parallel": '''

class Parallel(nn.Module):
    """A parallel block: every branch on the same input, joined by "concat" (channels) or "add"."""

    def __init__(self, branches, merge="concat", activation="none"):
        super().__init__()
        self.branches = nn.ModuleList(branches)
        self.merge = merge
        self.act = ACTIVATIONS[activation]()

    def forward(self, x):
        outs = [branch(x) for branch in self.branches]
        if self.merge == "concat":
            return self.act(torch.cat(outs, dim=1))
        total = outs[0]
        for out in outs[1:]:
            total = total + out
        return self.act(total)
''',
}
HELPER_ORDER = ("stack", "Projection", "Residual", "Parallel")
INDENT = "    "


def activation_name(module: nn.Module) -> str:
    """The spec's name for an activation module (``none`` for the identity)."""
    for name, cls in ACTIVATION_MODULES.items():
        if type(module) is cls:
            return name
    return "none"


def _items(codes: list[str], indent: str) -> str:
    inner = indent + INDENT
    return "\n" + ",\n".join(inner + code for code in codes) + ",\n" + indent


def block_code(module: nn.Module, indent: str, leaf: Callable[[nn.Module], tuple[str, set[str]]]) -> tuple[str, set[str]]:
    """Source that rebuilds ``module`` (a block, a stack, a block's copies or a leaf layer made by ``leaf``)."""
    inner = indent + INDENT
    if isinstance(module, ResidualBlock):
        body, used = block_code(module.body, inner, leaf)
        args = [f"body={body}"]
        if not isinstance(module.shortcut, nn.Identity):
            short = module.shortcut
            norm = not isinstance(short.bn, nn.Identity)
            args.append(f"shortcut=Projection({short.conv.in_channels}, {short.conv.out_channels}, stride={short.stride}, norm={norm})")
            used.add("Projection")
        args.append(f"activation={activation_name(module.act)!r}")
        return f"Residual({_items(args, indent)})", used | {"Residual", "activation"}
    if isinstance(module, ParallelBlock):
        used: set[str] = set()
        branches = []
        for branch in module.branches:
            code, more = block_code(branch, inner + INDENT, leaf)
            branches.append(code)
            used |= more
        args = [f"[{_items(branches, inner)}]", f"merge={module.merge!r}", f"activation={activation_name(module.act)!r}"]
        return f"Parallel({_items(args, indent)})", used | {"Parallel", "activation"}
    if isinstance(module, nn.Sequential):
        used = set()
        codes = []
        named = [(name, child) for name, child in module.named_children()]
        for name, child in named:
            code, more = block_code(child, inner, leaf)
            codes.append(code if name.isdigit() else f"({name!r}, {code})")
            used |= more
        if named and all(name.isdigit() for name, _ in named):
            return f"nn.Sequential({_items(codes, indent)})", used
        return (f"stack({_items(codes, indent)})" if codes else "stack()"), used | {"stack"}
    return leaf(module)
