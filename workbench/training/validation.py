"""Predict the validation set with a trained model: confusion matrix, per-class accuracy, sample images."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch

from workbench.data.dataset import load_data
from workbench.training.runs import RunRecord

MAX_SAMPLES = 48


@dataclass
class ValidationResults:
    """What the results views show; plain numpy, safe to pass between threads."""

    class_names: list[str]
    confusion: np.ndarray  # (classes, classes) counts, rows = true, columns = predicted
    images: np.ndarray  # (k, C, H, W) uint8: the mistakes first, then correct predictions
    true: np.ndarray  # (k,) labels of ``images``
    predicted: np.ndarray  # (k,) predictions of ``images``

    @property
    def per_class_accuracy(self) -> np.ndarray:
        """Share of each class's images predicted right (NaN for a class without images)."""
        totals = self.confusion.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(totals > 0, np.diag(self.confusion) / np.maximum(totals, 1), np.nan)

    @property
    def accuracy(self) -> float:
        total = self.confusion.sum()
        return float(np.trace(self.confusion) / total) if total else float("nan")


@torch.no_grad()
def predict_validation(model: torch.nn.Module, data, batch_size: int = 256) -> ValidationResults | None:
    """Run ``model`` over ``data.val_x`` (a DataBundle); None when there is no validation split."""
    if data.val_x is None or len(data.val_x) == 0:
        return None
    model.eval()
    device = next(model.parameters()).device
    predictions = []
    for start in range(0, len(data.val_x), batch_size):
        batch = data.val_x[start : start + batch_size].to(device)
        predictions.append(model(data.normalize(batch)).argmax(dim=1).cpu())
    predicted = torch.cat(predictions).numpy()
    true = data.val_y.cpu().numpy()
    classes = len(data.class_names)
    confusion = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(confusion, (true, predicted), 1)
    wrong = np.flatnonzero(true != predicted)
    right = np.flatnonzero(true == predicted)
    shown = np.concatenate([wrong, right])[:MAX_SAMPLES]
    return ValidationResults(
        class_names=list(data.class_names),
        confusion=confusion,
        images=data.val_x[torch.as_tensor(shown, dtype=torch.long).to(data.val_x.device)].cpu().numpy(),
        true=true[shown],
        predicted=predicted[shown],
    )


def predict_run(record: RunRecord, which: str = "best") -> ValidationResults | None:
    """Reload a saved run's model and its validation data (as the run prepared them) and predict them."""
    model, normalization = record.load_model(which)
    data = load_data(record.spec)
    data = replace(data, mean=list(normalization["mean"]), std=list(normalization["std"]))
    return predict_validation(model, data)
