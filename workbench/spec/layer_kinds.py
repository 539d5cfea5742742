"""The palette: every layer type a stack may hold, with its parameters and a one-line description."""

from __future__ import annotations

from dataclasses import dataclass

from workbench.spec.params import ACTIVATIONS, Param

_ACT_CHOICES = ACTIVATIONS + ("none",)


@dataclass(frozen=True)
class LayerKind:
    """A layer type: its YAML ``type``, palette label, tooltip and parameters."""

    type: str
    label: str
    tooltip: str
    params: tuple[Param, ...]
    has_weights: bool = False
    stacks_key: str | None = None  # blocks: "body" (one stack) or "branches" (a list of stacks)

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    @property
    def is_block(self) -> bool:
        return self.stacks_key is not None


_INIT = Param(
    "init",
    "init",
    default=None,
    doc="Weight initialisation and bias constant; default He for ReLU-family, Glorot otherwise.",
    nullable=True,
)
_ACT = Param("activation", "choice", default="relu", doc="Nonlinearity applied to the output.", choices=_ACT_CHOICES)
_BIAS = Param("bias", "bool", default=True, doc="Learn an additive bias per output.")
_STRIDE = Param("stride", "size", default=1, doc="Step between filter positions.", minimum=1)
_PADDING = Param("padding", "padding", default="valid", doc="'same' keeps the size (stride 1), 'valid' adds none.")
_DILATION = Param("dilation", "size", default=1, doc="Spacing between kernel taps.", minimum=1)

_REPEAT = Param(
    "repeat",
    "int",
    default=1,
    doc="Copies of the block in a row; strides in the body apply to the first copy only (a ResNet stage).",
    minimum=1,
    maximum=64,
)

_POOL_PARAMS = (
    Param("kernel", "size", default=2, doc="Window size.", minimum=1),
    Param("stride", "size", default=None, doc="Step between windows; defaults to the kernel.", minimum=1, nullable=True),
    Param("padding", "size", default=0, doc="Zeros added on each side (at most half the kernel).", minimum=0),
)

KINDS: dict[str, LayerKind] = {
    k.type: k
    for k in (
        LayerKind(
            "conv",
            "Conv",
            "Convolution: slides k×k filters over the image, each output sees a k×k neighbourhood.",
            (
                Param("filters", "int", required=True, doc="Number of output channels.", minimum=1, maximum=65536),
                Param("kernel", "kernel", default=3, doc="Filter size; 'full' covers the whole incoming map (a fully connected layer)."),
                _STRIDE,
                _PADDING,
                _DILATION,
                Param("groups", "int", default=1, doc="Channel groups; channels must divide evenly.", minimum=1),
                _BIAS,
                _ACT,
                _INIT,
            ),
            has_weights=True,
        ),
        LayerKind(
            "depthwise",
            "Depthwise conv",
            "Depthwise convolution: filters each channel on its own (groups = channels), k×k per channel; "
            "follow it with a 1×1 conv to mix the channels (depthwise separable).",
            (
                Param("multiplier", "int", default=1, doc="Filters per input channel: output channels = input channels × multiplier.", minimum=1, maximum=64),
                Param("kernel", "kernel", default=3, doc="Filter size; 'full' covers the whole incoming map."),
                _STRIDE,
                _PADDING,
                _DILATION,
                _BIAS,
                _ACT,
                _INIT,
            ),
            has_weights=True,
        ),
        LayerKind(
            "se",
            "Squeeze-excite",
            "Squeeze-and-excitation: global average pool → fc → ReLU → fc → sigmoid, then each channel of the input "
            "is scaled by its gate; C×H×W in and out.",
            (
                Param("reduction", "int", default=4, doc="The hidden fc has channels ÷ reduction units (at least 1).", minimum=1, maximum=1024),
            ),
            has_weights=True,
        ),
        LayerKind("maxpool", "Max pool", "Max pooling: keeps the largest value in each window, shrinking the map.", _POOL_PARAMS),
        LayerKind("avgpool", "Avg pool", "Average pooling: averages each window, shrinking the map.", _POOL_PARAMS),
        LayerKind("gap", "Global avg pool", "Global average pooling: one average per channel, C×H×W → C×1×1, no weights.", ()),
        LayerKind("gmp", "Global max pool", "Global max pooling: one maximum per channel, C×H×W → C×1×1, no weights.", ()),
        LayerKind(
            "dropout",
            "Dropout",
            "Dropout: zeroes a random share of values while training, never on the logits.",
            (Param("rate", "float", default=0.5, doc="Share of values dropped.", minimum=0.0, maximum=1.0, exclusive_max=True),),
        ),
        LayerKind(
            "batchnorm",
            "Batch norm",
            "Batch normalisation: rescales each channel to zero mean and unit variance over the batch.",
            (
                Param("momentum", "float", default=0.1, doc="Running-statistics update rate.", minimum=0.0, maximum=1.0),
                Param("eps", "float", default=1e-5, doc="Added to the variance for stability.", minimum=0.0),
            ),
            has_weights=True,
        ),
        LayerKind(
            "activation",
            "Activation",
            "Activation: applies a nonlinearity element by element.",
            (Param("activation", "choice", default="relu", doc="Which nonlinearity.", choices=ACTIVATIONS),),
        ),
        LayerKind("flatten", "Flatten", "Flatten: turns C×H×W into one vector of C·H·W values.", ()),
        LayerKind(
            "dense",
            "Dense",
            "Dense (fully connected): every output sees every input value.",
            (
                Param("units", "int", required=True, doc="Number of outputs.", minimum=1, maximum=1_000_000),
                _BIAS,
                _ACT,
                _INIT,
            ),
            has_weights=True,
        ),
        LayerKind(
            "residual",
            "Residual block",
            "Residual block: output = activation(body(x) + shortcut(x)); the skip keeps signal and gradient flowing.",
            (
                _REPEAT,
                Param(
                    "shortcut",
                    "choice",
                    default="auto",
                    doc="identity adds x as it is; projection adds a 1×1 conv of x with the body's stride; "
                    "auto takes identity when the shapes match, else projection.",
                    choices=("auto", "identity", "projection"),
                ),
                Param("shortcut_norm", "bool", default=True, doc="Batch norm after a projection shortcut's 1×1 conv."),
                Param("activation", "choice", default="relu", doc="Nonlinearity after the add (ResNet v1 style).", choices=_ACT_CHOICES),
                Param(
                    "zero_init",
                    "bool",
                    default=False,
                    doc="Start the last batch norm (or conv) of each body at zero, so every block begins as the identity.",
                ),
            ),
            stacks_key="body",
        ),
        LayerKind(
            "parallel",
            "Parallel block",
            "Parallel block: runs each branch on the same input and joins them by concat (channels) or add.",
            (
                _REPEAT,
                Param("merge", "choice", default="concat", doc="concat stacks the branches' channels; add sums them.", choices=("concat", "add")),
                Param("activation", "choice", default="none", doc="Nonlinearity after the merge.", choices=_ACT_CHOICES),
            ),
            stacks_key="branches",
        ),
    )
}

BLOCK_TYPES = tuple(k.type for k in KINDS.values() if k.is_block)

# Palette entries: (label, type, preset parameters, tooltip). The 1×1 conv is a conv with kernel 1.
PALETTE: tuple[tuple[str, str, dict, str], ...] = (
    ("Conv", "conv", {"filters": 32, "kernel": 3, "padding": "same"}, KINDS["conv"].tooltip),
    (
        "1×1 conv",
        "conv",
        {"filters": 32, "kernel": 1},
        "1×1 conv: mixes channels at each pixel separately — not a fully connected layer.",
    ),
    ("Depthwise conv", "depthwise", {"kernel": 3, "padding": "same"}, KINDS["depthwise"].tooltip),
    ("Squeeze-excite", "se", {}, KINDS["se"].tooltip),
    ("Max pool", "maxpool", {"kernel": 2}, KINDS["maxpool"].tooltip),
    ("Avg pool", "avgpool", {"kernel": 2}, KINDS["avgpool"].tooltip),
    ("Global avg pool", "gap", {}, KINDS["gap"].tooltip),
    ("Global max pool", "gmp", {}, KINDS["gmp"].tooltip),
    ("Dropout", "dropout", {"rate": 0.5}, KINDS["dropout"].tooltip),
    ("Batch norm", "batchnorm", {}, KINDS["batchnorm"].tooltip),
    ("Activation", "activation", {"activation": "relu"}, KINDS["activation"].tooltip),
    ("Flatten", "flatten", {}, KINDS["flatten"].tooltip),
    ("Dense", "dense", {"units": 64}, KINDS["dense"].tooltip),
    ("Residual block", "residual", {}, KINDS["residual"].tooltip + " Drop layers into its body."),
    ("Parallel block", "parallel", {}, KINDS["parallel"].tooltip + " Drop layers into its branches."),
)

RELU_FAMILY = ("relu", "leaky_relu", "elu", "gelu")
