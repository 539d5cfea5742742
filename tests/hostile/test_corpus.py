"""Every hostile input through the command line, in a subprocess with a memory limit and a time limit.

The corpus (``corpus.py``) is made in a temporary folder; ``runner.py`` runs all of it in one subprocess (one
import of torch for the lot) and reports each case; each case is then one test here.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.hostile.corpus import CASES, TINY, Context
from workbench.data.shapes import generate_shapes
from workbench.spec import loads_spec
from workbench.training import Trainer

CHECKOUT = Path(__file__).resolve().parents[2]
MEMORY_LIMIT = 3 * 1024**3  # address space: torch and onnxruntime loaded take about 1.5 GB of it
CASE_TIMEOUT_S = 20.0
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def subprocess_env(tmp: Path) -> dict[str, str]:
    """The environment for commands under test: this checkout first on the path, one thread, runs in ``tmp``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(CHECKOUT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", WORKBENCH_RUNS=str(tmp / "default-runs"))
    return env


def _artefacts(root: Path) -> Context:
    """A genuine run, bundle, ONNX file and image folder of the tiny spec, the material of the corpus."""
    from workbench.export import export_model

    run = root / "run"
    ended = Trainer(loads_spec(TINY), run_dir=run, device="cpu").run()
    assert ended.status == "completed", ended.reason
    bundle = export_model(run, "wbm", root / "tiny.wbm").path
    onnx = export_model(run, "onnx", root / "tiny.onnx").path
    images, labels = generate_shapes(12, 3, 1, 8, 8, seed=3)
    folder = root / "images"
    for i, (img, label) in enumerate(zip(images, labels)):
        (folder / "abc"[int(label)]).mkdir(parents=True, exist_ok=True)
        Image.fromarray(img[0].numpy()).save(folder / "abc"[int(label)] / f"{i}.png")
    image = root / "one.png"
    Image.fromarray(images[0][0].numpy()).save(image)
    return Context(root / "cases", run, bundle, onnx, image, folder)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    ctx = _artefacts(root)
    ctx.root.mkdir()
    cases, results = [], {}
    for case in CASES:
        try:
            cases.append({"id": case.id, "argv": case.make(ctx)})
        except Exception as exc:  # a case that cannot be made fails as itself, not the whole corpus
            results[case.id] = {"made": f"{type(exc).__name__}: {exc}"}
    (root / "cases.json").write_text(json.dumps(cases))
    out = root / "results.jsonl"
    runner = Path(__file__).with_name("runner.py")
    proc = subprocess.run(
        [sys.executable, str(runner), str(root / "cases.json"), str(out), str(MEMORY_LIMIT), str(CASE_TIMEOUT_S)],
        env=subprocess_env(root), capture_output=True, text=True, timeout=CASE_TIMEOUT_S * len(cases) + 60,
    )
    done = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
    results.update({r["id"]: r for r in done})
    for case in cases:  # the runner itself died (out of memory, a crash) during the first case missing
        results.setdefault(case["id"], {"made": f"the runner ended ({proc.returncode}) before this case: "
                                                f"{proc.stderr[-2000:]}"})
    return results


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case, results):
    r = results[case.id]
    assert "made" not in r, r.get("made")
    text = r["stdout"] + r["stderr"]
    assert r["escaped"] is None, f"{r['escaped']}\n{text}"
    assert "Traceback" not in text and "Exception ignored" not in text, text
    assert not RAW_CONTROL.search(text.replace("\n", "").replace("\t", "")), repr(text)
    if case.expect == "refuse":
        assert r["status"] in (1, 2), (r["status"], text)
        lines = [line for line in r["stderr"].splitlines() if line.strip()]
        assert lines, "refused without a word"
        assert all(len(line) < 600 for line in lines), lines
    else:
        assert r["status"] == 0, text
    if case.says:
        assert case.says in text, text
    if case.quick is not None:
        assert r["seconds"] < case.quick, r["seconds"]
    assert r["seconds"] < CASE_TIMEOUT_S


def test_corpus_is_large_and_mixed():
    kinds = {c.id.split("-")[0] for c in CASES}
    assert len(CASES) >= 60 and {"spec", "train", "bundle", "onnx", "run", "images"} <= kinds
    assert sum(c.expect == "accept" for c in CASES) >= 8
