"""Explaining a trained model's decisions on images: the prediction and an attribution map for a class."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from workbench.export.trained import TrainedModel
from workbench.insight.attribution import Attribution, attribute
from workbench.insight.errors import InsightError
from workbench.insight.features import FeatureMaps, feature_maps
from workbench.insight.layers import LayerOutput, layer_outputs


@dataclass
class Explanation:
    """One image (uint8 C×H×W as the model sees it), the model's class probabilities and an attribution."""

    image: np.ndarray
    probabilities: np.ndarray
    class_names: list[str]
    attribution: Attribution

    @property
    def predicted(self) -> int:
        return int(self.probabilities.argmax())

    @property
    def target_name(self) -> str:
        return self.class_names[self.attribution.target]


def class_index(class_names: list[str], wanted: str | int | None) -> int | None:
    """The index of class ``wanted`` (a name, or an index as a number or a string); None stays None."""
    if wanted is None:
        return None
    if isinstance(wanted, str) and wanted in class_names:
        return class_names.index(wanted)
    try:
        index = int(wanted)
    except (TypeError, ValueError):
        index = -1
    if 0 <= index < len(class_names):
        return index
    raise InsightError(f"no class '{wanted}' in this model", f"choose one of: {', '.join(class_names)}")


class Explainer:
    """A trained model ready to be looked inside: layers, feature maps and attributions for uint8 images."""

    def __init__(self, trained: TrainedModel):
        self.trained = trained
        self.model = trained.build()
        for p in self.model.parameters():
            p.requires_grad_(True)
        self.class_names = list(trained.class_names)
        self._layers: list[LayerOutput] | None = None

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return self.trained.input_shape

    @property
    def layers(self) -> list[LayerOutput]:
        if self._layers is None:
            self._layers = layer_outputs(self.model, self.input_shape)
        return self._layers

    def _input(self, image: torch.Tensor) -> torch.Tensor:
        if tuple(image.shape) != self.input_shape:
            raise InsightError(f"the image is {tuple(image.shape)} but the model takes {self.input_shape}",
                               "load the image with the model's input size")
        return self.trained.normalize(image.unsqueeze(0))[0]

    def probabilities(self, image: torch.Tensor) -> np.ndarray:
        with torch.no_grad():
            logits = self.model(self._input(image).unsqueeze(0))[0]
        return torch.softmax(logits.double(), dim=0).numpy()

    def features(self, image: torch.Tensor, layers) -> dict[str, FeatureMaps]:
        return feature_maps(self.model, self._input(image), layers)

    def explain(self, image: torch.Tensor, method: str = "gradcam", layer: str | None = None,
                target: str | int | None = None) -> Explanation:
        """``method``'s map for class ``target`` (default: the predicted class) on uint8 ``image`` (C×H×W)."""
        probs = self.probabilities(image)
        index = class_index(self.class_names, target)
        index = int(probs.argmax()) if index is None else index
        attribution = attribute(self.model, self._input(image), index, method, layer)
        return Explanation(image.numpy(), probs, self.class_names, attribution)
