"""Python source export: one self-contained ``model.py`` (torch only) defining the network layer by
layer (blocks as nested ``Residual``/``Parallel`` calls, see :mod:`block_source`) with the same
state_dict key names, plus its weights as a plain state_dict ``.pt`` beside it."""

from __future__ import annotations

import importlib.util
import re
import sys
import uuid
from pathlib import Path

from torch import nn

import workbench
from workbench.builder import ConvLayer, DenseLayer, GlobalAvgPool, SqueezeExcite
from workbench.export.atomic import write_atomic
from workbench.export.block_source import BLOCK_HELPERS, HELPER_ORDER, activation_name, block_code
from workbench.export.errors import ExportError
from workbench.export.torch_formats import write_state_dict
from workbench.export.trained import TrainedModel
from workbench.spec import ModelSpec

_HELPERS = {
    "activation": '''

ACTIVATIONS = {
    "relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "elu": nn.ELU,
    "gelu": nn.GELU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "none": nn.Identity,
}
''',
    "Conv": '''

class Conv(nn.Conv2d):
    """A convolution followed by its activation. A strided 1x1 convolution without padding runs as a 1x1
    convolution on every stride-th pixel: the same numbers, without torch's CPU kernel for the strided one
    (which goes wrong in the channels-last layout)."""

    def __init__(self, *args, activation="none", **kwargs):
        super().__init__(*args, **kwargs)
        self.act = ACTIVATIONS[activation]()
        self.subsamples = self.kernel_size == (1, 1) and self.stride != (1, 1) and self.padding == (0, 0)

    def forward(self, x):
        if self.subsamples:
            x = x[:, :, :: self.stride[0], :: self.stride[1]]
            return self.act(nn.functional.conv2d(x, self.weight, self.bias, 1, 0, self.dilation, self.groups))
        return self.act(super().forward(x))
''',
    "Dense": '''

class Dense(nn.Linear):
    """A fully connected layer on the flattened input, followed by its activation."""

    def __init__(self, *args, activation="none", **kwargs):
        super().__init__(*args, **kwargs)
        self.act = ACTIVATIONS[activation]()

    def forward(self, x):
        return self.act(super().forward(x.flatten(1)))
''',
    "SqueezeExcite": '''

class SqueezeExcite(nn.Module):
    """Squeeze-and-excitation: each channel scaled by sigmoid(fc2(relu(fc1(mean of the channel))))."""

    def __init__(self, channels, hidden):
        super().__init__()
        self.fc1 = nn.Linear(channels, hidden)
        self.fc2 = nn.Linear(hidden, channels)

    def forward(self, x):
        gate = torch.sigmoid(self.fc2(torch.relu(self.fc1(x.mean(dim=(2, 3))))))
        return x * gate[:, :, None, None]
''',
    "GlobalAvgPool": '''

class GlobalAvgPool(nn.Module):
    """Global average pooling: (N, C, H, W) -> (N, C, 1, 1)."""

    def forward(self, x):
        return x.mean(dim=(2, 3), keepdim=True)
''',
}

_ACTIVATION_CLASSES = {
    nn.ReLU: "ReLU",
    nn.LeakyReLU: "LeakyReLU",
    nn.ELU: "ELU",
    nn.GELU: "GELU",
    nn.Tanh: "Tanh",
    nn.Sigmoid: "Sigmoid",
    nn.Identity: "Identity",
}


def _padding(value) -> str:
    return repr(value) if isinstance(value, str) else repr(tuple(value))


def layer_code(module: nn.Module) -> tuple[str, set[str]]:
    """The constructor call for one built layer module and the helper definitions it needs."""
    activation = activation_name(getattr(module, "act", None))
    if isinstance(module, ConvLayer):
        args = (
            f"{module.in_channels}, {module.out_channels}, kernel_size={tuple(module.kernel_size)}, "
            f"stride={tuple(module.stride)}, padding={_padding(module.padding)}, dilation={tuple(module.dilation)}, "
            f"groups={module.groups}, bias={module.bias is not None}, activation={activation!r}"
        )
        return f"Conv({args})", {"activation", "Conv"}
    if isinstance(module, DenseLayer):
        args = f"{module.in_features}, {module.out_features}, bias={module.bias is not None}, activation={activation!r}"
        return f"Dense({args})", {"activation", "Dense"}
    if isinstance(module, SqueezeExcite):
        return f"SqueezeExcite({module.fc1.in_features}, {module.fc1.out_features})", {"SqueezeExcite"}
    if isinstance(module, GlobalAvgPool):
        return "GlobalAvgPool()", {"GlobalAvgPool"}
    if isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
        name = type(module).__name__
        return f"nn.{name}({module.kernel_size!r}, stride={module.stride!r}, padding={module.padding!r})", set()
    if isinstance(module, nn.AdaptiveMaxPool2d):
        return f"nn.AdaptiveMaxPool2d({module.output_size!r})", set()
    if isinstance(module, nn.Dropout):
        return f"nn.Dropout({module.p!r})", set()
    if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        name = type(module).__name__
        return f"nn.{name}({module.num_features}, eps={module.eps!r}, momentum={module.momentum!r})", set()
    if isinstance(module, nn.Flatten):
        return "nn.Flatten()", set()
    if type(module) in _ACTIVATION_CLASSES:
        return f"nn.{_ACTIVATION_CLASSES[type(module)]}()", set()
    raise ValueError(f"no source code for layer module {type(module).__name__}")


def generate_source(trained: TrainedModel, model: nn.Module, weights_name: str) -> str:
    """The text of the self-contained ``model.py`` for ``model`` (built from ``trained.spec``)."""
    spec: ModelSpec = trained.spec
    lines, used = [], set()
    for name in model.layer_names:
        code, helpers = block_code(getattr(model, name), "        ", layer_code)
        used |= helpers
        lines.append(f"        self.{name} = {code}")
    helpers = "".join(_HELPERS[h] for h in ("activation", "Conv", "Dense", "SqueezeExcite", "GlobalAvgPool") if h in used)
    helpers += "".join(BLOCK_HELPERS[h] for h in HELPER_ORDER if h in used)
    forward = "\n".join(f"        x = self.{name}(x)" for name in model.layer_names)
    c, h, w = trained.input_shape
    stem = Path(weights_name).stem
    title = _plain(spec.name)
    return f'''"""{title}: a CNN exported from CNN Workbench {workbench.__version__} as plain PyTorch (torch only).

    model = load_model()                        # eval mode, CPU; weights from {_plain(weights_name)} beside this file
    probabilities = model(normalize(images)).softmax(1)   # images: uint8 N x C x H x W tensor

load_model() reads {_plain(stem)}.safetensors instead when that file is present (needs the safetensors package).
"""

import os
from collections import OrderedDict

import torch
from torch import nn

CLASS_NAMES = {trained.class_names!r}
INPUT_SHAPE = ({c}, {h}, {w})  # channels, height, width
RESIZE = {trained.resize!r}  # how training brought images to the input size
MEAN = {trained.mean!r}
STD = {trained.std!r}
HERE = os.path.dirname(os.path.abspath(__file__))
{helpers}

class Model(nn.Module):
    """{title}: forward takes a normalised N x C x H x W float batch and returns N x classes logits."""

    def __init__(self):
        super().__init__()
{chr(10).join(lines)}

    def forward(self, x):
{forward}
        return x.flatten(1)


def normalize(images):
    """uint8 N x C x H x W images as the network's input: (x / 255 - mean) / std."""
    mean = torch.tensor(MEAN).view(1, -1, 1, 1)
    std = torch.tensor(STD).view(1, -1, 1, 1)
    return (images.float() / 255.0 - mean) / std


def default_weights():
    """The .safetensors weights beside this file when present, else the .pt state_dict."""
    safetensors_path = os.path.join(HERE, {stem + ".safetensors"!r})
    return safetensors_path if os.path.exists(safetensors_path) else os.path.join(HERE, {weights_name!r})


def load_model(weights=None):
    """The network with its trained weights, in eval mode."""
    weights = weights or default_weights()
    if str(weights).endswith(".safetensors"):
        from safetensors.torch import load_file

        state = load_file(weights)
    else:
        state = torch.load(weights, map_location="cpu", weights_only=True)
    model = Model()
    model.load_state_dict(state)
    return model.eval()


if __name__ == "__main__":
    net = load_model()
    out = net(torch.zeros(1, *INPUT_SHAPE))
    print(f"{{type(net).__name__}}: input {{INPUT_SHAPE}}, {{out.shape[1]}} classes: {{', '.join(CLASS_NAMES)}}")
'''


def _plain(text: str) -> str:
    """``text`` safe inside a docstring."""
    return re.sub(r"[^\w .,:+()-]", "_", text)


def weights_path(source_path) -> Path:
    """The weights file written beside ``model.py``: same stem, ``.pt``."""
    return Path(source_path).with_suffix(".pt")


def write_python_source(trained: TrainedModel, model: nn.Module, path) -> Path:
    """Write ``model.py`` at ``path`` and its weights beside it (same stem, ``.pt``), both atomically."""
    path = Path(path)
    if path.suffix != ".py":
        raise ExportError(f"'{path.name}' is not a .py file name", "name the Python source file, e.g. model.py")
    weights = weights_path(path)
    text = generate_source(trained, model, weights.name)
    write_state_dict(trained, weights)
    try:
        return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    except BaseException:
        weights.unlink(missing_ok=True)
        raise


def import_source(path):
    """Import a generated ``model.py`` as a fresh module (not added to ``sys.modules``)."""
    name = f"_exported_model_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(name, str(path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules.pop(name, None)
    return module
