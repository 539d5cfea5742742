"""Every layer kind survives the Python source, ONNX and bundle exports (a freshly built, untrained model)."""

from __future__ import annotations

import pytest
import torch

from workbench.builder import build_model
from workbench.export import TrainedModel, export_model, load_bundle
from workbench.spec import loads_spec

ALL_KINDS = """
schema_version: 1
name: every-kind
input: {channels: 1, height: 12, width: 12}
classes: 4
layers:
  - {name: c1, type: conv, filters: 4, kernel: 3, stride: 1, padding: 1, dilation: 1, activation: elu}
  - {name: c2, type: conv, filters: 4, kernel: [3, 1], groups: 2, bias: false, padding: same, activation: gelu}
  - {name: c3, type: conv, filters: 6, kernel: 2, dilation: 2, activation: tanh}
  - {name: ap, type: avgpool, kernel: 2, stride: 1, padding: 1}
  - {name: mp, type: maxpool, kernel: [2, 3], stride: 2}
  - {name: act, type: activation, activation: sigmoid}
  - {name: gmp, type: gmp}
  - {name: flat, type: flatten}
  - {name: bn, type: batchnorm}
  - {name: d1, type: dense, units: 5, activation: leaky_relu}
  - {name: drop, type: dropout, rate: 0.1}
  - {name: out, type: dense, units: 4, activation: none, bias: true}
training: {seed: 3}
"""

FULL_KERNEL = """
schema_version: 1
name: fc-as-conv
input: {channels: 3, height: 8, width: 8}
classes: 2
layers:
  - {name: conv, type: conv, filters: 4, kernel: 3, activation: relu}
  - {name: fc, type: conv, filters: 2, kernel: full, activation: none}
"""

SEPARABLE = """
name: separable
input: {channels: 3, height: 12, width: 12}
classes: 3
layers:
  - {name: c1, type: conv, filters: 4, padding: same}
  - {name: dw, type: depthwise, multiplier: 2, kernel: 3, stride: 2, padding: 1, bias: false, activation: relu}
  - {name: se1, type: se, reduction: 2}
  - {name: pw, type: conv, filters: 6, kernel: 1, stride: 2, activation: none}
  - {name: bn, type: batchnorm}
  - {name: gap, type: gap}
  - {name: out, type: dense, units: 3, activation: none}
"""


def _trained(text: str) -> TrainedModel:
    spec = loads_spec(text)
    model = build_model(spec)
    with torch.no_grad():  # non-trivial running statistics, so batch norm really is exported
        for module in model.modules():
            if isinstance(module, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
    c = spec.input.channels
    return TrainedModel(spec, model.state_dict(), [0.5] * c, [0.25] * c, spec.class_names)


@pytest.mark.parametrize("text", [ALL_KINDS, FULL_KERNEL, SEPARABLE], ids=["every-kind", "full-kernel", "separable"])
@pytest.mark.parametrize("fmt", ["python", "onnx", "wbm"])
def test_export_of_every_layer_kind_checks_out(text, fmt, tmp_path):
    trained = _trained(text)
    report = export_model(trained, fmt, tmp_path / f"net{'.py' if fmt == 'python' else '.' + fmt}")
    assert report.ok, report.message
    assert report.max_abs_diff <= 1e-4
    if fmt == "wbm":
        assert load_bundle(report.path).spec == trained.spec


def test_depthwise_and_squeeze_excite_read_plainly_in_model_py(tmp_path):
    report = export_model(_trained(SEPARABLE), "python", tmp_path / "model.py")
    assert report.ok, report.message
    source = (tmp_path / "model.py").read_text()
    assert "self.dw = Conv(4, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), dilation=(1, 1), groups=4" in source
    assert "self.se1 = SqueezeExcite(8, 4)" in source and source.count("class SqueezeExcite(nn.Module)") == 1
