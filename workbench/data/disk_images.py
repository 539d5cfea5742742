"""Images that stay in the decode cache on disk: a view of some of its rows that reads only what is indexed."""

from __future__ import annotations

import torch

from workbench.data.cache_rows import CacheRows


class DiskImages:
    """A uint8 N×C×H×W "tensor" whose rows are rows ``rows`` of a decode cache's :class:`CacheRows`, read on demand.

    It answers ``shape``, ``len``, ``device`` and indexing (an int, a slice, a list or a tensor of indices) like
    a CPU tensor; indexing reads the selected rows and returns a real tensor. Nothing is held in memory.
    """

    dtype = torch.uint8
    device = torch.device("cpu")

    def __init__(self, cache: CacheRows, rows: torch.Tensor):
        self.cache = cache
        self.rows = rows.to(torch.long).cpu()

    @property
    def shape(self) -> torch.Size:
        return torch.Size((len(self.rows), *self.cache.shape))

    def __len__(self) -> int:
        return len(self.rows)

    def numel(self) -> int:
        return self.shape.numel()

    def element_size(self) -> int:
        return 1

    def gather(self, positions, pin: bool = False) -> torch.Tensor:
        """The images at ``positions`` (indices into this view), in pinned memory when ``pin``."""
        rows = self.rows[torch.as_tensor(positions, dtype=torch.long).cpu()]
        out = torch.empty((len(rows), *self.cache.shape), dtype=torch.uint8, pin_memory=pin)
        return self.cache.read_rows(rows.numpy(), out=out)

    def __getitem__(self, key) -> torch.Tensor:
        if isinstance(key, int):
            return self.gather([key])[0]
        if isinstance(key, slice):
            return self.gather(torch.arange(len(self.rows))[key])
        return self.gather(key)

    def cpu(self) -> DiskImages:
        return self

    def to(self, device) -> torch.Tensor | DiskImages:
        """Itself for the CPU; all its images read into a tensor on any other device."""
        device = torch.device(device)
        if device.type == "cpu":
            return self
        return self.gather(torch.arange(len(self.rows))).to(device)


def rows_view(images, key: slice):
    """``images[key]`` without reading or copying anything: a view of a tensor, or the :class:`DiskImages` of
    those rows."""
    if isinstance(images, DiskImages):
        return DiskImages(images.cache, images.rows[key])
    return images[key]
