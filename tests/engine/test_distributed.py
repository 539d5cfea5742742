"""Training on two processes with torchrun and gloo on the CPU: the same weights as one process, one run
folder, stop with Ctrl-C and resume, clear errors before anything starts, and no process left behind."""

from __future__ import annotations

import os
import pathlib
import signal
import socket
import subprocess
import sys
import time

import pytest
import torch

from tests.engine.conftest import make_spec
from workbench.cli import main as cli_main
from workbench.spec import dumps_spec
from workbench.training import Trainer, open_run
from workbench.training.checkpoint import load_checkpoint

ROOT = pathlib.Path(__file__).resolve().parents[2]
LAYERS = """
  - {name: c1, type: conv, filters: 8, kernel: 3, padding: same, activation: relu}
  - {name: p1, type: maxpool, kernel: 2}
  - {name: c2, type: conv, filters: 8, kernel: 3, padding: same, activation: relu}
  - {name: gap, type: gap}
  - {name: logits, type: conv, filters: CLASSES, kernel: 1, activation: none}
"""
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process checks read /proc")


def _spec(epochs: int, batch: int = 12):
    # 36 training images: every global batch of 12 is whole, so two shares of 6 give the same gradient
    return make_spec(images=48, epochs=epochs, layers=LAYERS, training=f"device: cpu, lr: 0.01, batch_size: {batch}")


def _start(tmp_path, *args) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, "-m", "workbench", "train", *args, "--no-doctor", "--log-every", "1"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pids) -> list[int]:
    out = []
    for pid in pids:
        try:
            state = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            out.append(pid)
    return out


@pytest.fixture
def launched():
    """Processes a test starts; their whole groups are killed at teardown whatever happened."""
    procs: list[subprocess.Popen] = []
    yield procs
    for proc in procs:
        for pid in [proc.pid, *_descendants(proc.pid)]:
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        proc.wait(timeout=10)


@pytest.mark.slow
def test_two_processes_train_the_same_weights_as_one_into_one_run_folder(tmp_path, launched):
    spec = _spec(epochs=2)
    (tmp_path / "spec.yaml").write_text(dumps_spec(spec))
    proc = _start(tmp_path, "spec.yaml", "--nproc", "2", "--out", "ddp")
    launched.append(proc)
    out, _ = proc.communicate(timeout=240)
    assert proc.returncode == 0, out
    (run_dir,) = list((tmp_path / "ddp").iterdir())
    run = open_run(run_dir)
    assert run.status == "completed" and run.meta["processes"] == 2 and run.meta["backend"] == "gloo"
    assert [e["epoch"] for e in run.epochs] == [1, 2] and run.steps[-1]["step"] == 6

    single = Trainer(spec, run_dir=tmp_path / "single", device="cpu")
    single.run()
    ours = load_checkpoint(run_dir / "checkpoints" / "last.pt")["model"]
    for name, value in single.model.state_dict().items():
        assert torch.allclose(ours[name], value, atol=1e-5, rtol=0), name
    one = open_run(tmp_path / "single")
    for a, b in zip(run.epochs, one.epochs):  # metrics summed over both processes match one process's
        assert a["train_loss"] == pytest.approx(b["train_loss"], abs=1e-5)
        assert a["val_loss"] == pytest.approx(b["val_loss"], abs=1e-5) and a["val_acc"] == b["val_acc"]


@pytest.mark.slow
def test_ctrl_c_stops_every_process_with_a_checkpoint_and_resume_finishes(tmp_path, launched):
    (tmp_path / "spec.yaml").write_text(dumps_spec(_spec(epochs=400)))
    proc = _start(tmp_path, "spec.yaml", "--nproc", "2", "--out", "ddp")
    launched.append(proc)
    steps = None
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        found = list((tmp_path / "ddp").glob("*/steps.jsonl"))
        if found and found[0].stat().st_size > 0:
            steps = found[0]
            break
        time.sleep(0.2)
    assert steps is not None, "the run did not start"
    tree = _descendants(proc.pid)
    assert len(tree) >= 3  # torchrun and two workers
    os.kill(proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, out
    assert _alive(tree) == []
    run = open_run(steps.parent)
    assert run.status == "stopped" and run.checkpoint_path("last").is_file()
    stopped_at = load_checkpoint(run.checkpoint_path("last"))["epoch"]
    assert stopped_at < 400

    resumed = _start(tmp_path, "--resume", str(run.path), "--nproc", "2", "--epochs", str(stopped_at + 1))
    launched.append(resumed)
    out, _ = resumed.communicate(timeout=240)
    assert resumed.returncode == 0, out
    run = open_run(run.path)
    assert run.status == "completed" and run.epochs[-1]["epoch"] == stopped_at + 1
    assert len(list((tmp_path / "ddp").iterdir())) == 1


def test_bad_process_counts_and_a_busy_port_are_clear_errors_before_anything_starts(tmp_path, capsys):
    (tmp_path / "spec.yaml").write_text(dumps_spec(_spec(epochs=1, batch=10)))
    spec_file = str(tmp_path / "spec.yaml")
    out_dir = tmp_path / "runs-here"
    assert cli_main(["train", spec_file, "--nproc", "4", "--out", str(out_dir)]) == 1
    err = capsys.readouterr().err
    assert "batch size 10 does not divide among 4 processes" in err and "multiple of 4" in err
    with pytest.raises(SystemExit):
        cli_main(["train", spec_file, "--nproc", "0"])
    assert "must be at least 1" in capsys.readouterr().err
    assert cli_main(["train", spec_file, "--nproc", "2", "--node-rank", "1"]) == 1
    assert "--node-rank 1 is outside 0..0" in capsys.readouterr().err
    with socket.socket() as busy:
        busy.bind(("", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert cli_main(["train", spec_file, "--nproc", "2", "--master-port", str(port), "--out", str(out_dir)]) == 1
    assert f"port {port} is in use" in capsys.readouterr().err
    assert not out_dir.exists() or list(out_dir.iterdir()) == []


def test_sync_batchnorm_on_several_gpus_unless_turned_off_and_the_batch_must_divide():
    from workbench.training.distributed import per_rank_batch, uses_sync_batchnorm
    from workbench.training.errors import TrainingError

    spec = _spec(epochs=1)
    gpu, cpu = torch.device("cuda", 0), torch.device("cpu")
    assert uses_sync_batchnorm(spec, 2, gpu)
    assert not uses_sync_batchnorm(spec, 1, gpu) and not uses_sync_batchnorm(spec, 2, cpu)
    spec.training["sync_batchnorm"] = False
    assert not uses_sync_batchnorm(spec, 2, gpu)
    assert per_rank_batch(32, 4) == 8
    with pytest.raises(TrainingError, match="does not divide among 3") as err:
        per_rank_batch(32, 3)
    assert "e.g. 30 or 33" in err.value.hint
