"""torch.compile, mixed precision (bf16 autocast on the CPU) and the channels-last layout keep working with
blocks: the block presets at tiny size give the eager fp32 numbers (within bf16's precision under autocast),
forward and backward, and a run with ``training.compile: true`` trains a block spec like an eager run."""

import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from workbench.builder import build_model
from workbench.presets import load_preset
from workbench.spec import InputShape, tree
from workbench.training import Trainer

PRESETS = ("resnet-8", "mobilenet-tiny", "inception-lite")
ROOT = Path(__file__).resolve().parents[2]


def _tiny(name, size=8, narrow=1):
    """The preset at ``size``×``size`` on the shapes data, with every conv's filters divided by ``narrow``."""
    spec = load_preset(name)
    spec.input = InputShape(3, size, size)
    for layer, _place in tree.walk(spec.layers):
        if "filters" in layer.params:
            layer.params["filters"] = max(1, layer.params["filters"] // narrow)
    spec.data = {"source": "shapes", "images": 24, "seed": 0, "val_split": 0.25}
    spec.training = {"optimizer": "adam", "lr": 0.003, "batch_size": 8, "epochs": 1, "seed": 0}
    return spec


def _batch(size=8, count=6):
    g = torch.Generator().manual_seed(0)
    return torch.randn(count, 3, size, size, generator=g), torch.randint(0, 3, (count,), generator=g)


def _forward_backward(model, x, y, autocast=False, run=None):
    """The logits and every parameter's gradient of ``model`` from one step (through ``run``, e.g. the
    compiled model, when given)."""
    model.zero_grad()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
        logits = (run if run is not None else model)(x)
        loss = torch.nn.functional.cross_entropy(logits.float(), y)
    loss.backward()
    return logits, {name: p.grad.clone() for name, p in model.named_parameters()}


def _relative(a, b):
    a, b = a.detach().double(), b.detach().double()
    return float((a - b).norm() / b.norm().clamp_min(1e-12))


def _grad_error(got, want):
    """The largest gradient error of any parameter, relative to the size of the whole gradient (a parameter
    whose gradient is nearly zero, such as a batch norm's shift before another batch norm, carries only
    rounding noise, so its error is measured against the whole)."""
    total = torch.cat([g.flatten() for g in want.values()]).double().norm()
    return max(float((got[k].double() - want[k].double()).norm() / total) for k in want)


def _reference(name, size=8, count=6, train=True):
    model = build_model(_tiny(name, size)).train(train)
    x, y = _batch(size, count)
    logits, grads = _forward_backward(copy.deepcopy(model), x, y)
    return model, x, y, logits, grads


def _flat(grads):
    return torch.cat([g.flatten() for g in grads.values()])


@pytest.mark.parametrize("name", PRESETS)
def test_channels_last_gives_the_eager_numbers(name):
    model, x, y, logits, grads = _reference(name)
    model = model.to(memory_format=torch.channels_last)
    assert any(p.dim() == 4 and p.is_contiguous(memory_format=torch.channels_last) and p.shape[2] > 1
               for p in model.parameters())
    out, got = _forward_backward(model, x.contiguous(memory_format=torch.channels_last), y)
    assert _relative(out, logits) < 1e-5
    assert _grad_error(got, grads) < 1e-5


@pytest.mark.parametrize("name", PRESETS)
def test_bf16_autocast_gives_the_eager_numbers_within_bf16_precision(name):
    # training mode: batch norm's backward through batch statistics subtracts nearly equal bf16 numbers, so
    # only the logits and the gradient's direction keep fp32's numbers closely
    model, x, y, logits, grads = _reference(name, size=16, count=16)
    out, got = _forward_backward(model, x, y, autocast=True)
    assert out.dtype == torch.bfloat16  # autocast really ran the convolutions in bf16
    assert _relative(out, logits) < 0.05  # bf16 keeps 8 bits of mantissa: about 0.4 % per rounding
    assert all(g.dtype == torch.float32 and bool(torch.isfinite(g).all()) for g in got.values())
    assert float(torch.nn.functional.cosine_similarity(_flat(got).double(), _flat(grads).double(), dim=0)) > 0.9
    # evaluation mode (batch norm a fixed affine map): the gradients themselves agree
    model, x, y, logits, grads = _reference(name, size=16, count=16, train=False)
    out, got = _forward_backward(model, x, y, autocast=True)
    assert _relative(out, logits) < 0.05
    assert _relative(_flat(got), _flat(grads)) < 0.1 and _grad_error(got, grads) < 0.05


@pytest.mark.parametrize("name", PRESETS)
def test_compiled_blocks_trace_as_one_graph_and_give_the_eager_numbers(name):
    model, x, y, logits, grads = _reference(name)
    compiled = torch.compile(model, backend="aot_eager", fullgraph=True)  # fullgraph: no graph break in a block
    out, got = _forward_backward(model, x, y, run=compiled)
    assert _relative(out, logits) < 1e-5
    assert _grad_error(got, grads) < 1e-5


@pytest.mark.slow
def test_a_compiled_run_trains_a_block_spec_like_an_eager_run():
    """One real compile (inductor, which takes tens of seconds on the CPU) of a narrow resnet-8 with its two
    projection shortcuts, trained in the CPU's default channels-last layout, validation included."""
    spec = _tiny("resnet-8", narrow=4)
    eager = Trainer(spec, run_dir=False, device="cpu", max_steps=2)
    assert eager.run().status == "completed"
    spec.training["compile"] = True
    compiled = Trainer(spec, run_dir=False, device="cpu", max_steps=2)
    assert compiled.channels_last and compiled._forward is not compiled.model
    ended = compiled.run()
    assert ended.status == "completed", ended.reason
    for key in ("train_loss", "val_loss", "val_acc"):
        assert ended.final[key] == pytest.approx(eager.final[key], rel=1e-3, abs=1e-5), key
    for (name, a), b in zip(compiled.model.named_parameters(), eager.model.parameters()):
        assert _relative(a.detach(), b.detach()) < 1e-3, name


STRIDED_POINTWISE = """
import sys
import torch
from workbench.spec import loads_spec
from workbench.training import Trainer

torch.set_num_threads(1)
spec = loads_spec('''
name: strided-1x1
input: {channels: 3, height: 32, width: 32}
classes: 3
layers:
  - {name: c1, type: conv, filters: 4, padding: same}
  - {name: down, type: conv, filters: 8, kernel: 1, stride: 2}
  - name: res
    type: residual
    body:
      - {name: r1, type: conv, filters: 12, stride: 2, padding: 1}
  - {name: gap, type: gap}
  - {name: logits, type: dense, units: 3, activation: none}
data: {source: shapes, images: 80, seed: 0, val_split: 0.2}
training: {batch_size: 32, epochs: 1}
''')
weights = []
for layout in (True, False):
    spec.training["channels_last"] = layout
    trainer = Trainer(spec, run_dir=False, device="cpu", max_steps=2)
    assert trainer.run().status == "completed"
    weights.append([p.detach().clone() for p in trainer.model.parameters()])
print(max(float((a - b).abs().max()) for a, b in zip(*weights)))
"""


def test_strided_1x1_convs_train_in_channels_last_on_avx2_kernels(tmp_path):
    """oneDNN's AVX2 kernel for a strided 1×1 convolution's weight gradient writes past its buffer in the
    channels-last layout when the input has fewer than 8 channels (a crash or wrong gradients). The CPU's
    default layout is channels-last, so the builder runs such a conv, and a projection shortcut, as a 1×1
    conv on every stride-th pixel: training with oneDNN held to AVX2 matches the NCHW run."""
    env = dict(os.environ, ONEDNN_MAX_CPU_ISA="AVX2", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", STRIDED_POINTWISE], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert float(done.stdout.split()[-1]) < 1e-5
