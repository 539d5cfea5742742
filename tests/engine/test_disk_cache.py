"""The persistent decode cache: reuse, incremental updates, damage, memory vs disk placement, and the CLI."""

import os

import pytest
import torch

from tests.engine.conftest import save_image
from workbench.cli import main as cli_main
from workbench.data import DataError, load_data
from workbench.data.folder import load_image
from workbench.data import cache as cache_module
from workbench.data import disk_cache
from workbench.training import Trainer


def _spec(spec_factory, path, extra=""):
    return spec_factory(size=16, classes=2, data=f"source: folder, path: '{path}'" + (", " + extra if extra else ""))


@pytest.fixture
def decoded(monkeypatch):
    """The files each load decodes (a list of paths, appended to by every decode)."""
    seen = []
    real = cache_module.decode_into

    def spy(files, out, resize, progress=None, sizes=None):
        seen.extend(str(f) for f in files)
        return real(files, out, resize, progress, sizes)

    monkeypatch.setattr(disk_cache, "decode_into", spy)
    return seen


def _cache_folder():
    (folder,) = [p for p in disk_cache.cache_dir().iterdir() if p.is_dir()]
    return folder


def test_second_load_reuses_the_cache_without_decoding(spec_factory, image_folder, decoded):
    first = load_data(_spec(spec_factory, image_folder))
    assert len(decoded) == 16 and "16 decoded" in first.report.cache
    decoded.clear()
    leftover = _cache_folder() / "images-0123.u8.part"  # what a build killed outright leaves
    leftover.write_bytes(b"half")
    second = load_data(_spec(spec_factory, image_folder))
    assert decoded == [] and second.report.cache.endswith("reused") and not leftover.exists()
    assert torch.equal(first.train_x, second.train_x) and torch.equal(first.val_y, second.val_y)
    assert first.mean == second.mean and first.std == second.std


def test_changed_added_and_removed_files_are_the_only_ones_decoded(spec_factory, image_folder, decoded):
    load_data(_spec(spec_factory, image_folder))
    decoded.clear()
    changed = image_folder / "dark" / "d3.png"
    save_image(changed, value=90)
    os.utime(changed, ns=(1, 1))  # a new modification time even on a coarse clock
    save_image(image_folder / "light" / "new.png", value=250)
    (image_folder / "light" / "l5.png").unlink()
    data = load_data(_spec(spec_factory, image_folder))
    assert sorted(decoded) == sorted([str(changed), str(image_folder / "light" / "new.png")])
    assert "2 decoded, 14 reused" in data.report.cache
    fresh = load_data(_spec(spec_factory, image_folder), cache="memory")
    disk_cache.clear_caches()
    rebuilt = load_data(_spec(spec_factory, image_folder), cache="memory")
    assert torch.equal(fresh.train_x, rebuilt.train_x) and torch.equal(fresh.val_x, rebuilt.val_x)


@pytest.mark.parametrize("damage", ["truncate", "flip-bytes", "garbage-index", "no-index"])
def test_a_damaged_cache_is_rebuilt_never_used(spec_factory, image_folder, decoded, damage):
    good = load_data(_spec(spec_factory, image_folder), cache="memory")
    folder = _cache_folder()
    (images,) = folder.glob("images-*.u8")
    if damage == "truncate":  # as a crash in the middle of a write would leave it
        images.write_bytes(images.read_bytes()[:1000])
    elif damage == "flip-bytes":
        raw = bytearray(images.read_bytes())
        raw[:64] = bytes(255 - b for b in raw[:64])
        images.write_bytes(bytes(raw))
    elif damage == "garbage-index":
        (folder / "index.json").write_text("{not json")
    else:
        (folder / "index.json").unlink()
    decoded.clear()
    again = load_data(_spec(spec_factory, image_folder), cache="memory")
    assert len(decoded) == 16
    assert torch.equal(good.train_x, again.train_x)
    assert not list(folder.glob("*.part")) and len(list(folder.glob("images-*"))) == 1


def test_unreadable_files_are_remembered_with_their_reasons(spec_factory, image_folder, decoded):
    (image_folder / "dark" / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    first = load_data(_spec(spec_factory, image_folder))
    decoded.clear()
    second = load_data(_spec(spec_factory, image_folder))
    assert decoded == []
    assert [p for p, _ in second.report.skipped] == [str(image_folder / "dark" / "corrupt.png")]
    assert second.report.skipped == first.report.skipped
    assert second.train_x.shape[0] + second.val_x.shape[0] == 16


def test_the_doctor_reads_its_batch_from_the_cache(spec_factory, image_folder, decoded):
    from workbench.doctor.batch import init_batch

    load_data(_spec(spec_factory, image_folder))
    decoded.clear()
    x, y = init_batch(_spec(spec_factory, image_folder), size=4)
    assert decoded == [] and x.shape == (4, 3, 16, 16) and sorted(y.tolist()) == [0, 0, 1, 1]


def test_disk_and_memory_give_the_same_run(spec_factory, image_folder):
    extra = "flip: true, crop_padding: 2, jitter: 0.1"
    memory = load_data(_spec(spec_factory, image_folder, extra), cache="memory")
    disk = load_data(_spec(spec_factory, image_folder, extra), cache="disk")
    assert not memory.on_disk and disk.on_disk and disk.report.placement == "disk"
    assert memory.mean == disk.mean and memory.std == disk.std
    assert torch.equal(memory.train_x, disk.train_x[:]) and torch.equal(memory.val_x, disk.val_x[:])
    spec = _spec(spec_factory, image_folder, extra)
    spec.training.update(epochs=2, batch_size=4)
    a = Trainer(spec, data=memory, run_dir=False, device="cpu")
    b = Trainer(spec, data=disk, run_dir=False, device="cpu")
    ra, rb = a.run(), b.run()
    assert ra.status == rb.status == "completed"
    assert ra.final["train_loss"] == rb.final["train_loss"] and ra.final["val_loss"] == rb.final["val_loss"]
    for (name, pa), pb in zip(a.model.state_dict().items(), b.model.state_dict().values()):
        assert torch.equal(pa, pb), name


def test_in_memory_split_is_a_view_not_a_copy(spec_factory, image_folder):
    data = load_data(_spec(spec_factory, image_folder), cache="memory")
    assert data.train_x.untyped_storage().data_ptr() == data.val_x.untyped_storage().data_ptr()
    shapes = load_data(spec_factory(images=60))
    assert shapes.train_x.untyped_storage().data_ptr() == shapes.val_x.untyped_storage().data_ptr()


def test_memory_limit_sends_auto_to_disk(monkeypatch, spec_factory, image_folder):
    monkeypatch.setenv("WORKBENCH_MEMORY_LIMIT", "1K")
    assert cache_module.memory_limit() == 1024
    assert load_data(_spec(spec_factory, image_folder)).on_disk
    with pytest.raises(DataError, match="data.cache: disk"):
        load_data(_spec(spec_factory, image_folder, "cache: memory"))
    monkeypatch.setenv("WORKBENCH_MEMORY_LIMIT", "64G")
    assert cache_module.memory_limit() == 64 * 1024**3
    assert not load_data(_spec(spec_factory, image_folder)).on_disk


def test_an_unwritable_cache_folder_decodes_in_memory(monkeypatch, tmp_path, spec_factory, image_folder):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("WORKBENCH_CACHE", str(blocker / "cache"))
    data = load_data(_spec(spec_factory, image_folder))
    assert not data.on_disk and data.train_x.shape[0] + data.val_x.shape[0] == 16
    assert any("cannot be written" in w for w in data.report.warnings)
    with pytest.raises(DataError, match="WORKBENCH_CACHE"):
        load_data(_spec(spec_factory, image_folder, "cache: disk"))
    assert not load_data(_spec(spec_factory, image_folder), cache="disk").on_disk  # a reader of a few images


def test_cache_command_lists_and_clears(capsys, spec_factory, image_folder, tmp_path):
    other = tmp_path / "other"
    for i in range(3):
        save_image(other / "a" / f"{i}.png")
        save_image(other / "b" / f"{i}.png", value=9)
    load_data(_spec(spec_factory, image_folder))
    load_data(_spec(spec_factory, other))
    assert cli_main(["cache"]) == 0
    out = capsys.readouterr().out
    assert str(image_folder.resolve()) in out and str(other.resolve()) in out and "16 images" in out
    assert cli_main(["cache", "--clear", str(other)]) == 0
    assert "removed 1 cache(s)" in capsys.readouterr().out
    cli_main(["cache"])
    out = capsys.readouterr().out
    assert str(other.resolve()) not in out and str(image_folder.resolve()) in out
    cli_main(["cache", "--clear"])
    cli_main(["cache"])
    assert "no decode caches" in capsys.readouterr().out


def test_a_run_says_what_the_decode_cache_did_and_a_follower_reads_it_back(spec_factory, image_folder, tmp_path):
    from workbench.training.events import RunStarted
    from workbench.training.follow import RunFollower

    spec = _spec(spec_factory, image_folder, "cache: disk")
    (next(p for p in image_folder.iterdir() if p.is_dir()) / "broken.png").write_bytes(b"not a png")
    started = []
    trainer = Trainer(spec, run_dir=tmp_path / "run", device="cpu", max_steps=1)
    trainer.add_listener(lambda e: started.append(e) if isinstance(e, RunStarted) else None)
    trainer.run()
    line = started[0].data
    assert line.startswith("decode cache: ") and "decoded" in line
    assert "read from disk a batch at a time" in line and "1 file left out" in line
    (replayed,) = [e for e in RunFollower(tmp_path / "run").poll() if isinstance(e, RunStarted)]
    assert replayed.data == line


def test_a_followed_run_with_a_malformed_data_record_shows_no_data_line(tmp_path):
    import json

    from workbench.training.follow import RunFollower
    from workbench.training.runs import META_FILE

    (tmp_path / META_FILE).write_text(json.dumps({"spec_name": "x", "data": {"cache": "\x1b[2J", "placement": 3,
                                                                            "skipped_count": "many"}}))
    (started,) = RunFollower(tmp_path).poll()[:1]
    assert started.data == "decode cache: \\x1b[2J"


@pytest.mark.parametrize("threads_from_s", [0.0, 1e9])  # threads for the files after the first ones, or none
def test_decoding_in_threads_or_in_one_gives_the_same_rows_reasons_and_progress(monkeypatch, image_folder,
                                                                                 threads_from_s):
    import threading

    monkeypatch.setattr(cache_module, "_PROBE_FILES", 2)
    monkeypatch.setattr(cache_module, "_THREADS_FROM_S", threads_from_s)
    files = sorted(image_folder.rglob("*.png"))
    (image_folder / "dark" / "zz-broken.png").write_bytes(b"not a png")
    files.insert(9, image_folder / "dark" / "zz-broken.png")
    out = torch.zeros(len(files), 3, 14, 20, dtype=torch.uint8)
    sizes = torch.zeros(len(files), 2, dtype=torch.int32)
    calls = []
    reasons = cache_module.decode_into(files, out, "stretch", lambda n: calls.append((n, threading.get_ident())),
                                       sizes)
    assert calls == [(1, threading.get_ident())] * len(files)  # each file once, in the calling thread
    assert [i for i, r in enumerate(reasons) if r] == [9] and "not a recognised image format" in reasons[9]
    kept = [f for i, f in enumerate(files) if i != 9]
    expected = torch.stack([load_image(f, 3, 14, 20) for f in kept])
    assert torch.equal(out[[i for i in range(len(files)) if i != 9]], expected)
    assert sizes[0].tolist() == [14, 20] and out[9].sum() == 0
