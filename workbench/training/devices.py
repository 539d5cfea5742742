"""Choosing the training device and the precision settings that go with it."""

from __future__ import annotations

import torch

from workbench.training.errors import TrainingError

_AUTOCAST_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def resolve_device(name: str | torch.device | None) -> torch.device:
    """``auto`` (CUDA, then MPS, then CPU), ``cpu``, ``cuda``, ``cuda:N`` or ``mps`` as a torch device.

    CUDA devices always carry their index, so they compare equal to a tensor's device.

    Raises :class:`TrainingError` when the device is unknown or not available here.
    """
    if isinstance(name, torch.device):
        name = str(name)
    name = (name or "auto").strip().lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", torch.cuda.current_device())
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        raise TrainingError(f"unknown device '{name}'", "use auto, cpu, cuda, cuda:N or mps") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise TrainingError("CUDA is not available on this machine", "use --device cpu or auto")
        if device.index is None:
            return torch.device("cuda", torch.cuda.current_device())
        if device.index >= torch.cuda.device_count():
            raise TrainingError(f"there is no {name}; this machine has {torch.cuda.device_count()} CUDA device(s)", "use cuda:0")
    elif device.type == "mps" and not _mps_available():
        raise TrainingError("MPS is not available on this machine", "use --device cpu or auto")
    elif device.type not in ("cpu", "cuda", "mps"):
        raise TrainingError(f"unsupported device '{name}'", "use auto, cpu, cuda, cuda:N or mps")
    return device


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for ``precision`` (bf16/fp16) on CUDA; None means full fp32."""
    if device.type != "cuda":
        return None
    return _AUTOCAST_DTYPES.get(precision)


def uses_channels_last(spec, device: torch.device) -> bool:
    """Whether training ``spec`` on ``device`` uses the channels-last layout: ``training.channels_last``, and
    when unset, on for the CPU (faster there for every preset) and off on GPUs."""
    layout = spec.training_value("channels_last")
    return device.type == "cpu" if layout is None else bool(layout)
