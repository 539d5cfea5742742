"""``explain MODEL IMAGE... --out DIR``: one picture and one raw map per image; clear errors, exit 1."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from workbench.cli import main
from workbench.data.shapes import generate_shapes
from workbench.export import export_model


@pytest.fixture(scope="module")
def image_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("explain-images")
    images, _ = generate_shapes(2, 3, 3, 40, 50, seed=3)
    paths = []
    for i, image in enumerate(images):
        paths.append(folder / f"shape{i}.png")
        Image.fromarray(image.permute(1, 2, 0).numpy()).save(paths[-1])
    return paths


def test_gradcam_pictures_and_maps_for_a_run(shapes_run, image_files, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["explain", str(shapes_run), *map(str, image_files), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.count("Grad-CAM on conv3 for") == 2
    for path in image_files:
        heat = np.load(out / f"{path.stem}.gradcam.npy")
        assert heat.shape == (32, 32) and heat.dtype == np.float32 and heat.max() > 0
        with Image.open(out / f"{path.stem}.gradcam.png") as picture:
            assert picture.mode == "RGB" and picture.height >= 240 and picture.width > 2 * picture.height - 40


def test_other_methods_classes_and_layers_from_a_bundle(shapes_run, image_files, tmp_path, capsys):
    bundle = export_model(shapes_run, "wbm", tmp_path / "m.wbm").files[0]
    out = tmp_path / "out"
    args = ["explain", str(bundle), str(image_files[0]), "--out", str(out)]
    assert main(args + ["--method", "saliency", "--class", "square"]) == 0
    assert "saliency for square" in capsys.readouterr().out
    assert main(args + ["--layer", "conv1", "--class", "2"]) == 0
    assert "Grad-CAM on conv1 for triangle" in capsys.readouterr().out
    assert (out / "shape0.saliency.npy").is_file() and (out / "shape0.gradcam.png").is_file()


@pytest.mark.parametrize("extra, words", [
    (["--layer", "conv7"], "no layer named 'conv7'"),
    (["--layer", "gap"], "layer 'gap' has no spatial size (its output is 32×1×1)"),
    (["--class", "hexagon"], "no class 'hexagon'"),
])
def test_bad_requests_exit_1_with_a_clear_message(shapes_run, image_files, tmp_path, capsys, extra, words):
    out = tmp_path / "out"
    assert main(["explain", str(shapes_run), str(image_files[0]), "--out", str(out), *extra]) == 1
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    assert not out.exists()


def test_an_unreadable_image_is_reported_and_the_others_explained(shapes_run, image_files, tmp_path, capsys):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    out = tmp_path / "out"
    assert main(["explain", str(shapes_run), str(broken), str(image_files[1]), "--out", str(out)]) == 1
    assert "broken.png: error: cannot read image" in capsys.readouterr().err
    assert (out / "shape1.gradcam.png").is_file()


def test_a_model_that_is_not_a_run_or_bundle_is_refused(tmp_path, image_files, capsys):
    assert main(["explain", str(tmp_path / "missing"), str(image_files[0]), "--out", str(tmp_path)]) == 1
    assert "does not exist" in capsys.readouterr().err
