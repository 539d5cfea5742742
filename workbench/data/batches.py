"""An epoch's batches: indexed straight from tensors in memory, or gathered ahead by a background thread from
the decode cache on disk (into pinned memory for a CUDA device) while the previous batch trains."""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence

import torch

from workbench.data.disk_images import DiskImages

DEPTH = 3  # batches gathered ahead


class _InMemory:
    def __init__(self, images: torch.Tensor, labels: torch.Tensor, batches: Sequence[torch.Tensor]):
        self._it = iter(batches)
        self.images, self.labels = images, labels

    def __next__(self) -> tuple[torch.Tensor, torch.Tensor]:
        idx = next(self._it)
        return self.images[idx], self.labels[idx]

    def close(self) -> None:
        self._it = iter(())


class _Prefetched:
    """Batches read by a daemon thread, at most ``DEPTH`` ahead; errors are raised where the batch is taken."""

    def __init__(self, images: DiskImages, labels: torch.Tensor, batches: Sequence[torch.Tensor], pin: bool):
        self._queue: queue.Queue = queue.Queue(maxsize=DEPTH)
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._fill, args=(images, labels.cpu(), list(batches), pin),
                                        name="batch-prefetch", daemon=True)
        self._thread.start()

    def _put(self, item) -> bool:
        while not self._closed.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _fill(self, images, labels, batches, pin) -> None:
        try:
            for idx in batches:
                idx = idx.cpu()
                y = labels[idx]
                if not self._put((images.gather(idx, pin=pin), y.pin_memory() if pin else y)):
                    return
            self._put(StopIteration())
        except BaseException as exc:  # handed to the training thread, which reports it
            self._put(exc)

    def __next__(self) -> tuple[torch.Tensor, torch.Tensor]:
        item = self._queue.get()
        if isinstance(item, BaseException):
            self.close()
            raise item
        return item

    def close(self) -> None:
        self._closed.set()
        self._thread.join(timeout=5)


def epoch_batches(images, labels: torch.Tensor, batches: Sequence[torch.Tensor], pin: bool = False):
    """An iterator (with ``close()``) over ``(images, labels)`` for each index tensor in ``batches``."""
    if isinstance(images, DiskImages):
        return _Prefetched(images, labels, batches, pin)
    return _InMemory(images, labels, batches)
