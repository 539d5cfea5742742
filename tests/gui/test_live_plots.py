"""The live plots: the step axis grows in steps, so its labels are not redrawn on every new point."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.gui.training.curves import RunCurves
from workbench.gui.training.live_plots import LivePlots, step_extent


@pytest.fixture
def live(qtbot):
    """Shown plots following an empty run of a 3-class spec: (plots, curves)."""
    plots = LivePlots()
    qtbot.addWidget(plots)
    plots.resize(600, 400)
    plots.show()
    qtbot.waitExposed(plots)
    qtbot.wait(50)  # let the layout give the plots their size before ranges are computed
    curves = RunCurves()
    plots.set_run(curves, 3)
    return plots, curves


def test_step_extent_is_the_next_round_number():
    assert [step_extent(s) for s in (0, 1, 1.2, 291, 300, 301, 1001, 7600)] == [1, 1, 1.5, 300, 300, 500, 1500, 10000]


@given(st.floats(min_value=1.0, max_value=1e9))
def test_step_extent_covers_the_run_and_wastes_at_most_two_fifths_of_the_axis(last):
    right = step_extent(last)
    assert last <= right <= last * 5 / 3 * (1 + 1e-12)


def test_the_step_axis_holds_still_between_round_numbers(live):
    plots, curves = live
    for step in range(1, 211):
        curves.add_step(step, 1.0, 0.5, 1e-3)
    plots.redraw()
    first = plots.plots["loss"].viewRange()[0]
    assert 0 >= first[0] and 300 <= first[1] < 320
    for step in range(211, 301):
        curves.add_step(step, 0.9, 0.5, 1e-3)
    plots.redraw()
    assert plots.plots["loss"].viewRange()[0] == pytest.approx(first, abs=2)  # only the padding may move
    assert 300 <= plots.plots["acc"].viewRange()[0][1] < 320  # every plot shows the same steps
    curves.add_step(301, 0.8, 0.5, 1e-3)
    plots.redraw()
    assert 500 <= plots.plots["loss"].viewRange()[0][1] < 530


def test_the_loss_axis_shows_zero_and_chance_and_ignores_single_step_spikes(live):
    plots, curves = live
    for step in range(1, 101):
        curves.add_step(step, 30.0 if step == 3 else 0.3, 0.5, 1e-3)  # one exploding batch
    plots.redraw()
    low, high = plots.plots["loss"].viewRange()[1]
    assert low <= 0 and 1.0986 <= high < 10  # the smoothed curve's bump stays, the raw spike does not set it
