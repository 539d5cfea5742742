"""The doctor's charts: per-layer statistics at initialisation, and the loss curves of trial runs."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import Qt

from workbench.doctor.compare import Comparison
from workbench.doctor.init_check import WEAK_SHARE, InitReport
from workbench.doctor.trial import TrialResult
from workbench.gui.style import ACCENT, ERROR, MUTED, SURFACE, WARNING

_FLOOR = 1e-5  # log axes cannot show 0; the y axis always spans 1e-5 … 3 so charts compare at a glance
_MAX_LABELS = 14
_LABELLED = ("conv", "depthwise", "dense", "gap", "gmp", "input", "logits")
_TRIAL_COLOURS = ("#dc2626", "#2563eb", "#16a34a", "#d97706", "#7c3aed", "#0891b2")




class _LayerChart(pg.PlotWidget):
    """A log-scale chart of per-layer values from 1e-5 to 3, with the weak-signal share marked."""

    def __init__(self, title: str, parent=None):
        super().__init__(parent, background=SURFACE)
        self.setTitle(title, color=MUTED, size="10pt")
        self.showGrid(x=False, y=True, alpha=0.25)
        self.setMinimumHeight(170)
        self.setLogMode(y=True)
        self.legend = self.addLegend(offset=(10, -10))
        self.getAxis("left").setStyle(maxTextLevel=0)
        self.names: list[str] = []

    def _finish(self) -> None:
        """Mark the weak-signal share and fix the ranges, so charts compare at a glance."""
        self.addItem(pg.InfiniteLine(pos=math.log10(WEAK_SHARE), angle=0,
                                     pen=pg.mkPen(WARNING, style=Qt.PenStyle.DashLine)))
        self.setXRange(-0.5, len(self.names) - 0.5, padding=0)
        self.setYRange(math.log10(_FLOOR), math.log10(3), padding=0)


class InitChart(_LayerChart):
    """Input-dependent share and activation std for each layer (log scale): where the signal dies."""

    def __init__(self, parent=None):
        super().__init__("Per layer at initialisation (log scale)", parent)
        self.getAxis("left").setLabel("value")

    def show_report(self, report: InitReport) -> None:
        self.clear()
        m = report.measurement
        self.names = ["input"] + [s.name for s in m.layers] + ["logits"]
        types = ["input"] + [s.type for s in m.layers] + ["logits"]
        share = [m.input_stats.signal_share] + [s.signal_share for s in m.layers] + [m.logit_share]
        std = [m.input_stats.std] + [s.std for s in m.layers] + [m.logit_spread]
        xs = list(range(len(self.names)))
        self.plot(xs, [max(v, _FLOOR) for v in share], pen=pg.mkPen(ERROR, width=2), symbol="o", symbolSize=7,
                  symbolBrush=ERROR, name="input-dependent share")
        self.plot(xs, [max(v, _FLOOR) for v in std], pen=pg.mkPen(ACCENT, width=2), symbol="s", symbolSize=6,
                  symbolBrush=ACCENT, name="activation std (logits: spread across images)")
        crowded = len(self.names) > _MAX_LABELS
        major = [(i, n) for i, (n, t) in enumerate(zip(self.names, types)) if not crowded or t in _LABELLED]
        minor = [(i, "") for i, t in enumerate(types) if crowded and t not in _LABELLED]
        self.getAxis("bottom").setTicks([major, minor])
        self._finish()


class CompareChart(_LayerChart):
    """Two stacks' input-dependent share, layer by layer on aligned rows (log scale): where each loses the image."""

    def __init__(self, parent=None):
        super().__init__("Input-dependent share at initialisation (log scale)", parent)

    def show_comparison(self, comparison: Comparison) -> None:
        self.clear()
        rows = comparison.rows
        self.names = [r.name for r in rows] + ["logits"]
        for side, colour, style, report in (("a", ACCENT, Qt.PenStyle.SolidLine, comparison.report_a),
                                            ("b", ERROR, Qt.PenStyle.DashLine, comparison.report_b)):
            points = [(i, getattr(r, side).signal_share) for i, r in enumerate(rows) if getattr(r, side) is not None]
            points.append((len(rows), report.measurement.logit_share))
            x, y = zip(*points)
            self.plot(list(x), [max(v, _FLOOR) for v in y], pen=pg.mkPen(colour, width=2, style=style), symbol="o",
                      symbolSize=6, symbolBrush=colour, name=report.spec_name)
        step = max(1, len(self.names) // _MAX_LABELS + (len(self.names) % _MAX_LABELS > 0))
        self.getAxis("bottom").setTicks([[(i, n) for i, n in enumerate(self.names) if i % step == 0 or n == "logits"]])
        self._finish()


class TrialChart(pg.PlotWidget):
    """Loss curves of the trial runs on one chart, with ln(classes) marked."""

    def __init__(self, parent=None):
        super().__init__(parent, background=SURFACE)
        self.setTitle("Trial runs: training loss", color=MUTED, size="10pt")
        self.showGrid(x=True, y=True, alpha=0.25)
        self.setMinimumHeight(170)
        self.legend = self.addLegend(offset=(-10, 10))
        self.getAxis("bottom").setLabel("step")
        self.getAxis("left").setLabel("loss")
        self._count = 0

    def reset(self, chance: float) -> None:
        self.clear()
        self._count = 0
        self.setYRange(0, 2.5 * chance, padding=0)  # a diverging start would hide the curves that matter
        self.addItem(pg.InfiniteLine(pos=chance, angle=0, pen=pg.mkPen(MUTED, style=Qt.PenStyle.DashLine),
                                     label="ln C = {value:.3f}", labelOpts={"color": MUTED, "position": 0.95}))

    def add_result(self, result: TrialResult) -> None:
        if not result.losses:
            return
        colour = _TRIAL_COLOURS[self._count % len(_TRIAL_COLOURS)]
        self._count += 1
        steps, losses = zip(*result.losses)
        finite = [v if math.isfinite(v) else float("nan") for v in losses]
        label = result.label if len(result.label) < 60 else result.label[:57] + "…"
        self.plot(list(steps), finite, pen=pg.mkPen(colour, width=2), name=label)
