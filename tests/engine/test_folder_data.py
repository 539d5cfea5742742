"""Image folders: every image mode and size, damaged files, odd layouts — reported clearly, never a crash."""

import pytest
import torch

from tests.engine.conftest import save_image
from workbench.data import DataError, load_data, load_image, scan_folder
from workbench.data import cache as cache_module


def _folder_spec(spec_factory, path, classes=2, channels=3, size=16, extra=""):
    data = f"source: folder, path: '{path}'" + (", " + extra if extra else "")
    return spec_factory(size=size, classes=classes, channels=channels, data=data)


@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA", "P", "I;16", "LA"])
@pytest.mark.parametrize("channels", [1, 3])
def test_any_mode_becomes_the_spec_channels(tmp_path, mode, channels):
    path = save_image(tmp_path / "img.png", mode=mode, size=(30, 10), value=200)
    x = load_image(path, channels, 12, 16, "stretch")
    assert x.shape == (channels, 12, 16) and x.dtype == torch.uint8
    assert x.float().mean() > 100  # bright stays bright, including 16-bit scaled down (not clipped to 255)


@pytest.mark.parametrize("ext,fmt", [("jpg", "JPEG"), ("bmp", "BMP"), ("gif", "GIF"), ("tiff", "TIFF"), ("webp", "WEBP")])
def test_other_formats(tmp_path, ext, fmt):
    path = save_image(tmp_path / f"img.{ext}", mode="RGB", size=(9, 9), value=200, fmt=fmt)
    x = load_image(path, 3, 9, 9)
    assert x.shape == (3, 9, 9) and abs(x.float().mean().item() - 200) < 8


def test_sixteen_bit_scales_instead_of_clipping(tmp_path):
    dim = save_image(tmp_path / "dim.png", mode="I;16", value=40)
    assert abs(load_image(dim, 1, 8, 8).float().mean().item() - 40) <= 1


def test_resize_modes(tmp_path):
    path = tmp_path / "wide.png"
    from PIL import Image

    img = Image.new("L", (40, 10), 255)
    img.save(path)
    pad = load_image(path, 1, 20, 20, "pad")
    assert pad.shape == (1, 20, 20)
    assert pad[0, 0, 10].item() == 0 and pad[0, 10, 10].item() == 255  # black bars above and below
    crop = load_image(path, 1, 20, 20, "center-crop")
    assert bool((crop == 255).all())
    stretch = load_image(path, 1, 20, 20, "stretch")
    assert bool((stretch == 255).all())
    with pytest.raises(DataError, match="resize"):
        load_image(path, 1, 20, 20, "zoom")


def test_damaged_files_are_skipped_with_reasons_and_the_rest_trains(tmp_path, spec_factory, image_folder):
    (image_folder / "dark" / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage here")
    (image_folder / "dark" / "zero.jpg").write_bytes(b"")
    good = (image_folder / "light" / "l0.png").read_bytes()
    (image_folder / "light" / "truncated.png").write_bytes(good[: len(good) // 2])
    (image_folder / "light" / "text.png").write_text("not an image at all")
    (image_folder / "light" / "notes.txt").write_text("junk")
    (image_folder / "light" / ".DS_Store").write_bytes(b"\0\0")
    (image_folder / "README.md").write_text("top-level junk")
    save_image(image_folder / "light" / "really_png.jpg", value=230, fmt="PNG")  # wrong extension, readable
    save_image(image_folder / "light" / "nested" / "deeper.png", value=210)

    data = load_data(_folder_spec(spec_factory, image_folder))
    reasons = {p.rsplit("/", 1)[-1]: r for p, r in data.report.skipped}
    assert set(reasons) == {"corrupt.png", "zero.jpg", "truncated.png", "text.png", "notes.txt", "README.md"}
    assert "0 bytes" in reasons["zero.jpg"]
    assert "truncated" in reasons["truncated.png"]
    assert "extension" in reasons["notes.txt"]
    assert "class folder" in reasons["README.md"]
    assert data.report.counts == {"dark": 8, "light": 10}
    assert data.train_x.shape[0] + data.val_x.shape[0] == 18


def test_load_image_raises_data_error_for_unreadable(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_text("nope")
    with pytest.raises(DataError, match="bad.png"):
        load_image(bad, 3, 8, 8)


def test_missing_folder_single_class_and_no_classes(tmp_path, spec_factory):
    with pytest.raises(DataError, match="does not exist"):
        load_data(_folder_spec(spec_factory, tmp_path / "nowhere"))
    (tmp_path / "flat").mkdir()
    save_image(tmp_path / "flat" / "a.png")
    with pytest.raises(DataError, match="no class folders"):
        load_data(_folder_spec(spec_factory, tmp_path / "flat"))
    save_image(tmp_path / "one" / "cats" / "a.png")
    with pytest.raises(DataError, match="only one class"):
        load_data(_folder_spec(spec_factory, tmp_path / "one"))


def test_empty_class_folder_is_left_out_with_a_warning(spec_factory, image_folder):
    (image_folder / "empty").mkdir()
    (image_folder / "empty" / "junk.txt").write_text("x")
    scan = scan_folder(image_folder)
    assert scan.classes == ["dark", "light"] and scan.empty_classes == ["empty"]
    assert scan.counts == {"dark": 8, "light": 8}
    data = load_data(_folder_spec(spec_factory, image_folder))
    assert data.class_names == ["dark", "light"]
    assert any("'empty'" in w for w in data.report.warnings)


def test_class_count_mismatch_is_reported(spec_factory, image_folder):
    with pytest.raises(DataError, match=r"2 classes \(dark, light\) but the spec has 3"):
        load_data(_folder_spec(spec_factory, image_folder, classes=3))
    data = load_data(_folder_spec(spec_factory, image_folder, classes="[a, b]"))
    assert data.class_names == ["dark", "light"]
    assert any("folder names" in w for w in data.report.warnings)


def test_separate_validation_folder(tmp_path, spec_factory, image_folder):
    val = tmp_path / "val"
    for i in range(3):
        save_image(val / "dark" / f"{i}.png", value=10)
        save_image(val / "light" / f"{i}.png", value=250)
    data = load_data(_folder_spec(spec_factory, image_folder, extra=f"val_path: '{val}'"))
    assert data.train_x.shape[0] == 16 and data.val_x.shape[0] == 6
    assert data.val_y.tolist().count(0) == 3
    save_image(val / "zebra" / "z.png")
    with pytest.raises(DataError, match="zebra"):
        load_data(_folder_spec(spec_factory, image_folder, extra=f"val_path: '{val}'"))


def test_data_path_argument_overrides_shapes_source(spec_factory, image_folder):
    data = load_data(spec_factory(classes=2), data_path=image_folder)
    assert data.class_names == ["dark", "light"]
    assert data.report.source.startswith("folder")


def test_memory_estimate_refuses_clearly(monkeypatch, spec_factory, image_folder):
    monkeypatch.setattr(cache_module, "available_host_bytes", lambda: 1000)
    with pytest.raises(DataError, match="need .* of memory.*data.cache: disk"):
        load_data(_folder_spec(spec_factory, image_folder, extra="cache: memory"))
    with pytest.raises(DataError, match="memory"):
        load_data(spec_factory(images=60))
    data = load_data(_folder_spec(spec_factory, image_folder))  # auto: a folder that does not fit trains from disk
    assert data.on_disk and data.report.placement == "disk"
