"""Prediction: classify image files with a run, a bundle or an ONNX file, preparing them as training did."""

from workbench.predict.core import ClassScore, Prediction, predict
from workbench.predict.sources import Predictor, load_predictor

__all__ = ["ClassScore", "Prediction", "Predictor", "load_predictor", "predict"]
