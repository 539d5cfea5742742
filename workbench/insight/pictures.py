"""Pictures of a run for reports and TensorBoard, drawn with matplotlib's Agg renderer (no window system):
the loss and accuracy curves, the confusion matrix, and a grid of images with captions."""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

DPI = 100


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _rgb(fig: Figure) -> np.ndarray:
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()


def png_bytes(rgb: np.ndarray) -> bytes:
    """PNG file contents of a uint8 H×W×3 picture."""
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(rgb).save(out, format="PNG")
    return out.getvalue()


def confusion_picture(matrix, classes: list[str]) -> np.ndarray:
    """uint8 H×W×3: the confusion matrix (rows true, columns predicted) with its counts in the cells."""
    m = np.asarray(matrix, dtype=np.int64)
    n = len(classes)
    side = min(9.0, 2.2 + 0.55 * n)
    fig = _figure(side + 0.6, side)
    ax = fig.add_subplot()
    rows = m.sum(axis=1, keepdims=True)
    share = np.divide(m, rows, out=np.zeros(m.shape, dtype=float), where=rows > 0)
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for i in range(n):
        for j in range(n):
            ax.text(j, i, str(m[i, j]), ha="center", va="center", fontsize=9,
                    color="white" if share[i, j] > 0.5 else "black")
    ax.set_xticks(range(n), classes, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(n), classes, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    fig.tight_layout()
    return _rgb(fig)


def curves_picture(epochs: list[dict], steps: list[dict], classes: int) -> np.ndarray:
    """uint8 H×W×3: loss (training steps and epochs, validation, the ln(classes) chance line) and accuracy."""
    fig = _figure(9.0, 3.4)
    loss_ax, acc_ax = fig.subplots(1, 2)
    if steps:
        loss_ax.plot([s["step"] for s in steps], [s["loss"] for s in steps], color="#9bb7d4", lw=1, label="train (steps)")
    ends = [e["step"] for e in epochs]
    for key, colour, label in (("train_loss", "#1f5fa8", "train"), ("val_loss", "#d0621b", "validation")):
        points = [(x, e[key]) for x, e in zip(ends, epochs) if e.get(key) is not None]
        if points:
            loss_ax.plot(*zip(*points), marker="o", ms=3, color=colour, label=label)
    loss_ax.axhline(np.log(max(2, classes)), color="grey", ls="--", lw=1, label="chance")
    loss_ax.set_title("loss")
    loss_ax.set_xlabel("step")
    loss_ax.legend(fontsize=7)
    for key, colour, label in (("train_acc", "#1f5fa8", "train"), ("val_acc", "#d0621b", "validation")):
        points = [(x, e[key]) for x, e in zip(ends, epochs) if e.get(key) is not None]
        if points:
            acc_ax.plot(*zip(*points), marker="o", ms=3, color=colour, label=label)
    acc_ax.axhline(1.0 / max(1, classes), color="grey", ls="--", lw=1, label="chance")
    acc_ax.set_ylim(0, 1.02)
    acc_ax.set_title("accuracy")
    acc_ax.set_xlabel("step")
    acc_ax.legend(fontsize=7)
    fig.tight_layout()
    return _rgb(fig)


def image_grid(images: list[np.ndarray], captions: list[str], columns: int = 6) -> np.ndarray:
    """uint8 H×W×3: uint8 H×W×3 images in a grid, each with its caption underneath."""
    rows = max(1, -(-len(images) // columns))
    fig = _figure(1.45 * columns, 1.7 * rows)
    for i in range(rows * columns):
        ax = fig.add_subplot(rows, columns, i + 1)
        ax.axis("off")
        if i < len(images):
            ax.imshow(images[i], interpolation="nearest")
            ax.set_title(captions[i], fontsize=7)
    fig.tight_layout()
    return _rgb(fig)
