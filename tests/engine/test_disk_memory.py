"""What the images take in memory: training from the decode cache reads a batch at a time and keeps no per-file
index; the estimate and ``data.cache: auto`` count a copy per process in memory, one shared cache on disk."""

import gc
import weakref

import pytest
import torch

from tests.engine.conftest import save_image
from workbench.cli import train_cmd
from workbench.data import DataError, load_data
from workbench.data import folder_rows as folder_rows_module
from workbench.data.cache import image_sums
from workbench.data.cache_rows import CacheRows
from workbench.data.disk_images import DiskImages, rows_view
from workbench.training import Trainer

IMAGE_BYTES = 3 * 16 * 16  # one decoded image of the specs here


def _folder(root, count):
    for i in range(count):
        save_image(root / ("dark" if i % 2 else "light") / f"{i:03d}.png", size=(6, 6), value=(i * 37) % 256)
    return root


def _spec(spec_factory, path, data="", training=""):
    return spec_factory(size=16, classes=2, data=f"source: folder, path: '{path}'" + (", " + data if data else ""),
                        training=training)


@pytest.fixture
def reads(monkeypatch):
    """The number of rows of every read from a decode cache's image file."""
    seen = []
    real = CacheRows.read_rows

    def spy(self, rows, out=None):
        seen.append(len(rows))
        return real(self, rows, out)

    monkeypatch.setattr(CacheRows, "read_rows", spy)
    return seen


def test_training_from_disk_reads_one_batch_at_a_time(spec_factory, tmp_path, reads):
    spec = _spec(spec_factory, _folder(tmp_path / "images", 200), "val_split: 0.8, cache: disk", "batch_size: 8")
    data = load_data(spec)
    assert data.on_disk and reads == []  # the split and the normalisation read no image
    assert data.train_x.shape[0] == 40 and data.val_x.shape[0] == 160
    assert Trainer(spec, data=data, run_dir=False, device="cpu").run().status == "completed"
    assert sorted(reads) == [8] * 5 + [32, 128]  # five training batches; validation in batches of 128


def test_training_data_on_disk_keeps_no_per_file_index(monkeypatch, spec_factory, image_folder):
    opened = []
    real = folder_rows_module.open_folder_cache

    def spy(*args, **kwargs):
        cache = real(*args, **kwargs)
        opened.append(weakref.ref(cache))
        return cache

    monkeypatch.setattr(folder_rows_module, "open_folder_cache", spy)
    data = load_data(_spec(spec_factory, image_folder, "cache: disk"))
    gc.collect()
    assert data.on_disk and len(opened) == 1 and opened[0]() is None
    assert data.train_x[:].shape == (data.train_x.shape[0], 3, 16, 16)


def test_a_rank_validates_a_view_of_its_share_without_reading_it(spec_factory, image_folder, reads):
    disk = load_data(_spec(spec_factory, image_folder, "val_split: 0.5"), cache="disk")
    memory = load_data(_spec(spec_factory, image_folder, "val_split: 0.5"), cache="memory")
    reads.clear()
    share = rows_view(disk.val_x, slice(1, None, 3))
    assert isinstance(share, DiskImages) and reads == []
    assert torch.equal(share[:], memory.val_x[1::3]) and reads == [len(share)]
    in_memory = rows_view(memory.val_x, slice(1, None, 3))
    assert in_memory.untyped_storage().data_ptr() == memory.val_x.untyped_storage().data_ptr()


def test_normalisation_sums_are_read_in_blocks_and_count_repeated_rows(spec_factory, image_folder):
    data = load_data(_spec(spec_factory, image_folder), cache="disk")
    cache = data.train_x.cache
    rows = torch.tensor([5, 0, 5, 11, 3])
    expected = image_sums(cache.read_rows(rows)).sum(dim=0)
    for block in (1, 2, 4, 1000):
        assert torch.allclose(cache.stats_sum(rows, block=block), expected, rtol=0, atol=1e-9), block


def test_estimate_counts_a_copy_per_process_in_memory(monkeypatch, spec_factory, image_folder):
    monkeypatch.setenv("WORKBENCH_MEMORY_LIMIT", str(16 * IMAGE_BYTES * 3))  # room for 2.4 copies at 80 %
    one = load_data(_spec(spec_factory, image_folder, "cache: memory"))
    assert one.report.memory == "12.0 KiB of decoded images in memory"
    two = load_data(_spec(spec_factory, image_folder, "cache: memory"), processes=2)
    assert two.report.memory == ("12.0 KiB of decoded images in memory in each of the 2 processes on this "
                                 "machine, 24.0 KiB in all")
    refused = r"a copy in each of 3 processes\) need 36.0 KiB of memory but they may take only 28.8 KiB"
    with pytest.raises(DataError, match=refused):
        load_data(_spec(spec_factory, image_folder, "cache: memory"), processes=3)


def test_auto_sends_several_processes_to_the_shared_cache_on_disk(monkeypatch, spec_factory, image_folder):
    monkeypatch.setenv("WORKBENCH_MEMORY_LIMIT", str(16 * IMAGE_BYTES * 3))
    assert not load_data(_spec(spec_factory, image_folder), processes=2).on_disk
    data = load_data(_spec(spec_factory, image_folder), processes=3)
    assert data.on_disk
    assert data.report.memory == ("12.0 KiB of decoded images read from the decode cache on disk a batch at a "
                                  "time, its pages shared by the 3 processes on this machine; in memory they would "
                                  "take 36.0 KiB (a copy in each of 3 processes), more than the 28.8 KiB they may "
                                  "take")


def test_train_prints_the_memory_estimate(capsys, spec_factory, image_folder):
    train_cmd._report_data(load_data(_spec(spec_factory, image_folder, "cache: disk")))
    assert "memory: 12.0 KiB of decoded images read from the decode cache on disk" in capsys.readouterr().err


def test_generated_shapes_count_a_copy_per_process(spec_factory):
    data = load_data(spec_factory(size=16, images=40), processes=2)
    assert data.report.memory == ("30.0 KiB of generated images in memory in each of the 2 processes on this "
                                  "machine, 60.0 KiB in all")
