"""Looking inside a network: feature maps, filters, attribution maps (Captum), histograms over training,
TensorBoard event files and a shareable HTML report of a run.

Import from the modules (``workbench.insight.explain``, ``.histograms``, ...): the attribution methods load
Captum, which the recording during training does not need.
"""
