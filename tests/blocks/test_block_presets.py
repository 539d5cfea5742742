"""Every block preset trains at tiny size on the shapes data and exports to ONNX (checked in
onnxruntime) and to a standalone model.py with one class per block kind."""

import pytest
import torch

from workbench.analysis import analyze
from workbench.export import export_model
from workbench.export.python_source import import_source
from workbench.presets import load_preset
from workbench.spec import InputShape
from workbench.training import Trainer

BLOCK_PRESETS = ("resnet-20", "plain-20", "resnet-8", "mobilenet-tiny", "inception-lite")


def test_resnet_20_has_the_option_b_parameter_count():
    analysis = analyze(load_preset("resnet-20"))
    assert analysis.ok and analysis.total_params == 272_474
    # option A (zero-padded identity shortcuts, as in the paper) has no weights in the two projections
    projections = [c for info in analysis.nodes for c in info.copies if c.shortcut == "projection"]
    assert [c.path for c in projections] == ["stage2.0", "stage3.0"]
    assert 272_474 - (16 * 32 + 2 * 32) - (32 * 64 + 2 * 64) == 269_722
    assert analyze(load_preset("plain-20")).total_params == 269_722


def _tiny(name):
    spec = load_preset(name)
    spec.input = InputShape(3, 16, 16)
    spec.classes = ["circle", "square", "triangle"]
    spec.layer("fc").params["units"] = 3
    spec.data = {"source": "shapes", "images": 24, "seed": 0, "val_split": 0.25}
    spec.training = {"optimizer": "adam", "lr": 0.003, "batch_size": 8, "epochs": 1, "seed": 0}
    return spec


@pytest.mark.parametrize("name", BLOCK_PRESETS)
def test_block_preset_trains_tiny_and_exports(name, tmp_path):
    ended = Trainer(_tiny(name), run_dir=tmp_path / "run", device="cpu").run()
    assert ended.status == "completed", ended.reason
    (tmp_path / "out").mkdir()
    for fmt in ("onnx", "python"):
        extension = ".py" if fmt == "python" else f".{fmt}"
        report = export_model(tmp_path / "run", fmt, tmp_path / "out" / f"net{extension}")
        assert report.ok, (fmt, report.message)
    source = (tmp_path / "out" / "net.py").read_text()
    module = import_source(tmp_path / "out" / "net.py")
    if name != "plain-20":
        kind = "Parallel" if name == "inception-lite" else "Residual"
        assert source.count(f"class {kind}(nn.Module)") == 1
        assert source.count(f"{kind}(\n") >= 2
    with torch.no_grad():
        assert module.load_model()(torch.zeros(2, 3, 16, 16)).shape == (2, 3)
