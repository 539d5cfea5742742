"""The analysis agrees with PyTorch: same shapes and parameter counts, and it rejects exactly what PyTorch rejects."""

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.analysis import analyze
from workbench.builder import build_layer
from workbench.spec import InputShape, ModelSpec

from .strategies import layer_lists


def torch_walk(spec):
    """Run the stack layer by layer in PyTorch: shapes and params per layer, and where it fails."""
    x = torch.zeros(2, spec.input.channels, spec.input.height, spec.input.width)
    results = []
    for layer in spec.layers:
        try:
            module = build_layer(layer, tuple(x.shape[1:])).eval()
            with torch.no_grad():
                x = module(x)
        except Exception:  # noqa: BLE001 - any PyTorch refusal counts
            return results, len(results)
        results.append((tuple(x.shape[1:]), sum(p.numel() for p in module.parameters())))
    return results, None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    layers=layer_lists(max_layers=6),
    channels=st.integers(1, 4),
    height=st.integers(1, 14),
    width=st.integers(1, 14),
)
def test_analysis_matches_pytorch(layers, channels, height, width):
    spec = ModelSpec(input=InputShape(channels, height, width), classes=2, layers=layers)
    analysis = analyze(spec)
    expected, torch_fails_at = torch_walk(spec)
    shape_errors = [i for i, info in enumerate(analysis.layers) if info.out_shape is None]
    analysis_fails_at = shape_errors[0] if shape_errors else None
    assert analysis_fails_at == torch_fails_at, [(i.name, i.error) for i in analysis.layers]
    for info, (shape, params) in zip(analysis.layers, expected):
        assert info.out_shape == shape, info.name
        assert info.params == params, info.name
