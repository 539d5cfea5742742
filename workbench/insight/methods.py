"""The attribution methods by name, with the titles people know them by."""

METHODS = ("gradcam", "saliency", "ig", "occlusion")
METHOD_TITLES = {"gradcam": "Grad-CAM", "saliency": "saliency", "ig": "integrated gradients", "occlusion": "occlusion"}
