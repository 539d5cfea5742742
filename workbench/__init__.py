"""CNN Workbench: design, analyse, train and diagnose small convolutional networks."""

__version__ = "0.1.0"
