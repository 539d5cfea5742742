"""Classifying image files: each image prepared exactly as training did, then the top classes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch

from workbench.data.errors import DataError
from workbench.data.folder import load_image
from workbench.predict.sources import Predictor, load_predictor

BATCH = 64


@dataclass(frozen=True)
class ClassScore:
    index: int
    name: str
    probability: float


@dataclass
class Prediction:
    """One image's result: the input as the model sees it (uint8 C×H×W) and its top classes, or why it failed."""

    path: Path
    image: torch.Tensor | None
    top: list[ClassScore] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def predict(model_source, images, top_k: int = 5) -> list[Prediction]:
    """Classify image files with ``model_source`` (a run folder, bundle or ONNX path, or a loaded :class:`Predictor`).

    Every image gets a :class:`Prediction`; an unreadable image gets one with ``error`` set, the others go on.
    Raises :class:`ModelFileError` when the model itself cannot be loaded.
    """
    predictor = model_source if isinstance(model_source, Predictor) else load_predictor(model_source)
    c, h, w = predictor.input_shape
    results = []
    for path in images:
        try:
            results.append(Prediction(Path(path), load_image(path, c, h, w, predictor.resize)))
        except DataError as exc:
            results.append(Prediction(Path(path), None, error=exc.message))
    ready = [r for r in results if r.ok]
    k = max(1, min(int(top_k), len(predictor.class_names)))
    for start in range(0, len(ready), BATCH):
        chunk = ready[start : start + BATCH]
        probs = predictor.probabilities(torch.stack([r.image for r in chunk]))
        for result, row in zip(chunk, probs):
            order = row.argsort()[::-1][:k]
            result.top = [ClassScore(int(i), predictor.class_names[i], float(row[i])) for i in order]
    return results
