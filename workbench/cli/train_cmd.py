"""``train SPEC``: train a spec on the shapes or an image folder, with a progress line on stderr.

The doctor checks the spec first and watches the run, printing what it finds (``--no-doctor`` turns it off).

Ctrl-C stops after the current batch and keeps the last checkpoint; ``--resume RUN_DIR`` continues it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time

from workbench.check import require_valid_sections
from workbench.cli.common import SPEC_HELP, positive_int, read_spec_or_report
from workbench.cli.interrupt import INTERRUPTED, Interruption
from workbench.cli.train_launch import add_distributed_arguments, run_distributed
from workbench.data import DataError, load_data
from workbench.doctor import Finding, sort_findings, static_findings
from workbench.doctor.monitor import TrainingMonitor
from workbench.insight.recording import run_recorders
from workbench.insight.tensorboard import TensorBoardMissing
from workbench.safe_text import printable_line
from workbench.spec import SpecError
from workbench.training import DiagnosisEvent, EpochEvent, RunEnded, RunStarted, StepEvent, Trainer, TrainingError, open_run
from workbench.training import run_control
from workbench.training.devices import resolve_device

BAR_WIDTH = 20


def add_parser(sub) -> None:
    p = sub.add_parser("train", help="train a spec and record the run", description=__doc__)
    p.add_argument("spec", nargs="?", help=SPEC_HELP + "; optional with --resume")
    p.add_argument("--data", metavar="FOLDER", help="image folder with one sub-folder per class (default: the spec's data)")
    p.add_argument("--epochs", type=positive_int, metavar="N", help="number of epochs (overrides the spec)")
    p.add_argument("--batch-size", type=positive_int, metavar="N", help="images per step (overrides the spec)")
    p.add_argument("--device", metavar="DEVICE", help="auto, cpu, cuda, cuda:N or mps (default: the spec's)")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue a stopped run from its last checkpoint, in its folder")
    p.add_argument("--out", metavar="DIR", help="folder for the new run folder (default: ./runs or $WORKBENCH_RUNS)")
    p.add_argument("--log-every", type=positive_int, default=10, metavar="N", help="steps between progress updates (default 10)")
    p.add_argument("--histograms", type=positive_int, metavar="N",
                   help="record histograms of weights, gradients and activations every N steps (off by default)")
    p.add_argument("--tensorboard", action="store_true",
                   help="also write TensorBoard event files into the run folder's tensorboard/ folder")
    p.add_argument("--no-doctor", action="store_true",
                   help="do not check the spec before training nor watch the run (the doctor is on by default)")
    p.add_argument("--run-dir", metavar="DIR", help="write the run into this new folder (default: a new folder in --out)")
    add_distributed_arguments(p)
    p.set_defaults(run=run)


def _fmt_time(seconds: float) -> str:
    seconds = int(max(0, seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class ProgressBar:
    """Writes training progress (epoch, step, loss, accuracy, img/s, ETA) to a text stream."""

    def __init__(self, stream):
        self.stream = getattr(stream, "raw", stream)  # under the CLI's escaping stream: its own codes go through
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.total_steps = 1
        self.steps_per_epoch = 1
        self.epochs = 1
        self.first_step = 0
        self.started = time.perf_counter()
        self._open_line = False

    def _line(self, text: str, final: bool) -> None:
        text = printable_line(text)
        if self.tty:
            self.stream.write("\r\x1b[2K" + text + ("\n" if final else ""))
            self._open_line = not final
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def __call__(self, event) -> None:
        if isinstance(event, RunStarted):
            self.epochs, self.steps_per_epoch = event.total_epochs, event.steps_per_epoch
            self.total_steps = max(1, event.total_epochs * event.steps_per_epoch)
            self.first_step = event.start_epoch * event.steps_per_epoch
            self.started = time.perf_counter()
            where = f" in {event.run_dir}" if event.run_dir else ""
            self._line(f"training {event.spec_name} on {event.device}: {event.train_images} training and "
                       f"{event.val_images} validation images, {event.total_epochs} epochs{where}", True)
        elif isinstance(event, StepEvent):
            done = event.step - self.first_step
            eta = (time.perf_counter() - self.started) / max(done, 1) * (self.total_steps - event.step)
            in_epoch = event.step - (event.epoch - 1) * self.steps_per_epoch
            filled = int(BAR_WIDTH * in_epoch / self.steps_per_epoch)
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            self._line(f"epoch {event.epoch}/{self.epochs} [{bar}] step {in_epoch}/{self.steps_per_epoch} "
                       f"loss {event.loss:.4f} acc {event.acc:.1%} {event.images_per_s:,.0f} img/s ETA {_fmt_time(eta)}",
                       False)
        elif isinstance(event, EpochEvent):
            val = "" if event.val_loss is None else f", val loss {event.val_loss:.4f} acc {event.val_acc:.1%}"
            self._line(f"epoch {event.epoch}/{self.epochs}: train loss {event.train_loss:.4f} acc {event.train_acc:.1%}"
                       f"{val} ({event.seconds:.1f} s, {event.images_per_s:,.0f} img/s)", True)
        elif isinstance(event, DiagnosisEvent):
            self._line(f"doctor at step {event.step}: {event.finding}", True)
            for line in _finding_details(event.finding):
                self._line(line, True)
        elif isinstance(event, RunEnded) and self._open_line:
            self._line("", True)


def _finding_details(finding) -> list[str]:
    """The explanation and the fixes of a doctor finding, indented, for the terminal."""
    if not isinstance(finding, Finding):
        return []
    return [f"  {finding.explanation}"] + [f"  fix: {fix.label}" for fix in finding.fixes]


def _report_static_findings(spec) -> None:
    """Before training: the doctor's errors and warnings on the spec alone (training goes ahead)."""
    serious = [f for f in sort_findings(static_findings(spec)) if f.severity in ("error", "warning")]
    for finding in serious:
        print(f"doctor: {finding}", file=sys.stderr)
    if serious:
        print(f"  (python -m workbench doctor {spec.name} explains each and applies the fixes)", file=sys.stderr)


def _report_data(data) -> None:
    rep = data.report
    counts = ", ".join(f"{k} {v}" for k, v in rep.counts.items())
    print(f"data: {rep.source}: {counts}", file=sys.stderr)
    if rep.cache:
        print(f"cache: {rep.cache}; training from {rep.placement}", file=sys.stderr)
    if rep.memory:
        print(f"memory: {rep.memory}", file=sys.stderr)
    if rep.skipped:
        print(f"skipped {len(rep.skipped)} file(s):", file=sys.stderr)
        for path, reason in rep.skipped[:10]:
            print(f"  {path}: {reason}", file=sys.stderr)
        if len(rep.skipped) > 10:
            print(f"  ... and {len(rep.skipped) - 10} more", file=sys.stderr)
    for warning in rep.warnings:
        print(f"warning: {warning}", file=sys.stderr)


def _error(message: str, hint: str = "") -> int:
    print(f"error: {message}" + (f" (hint: {hint})" if hint else ""), file=sys.stderr)
    return 1


def _spec_for(args):
    """The spec to train (from the run folder when resuming) with the command-line overrides applied."""
    if args.resume:
        spec = open_run(args.resume).spec
        if args.spec:
            print(f"note: resuming with the spec saved in {args.resume}; '{args.spec}' is not used", file=sys.stderr)
    elif args.spec:
        spec = read_spec_or_report(args.spec)
        if spec is None:
            return None
    else:
        raise TrainingError("no spec given", "python -m workbench train SPEC, or --resume RUN_DIR")
    spec = spec.copy()
    if args.epochs:
        spec.training["epochs"] = args.epochs
    if args.batch_size:
        spec.training["batch_size"] = args.batch_size
    require_valid_sections(spec)
    return spec


@contextlib.contextmanager
def stop_on_signals(trainer, signals=(signal.SIGINT,)):
    """While training: the first of ``signals`` stops after the current batch (keeping a checkpoint), the
    second aborts. Outside the main thread nothing is installed."""
    interrupted = []

    def on_signal(signum, frame):
        if interrupted:
            raise KeyboardInterrupt
        interrupted.append(True)
        if signum == signal.SIGINT:
            print("\nstopping after this batch (Ctrl-C again to abort)", file=sys.stderr)
        trainer.request_stop("interrupted (Ctrl-C)" if signum == signal.SIGINT else "stopped by a signal")

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, on_signal) for s in signals}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def report_end(ended) -> int:
    """Print how a run ended; the exit status (0 completed, 130 stopped, 1 otherwise)."""
    print(f"{ended.status}: {ended.reason}", file=sys.stderr)
    if ended.best and ended.best.get("val_acc") is not None:
        print(f"best val acc {ended.best['val_acc']:.1%} at epoch {ended.best['epoch']}", file=sys.stderr)
    if ended.run_dir:
        print(f"run folder: {ended.run_dir}", file=sys.stderr)
        if ended.status == "stopped":
            print(f"resume with: python -m workbench train --resume {ended.run_dir}", file=sys.stderr)
    if ended.status == "completed":
        return 0
    return INTERRUPTED if ended.status == "stopped" else 1


def run(args) -> int:
    try:
        recorders = run_recorders(args.histograms or 0, args.tensorboard)
        spec = _spec_for(args)
        if spec is None:
            return 1
        if args.out and os.path.exists(args.out) and not os.path.isdir(args.out):
            raise TrainingError(f"--out '{args.out}' is a file", "give --out the folder for run folders")
        if args.nproc is not None:
            return run_distributed(args, spec)
        device = resolve_device(args.device or spec.training_value("device"))
        data = load_data(spec, data_path=args.data, device=device)
        _report_data(data)
        if not args.no_doctor:
            _report_static_findings(spec)
        callbacks = () if args.no_doctor else (TrainingMonitor(),)
        trainer = Trainer(spec, data, device=device, log_every=args.log_every, resume_from=args.resume,
                          runs_root=args.out, callbacks=callbacks, run_dir=args.run_dir)
        recorders.attach(trainer)
    except TensorBoardMissing as exc:
        return _error(str(exc))
    except SpecError as exc:
        for problem in exc.problems:
            print(problem.format(), file=sys.stderr)
        return 1
    except (DataError, TrainingError) as exc:
        return _error(exc.message, exc.hint)
    trainer.add_listener(ProgressBar(sys.stderr))
    run_control.attach(trainer)
    with Interruption(lambda: trainer.request_stop("interrupted (Ctrl-C)"), "stopping after this batch"):
        ended = trainer.run()
    return report_end(ended)
