"""The export dialog and the Predict panel, driven offscreen with pytest-qt."""

from __future__ import annotations

import pytest

from workbench.export import load_bundle
from workbench.gui.export import ExportDialog, PredictPanel
from workbench.predict import predict


def test_export_dialog_exports_and_shows_the_check(qtbot, trained_run, tmp_path):
    dialog = ExportDialog(trained_run)
    qtbot.addWidget(dialog)
    assert dialog.checkpoint_box.currentData() == "best"
    assert dialog.export_button.isEnabled()
    dialog.set_format("wbm")
    assert dialog.path_edit.text().endswith("tiny-export.wbm")
    dialog.set_format("onnx")
    assert dialog.path_edit.text().endswith("tiny-export.onnx")
    dialog.set_format("wbm")
    target = tmp_path / "from-dialog.wbm"
    dialog.path_edit.setText(str(target))
    dialog.show()  # open before the export: the result lines must fit when they appear
    qtbot.waitExposed(dialog)
    with qtbot.waitSignal(dialog.finished_export, timeout=30_000):
        dialog.export_button.click()
    assert dialog.report is not None and dialog.report.ok
    assert "check passed" in dialog.result_label.text() and not dialog.result_label.isHidden()
    assert load_bundle(target).spec.name == "tiny-export"
    qtbot.wait(50)
    label = dialog.result_label
    assert label.height() >= label.heightForWidth(label.width())  # every line of the result shows
    dialog.set_format("onnx")
    assert label.isHidden() and dialog.report is None  # the .wbm result is not shown under ONNX


def test_export_dialog_shows_why_an_export_failed(qtbot, trained_run, tmp_path):
    dialog = ExportDialog(trained_run)
    qtbot.addWidget(dialog)
    dialog.path_edit.setText(str(tmp_path / "missing" / "x.wbm"))
    with qtbot.waitSignal(dialog.finished_export, timeout=30_000):
        dialog.start_export()
    assert dialog.report is None
    assert "does not exist" in dialog.result_label.text() and "&#" not in dialog.result_label.text()
    assert dialog.export_button.isEnabled()


def test_export_dialog_on_a_folder_that_is_no_run(qtbot, tmp_path):
    dialog = ExportDialog(tmp_path)
    qtbot.addWidget(dialog)
    assert not dialog.export_button.isEnabled()
    assert "not a run folder" in dialog.result_label.text()


def test_predict_panel_shows_input_and_bars(qtbot, bundle_path, image_files, tmp_path):
    panel = PredictPanel()
    qtbot.addWidget(panel)
    assert panel.chart.labels == [] and "Drop images" in panel.input_view.text()
    assert panel.set_model_source(bundle_path)
    assert "tiny-export" in panel.model_label.text() and "3×16×16" in panel.model_label.text()
    panel.add_images([image_files[0]])
    expected = predict(bundle_path, [image_files[0]], top_k=5)[0]
    assert panel.chart.labels == [s.name for s in expected.top]
    assert panel.chart.values == pytest.approx([s.probability for s in expected.top])
    assert panel.chart.percent_texts == [f"{s.probability:.1%}" for s in expected.top]
    assert list(panel.chart.bars.opts["width"]) == pytest.approx(panel.chart.values)
    pixmap = panel.input_view.pixmap()
    assert not pixmap.isNull() and pixmap.width() == 192
    assert "16×16" in panel.input_caption.text()
    panel.top_spin.setValue(2)
    assert len(panel.chart.labels) == 2
    panel.clear_button.click()
    assert panel.image_list.count() == 0 and panel.chart.labels == [] and panel.predictor is not None


def test_predict_panel_drop_paths_and_bad_inputs(qtbot, onnx_path, image_files, tmp_path):
    panel = PredictPanel()
    qtbot.addWidget(panel)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"nope")
    panel.open_paths([image_files[1]])
    assert "open a model" in panel.message.text() and panel.image_list.count() == 1
    panel.open_paths([onnx_path, broken])
    assert panel.predictor.kind == "onnx"
    assert panel.image_list.count() == 2 and "could not be read" in panel.message.text()
    panel.image_list.setCurrentRow(0)
    assert len(panel.chart.labels) == 3
    panel.image_list.setCurrentRow(1)
    assert panel.chart.labels == [] and "not a recognised image" in panel.input_caption.text()
    assert not panel.set_model_source(broken)
    assert "Cannot open model" in panel.message.text() and panel.predictor.kind == "onnx"
