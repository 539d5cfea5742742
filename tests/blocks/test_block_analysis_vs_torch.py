"""The analysis agrees with the built PyTorch model on random trees of blocks: every instance's output
shape, parameter count and conv MACs, and the totals."""

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.analysis import analyze
from workbench.builder import build_model
from workbench.spec import InputShape, Layer, ModelSpec

from .tree_strategies import block_trees

@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layers=block_trees, channels=st.integers(1, 3), size=st.integers(4, 12))
def test_analysis_matches_pytorch_on_block_trees(layers, channels, size):
    head = [Layer("head_gap", "gap"), Layer("head", "conv", {"filters": 2, "kernel": 1, "activation": "none"})]
    spec = ModelSpec(input=InputShape(channels, size, size), classes=2, layers=layers + head)
    analysis = analyze(spec)
    if not analysis.ok:  # about half the generated trees; their errors are tested one by one elsewhere
        assert any(info.status == "error" for info in analysis.nodes)
        return
    model = build_model(spec, seed=0).eval()
    seen, macs = {}, {}
    hooks = []
    for path, module in model.named_modules():
        if path:
            hooks.append(module.register_forward_hook(lambda m, i, out, path=path: seen.__setitem__(path, tuple(out.shape[1:]))))
        if isinstance(module, torch.nn.Conv2d):
            hooks.append(module.register_forward_hook(
                lambda m, i, out, path=path: macs.__setitem__(path, m.weight.numel() * out.shape[2] * out.shape[3])))
    with torch.no_grad():
        model(torch.randn(2, channels, size, size))
    for node in analysis.nodes:
        module = model.get_submodule(node.path)
        assert seen[node.path] == node.out_shape, node.path
        assert sum(p.numel() for p in module.parameters()) == node.params, node.path
        assert sum(b.numel() for b in module.buffers()) == node.buffers, node.path
        if node.type in ("conv", "depthwise"):
            assert macs[node.path] == node.macs, node.path
    assert sum(p.numel() for p in model.parameters()) == analysis.total_params
    projection_macs = sum(v for k, v in macs.items() if k.endswith(".shortcut.conv"))
    conv_macs = sum(n.macs for n in analysis.nodes if n.type in ("conv", "depthwise"))
    assert conv_macs + projection_macs <= analysis.total_macs

