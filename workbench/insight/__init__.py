"""Looking inside a trained network: feature maps, filters and attribution maps (Captum) for its decisions."""

from workbench.insight.attribution import METHOD_TITLES, METHODS, Attribution, attribute
from workbench.insight.errors import InsightError
from workbench.insight.explain import Explainer, Explanation, class_index
from workbench.insight.features import FeatureMaps, feature_maps
from workbench.insight.filters import channel_norms, first_conv, kernel_tiles, weighted_layers
from workbench.insight.layers import LayerOutput, layer_outputs, spatial_layer

__all__ = [
    "METHODS",
    "METHOD_TITLES",
    "Attribution",
    "Explainer",
    "Explanation",
    "FeatureMaps",
    "InsightError",
    "LayerOutput",
    "attribute",
    "channel_norms",
    "class_index",
    "feature_maps",
    "first_conv",
    "kernel_tiles",
    "layer_outputs",
    "spatial_layer",
    "weighted_layers",
]
