"""kill -9 and Ctrl-C at chosen moments: the run stays readable and resumable, the output stays honest.

Each command runs in a subprocess held at its moment by ``paused_cli.py``; the three kill -9 runs go at
once (their imports overlap), then each is read back with ``runs`` and resumed in this process.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.hostile.test_corpus import subprocess_env
from workbench.cli import main
from workbench.spec import loads_spec
from workbench.training import Trainer, TrainingError, open_run

PAUSED = Path(__file__).with_name("paused_cli.py")
SPEC = """schema_version: 1
name: killme
input: {channels: 1, height: 8, width: 8}
classes: [a, b, c]
layers:
  - {name: c1, type: conv, filters: 4, kernel: 3, activation: relu}
  - {name: drop, type: dropout, rate: 0.2}
  - {name: f, type: flatten}
  - {name: d, type: dense, units: 3}
data: {source: shapes, images: 60, seed: 0, val_split: 0.2, flip: true}
training: {optimizer: adam, lr: 0.01, batch_size: 8, epochs: 3, seed: 0}
"""
METRICS = ("epoch", "step", "train_loss", "train_acc", "val_loss", "val_acc", "lr")


def start(tmp: Path, moment: str, argv: list[str]) -> tuple[subprocess.Popen, Path]:
    marker = tmp / f"{moment}.marker"
    proc = subprocess.Popen([sys.executable, str(PAUSED), moment, str(marker), "--", *argv],
                            env=subprocess_env(tmp), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, marker


def wait_for(marker: Path, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not marker.exists():
        if proc.poll() is not None:
            raise AssertionError(f"ended before the moment: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("never reached the moment")
        time.sleep(0.05)


def metrics(records: list[dict]) -> list[tuple]:
    return [tuple(r[k] for k in METRICS) for r in records]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    run = tmp_path_factory.mktemp("whole") / "run"
    ended = Trainer(loads_spec(SPEC), run_dir=run, device="cpu").run()
    assert ended.status == "completed"
    return metrics(open_run(run).epochs)


@pytest.fixture(scope="module")
def killed_runs(tmp_path_factory):
    """Run folders of trainings killed with SIGKILL during an epoch, a checkpoint write and a validation."""
    tmp = tmp_path_factory.mktemp("killed")
    spec = tmp / "killme.yaml"
    spec.write_text(SPEC)
    started = {}
    for moment in ("step", "checkpoint", "validation"):
        out = tmp / moment
        started[moment] = (*start(tmp, moment, ["train", str(spec), "--no-doctor", "--out", str(out)]), out)
    runs, refused = {}, {}
    for moment, (proc, marker, out) in started.items():
        wait_for(marker, proc)
        (run,) = out.iterdir()
        if moment != "step":  # these wait at their moment until killed; "step" only slows down
            refused[moment] = (open_run(run).status, _resume_refusal(run))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        runs[moment] = run
    return runs, refused


def _resume_refusal(run: Path) -> str:
    try:
        Trainer(open_run(run).spec, resume_from=run, run_dir=False)
    except TrainingError as exc:
        return exc.message
    return "resumed a run that another process still trains"


@pytest.mark.parametrize("moment", ["checkpoint", "validation"])
def test_a_live_run_reads_running_and_cannot_be_resumed_twice(moment, killed_runs):
    status, refusal = killed_runs[1][moment]
    assert status == "running" and "still being trained" in refusal


@pytest.mark.parametrize("moment", ["step", "checkpoint", "validation"])
def test_kill_9_then_runs_then_resume(moment, killed_runs, uninterrupted, capsys):
    run = killed_runs[0][moment]
    assert main(["runs", str(run.parent)]) == 0
    listing = capsys.readouterr().out
    done = 2 if moment == "checkpoint" else 1  # the checkpoint write comes after the epoch's records
    assert f"interrupted at epoch {done}" in listing and f"train --resume {run}" in listing
    if moment == "checkpoint":
        assert list((run / "checkpoints").glob(".*.part"))  # what the kill left half-written
    assert main(["train", "--resume", str(run), "--no-doctor"]) == 0
    assert metrics(open_run(run).epochs) == uninterrupted
    assert not [p for p in run.rglob("*") if ".part" in p.name]
    assert open_run(run).status == "completed"


def test_ctrl_c_during_train_stops_keeps_the_checkpoint_and_says_how_to_resume(tmp_path):
    spec = tmp_path / "killme.yaml"
    spec.write_text(SPEC)
    proc, marker = start(tmp_path, "step", ["train", str(spec), "--no-doctor", "--out", str(tmp_path / "o")])
    wait_for(marker, proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err and "resume with" in err
    (run,) = (tmp_path / "o").iterdir()
    assert open_run(run).status == "stopped" and (run / "checkpoints" / "last.pt").is_file()


def test_two_quick_ctrl_c_during_train_end_at_once_with_one_line(tmp_path):
    spec = tmp_path / "killme.yaml"
    spec.write_text(SPEC)
    proc, marker = start(tmp_path, "step", ["train", str(spec), "--no-doctor", "--out", str(tmp_path / "o")])
    wait_for(marker, proc)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "Exception ignored" not in err
    assert err.rstrip().splitlines()[-1] == "interrupted"
    (run,) = (tmp_path / "o").iterdir()
    assert (run / "checkpoints" / "last.pt").is_file()
    assert open_run(run).load_model("last")  # the checkpoint kept is whole


def test_ctrl_c_during_doctor_trials_reports_no_result(tmp_path):
    spec = tmp_path / "killme.yaml"
    spec.write_text(SPEC)
    proc, marker = start(tmp_path, "trial", ["doctor", str(spec), "--try-fixes", "--steps", "40"])
    wait_for(marker, proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert err.strip().splitlines()[-1] == "interrupted" and "Traceback" not in err
    assert "Trial runs" not in out and "final loss" not in out and "score" not in out


def test_ctrl_c_while_the_libraries_load(tmp_path):
    """Ctrl-C while ``python -m workbench`` imports torch (the child says when the interpreter is up)."""
    launch = ("import runpy, sys; sys.argv = ['workbench', 'check', 'overfeat-small']; "
              "print('up', file=sys.stderr, flush=True); runpy.run_module('workbench', run_name='__main__')")
    proc = subprocess.Popen([sys.executable, "-c", launch], env=subprocess_env(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr.readline() == "up\n"
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert err.strip() == "interrupted"


def test_closed_pipe_ends_quietly(tmp_path):
    """The reader goes away before anything is written (``| true``; ``| head -1`` races the same way)."""
    cmd = f"{sys.executable} -m workbench layers | true"
    proc = subprocess.run(["bash", "-c", cmd], env=subprocess_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert proc.stderr == ""
