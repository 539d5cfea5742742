"""The live plots: the step axis grows in steps, so its labels are not redrawn on every new point."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.gui.training.curves import RunCurves, ema_weight
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


def smoothed(values, points=None):
    curves = RunCurves(expected_points=points or len(values))
    for i, v in enumerate(values, start=1):
        curves.add_step(i, v, 0.5, 1e-3)
    return list(curves.series["loss_ema"].data()[1])


def test_one_spike_moves_the_smoothed_loss_for_a_few_points_at_most():
    rng = np.random.default_rng(0)
    calm = list(1.0 + 0.05 * rng.standard_normal(200))
    spiked = calm[:100] + [30.0] + calm[101:]
    a, b = smoothed(calm), smoothed(spiked)
    moved = [i for i in range(200) if abs(a[i] - b[i]) > 0.05]
    assert len(moved) <= 3, moved


def test_the_smoothed_loss_is_debiased_and_follows_a_lasting_change():
    values = [2.3] * 3 + [1.0] * 97
    curve = smoothed(values)
    assert curve[0] == pytest.approx(2.3)  # no pull towards zero at the start
    assert curve[30] == pytest.approx(1.0, abs=0.05)
    rising = smoothed([1.0] * 50 + [3.0] * 50)
    assert rising[-1] == pytest.approx(3.0, abs=0.1)  # a real rise is not mistaken for a spike


def test_the_window_suits_the_run_length():
    assert ema_weight(20) == 0.6 and ema_weight(100) == pytest.approx(0.9) and ema_weight(100_000) == 0.95
