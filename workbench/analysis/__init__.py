"""Live analysis of a spec: shapes, parameters, cost, receptive field and problems."""

from workbench.analysis.analyze import Analysis, LayerInfo, analyze, param_errors
from workbench.analysis.shape_rules import fmt_shape

__all__ = ["Analysis", "LayerInfo", "analyze", "fmt_shape", "param_errors"]
