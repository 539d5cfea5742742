"""Validation: loss, accuracy and confusion matrix over a tensor of images, with one device sync at the end."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import torch
from torch import nn


def evaluate(
    forward: Callable[[torch.Tensor], torch.Tensor],
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    prepare: Callable[[torch.Tensor], torch.Tensor],
    loss_fn: nn.Module,
    num_classes: int,
    batch_size: int,
    autocast: Callable[[], AbstractContextManager],
) -> dict:
    """``{"loss", "acc", "confusion"}`` of the model on ``images`` (uint8) and ``labels``.

    ``prepare`` turns a uint8 batch (any device) into the normalised input on the model's device;
    the confusion matrix has true classes as rows and predictions as columns. Empty input gives
    ``None`` metrics and an all-zero matrix.
    """
    n = images.shape[0]
    if n == 0:
        return {"loss": None, "acc": None, "confusion": [[0] * num_classes for _ in range(num_classes)]}
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    loss_sum = torch.zeros((), dtype=torch.float32, device=device)  # float64 is not available on every device
    confusion = torch.zeros(num_classes * num_classes, dtype=torch.int64, device=device)
    try:
        with torch.no_grad(), autocast():
            for start in range(0, n, batch_size):
                y = labels[start : start + batch_size].to(device, non_blocking=True)
                logits = forward(prepare(images[start : start + batch_size])).float()
                loss_sum += loss_fn(logits, y) * y.shape[0]
                pred = logits.argmax(1).clamp_(max=num_classes - 1)
                confusion += torch.bincount(y * num_classes + pred, minlength=num_classes * num_classes)
    finally:
        model.train(was_training)
    matrix = confusion.view(num_classes, num_classes).tolist()
    correct = sum(matrix[i][i] for i in range(num_classes))
    return {"loss": loss_sum.item() / n, "acc": correct / n, "confusion": matrix}
