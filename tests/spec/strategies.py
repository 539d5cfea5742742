"""Hypothesis strategies that generate layers and whole specs, valid or not."""

from hypothesis import strategies as st

from workbench.spec import InputShape, Layer, ModelSpec
from workbench.spec.params import ACTIVATIONS

small = st.integers(min_value=1, max_value=4)
sizes = st.one_of(small, st.lists(small, min_size=2, max_size=2))
acts = st.sampled_from(ACTIVATIONS + ("none",))


def _conv():
    return st.fixed_dictionaries(
        {"filters": st.integers(1, 6)},
        optional={
            "kernel": st.one_of(sizes, st.just("full")),
            "stride": st.one_of(st.integers(1, 3), st.lists(st.integers(1, 3), min_size=2, max_size=2)),
            "padding": st.one_of(st.sampled_from(["same", "valid"]), st.integers(0, 2)),
            "dilation": st.integers(1, 2),
            "groups": st.integers(1, 3),
            "bias": st.booleans(),
            "activation": acts,
            "init": st.one_of(
                st.fixed_dictionaries({"weight": st.sampled_from(["he", "glorot", "lecun", "torch"])}),
                st.fixed_dictionaries(
                    {"weight": st.just("trunc_normal"), "std": st.floats(0.001, 1.0), "bias": st.floats(-1, 1)}
                ),
            ),
        },
    )


def _depthwise():
    return st.fixed_dictionaries(
        {},
        optional={
            "multiplier": st.integers(1, 3),
            "kernel": st.one_of(sizes, st.just("full")),
            "stride": st.one_of(st.integers(1, 3), st.lists(st.integers(1, 3), min_size=2, max_size=2)),
            "padding": st.one_of(st.sampled_from(["same", "valid"]), st.integers(0, 2)),
            "dilation": st.integers(1, 2),
            "bias": st.booleans(),
            "activation": acts,
        },
    )


def _pool():
    return st.fixed_dictionaries(
        {}, optional={"kernel": sizes, "stride": st.one_of(st.none(), small), "padding": st.integers(0, 2)}
    )


LAYER_PARAMS = {
    "conv": _conv(),
    "depthwise": _depthwise(),
    "se": st.fixed_dictionaries({}, optional={"reduction": st.integers(1, 8)}),
    "maxpool": _pool(),
    "avgpool": _pool(),
    "gap": st.just({}),
    "gmp": st.just({}),
    "dropout": st.fixed_dictionaries({}, optional={"rate": st.floats(0.0, 0.9)}),
    "batchnorm": st.fixed_dictionaries({}, optional={"momentum": st.floats(0.01, 0.5)}),
    "activation": st.fixed_dictionaries({"activation": st.sampled_from(ACTIVATIONS)}),
    "flatten": st.just({}),
    "dense": st.fixed_dictionaries(
        {"units": st.integers(1, 8)}, optional={"bias": st.booleans(), "activation": acts}
    ),
}

layer_types = st.sampled_from(sorted(LAYER_PARAMS))


@st.composite
def layer_lists(draw, max_layers=6):
    count = draw(st.integers(1, max_layers))
    layers = []
    for i in range(count):
        kind = draw(layer_types)
        layers.append(Layer(f"l{i}", kind, draw(LAYER_PARAMS[kind])))
    return layers


names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz -_.:'\"#é", min_size=1, max_size=12).filter(str.strip)  # blank names are invalid


@st.composite
def specs(draw):
    classes = draw(st.one_of(st.integers(2, 10), st.lists(names, min_size=2, max_size=5, unique=True)))
    return ModelSpec(
        name=draw(names),
        description=draw(st.text(max_size=60)),
        input=InputShape(draw(st.integers(1, 4)), draw(st.integers(1, 40)), draw(st.integers(1, 40))),
        classes=classes,
        layers=draw(layer_lists()),
        data=draw(st.fixed_dictionaries({}, optional={"images": st.integers(3, 1000), "val_split": st.floats(0, 0.9)})),
        training=draw(
            st.fixed_dictionaries(
                {}, optional={"lr": st.floats(1e-6, 1.0), "optimizer": st.sampled_from(["sgd", "adam"]), "epochs": st.integers(1, 9)}
            )
        ),
    )
