"""The doctor's charts: per-layer statistics at initialisation, and the loss curves of trial runs.

Each chart has its legend in a row above the plot (it never covers a curve), names layers on its x axis only
where the names fit side by side at the chart's width, and shows a note instead of empty axes until it has
something to show."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import QLabel, QStackedLayout, QWidget

from workbench.doctor.compare import Comparison
from workbench.doctor.init_check import WEAK_SHARE, InitReport
from workbench.doctor.trial import TrialResult
from workbench.gui.legend_columns import fit_columns
from workbench.gui.style import ACCENT, ERROR, MUTED, SURFACE, TEXT, WARNING

_FLOOR = 1e-5  # log axes cannot show 0; the y axis always spans 1e-5 … 3 so charts compare at a glance
_NAMED_FIRST = ("input", "logits")  # always named when they fit, then the weight layers, then the rest
_WEIGHTED = ("conv", "depthwise", "dense")
_LABEL_GAP = 10  # px between two layer names on the axis
_OVERHANG = 24  # px a name at either end may reach past the axis (the right margin keeps it in view)
_TRIAL_COLOURS = ("#dc2626", "#2563eb", "#16a34a", "#d97706", "#7c3aed", "#0891b2")
_MIN_HEIGHT = 190


class LayerNamesAxis(pg.AxisItem):
    """A bottom axis with one tick per layer that names as many layers as fit without touching: the input
    and the logits first, then the weight layers, then the others, left to right; the rest get a bare tick."""

    def __init__(self):
        super().__init__("bottom")
        self.tick_font = QFont()
        self.tick_font.setPointSizeF(8.5)
        self.setStyle(tickFont=self.tick_font, hideOverlappingLabels=_OVERHANG)
        self.names: list[str] = []
        self.kinds: list[str] = []
        self.named: list[int] = []  # the indices named at the last draw

    def set_names(self, names: list[str], kinds: list[str] | None = None) -> None:
        """One tick per name at x = 0, 1, …; ``kinds`` (layer types) decide which names come first."""
        self.names, self.kinds = list(names), list(kinds or ["conv"] * len(names))
        self.picture = None
        self.update()

    def _rank(self, i: int) -> int:
        kind = self.kinds[i]
        return 0 if kind in _NAMED_FIRST else 1 if kind in _WEIGHTED else 2

    def names_that_fit(self, low: float, high: float, length: float) -> list[int]:
        """The indices whose names fit side by side on an axis of ``length`` px showing ``low`` … ``high``."""
        if not self.names or high <= low or length <= 0:
            return []
        metrics = QFontMetricsF(self.tick_font)
        scale = length / (high - low)
        taken: list[tuple[float, float]] = []
        named = []
        for i in sorted(range(len(self.names)), key=lambda i: (self._rank(i), i)):
            centre, half = (i - low) * scale, metrics.horizontalAdvance(self.names[i]) / 2 + 2
            left, right = centre - half, centre + half
            outside = left < -_OVERHANG or right > length + _OVERHANG
            if outside or any(left < r + _LABEL_GAP and right + _LABEL_GAP > l for l, r in taken):
                continue
            taken.append((left, right))
            named.append(i)
        return sorted(named)

    def tickValues(self, minVal, maxVal, size):  # noqa: N802, N803 (pyqtgraph API)
        if not self.names:
            return []
        self.named = self.names_that_fit(minVal, maxVal, size)
        bare = [i for i in range(len(self.names)) if i not in self.named]
        return [(1.0, [float(i) for i in self.named]), (1.0, [float(i) for i in bare])]

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph API)
        named = set(self.named)
        return [self.names[int(round(v))] if int(round(v)) in named else "" for v in values]


class _Chart(QWidget):
    """A plot with its legend in a row above it; ``placeholder`` (a note) stands in its place while empty."""

    def __init__(self, empty_text: str, bottom: pg.AxisItem | None = None, parent=None):
        super().__init__(parent)
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground(SURFACE)
        self.view.ci.layout.setContentsMargins(2, 2, _OVERHANG, 2)
        self.legend = pg.LegendItem(labelTextSize="8pt", labelTextColor=TEXT, verSpacing=-6, horSpacing=12)
        self.view.addItem(self.legend, row=0, col=0)
        self.plot_item = self.view.addPlot(row=1, col=0, axisItems={"bottom": bottom} if bottom else None)
        self.plot_item.setMenuEnabled(False)
        self.placeholder = QLabel(empty_text)
        self.placeholder.setWordWrap(True)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet(f"color: {MUTED}; background: {SURFACE}; padding: 12px;")
        self._pages = QStackedLayout(self)
        self._pages.setContentsMargins(0, 0, 0, 0)
        self._pages.addWidget(self.placeholder)
        self._pages.addWidget(self.view)
        self.setMinimumHeight(_MIN_HEIGHT)

    @property
    def is_empty(self) -> bool:
        return self._pages.currentWidget() is self.placeholder

    def _show_plot(self, shown: bool) -> None:
        self._pages.setCurrentWidget(self.view if shown else self.placeholder)

    def _clear(self) -> None:
        self.plot_item.clear()
        self.legend.clear()

    def _add_curve(self, x, y, name: str | None, **style) -> pg.PlotDataItem:
        curve = self.plot_item.plot(list(x), list(y), **style)
        if name:
            self.legend.addItem(curve, name)
            self._fit_legend()
        return curve

    def _fit_legend(self) -> None:
        fit_columns(self.legend, self.view, self.width() - _OVERHANG - 8)  # the view may be hidden, not sized

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        self._fit_legend()


class _LayerChart(_Chart):
    """A log-scale chart of per-layer values from 1e-5 to 3, with the weak-signal share marked."""

    def __init__(self, empty_text: str, value_label: str, parent=None):
        self.axis = LayerNamesAxis()
        super().__init__(empty_text, self.axis, parent=parent)
        self.plot_item.showGrid(x=False, y=True, alpha=0.25)
        self.plot_item.setLogMode(y=True)
        self.plot_item.setMouseEnabled(x=False, y=False)
        self.plot_item.hideButtons()
        left = self.plot_item.getAxis("left")
        left.setStyle(maxTextLevel=0)
        left.setLabel(value_label, color=MUTED)
        self.names: list[str] = []

    def _finish(self, kinds: list[str]) -> None:
        """Name the layers, mark the weak-signal share and fix the ranges, so charts compare at a glance."""
        self.axis.set_names(self.names, kinds)
        self.plot_item.addItem(pg.InfiniteLine(pos=math.log10(WEAK_SHARE), angle=0,
                                               pen=pg.mkPen(WARNING, style=Qt.PenStyle.DashLine)))
        self.plot_item.setXRange(-0.5, len(self.names) - 0.5, padding=0)
        self.plot_item.setYRange(math.log10(_FLOOR), math.log10(3), padding=0)
        self._show_plot(True)


class InitChart(_LayerChart):
    """Input-dependent share and activation std for each layer (log scale): where the signal dies."""

    def __init__(self, parent=None):
        super().__init__("No measurement yet: “Check at initialisation” measures one batch of your data, layer by "
                         "layer.", "value (log scale)", parent)

    def show_report(self, report: InitReport) -> None:
        self._clear()
        m = report.measurement
        self.names = ["input"] + [s.name for s in m.layers] + ["logits"]
        kinds = ["input"] + [s.type for s in m.layers] + ["logits"]
        share = [m.input_stats.signal_share] + [s.signal_share for s in m.layers] + [m.logit_share]
        std = [m.input_stats.std] + [s.std for s in m.layers] + [m.logit_spread]
        xs = range(len(self.names))
        self._add_curve(xs, [max(v, _FLOOR) for v in share], "input-dependent share", pen=pg.mkPen(ERROR, width=2),
                        symbol="o", symbolSize=7, symbolBrush=ERROR)
        self._add_curve(xs, [max(v, _FLOOR) for v in std], "activation std (logits: spread over images)",
                        pen=pg.mkPen(ACCENT, width=2), symbol="s", symbolSize=6, symbolBrush=ACCENT)
        self._finish(kinds)


class CompareChart(_LayerChart):
    """Two stacks' input-dependent share, layer by layer on aligned rows (log scale): where each loses the image."""

    def __init__(self, parent=None):
        super().__init__("No comparison yet: “Compare with…” measures another stack on the same images.",
                         "input-dependent share (log)", parent)

    def show_comparison(self, comparison: Comparison) -> None:
        self._clear()
        rows = comparison.rows
        self.names = [r.name for r in rows] + ["logits"]
        for side, colour, style, report in (("a", ACCENT, Qt.PenStyle.SolidLine, comparison.report_a),
                                            ("b", ERROR, Qt.PenStyle.DashLine, comparison.report_b)):
            points = [(i, getattr(r, side).signal_share) for i, r in enumerate(rows) if getattr(r, side) is not None]
            points.append((len(rows), report.measurement.logit_share))
            x, y = zip(*points)
            self._add_curve(x, [max(v, _FLOOR) for v in y], report.spec_name,
                            pen=pg.mkPen(colour, width=2, style=style), symbol="o", symbolSize=6, symbolBrush=colour)
        self._finish([(r.a or r.b).type for r in rows] + ["logits"])


class TrialChart(_Chart):
    """Loss curves of the trial runs on one chart, with ln(classes) marked."""

    def __init__(self, parent=None):
        super().__init__("No trial runs yet: “Try fixes” trains the network as it is and with each fix for a few "
                         "steps.", parent=parent)
        self.plot_item.showGrid(x=True, y=True, alpha=0.25)
        self.plot_item.getAxis("bottom").setLabel("step", color=MUTED)
        self.plot_item.getAxis("left").setLabel("training loss", color=MUTED)
        self._count = 0

    def reset(self, chance: float) -> None:
        self._clear()
        self._count = 0
        self.plot_item.setYRange(0, 2.5 * chance, padding=0)  # a diverging start would hide the curves that matter
        self.plot_item.addItem(pg.InfiniteLine(pos=chance, angle=0, pen=pg.mkPen(MUTED, style=Qt.PenStyle.DashLine),
                                               label="ln C = {value:.3f}",
                                               labelOpts={"color": MUTED, "position": 0.95}))
        self._show_plot(True)

    def add_result(self, result: TrialResult) -> None:
        if not result.losses:
            return
        colour = _TRIAL_COLOURS[self._count % len(_TRIAL_COLOURS)]
        self._count += 1
        steps, losses = zip(*result.losses)
        finite = [v if math.isfinite(v) else float("nan") for v in losses]
        label = result.label if len(result.label) < 60 else result.label[:57] + "…"
        self._add_curve(steps, finite, label, pen=pg.mkPen(colour, width=2))
