"""``cache``: the decode caches of image folders, with their sizes and folders; ``--clear [FOLDER]`` deletes them.

Every image folder a run trains on is decoded once into a cache in ``$WORKBENCH_CACHE`` (default: the user's
cache folder) and reused by later runs; a changed file is decoded again, the rest is kept.
"""

from __future__ import annotations

from workbench.analysis.formatting import human_bytes
from workbench.data.disk_cache import clear_caches, list_caches
from workbench.paths import cache_dir


def add_parser(sub) -> None:
    p = sub.add_parser("cache", help="list or clear the decode caches of image folders", description=__doc__)
    p.add_argument("--clear", nargs="?", const=True, default=None, metavar="FOLDER",
                   help="delete every cache, or only those of the image folder FOLDER")
    p.set_defaults(run=run)


def _shape(info) -> str:
    return "×".join(map(str, info.shape)) if info.shape else "?"


def run(args) -> int:
    root = cache_dir()
    if args.clear is not None:
        removed = clear_caches(None if args.clear is True else args.clear)
        freed = sum(info.bytes for info in removed)
        print(f"removed {len(removed)} cache(s), {human_bytes(freed)} freed, from {root}")
        return 0
    caches = list_caches()
    print(f"decode caches in {root}:" if caches else f"no decode caches in {root}")
    for info in caches:
        state = "" if info.valid else "  (damaged: rebuilt on next use)"
        print(f"  {human_bytes(info.bytes):>10}  {info.images:>8,} images  {_shape(info):>11}  {info.resize:<11}  "
              f"{info.folder}{state}")
    if caches:
        print(f"total {human_bytes(sum(i.bytes for i in caches))}")
    return 0
