"""Every export format written from a real run, reloaded in its own runtime, and compared with PyTorch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import onnx
import onnxruntime as ort
import torch

from workbench.data.folder import load_image
from workbench.export import export_model, load_bundle
from workbench.export.torch_formats import load_exported_program
from workbench.training import open_run


def _real_batch(run_dir, image_files):
    """The image files as the run's model sees them: (uint8 batch, normalised batch, PyTorch logits)."""
    run = open_run(run_dir)
    model, norm = run.load_model("best")
    spec = run.spec
    images = torch.stack([load_image(p, 3, 16, 16, spec.data_value("resize")) for p in image_files])
    mean = torch.tensor(norm["mean"]).view(1, -1, 1, 1)
    std = torch.tensor(norm["std"]).view(1, -1, 1, 1)
    x = (images.float() / 255 - mean) / std
    with torch.no_grad():
        return images, x, model(x).numpy()


def test_onnx_matches_pytorch_on_real_images(trained_run, onnx_path, image_files):
    _, x, expected = _real_batch(trained_run, image_files)
    proto = onnx.load(str(onnx_path))
    assert max(op.version for op in proto.opset_import if op.domain in ("", "ai.onnx")) >= 17
    batch_dim = proto.graph.input[0].type.tensor_type.shape.dim[0]
    assert batch_dim.dim_param and not batch_dim.dim_value  # a named, dynamic batch dimension
    meta = {p.key: p.value for p in proto.metadata_props}
    run = open_run(trained_run)
    assert json.loads(meta["class_names"]) == ["circle", "square", "triangle"]
    assert json.loads(meta["mean"]) == run.meta["normalization"]["mean"]
    assert json.loads(meta["std"]) == run.meta["normalization"]["std"]
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    assert got.shape == expected.shape == (3, 3)
    assert np.abs(got - expected).max() <= 1e-4


def test_bundle_rebuilds_model_spec_and_curves(trained_run, bundle_path, image_files):
    run = open_run(trained_run)
    bundle = load_bundle(bundle_path)
    assert bundle.spec == run.spec
    assert bundle.class_names == run.meta["class_names"]
    assert bundle.epochs == run.epochs and len(bundle.epochs) == 1
    assert bundle.steps == run.steps
    assert bundle.summary["status"] == "completed"
    assert bundle.confusion == run.confusion
    assert bundle.normalization == run.meta["normalization"]
    meta = bundle.metadata
    assert meta["format_version"] == 1 and meta["torch_version"] == torch.__version__ and meta["workbench_version"]
    assert meta["created"][:4].isdigit() and meta["checkpoint"] == "best"
    with zipfile.ZipFile(bundle_path) as zf:
        assert {"spec.yaml", "weights.safetensors", "model.json", "metrics.json", "metadata.json"} <= set(zf.namelist())
    _, x, expected = _real_batch(trained_run, image_files)
    with torch.no_grad():
        assert np.abs(bundle.model(x).numpy() - expected).max() == 0.0


def test_exported_program_reloads_with_any_batch(trained_run, image_files, tmp_path):
    report = export_model(trained_run, "pt2", tmp_path / "net.pt2")
    assert report.ok and report.format == "pt2" and report.size == (tmp_path / "net.pt2").stat().st_size
    module = load_exported_program(report.path)
    _, x, expected = _real_batch(trained_run, image_files)
    with torch.no_grad():
        assert np.abs(module(x).numpy() - expected).max() <= 1e-5
        assert np.abs(module(x[:1]).numpy() - expected[:1]).max() <= 1e-5


def test_state_dict_loads_with_weights_only(trained_run, tmp_path):
    report = export_model(trained_run, "pt", tmp_path / "weights.pt")
    assert report.ok and report.max_abs_diff == 0.0
    state = torch.load(report.path, weights_only=True)
    model, _ = open_run(trained_run).load_model("best")
    assert state.keys() == model.state_dict().keys()
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())


_RUNNER = """
import importlib.util, json, sys
import torch
sys.modules["workbench"] = None  # any import of the workbench from model.py now fails
torch.set_num_threads(1)
model_py, batch = sys.argv[1], sys.argv[2]
spec = importlib.util.spec_from_file_location("model", model_py)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
net = module.load_model()
x = torch.load(batch, weights_only=True)
with torch.no_grad():
    print(json.dumps({"logits": net(x).tolist(), "classes": module.CLASS_NAMES}))
"""


def test_python_source_runs_in_a_fresh_process_without_workbench(trained_run, image_files, tmp_path):
    out_dir = tmp_path / "export"
    out_dir.mkdir()
    report = export_model(trained_run, "python", out_dir / "model.py")
    assert report.ok and [p.name for p in report.files] == ["model.py", "model.pt"]
    _, x, expected = _real_batch(trained_run, image_files)
    torch.save(x, tmp_path / "batch.pt")
    (tmp_path / "runner.py").write_text(_RUNNER)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-I", str(tmp_path / "runner.py"), str(out_dir / "model.py"), str(tmp_path / "batch.pt")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["classes"] == ["circle", "square", "triangle"]
    assert np.abs(np.array(result["logits"]) - expected).max() <= 1e-5


def test_python_source_prefers_safetensors_weights_beside_it(trained_run, tmp_path):
    from safetensors.torch import save_file

    from workbench.export.python_source import import_source

    report = export_model(trained_run, "python", tmp_path / "net.py")
    module = import_source(report.path)
    assert module.default_weights().endswith("net.pt")
    state = torch.load(tmp_path / "net.pt", weights_only=True)
    state["logits.bias"] = state["logits.bias"] + 1.0
    save_file(state, str(tmp_path / "net.safetensors"))
    assert module.default_weights().endswith("net.safetensors")
    x = torch.zeros(1, 3, 16, 16)
    with torch.no_grad():
        shifted = module.load_model()(x) - module.load_model(str(tmp_path / "net.pt"))(x)
    assert torch.allclose(shifted, torch.ones_like(shifted), atol=1e-5)


def test_bundle_converts_to_onnx(bundle_path, tmp_path):
    report = export_model(bundle_path, "onnx", tmp_path / "from-bundle.onnx")
    assert report.ok and report.max_abs_diff <= 1e-4
    assert "check passed" in report.text() and "from-bundle.onnx" in report.text()
