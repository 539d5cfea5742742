"""One small, class-balanced batch of the real training data, normalised as training will see it."""

from __future__ import annotations

import torch

from workbench.spec.model import ModelSpec

BATCH = 16


def balanced_indices(labels: torch.Tensor, count: int, seed: int = 0) -> torch.Tensor:
    """``count`` indices that take the classes in turn (a shuffled pick within each class)."""
    g = torch.Generator().manual_seed(seed)
    per_class = [idx[torch.randperm(len(idx), generator=g)] for idx in
                 (torch.nonzero(labels == c).flatten() for c in torch.unique(labels.cpu()).tolist())]
    picked, round_ = [], 0
    while len(picked) < count and any(round_ < len(p) for p in per_class):
        picked += [int(p[round_]) for p in per_class if round_ < len(p)]
        round_ += 1
    return torch.tensor(picked[:count], dtype=torch.long)


def init_batch(spec: ModelSpec, data=None, data_path=None, size: int = BATCH) -> tuple[torch.Tensor, torch.Tensor]:
    """(normalised float inputs, labels) on the CPU; loads the spec's data when ``data`` is None."""
    if data is None:
        from workbench.data.dataset import load_data

        data = load_data(spec, data_path=data_path, cache="disk")  # 16 images read from the decode cache
    idx = balanced_indices(data.train_y.cpu(), size)
    return data.normalize(data.train_x.cpu()[idx]), data.train_y.cpu()[idx]
