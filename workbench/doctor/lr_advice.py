"""Learning-rate and regularisation fixes built from measurements, never weaker than what the spec has.

A learning-rate fix quotes a value: the range test's suggestion when there is one and it points the
same way, else the value that brings the measured update/weight ratio to about ``UPDATE_TARGET``
(the ratio scales with the learning rate for SGD and Adam alike), moved at most ``LR_MAX_FACTOR`` at
once. Without a measurement that points the asked way there is no fix.
"""

from __future__ import annotations

import math

from workbench.doctor.edits import set_param, set_training
from workbench.doctor.findings import Fix
from workbench.doctor.thresholds import LR_MAX_FACTOR, UPDATE_TARGET
from workbench.spec.model import ModelSpec

DOWN, UP = "down", "up"
CLIP_NORM = 1.0  # clipping at a norm of 1 is the usual start (Pascanu et al. 2013)
WEIGHT_DECAY = 5e-4  # the usual value for small conv nets (Krizhevsky et al. 2012; He et al. 2016)
LR_MAX = 10.0  # the largest learning rate the spec accepts


def _round(value: float) -> float:
    return float(f"{value:.2g}")


def lr_fix(spec: ModelSpec, direction: str, ratio: float | None, step: int | None,
           hint: float | None = None) -> tuple[Fix, str] | None:
    """A fix that moves the learning rate ``direction`` to a value quoted from a measurement, and the
    sentence that says where the value comes from; None without a measurement that points that way.

    ``ratio`` is the largest update/weight ratio measured (at ``step``); ``hint`` the range test's
    suggested learning rate.
    """
    lr = float(spec.training_value("lr"))
    if hint is not None and math.isfinite(hint) and hint > 0 and (hint < lr if direction == DOWN else hint > lr):
        value = _round(hint)
        return (Fix(f"Set the learning rate to {value:g} (now {lr:g})", (set_training("lr", value),)),
                f"{value:g} is the learning-rate range test's suggestion for this spec and data.")
    if ratio is None or not math.isfinite(ratio) or ratio <= 0 or lr <= 0:
        return None
    wanted = UPDATE_TARGET / ratio
    if (direction == DOWN and wanted >= 1) or (direction == UP and wanted <= 1):
        return None  # the measured ratio does not ask for this direction
    factor = min(max(wanted, 1 / LR_MAX_FACTOR), LR_MAX_FACTOR)
    value = _round(min(lr * factor, LR_MAX))
    capped = "" if factor == wanted and value < LR_MAX else f" (moved by ×{value / lr:.3g} at most at once)"
    return (Fix(f"Set the learning rate to {value:g} (now {lr:g})", (set_training("lr", value),)),
            f"The largest update/weight ratio measured at step {step} is {ratio:.2g}; about {UPDATE_TARGET:g} is "
            f"healthy and the ratio scales with the learning rate, so lr × {wanted:.2g} = {value:g}{capped}.")


def clip_fix(spec: ModelSpec) -> Fix | None:
    """Clip the gradient norm at 1, unless the spec already clips at 1 or tighter."""
    current = float(spec.training_value("clip_grad"))
    if 0 < current <= CLIP_NORM:
        return None
    now = f" (now {current:g})" if current else ""
    return Fix(f"Clip the gradient norm at {CLIP_NORM:g}{now}", (set_training("clip_grad", CLIP_NORM),))


def weight_decay_fix(spec: ModelSpec) -> Fix:
    """Weight decay 5e-4, or twice the spec's when it already has that much or more."""
    current = float(spec.training_value("weight_decay"))
    value = WEIGHT_DECAY if current < WEIGHT_DECAY else _round(2 * current)
    now = f" (now {current:g})" if current else ""
    return Fix(f"Set weight decay to {value:g}{now}", (set_training("weight_decay", value),))


def early_stopping_fix(spec: ModelSpec, patience: int = 2) -> Fix | None:
    """Stop after ``patience`` epochs without improvement, unless the spec already stops as early or earlier."""
    current = int(spec.training_value("early_stopping"))
    if 0 < current <= patience:
        return None
    now = f" (now {current})" if current else ""
    return Fix(f"Stop early after {patience} epochs without improvement{now}", (set_training("early_stopping", patience),))


def zero_bias_fix(spec: ModelSpec, paths: list[str]) -> Fix:
    """Start the biases of the layers at ``paths`` (module paths such as ``stage2.0.body.conv1``) at 0: one edit
    per spec layer, however many copies of a repeated block the paths name."""
    names = list(dict.fromkeys(spec.layer(p).name for p in paths))
    return Fix("Start the biases of " + ", ".join(paths) + " at 0", tuple(set_param(n, "init.bias", None) for n in names))

