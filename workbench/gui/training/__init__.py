"""The training side of the app: data, hyperparameters, live curves, runs and results."""

from workbench.gui.training.panel import TrainingPanel

__all__ = ["TrainingPanel"]
