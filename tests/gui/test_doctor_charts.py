"""The doctor's per-layer chart in the main window: layer names on the x axis never touch or run together,
even for a deep network at 1024×700, and an empty chart says there is no measurement instead of showing axes."""

from __future__ import annotations

import pytest
import torch
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter

from workbench.doctor.init_check import diagnose_init
from workbench.presets import load_preset

MIN_GAP = 4  # px between two names


def drawn_names(chart) -> list[tuple[QRectF, str]]:
    """The layer names the chart's x axis draws now, with their rectangles in the chart view's pixels."""
    axis = chart.plot_item.getAxis("bottom")
    image = QImage(1, 1, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _line, _ticks, texts = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    view = chart.view
    return [(view.mapFromScene(axis.mapRectToScene(rect)).boundingRect().toRectF(), text)
            for rect, _flags, text in texts if text]


def report_for(preset: str):
    """The check at initialisation of ``preset`` on 16 random images (its own data set is not needed here)."""
    spec = load_preset(preset)
    generator = torch.Generator().manual_seed(0)
    inputs = torch.rand(16, spec.input.channels, spec.input.height, spec.input.width, generator=generator)
    return spec, diagnose_init(spec, inputs, torch.randint(0, spec.num_classes, (16,), generator=generator))


@pytest.mark.parametrize("size", [(1024, 700), (1400, 900)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_layer_names_of_a_deep_network_do_not_overlap(qtbot, window, size):
    spec, report = report_for("resnet-20")
    window.document.reset(spec, None)
    window.resize(*size)
    doctor = window.panels.doctor
    window.show_panel(doctor)
    doctor.show_init_report(report, spec)
    chart = doctor.init_chart
    qtbot.waitUntil(lambda: chart.view.isVisible() and chart.view.width() > 300, timeout=3000)
    qtbot.wait(50)
    names = drawn_names(chart)
    texts = [text for _rect, text in names]
    assert len(chart.names) == 52 and {"input", "logits"} <= set(texts) and len(texts) >= 3, texts
    assert set(texts) <= set(chart.names)
    visible = QRectF(chart.view.viewport().rect())
    for i, (rect, text) in enumerate(names):
        assert visible.contains(rect), f"{text!r} is cut off at the chart's edge: {rect} in {visible}"
        for other, other_text in names[i + 1:]:
            gap = max(other.left() - rect.right(), rect.left() - other.right())
            assert gap >= MIN_GAP, f"{text!r} and {other_text!r} are {gap:.0f} px apart"


def test_an_empty_chart_says_there_is_no_measurement_yet(window):
    chart = window.panels.doctor.init_chart
    window.show_panel(window.panels.doctor)
    assert chart.is_empty and not chart.view.isVisible()
    assert chart.placeholder.isVisible() and "No measurement yet" in chart.placeholder.text()
    assert window.panels.doctor.trial_chart.is_empty and window.panels.doctor.compare_chart.is_empty
