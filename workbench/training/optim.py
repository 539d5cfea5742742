"""Optimisers and the per-step learning-rate schedule a spec's training section asks for."""

from __future__ import annotations

import math

import torch
from torch import nn

from workbench.spec.model import ModelSpec

ONECYCLE_START = 1 / 25  # one-cycle starts at lr/25 ...
ONECYCLE_END = 1e-4  # ... and anneals to lr * 1e-4
ONECYCLE_WARMUP = 0.3  # share of the run spent warming up when warmup_epochs is 0


def make_optimizer(model: nn.Module, spec: ModelSpec, device: torch.device) -> torch.optim.Optimizer:
    """SGD (momentum, Nesterov), Adam, AdamW or RMSprop with the spec's lr and weight decay."""
    t = spec.training_value
    params = [p for p in model.parameters() if p.requires_grad]
    name, lr, wd = t("optimizer"), t("lr"), t("weight_decay")
    if name == "sgd":
        momentum = t("momentum")
        return torch.optim.SGD(params, lr=lr, momentum=momentum, nesterov=t("nesterov") and momentum > 0, weight_decay=wd)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, momentum=t("momentum"), weight_decay=wd)
    fused = {"fused": True} if device.type == "cuda" else {}
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=wd, **fused)
    return torch.optim.Adam(params, lr=lr, weight_decay=wd, **fused)


class LRSchedule:
    """Sets each parameter group's lr before every step: warm-up, then constant, step, cosine or one-cycle.

    ``step`` counts optimiser steps taken; its state is just that count, so it checkpoints as a number.
    """

    def __init__(self, optimizer: torch.optim.Optimizer, spec: ModelSpec, steps_per_epoch: int, epochs: int):
        t = spec.training_value
        self.optimizer = optimizer
        self.kind = t("schedule")
        self.base_lrs = [g["lr"] for g in optimizer.param_groups]
        self.steps_per_epoch = max(1, steps_per_epoch)
        self.total = max(1, steps_per_epoch * epochs)
        warmup = int(round(t("warmup_epochs") * steps_per_epoch))
        if self.kind == "onecycle" and warmup == 0:
            warmup = int(ONECYCLE_WARMUP * self.total)
        self.warmup = min(warmup, self.total)
        self.step_size = t("step_size")
        self.gamma = t("gamma")
        self.step = 0
        self.apply()

    def factor(self, step: int) -> float:
        """The lr multiplier for optimiser step ``step`` (0-based)."""
        if step < self.warmup:
            start = ONECYCLE_START if self.kind == "onecycle" else 0.0
            return start + (1.0 - start) * (step + 1) / self.warmup
        if self.kind == "step":
            return self.gamma ** ((step // self.steps_per_epoch) // self.step_size)
        if self.kind in ("cosine", "onecycle"):
            span = max(1, self.total - self.warmup)
            progress = min(1.0, (step - self.warmup) / span)
            end = ONECYCLE_END if self.kind == "onecycle" else 0.0
            return end + (1.0 - end) * 0.5 * (1.0 + math.cos(math.pi * progress))
        return 1.0

    def apply(self) -> None:
        f = self.factor(self.step)
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = base * f

    def advance(self) -> None:
        """Count one optimiser step and set the lr for the next one."""
        self.step += 1
        self.apply()

    @property
    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def state_dict(self) -> dict:
        return {"kind": self.kind, "step": self.step, "base_lrs": list(self.base_lrs)}

    def load_state_dict(self, state: dict) -> None:
        self.step = int(state["step"])
        self.base_lrs = list(state["base_lrs"])
        self.apply()
