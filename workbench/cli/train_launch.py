"""``train SPEC --nproc N``: the run on N processes per machine, started through torchrun (torch.distributed.run).

This process checks what it can before anything starts (the batch divides among the processes, the port is
free, there are enough GPUs), makes the run folder, starts torchrun in its own process group and waits. Ctrl-C
(or SIGTERM) is passed on to torchrun, which passes it to every process: they agree to stop after the same step
and rank 0 keeps a resumable checkpoint. A second Ctrl-C aborts. Whatever happens, no process is left behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import torch

from workbench.cli.common import positive_int
from workbench.spec.yaml_io import dumps_spec
from workbench.training.devices import resolve_device
from workbench.training.distributed import per_rank_batch
from workbench.training.errors import TrainingError
from workbench.training.runs import META_FILE, SUMMARY_FILE, new_run_dir

WAIT_AFTER_SIGNAL_S = 60  # then torchrun and its processes are killed


def add_distributed_arguments(p) -> None:
    g = p.add_argument_group("several processes (torchrun / DistributedDataParallel)")
    g.add_argument("--nproc", type=positive_int, metavar="N",
                   help="train on N processes on this machine (one per GPU; on a CPU, N shares of its cores)")
    g.add_argument("--nnodes", type=positive_int, default=1, metavar="N", help="machines taking part (default 1)")
    g.add_argument("--node-rank", type=int, default=0, metavar="I", help="this machine's number, 0..nnodes-1")
    g.add_argument("--master-addr", default="127.0.0.1", metavar="HOST", help="address of machine 0 (default: this one)")
    g.add_argument("--master-port", type=int, metavar="PORT", help="free port on machine 0 (default: any free port)")
    g.add_argument("--rdzv-endpoint", metavar="HOST:PORT",
                   help="rendezvous endpoint instead of --master-addr/--master-port (machines may join in any order)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_in_use(port: int, host: str = "") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def _check(args, spec, device: torch.device) -> None:
    if args.node_rank < 0 or args.node_rank >= args.nnodes:
        raise TrainingError(f"--node-rank {args.node_rank} is outside 0..{args.nnodes - 1}", "number the machines from 0")
    if device.type == "mps":
        raise TrainingError("several processes need CUDA GPUs or the CPU, not MPS", "use --device cpu")
    if device.type == "cuda" and args.nproc > torch.cuda.device_count():
        raise TrainingError(f"--nproc {args.nproc} but this machine has {torch.cuda.device_count()} CUDA device(s)",
                            f"use --nproc {torch.cuda.device_count()} or fewer")
    if device.type == "cpu" and args.nproc > (os.cpu_count() or 1) * 4:
        raise TrainingError(f"--nproc {args.nproc} is far more processes than this machine's {os.cpu_count()} cores",
                            f"use --nproc {os.cpu_count() or 1} or fewer")
    per_rank_batch(int(spec.training_value("batch_size")), args.nproc * args.nnodes)
    if args.rdzv_endpoint is None and args.nnodes == 1 and args.master_port is not None and port_in_use(args.master_port):
        raise TrainingError(f"port {args.master_port} is in use", "pass another --master-port, or leave it out to use any free port")


def _torchrun_command(args, spec_file: Path, run_dir: Path | None, device: torch.device) -> list[str]:
    cmd = [sys.executable, "-m", "torch.distributed.run", f"--nproc-per-node={args.nproc}", f"--nnodes={args.nnodes}",
           "--max-restarts=0"]
    if args.rdzv_endpoint:
        cmd += ["--rdzv-backend=c10d", f"--rdzv-endpoint={args.rdzv_endpoint}", "--rdzv-id=workbench"]
    else:
        port = args.master_port if args.master_port is not None else free_port()
        cmd += [f"--node-rank={args.node_rank}", f"--master-addr={args.master_addr}", f"--master-port={port}"]
    cmd += ["-m", "workbench.cli.train_worker", "--spec", str(spec_file), "--device", device.type,
            "--log-every", str(args.log_every)]
    if run_dir is not None:
        cmd += ["--run-dir", str(run_dir)]
    if args.resume:
        cmd += ["--resume", str(args.resume)]
    if args.data:
        cmd += ["--data", str(args.data)]
    if args.no_doctor:
        cmd += ["--no-doctor"]
    return cmd


def _run_folder(args, spec) -> Path | None:
    """The run folder rank 0 writes: the resumed one, ``--run-dir``, or a new one; None on machines other than 0."""
    if args.resume:
        return Path(args.resume)
    if args.node_rank != 0:
        return None
    if args.run_dir:
        Path(args.run_dir).mkdir(parents=True, exist_ok=True)
        return Path(args.run_dir)
    return new_run_dir(spec.name, args.out)


def _status(run_dir: Path | None) -> str | None:
    try:
        return json.loads((run_dir / SUMMARY_FILE).read_text(encoding="utf-8")).get("status")
    except (OSError, ValueError, AttributeError, TypeError):
        return None


class _Forwarder:
    """Passes Ctrl-C / SIGTERM on to torchrun: the first as a stop request, the next as an abort."""

    def __init__(self, proc: subprocess.Popen):
        self.proc, self.count = proc, 0

    def __call__(self, signum, frame) -> None:
        self.count += 1
        if self.count == 1:
            print("\nstopping all processes after the current step (Ctrl-C again to abort)", file=sys.stderr)
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGINT if self.count == 1 else signal.SIGTERM)


def _wait(proc: subprocess.Popen) -> int:
    forward = _Forwarder(proc)
    main = threading.current_thread() is threading.main_thread()
    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)} if main else {}
    try:
        while True:
            try:
                return proc.wait(timeout=WAIT_AFTER_SIGNAL_S if forward.count else None)
            except subprocess.TimeoutExpired:
                _kill_group(proc)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        _kill_group(proc)


def _kill_group(proc: subprocess.Popen) -> None:
    """Kill torchrun's process group if anything of it is still running (its workers die with it)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        proc.wait(timeout=10)


def run_distributed(args, spec) -> int:
    """Train ``spec`` on ``args.nproc`` processes per machine; the exit status."""
    device = resolve_device(args.device or spec.training_value("device"))
    _check(args, spec, device)
    run_dir = _run_folder(args, spec)
    env = dict(os.environ)
    if device.type == "cpu":
        env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // args.nproc)))
    with tempfile.TemporaryDirectory(prefix="workbench-launch-") as tmp:
        spec_file = Path(tmp) / "spec.yaml"
        spec_file.write_text(dumps_spec(spec), encoding="utf-8")
        cmd = _torchrun_command(args, spec_file, run_dir, device)
        where = f" into {run_dir}" if run_dir is not None else ""
        print(f"starting {args.nproc * args.nnodes} processes ({args.nproc} here, backend "
              f"{'nccl' if device.type == 'cuda' else 'gloo'}){where}", file=sys.stderr)
        proc = subprocess.Popen(cmd, env=env, start_new_session=True)
        code = _wait(proc)
    status = _status(run_dir)
    if run_dir is not None and not (run_dir / META_FILE).exists() and not args.resume:
        with contextlib.suppress(OSError):
            (run_dir / "checkpoints").rmdir()
            run_dir.rmdir()  # nothing was written: no empty run folder is left behind
    if status == "completed":
        return 0
    if status == "stopped":
        return 130
    if status is None and run_dir is None and code == 0:
        return 0
    if code != 0 and status is None:
        print(f"error: the training processes failed (torchrun exit status {code}); the messages above say why",
              file=sys.stderr)
    return 1
