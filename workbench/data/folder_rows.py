"""An image folder's decoded rows: from the persistent decode cache, or decoded in memory when there is none."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from workbench.analysis.formatting import human_bytes
from workbench.data.cache import cache_bytes, check_host_memory, copies_text, decode_files, host_bytes_needed
from workbench.data.cache_rows import CacheRows
from workbench.data.disk_cache import CacheUnavailable, open_folder_cache
from workbench.data.folder import FolderScan
from workbench.paths import cache_dir


@dataclass
class FolderRows:
    """The readable images of a folder for some classes: ``labels[i]`` is the class of row ``rows[i]`` of
    ``cache`` (the decode cache's data files, without its per-file index) or of ``images`` (decoded in memory)."""

    rows: torch.Tensor
    labels: torch.Tensor
    cache: CacheRows | None = None
    images: torch.Tensor | None = None
    sizes: torch.Tensor | None = None  # each row's file's own (height, width), in the order of ``rows``

    def stats_sums(self, positions: torch.Tensor) -> torch.Tensor | None:
        """2×C float64: channel sums and sums of squares (0..1 units) of the rows at ``positions``, when cached."""
        if self.cache is None:
            return None
        return self.cache.stats_sum(self.rows[positions])


def folder_rows(scan: FolderScan, classes: list[str], spec, progress, report, processes: int) -> FolderRows:
    """The images of ``classes`` in ``scan``, through the decode cache (decoded in memory when it cannot be
    written: a copy in each of the ``processes`` processes on this machine that load them)."""
    inp = spec.input
    resize = spec.data_value("resize")
    try:
        cache = open_folder_cache(scan, inp.channels, inp.height, inp.width, resize, progress)
    except CacheUnavailable as exc:
        report.warnings.append(f"the decode cache in '{cache_dir()}' cannot be written ({exc}); "
                               "the images are decoded in memory")
    else:
        report.skipped.extend(cache.skipped())
        verb = "reused" if cache.decoded == 0 else f"{cache.decoded:,} decoded, {cache.reused:,} reused"
        report.cache = f"{cache.rows:,} images ({human_bytes(cache.rows * cache.row_bytes)}), {verb}"
        names = cache.row_classes()
        wanted = {c: i for i, c in enumerate(classes)}
        rows = [r for r, n in enumerate(names) if n in wanted]
        labels = [wanted[names[r]] for r in rows]
        rows = torch.tensor(rows, dtype=torch.long)
        sizes = cache.row_sizes()
        return FolderRows(rows, torch.tensor(labels, dtype=torch.int64), cache.data,
                          sizes=sizes[rows] if sizes is not None else None)
    files, labels = [], []
    for i, name in enumerate(classes):
        for f in scan.files.get(name, []):
            files.append(f)
            labels.append(i)
    check_host_memory(host_bytes_needed(cache_bytes(len(files), inp.channels, inp.height, inp.width), processes),
                      f"{len(files)} images{copies_text(processes)}")
    x, ok, skipped, sizes = decode_files(files, inp.channels, inp.height, inp.width, resize, progress)
    report.skipped.extend(skipped)
    y = torch.tensor(labels, dtype=torch.int64)[torch.tensor(ok, dtype=torch.long)] if files else torch.zeros(0, dtype=torch.int64)
    return FolderRows(torch.arange(len(ok)), y, images=x, sizes=sizes)


def reorder_rows_in_place(images: torch.Tensor, order: torch.Tensor) -> torch.Tensor:
    """Permute the rows of ``images`` in place so that row k becomes the former row ``order[k]`` (``order`` is a
    permutation of all rows); returns ``images``. Needs one spare row of memory, not a second copy."""
    order = order.tolist()
    done = [False] * len(order)
    for start in range(len(order)):
        if done[start]:
            continue
        spare = images[start].clone()
        k = start
        while True:
            done[k] = True
            src = order[k]
            if src == start:
                images[k] = spare
                break
            images[k] = images[src]
            k = src
    return images
