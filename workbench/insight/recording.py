"""What a run records besides its metrics, as the CLI and the app ask for it: histograms every N steps and
TensorBoard event files."""

from __future__ import annotations

from dataclasses import dataclass, field

from workbench.insight.histograms import HistogramRecorder
from workbench.insight.tensorboard import TensorBoardLog

DEFAULT_HISTOGRAM_EVERY = 50


@dataclass
class Recorders:
    """Trainer callbacks and listeners to attach to one run."""

    callbacks: list = field(default_factory=list)
    listeners: list = field(default_factory=list)

    def attach(self, trainer) -> None:
        trainer.callbacks.extend(self.callbacks)
        for listener in self.listeners:
            trainer.add_listener(listener)


def run_recorders(histograms_every: int = 0, tensorboard: bool = False) -> Recorders:
    """Histograms every ``histograms_every`` steps (0: none) and TensorBoard files (with the histograms in
    them when both are on). Raises :class:`TensorBoardMissing` when TensorBoard is asked for but absent."""
    recorders = Recorders()
    log = TensorBoardLog() if tensorboard else None
    if log is not None:
        recorders.listeners.append(log)
    if histograms_every > 0:
        recorder = HistogramRecorder(every=histograms_every)
        if log is not None:
            recorder.listeners.append(log.histograms)
        recorders.callbacks.append(recorder)
    return recorders
