"""TensorBoard event files for a run, written with TensorBoard's own ``SummaryWriter``.

:class:`TensorBoardLog` listens to a training as it runs; :func:`convert_run` writes the same tags from a
finished run folder's records. Both put the files in the run folder's ``tensorboard/`` folder: scalars (loss,
accuracy, learning rate, images per second), the histograms of :mod:`workbench.insight.histograms`, the
confusion matrix as an image and the doctor's findings as text. ``tensorboard`` is an optional extra.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from workbench.insight.histograms import STATS, read_histograms
from workbench.training.events import DiagnosisEvent, EpochEvent, RunEnded, RunStarted, StepEvent, event_dict, finding_record
from workbench.training.runs import open_run

LOG_FOLDER = "tensorboard"
INSTALL_HINT = 'install it with: pip install -e ".[tensorboard]" (or: pip install tensorboard)'
HISTOGRAM_TAGS = {"weight": "weights", "grad": "gradients", "activation": "activations"}


class TensorBoardMissing(Exception):
    """TensorBoard is not installed; the message says how to get it."""

    def __init__(self):
        super().__init__(f"TensorBoard is not installed; {INSTALL_HINT}")


def tensorboard_available() -> bool:
    return importlib.util.find_spec("tensorboard") is not None


def summary_writer(run_dir):
    """A ``SummaryWriter`` into ``<run_dir>/tensorboard``; :class:`TensorBoardMissing` without TensorBoard."""
    if not tensorboard_available():
        raise TensorBoardMissing()
    from torch.utils.tensorboard import SummaryWriter

    return SummaryWriter(log_dir=str(Path(run_dir) / LOG_FOLDER))


# ---- one writer function per kind of record, shared by the live log and the conversion ----------------
def write_step(writer, record: dict) -> None:
    step = record["step"]
    writer.add_scalar("train/loss", record["loss"], step)
    writer.add_scalar("train/accuracy", record["acc"], step)
    writer.add_scalar("train/lr", record["lr"], step)
    writer.add_scalar("train/images_per_s", record["images_per_s"], step)


def write_epoch(writer, record: dict) -> None:
    step = record["step"]
    for key, tag in (("train_loss", "epoch/train_loss"), ("train_acc", "epoch/train_accuracy"),
                     ("val_loss", "epoch/val_loss"), ("val_acc", "epoch/val_accuracy")):
        if record.get(key) is not None:
            writer.add_scalar(tag, record[key], step)


def write_confusion(writer, confusion: dict | None, step: int) -> None:
    if not confusion or not confusion.get("matrix"):
        return
    from workbench.insight.pictures import confusion_picture

    writer.add_image("confusion_matrix", confusion_picture(confusion["matrix"], confusion["classes"]), step,
                     dataformats="HWC")


def write_finding(writer, record: dict) -> None:
    text = f"**{record.get('severity', 'info')}: {record.get('title', '')}**"
    if record.get("layers"):
        text += f" ({', '.join(record['layers'])})"
    if record.get("explanation"):
        text += "\n\n" + record["explanation"]
    writer.add_text("doctor", text, int(record.get("step", 0)))


def write_histograms(writer, step: int, record: dict[str, np.ndarray]) -> None:
    for key, row in record.items():
        layer, _, kind = key.rpartition("|")
        low, high, total, total_sq = (float(v) for v in row[:STATS])
        counts = np.asarray(row[STATS:], dtype=np.float64)
        num = float(counts.sum())
        if not np.isfinite(low) or num <= 0:
            continue
        edges = np.linspace(low, high, counts.shape[0] + 1)
        writer.add_histogram_raw(f"{HISTOGRAM_TAGS[kind]}/{layer}", low, high, num, total, total_sq,
                                 edges[1:].tolist(), counts.tolist(), step)


class TensorBoardLog:
    """A training listener writing event files as the run goes; ``histograms`` takes a recorder's records."""

    def __init__(self):
        if not tensorboard_available():
            raise TensorBoardMissing()
        self.writer = None
        self.run_dir: Path | None = None

    def __call__(self, event) -> None:
        if isinstance(event, RunStarted) and event.run_dir:
            self.run_dir = Path(event.run_dir)
            self.writer = summary_writer(self.run_dir)
            return
        if self.writer is None:
            return
        if isinstance(event, StepEvent):
            write_step(self.writer, event_dict(event))
        elif isinstance(event, EpochEvent):
            write_epoch(self.writer, event_dict(event))
            write_confusion(self.writer, open_run(self.run_dir).confusion, event.step)
        elif isinstance(event, DiagnosisEvent):
            write_finding(self.writer, finding_record(event))
        elif isinstance(event, RunEnded):
            self.writer.close()
            self.writer = None

    def histograms(self, step: int, record: dict[str, np.ndarray]) -> None:
        if self.writer is not None:
            write_histograms(self.writer, step, record)


def convert_run(run_dir) -> Path:
    """Write the event files of a recorded run (its records as they are now); returns the log folder.

    Event files an earlier conversion left in the log folder are replaced. Raises :class:`TrainingError`
    for a folder that is not a run and :class:`TensorBoardMissing` without TensorBoard.
    """
    run = open_run(run_dir)
    if not tensorboard_available():
        raise TensorBoardMissing()
    folder = run.path / LOG_FOLDER
    for old in folder.glob("events.out.tfevents.*"):
        if old.is_file():
            old.unlink()
    writer = summary_writer(run.path)
    for record in run.steps:
        write_step(writer, record)
    epochs = run.epochs
    for record in epochs:
        write_epoch(writer, record)
    write_confusion(writer, run.confusion, epochs[-1]["step"] if epochs else 0)
    for record in run.findings:
        write_finding(writer, record)
    series = read_histograms(run.path)
    for index, step in enumerate(series[0].steps if series else []):
        rows = {f"{h.layer}|{h.kind}": np.concatenate([[h.low[index], h.high[index], h.total[index],
                                                         h.total_sq[index]], h.counts[index]]) for h in series}
        write_histograms(writer, int(step), rows)
    writer.close()
    return folder

