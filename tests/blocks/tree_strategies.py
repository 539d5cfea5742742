"""Hypothesis strategies for random trees of blocks (residual and parallel, nested) on feature maps."""

from hypothesis import strategies as st

from workbench.spec import Layer
from workbench.spec import tree
from workbench.spec.params import ACTIVATIONS

from ..spec.strategies import LAYER_PARAMS

MAP_TYPES = ("conv", "conv", "conv", "depthwise", "se", "maxpool", "avgpool", "batchnorm", "activation", "dropout")
same_conv = st.fixed_dictionaries(
    {"filters": st.integers(1, 6), "padding": st.just("same")},
    optional={"kernel": st.sampled_from([1, 3]), "activation": st.sampled_from(ACTIVATIONS + ("none",)), "bias": st.booleans()},
)


def _leaf():
    kinds = st.sampled_from(MAP_TYPES)
    return kinds.flatmap(
        lambda k: st.one_of(same_conv, LAYER_PARAMS[k]).map(lambda p: Layer("x", "conv", p))
        if k == "conv" else LAYER_PARAMS[k].map(lambda p, k=k: Layer("x", k, p))
    )


def _stack(depth):
    if depth >= 2:
        return st.lists(_leaf(), min_size=1, max_size=3)
    return st.lists(st.one_of(_leaf(), _block(depth + 1)), min_size=1, max_size=3)


def _block(depth):
    residual = st.builds(
        lambda body, params: Layer("x", "residual", params, [body]),
        _stack(depth),
        st.fixed_dictionaries(
            {},
            optional={
                "shortcut": st.sampled_from(["auto", "identity", "projection"]),
                "shortcut_norm": st.booleans(),
                "repeat": st.integers(1, 2),
                "activation": st.sampled_from(("relu", "none")),
                "zero_init": st.booleans(),
            },
        ),
    )
    parallel = st.builds(
        lambda branches, params: Layer("x", "parallel", params, branches),
        st.lists(st.one_of(_stack(depth), st.just([])), min_size=1, max_size=3),
        st.fixed_dictionaries({}, optional={"merge": st.sampled_from(["concat", "add"]), "repeat": st.integers(1, 2)}),
    )
    return st.one_of(residual, parallel)


def named(layers):
    """Give every layer of the tree its own name, l0, l1, … in walk order."""
    for i, (layer, _place) in enumerate(tree.walk(layers)):
        layer.name = f"l{i}"
    return layers


block_trees = st.lists(st.one_of(_leaf(), _block(0)), min_size=1, max_size=4).map(named)
