"""Looking inside a trained network in the app: the Inside panel and the Training panel's recording options."""

from workbench.gui.insight.inside_panel import InsidePanel
from workbench.gui.insight.recording_options import RecordingOptions

__all__ = ["InsidePanel", "RecordingOptions"]
