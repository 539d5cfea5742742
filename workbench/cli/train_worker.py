"""One process of a ``train --nproc N`` run, as torchrun starts it: ``python -m workbench.cli.train_worker``.

It joins the process group (NCCL on GPUs, gloo on CPUs), loads the data (the decode cache is shared by the
processes of a machine; in memory each holds a copy, which ``data.cache: auto`` counts), and trains its share
with :class:`DistributedTrainer`. Rank 0 alone prints progress, runs the doctor's live monitor and writes the
run folder. SIGINT/SIGTERM ask for a stop, agreed by all ranks.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import signal
import sys
from datetime import timedelta

import torch
import torch.distributed as dist

from workbench.cli.train_cmd import ProgressBar, _error, _report_data, _report_static_findings, report_end, stop_on_signals
from workbench.data import DataError, load_data
from workbench.doctor.monitor import TrainingMonitor
from workbench.spec import SpecError, load_spec
from workbench.training import TrainingError, run_control
from workbench.training.devices import resolve_device
from workbench.training.distributed import DistributedTrainer, backend_for, local_world_size, rank_device, world

GROUP_TIMEOUT = timedelta(minutes=10)


def _die_with_parent() -> None:
    """Linux: this process gets SIGTERM when torchrun dies, even when it is killed outright."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _parse(argv):
    p = argparse.ArgumentParser(prog="python -m workbench.cli.train_worker", description=__doc__)
    p.add_argument("--spec", required=True)
    p.add_argument("--device", default="cpu")
    p.add_argument("--data")
    p.add_argument("--run-dir")
    p.add_argument("--resume")
    p.add_argument("--log-every", type=int, default=10)
    p.add_argument("--no-doctor", action="store_true")
    return p.parse_args(argv)


def _train(args, rank: int) -> int:
    spec = load_spec(args.spec)
    device = rank_device(resolve_device(args.device))
    data = load_data(spec, data_path=args.data, device=device, processes=local_world_size())
    lead = rank == 0
    if lead:
        _report_data(data)
        if not args.no_doctor:
            _report_static_findings(spec)
    callbacks = (TrainingMonitor(),) if lead and not args.no_doctor else ()
    trainer = DistributedTrainer(spec, data, run_dir=args.run_dir, device=device, log_every=args.log_every,
                                 resume_from=args.resume, callbacks=callbacks)
    if lead:
        trainer.add_listener(ProgressBar(sys.stderr))
        run_control.attach(trainer)
    with stop_on_signals(trainer, (signal.SIGINT, signal.SIGTERM)):
        ended = trainer.run()
    if lead:
        report_end(ended)
    return 0 if ended.status in ("completed", "stopped") else 1


def main(argv=None) -> int:
    args = _parse(argv)
    _die_with_parent()
    rank, _size, _local = world()
    device = rank_device(resolve_device(args.device))
    if device.type == "cuda":
        torch.cuda.set_device(device)  # before the group starts: NCCL binds each rank to its own GPU
    dist.init_process_group(backend_for(device), timeout=GROUP_TIMEOUT)
    try:
        return _train(args, rank)
    except SpecError as exc:
        for problem in exc.problems:
            print(problem.format(), file=sys.stderr)
        return 1
    except (DataError, TrainingError) as exc:
        return _error(exc.message, exc.hint) if rank == 0 else 1
    finally:
        with contextlib.suppress(Exception):
            dist.destroy_process_group()


if __name__ == "__main__":
    sys.exit(main())
