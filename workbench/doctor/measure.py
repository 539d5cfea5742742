"""Per-layer statistics of a freshly initialised network on one batch: the numbers the init check reads.

The *input-dependent share* of a layer's output is, for every unit (one value of the output tensor
of one image: a channel at one position, or one feature), the variance across the images of the
batch divided by the mean square across the images, ``Var_n(a) / E_n(a²)``, averaged over the units
that are not always zero. It is 1 when a unit's mean over images is 0 (all of it is signal about
the image) and 0 when the unit has the same value for every image (a constant the bias or the
previous layers put there). A network cannot classify from a layer whose share is near 0.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import torch
from torch import nn

from workbench.analysis import analyze
from workbench.block_modules import ParallelBlock, ResidualBlock
from workbench.builder import ConvLayer, DenseLayer, SpecModel, build_model
from workbench.spec.model import ModelSpec


@dataclass
class LayerStats:
    """What one layer's output looks like at initialisation."""

    name: str
    type: str
    std: float  # standard deviation over every value of the batch
    rms: float  # root mean square over every value
    signal_share: float  # mean over units of Var_images / E_images[a²]
    signal_std: float  # sqrt of the mean over units of Var_images(a): the size of the image-dependent part
    dead_fraction: float | None  # share of ReLU channels that are zero for every image (None: no ReLU)
    grad_norm: float | None  # norm of the weight gradient (None: no weights)
    finite: bool = True
    in_signal_std: float = 0.0  # signal_std of the layer's input (in a block: what reaches it, not the layer above)

    def to_dict(self) -> dict:
        return asdict(self)


def _share_of(a: torch.Tensor, var: torch.Tensor) -> float:
    """Mean over units of Var_n(a)/E_n(a²), given a batch ``a`` (N × units, float64) and its per-unit variance."""
    power = (a * a).mean(0)
    alive = power > 1e-30
    if not bool(alive.any()):
        return 0.0
    return float((var[alive] / power[alive]).mean())


def signal_share(values: torch.Tensor) -> float:
    """Mean over units of Var_n(a)/E_n(a²) for a batch ``values`` of shape (N, ...)."""
    a = values.detach().flatten(1).double()
    return _share_of(a, a.var(0, unbiased=False))


def has_relu_output(module: nn.Module) -> bool:
    """Whether the layer's (or a block copy's) output has passed through a ReLU-family nonlinearity."""
    act = module.act if isinstance(module, (ConvLayer, DenseLayer, ResidualBlock, ParallelBlock)) else module
    return isinstance(act, (nn.ReLU, nn.LeakyReLU, nn.ELU, nn.GELU))


def dead_channel_fraction(values: torch.Tensor) -> float:
    """Share of channels that are ≤ 0 for every image and position."""
    a = values.detach()
    alive = (a > 0).flatten(2).any(2).any(0) if a.dim() > 2 else (a > 0).any(0)
    return 1.0 - float(alive.double().mean())


def _signal_std(values: torch.Tensor) -> float:
    v = values.detach().double()
    return float(v.flatten(1).var(0, unbiased=False).mean().sqrt()) if bool(torch.isfinite(v).all()) else float("nan")


def _stats(name: str, kind: str, out: torch.Tensor, relu: bool) -> LayerStats:
    v = out.detach().double()  # converted once: these tensors are the largest the doctor handles
    rms = float(v.pow(2).mean().sqrt())
    finite = math.isfinite(rms)  # the squares of float32 values cannot overflow in float64: finite iff all are
    flat = v.flatten(1)
    var = flat.var(0, unbiased=False) if finite else None
    return LayerStats(
        name=name, type=kind,
        std=float(v.std()) if v.numel() > 1 else 0.0,
        rms=rms,
        signal_share=_share_of(flat, var) if finite else float("nan"),
        signal_std=float(var.mean().sqrt()) if finite else float("nan"),
        dead_fraction=dead_channel_fraction(out) if relu else None,
        grad_norm=None, finite=finite,
    )


@dataclass
class Measurement:
    """Everything measured on one batch: per-layer stats, logits and loss."""

    layers: list[LayerStats]
    input_stats: LayerStats
    logit_spread: float  # mean over classes of the std of the class score across images
    logit_share: float
    loss: float
    chance_loss: float  # ln(classes)
    batch: int

    def to_dict(self) -> dict:
        out = asdict(self)
        out["layers"] = [s.to_dict() for s in self.layers]
        out["input_stats"] = self.input_stats.to_dict()
        return out

    def layer(self, name: str) -> LayerStats:
        for s in self.layers:
            if s.name == name:
                return s
        raise KeyError(name)


def _key(t: torch.Tensor) -> tuple:
    return t.data_ptr(), tuple(t.shape), tuple(t.stride())


def _fresh(spec: ModelSpec, seed: int | None) -> SpecModel:
    """The network built fresh (seeded), in training mode but with dropout off (it would add
    image-independent noise to the statistics); batch norm normalises with the batch as in training."""
    model = build_model(spec, seed=seed)
    model.train()
    for module in model.modules():
        if isinstance(module, nn.Dropout):
            module.eval()
    return model


def _measure_from(spec: ModelSpec, model: SpecModel, start: int, entering: torch.Tensor, targets: torch.Tensor,
                  input_stats: LayerStats, before: list[LayerStats],
                  backward: bool) -> tuple[Measurement, list[torch.Tensor]]:
    """Run ``model``'s top-level layers from the ``start``-th on, ``entering`` going into the first, and
    measure every layer they hold (``before``: the stats of the layers in front). Returns the measurement and
    the tensor entering each layer run, then the last one's output."""
    names = model.layer_names[start:]
    layers = [(info.path, info.type) for info in analyze(spec).nodes  # every layer, in blocks too
              if not info.copies and info.path.split(".", 1)[0] in names]
    outputs: dict[str, torch.Tensor] = {}
    layer_inputs: dict[str, torch.Tensor] = {}
    tops = [entering.detach()]

    def record(name: str, inputs: tuple, out: torch.Tensor) -> None:
        outputs[name], layer_inputs[name] = out.detach(), inputs[0].detach()

    hooks = [
        model.get_submodule(path).register_forward_hook(lambda _m, i, out, path=path: record(path, i, out))
        for path, _type in layers
    ] + [getattr(model, name).register_forward_hook(lambda _m, _i, out: tops.append(out.detach())) for name in names]
    try:
        logits = SpecModel(names, [getattr(model, name) for name in names])(entering)
        loss = nn.functional.cross_entropy(logits, targets)
        if backward and torch.isfinite(loss):
            loss.backward()
    finally:
        for h in hooks:
            h.remove()
    known = {_key(entering): _signal_std(entering)}  # a layer's input is usually the output of the one before
    stats = list(before)
    for name, kind in layers:
        module = model.get_submodule(name)
        s = _stats(name, kind, outputs[name], has_relu_output(module))
        given = layer_inputs[name]
        s.in_signal_std = known[_key(given)] if _key(given) in known else _signal_std(given)
        known[_key(outputs[name])] = s.signal_std
        weight = getattr(module, "weight", None)
        if isinstance(module, (ConvLayer, DenseLayer)) and weight is not None and weight.grad is not None:
            s.grad_norm = float(weight.grad.norm())
        stats.append(s)
    lg = logits.detach().double()
    return Measurement(
        layers=stats,
        input_stats=input_stats,
        logit_spread=float(lg.std(0, unbiased=False).mean()) if lg.shape[0] > 1 else 0.0,
        logit_share=signal_share(lg),
        loss=float(loss.detach()),
        chance_loss=math.log(spec.num_classes),
        batch=int(logits.shape[0]),
    ), tops


def measure(spec: ModelSpec, inputs: torch.Tensor, targets: torch.Tensor, seed: int | None = None,
            backward: bool = True) -> Measurement:
    """Build ``spec`` fresh (seeded) and measure one forward and (unless ``backward`` is False: no gradient
    norms) one backward pass on ``inputs``, at the output of every layer of the tree (named by path, e.g.
    ``stage2.0.body.conv1``)."""
    model = _fresh(spec, seed)
    return _measure_from(spec, model, 0, inputs, targets, _stats("input", "input", inputs, False), [], backward)[0]


@dataclass
class Trace:
    """A measurement with what a changed copy of its spec can reuse: the weights as built, the seed, the
    targets and the tensor entering each top-level layer (the first: the images; the last: the output)."""

    measurement: Measurement
    spec: ModelSpec  # a copy: the spec as measured
    seed: int | None
    targets: torch.Tensor
    weights: dict[str, torch.Tensor]
    entering: list[torch.Tensor]


def trace(spec: ModelSpec, inputs: torch.Tensor, targets: torch.Tensor, seed: int | None = None,
          backward: bool = True) -> Trace:
    """:func:`measure`, keeping what :func:`remeasure` needs."""
    model = _fresh(spec, seed)
    weights = {k: v.clone() for k, v in model.state_dict().items()}  # before the pass moves batch norm's statistics
    m, entering = _measure_from(spec, model, 0, inputs, targets, _stats("input", "input", inputs, False), [], backward)
    return Trace(m, spec.copy(), seed, targets, weights, entering)


def _unchanged_layers(t: Trace, spec: ModelSpec, model: SpecModel) -> int:
    """How many top-level layers, from the first, ``model`` (built for ``spec``) shares with the traced network:
    the same layer with the same weights computes the same on the same input."""
    weights = model.state_dict()
    count = 0
    for old, new in zip(t.spec.layers, spec.layers):
        prefix = f"{new.name}."
        mine = {k: v for k, v in weights.items() if k.startswith(prefix)}
        theirs = {k: v for k, v in t.weights.items() if k.startswith(prefix)}
        if old != new or mine.keys() != theirs.keys() or not all(torch.equal(v, theirs[k]) for k, v in mine.items()):
            break
        count += 1
    return count


def remeasure(t: Trace, spec: ModelSpec) -> Measurement:
    """``measure(spec, …, backward=False)`` of ``spec``, a changed copy of the traced spec, on the traced batch
    and seed: the same numbers, but the top-level layers in front of the first change are not run again (what
    enters the first changed one, a block or a plain layer, is taken from the trace)."""
    model = _fresh(spec, t.seed)
    start = _unchanged_layers(t, spec, model)
    kept = {layer.name for layer in spec.layers[:start]}
    before = [replace(s, grad_norm=None) for s in t.measurement.layers if s.name.split(".", 1)[0] in kept]
    return _measure_from(spec, model, start, t.entering[start], t.targets, t.measurement.input_stats, before, False)[0]
