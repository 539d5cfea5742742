"""Prediction from a bundle, an ONNX file and a run folder, on image files of any size and mode."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from workbench.data.folder import load_image
from workbench.export import ModelFileError
from workbench.predict import load_predictor, predict


def test_sources_agree_and_images_are_shown_as_the_model_sees_them(trained_run, bundle_path, onnx_path, image_files):
    by_source = {src: predict(src, image_files, top_k=3) for src in (bundle_path, onnx_path, trained_run)}
    for results in by_source.values():
        assert [r.path for r in results] == image_files
        for r, path in zip(results, image_files):
            assert r.ok and r.image.dtype == torch.uint8 and r.image.shape == (3, 16, 16)
            assert torch.equal(r.image, load_image(path, 3, 16, 16, "stretch"))
            probs = [s.probability for s in r.top]
            assert probs == sorted(probs, reverse=True) and abs(sum(probs) - 1.0) < 1e-6
            assert sorted(s.name for s in r.top) == ["circle", "square", "triangle"]
    reference = by_source[trained_run]
    for other in (by_source[bundle_path], by_source[onnx_path]):
        for a, b in zip(reference, other):
            assert [s.index for s in a.top] == [s.index for s in b.top]
            assert np.allclose([s.probability for s in a.top], [s.probability for s in b.top], atol=1e-5)


def test_top_k_is_clamped_and_bad_images_are_reported(bundle_path, image_files, tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    results = predict(load_predictor(bundle_path), [image_files[0], broken], top_k=10)
    assert len(results[0].top) == 3
    assert not results[1].ok and results[1].image is None and "not a recognised image" in results[1].error
    assert len(predict(bundle_path, image_files[:1], top_k=1)[0].top) == 1


def test_unusable_model_sources_are_refused(tmp_path, image_files):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ModelFileError, match="neither a workbench bundle nor an ONNX file"):
        predict(text, image_files)
    fake = tmp_path / "fake.onnx"
    fake.write_bytes(b"garbage")
    with pytest.raises(ModelFileError, match="cannot open ONNX file"):
        predict(fake, image_files)
    with pytest.raises(ModelFileError, match="does not exist"):
        predict(tmp_path / "missing.wbm", image_files)
    with pytest.raises(ModelFileError, match="not a run folder"):
        predict(tmp_path, image_files)


@pytest.mark.parametrize("fmt", ["wbm", "onnx", "pt", "pt2", "python"])
def test_predict_on_every_export_format(fmt, trained_run, image_files, tmp_path, capsys):
    """Each export's archive holds its final name (no temporary name), and ``predict`` either classifies
    with it or says plainly why that format cannot be used alone — never that the file is damaged."""
    import zipfile

    from workbench.cli import main
    from workbench.export import export_model

    report = export_model(trained_run, fmt, tmp_path)
    assert report.ok, report.message
    if zipfile.is_zipfile(report.path):
        roots = {name.split("/")[0] for name in zipfile.ZipFile(report.path).namelist()}
        assert ".part" not in "".join(roots) and (fmt == "wbm" or roots == {report.path.stem}), roots
    status = main(["predict", str(report.path), str(image_files[0])])
    captured = capsys.readouterr()
    if fmt in ("wbm", "onnx"):
        assert status == 0 and "circle" in captured.out
    else:
        assert status == 1 and "damaged" not in captured.err and "predict with the run folder" in captured.err
    assert not list(tmp_path.glob(".*"))
