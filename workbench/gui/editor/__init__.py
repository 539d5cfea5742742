"""The layer-stack editor: palette, stack of layer cards, inspector and the edit actions."""
