"""A network with residual (identity and projection) and parallel blocks, nested, exports to every
format; each export is reloaded in its own runtime and matches PyTorch, with tensor names by path."""

import onnx
import pytest

from workbench.export import export_model
from workbench.export.exporter import FORMATS
from workbench.export.python_source import import_source
from workbench.spec import loads_spec
from workbench.training import Trainer

from .specs import RESNET_TINY


@pytest.fixture(scope="module")
def block_run(tmp_path_factory):
    spec = loads_spec(RESNET_TINY)
    spec.data = {"source": "shapes", "images": 16, "seed": 0, "val_split": 0.25}
    spec.training = {"batch_size": 8, "epochs": 1}
    run_dir = tmp_path_factory.mktemp("blocks") / "run"
    ended = Trainer(spec, run_dir=run_dir, device="cpu").run()
    assert ended.status == "completed", ended.reason
    return run_dir


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_handles_blocks(block_run, fmt, tmp_path):
    target = tmp_path / ("model.py" if fmt == "python" else f"net{FORMATS[fmt].extension}")
    report = export_model(block_run, fmt, target)
    assert report.ok, report.message
    if fmt == "onnx":
        names = {init.name for init in onnx.load(str(target)).graph.initializer}
        assert {"stage1.1.body.s1c2.weight", "mix.0.branches.1.inner.0.body.b2c.weight"} <= names
    if fmt == "python":
        source = target.read_text()
        assert source.count("class Residual(nn.Module)") == source.count("class Parallel(nn.Module)") == 1
        assert "shortcut=Projection(4, 8, stride=(2, 2), norm=True)" in source
        state = import_source(target).load_model().state_dict()
        assert "stage1.1.body.s1c2.weight" in state
