"""Loss, accuracy and learning-rate plots, redrawn at a bounded rate from a run's numpy buffers."""

from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtWidgets import QGraphicsItem, QVBoxLayout, QWidget

from workbench.gui.legend_columns import fit_columns
from workbench.gui.training.curves import RunCurves

REDRAW_HZ = 5
MIN_HEIGHT = 260  # px: loss above, accuracy and learning rate below, each with a readable axis
MIN_TICK_GAP = 24  # px between two numbers on a value axis
MAX_DRAW_SHARE = 0.25  # at most this share of the GUI thread's time goes to redrawing the plots
OVERLAY_COLOURS = ("#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f")

# live curve name -> (plot, curve name, series, pen, symbol)
LIVE_CURVES = {
    "loss": ("loss", "train loss (step)", "loss", pg.mkPen("#9ecae1", width=1), None),
    "loss_ema": ("loss", "train loss (EMA)", "loss_ema", pg.mkPen("#1f77b4", width=2), None),
    "val_loss": ("loss", "val loss", "val_loss", pg.mkPen("#ff7f0e", width=2), "o"),
    "acc": ("acc", "train acc (step)", "acc", pg.mkPen("#9ecae1", width=1), None),
    "train_acc_epoch": ("acc", "train acc (epoch)", "train_acc_epoch", pg.mkPen("#1f77b4", width=2), "s"),
    "val_acc": ("acc", "val acc", "val_acc", pg.mkPen("#ff7f0e", width=2), "o"),
    "lr": ("lr", "learning rate", "lr", pg.mkPen("#6a3d9a", width=2), None),
}
# the loss and accuracy curves of a kind share a pen: one legend entry names both
LEGEND = {"loss": "training (per step)", "loss_ema": "training (smoothed / per epoch)",
          "val_loss": "validation"}


def step_extent(last_step: float) -> float:
    """The right end of the step axis for a run at ``last_step``: the next of 1, 1.5, 2, 3, 5, 7.5 × 10^k.

    The axis (and its tick labels) then changes only every ~1.5× more steps instead of on every new point."""
    if last_step <= 1:
        return 1.0
    scale = 10.0 ** math.floor(math.log10(last_step))
    return next(m * scale for m in (1.0, 1.5, 2.0, 3.0, 5.0, 7.5, 10.0) if m * scale >= last_step)


class SparseAxis(pg.AxisItem):
    """A value axis with numbered ticks only, at least MIN_TICK_GAP px apart however short the plot is."""

    def tickSpacing(self, minVal, maxVal, size):  # noqa: N802, N803 (pyqtgraph API)
        levels = super().tickSpacing(minVal, maxVal, size)
        if not levels or size <= 0:
            return levels
        spacing, per_px = levels[0][0], abs(maxVal - minVal) / size
        while spacing < MIN_TICK_GAP * per_px:  # the next of 1, 2, 5 × 10^k
            mantissa = spacing / 10 ** math.floor(math.log10(spacing) + 1e-9)
            spacing *= 2.5 if round(mantissa) == 2 else 2
        return [(spacing, 0)]


class _Extent(pg.GraphicsObject):
    """An invisible item the plot's auto-range must include: steps 0 to :func:`step_extent` of the last step,
    and the values ``y`` when set (the loss plot always shows 0 and the chance level)."""

    def __init__(self):
        super().__init__()
        self.right = 1.0
        self.y: tuple[float, float] | None = None

    def set_last_step(self, last_step: float) -> None:
        right = step_extent(last_step)
        if right != self.right:
            self.right = right
            self.informViewBoundsChanged()

    def set_y(self, low: float, high: float) -> None:
        self.y = (low, high)
        self.informViewBoundsChanged()

    def dataBounds(self, ax, frac=1.0, orthoRange=None):  # noqa: N802, N803 (pyqtgraph API)
        if ax == 0:
            return (0.0, self.right)
        return self.y or (None, None)

    def boundingRect(self):  # noqa: N802 (Qt API)
        return QRectF()

    def paint(self, painter, *args) -> None:
        pass


class LivePlots(QWidget):
    """Loss on top, accuracy and learning rate side by side below, each over the steps; the live run plus
    any overlaid finished runs."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        pg.setConfigOptions(antialias=False)
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground("w")
        self.plots: dict[str, pg.PlotItem] = {}
        self._extents: dict[str, _Extent] = {}
        self._lr_top = 0.0
        # the legend has a row of its own above the plots, so it never covers a curve
        self.legend = pg.LegendItem(colCount=len(LEGEND) + 1, labelTextSize="8pt", verSpacing=-6, horSpacing=12)
        self.view.addItem(self.legend, row=0, col=0, colspan=2)
        for key, label, row, col, span in (("loss", "loss", 1, 0, 2), ("acc", "accuracy", 2, 0, 1),
                                            ("lr", "learning rate", 2, 1, 1)):
            plot = self.view.addPlot(row=row, col=col, colspan=span, axisItems={"left": SparseAxis("left")})
            plot.setLabel("left", label)
            plot.getAxis("left").enableAutoSIPrefix(False)  # a "(×0.001)" suffix made the label run over the plot above
            if key != "loss":  # the plots below name the steps; the loss plot keeps that height for its curves
                plot.setLabel("bottom", "step")
            plot.showGrid(x=True, y=True, alpha=0.2)
            self._extents[key] = _Extent()
            plot.addItem(self._extents[key])
            for side in ("left", "bottom"):  # an axis whose range did not change is blitted, not re-rendered
                plot.getAxis(side).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            plot.setDownsampling(auto=True, mode="peak")
            plot.setClipToView(True)
            self.plots[key] = plot
        self.plots["acc"].setYRange(0.0, 1.0, padding=0.03)
        self.view.ci.layout.setContentsMargins(2, 0, 2, 2)
        self.view.ci.layout.setVerticalSpacing(0)
        self.plots["acc"].enableAutoRange(axis="y", enable=False)
        self.view.ci.layout.setRowStretchFactor(1, 3)
        self.view.ci.layout.setRowStretchFactor(2, 2)
        self.view.ci.layout.setColumnStretchFactor(0, 3)
        self.view.ci.layout.setColumnStretchFactor(1, 2)

        self.curves: dict[str, pg.PlotDataItem] = {}
        for name, (plot, legend, _, pen, symbol) in LIVE_CURVES.items():
            extra = {"symbol": symbol, "symbolSize": 5, "symbolBrush": pen.color(), "symbolPen": None} if symbol else {}
            self.curves[name] = pg.PlotDataItem([], [], pen=pen, name=legend, **extra)
            # single-step spikes may leave the view: the smoothed and validation curves set the range
            self.plots[plot].addItem(self.curves[name], ignoreBounds=name in ("loss", "acc"))
            if name in LEGEND:
                self.legend.addItem(self.curves[name], LEGEND[name])
        chance_pen = pg.mkPen("#555555", width=1, style=Qt.PenStyle.DashLine)
        self.chance = pg.InfiniteLine(angle=0, movable=False, pen=chance_pen)
        self.chance.setVisible(False)
        self.plots["loss"].addItem(self.chance)
        self.chance_key = pg.PlotDataItem([], [], pen=chance_pen)  # names the line in the legend, off the curves
        self._overlay_items: list[tuple[pg.PlotItem, pg.PlotDataItem]] = []
        self._run: RunCurves | None = None
        self._drawn_version = -1

        self.timer = QTimer(self, interval=int(1000 / REDRAW_HZ))
        self.timer.timeout.connect(self.redraw)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.setMinimumHeight(MIN_HEIGHT)  # below this the panel scrolls; the curves stay readable

    def set_run(self, curves: RunCurves | None, num_classes: int) -> None:
        """Follow ``curves`` (the live run) and draw ln(classes) as the chance level of the loss."""
        self._run = curves
        self._drawn_version = -1
        if num_classes > 1:
            self.chance.setValue(math.log(num_classes))
            self.legend.removeItem(self.chance_key)
            self.legend.addItem(self.chance_key, f"chance: ln({num_classes}) = {math.log(num_classes):.2f}")
            self._fit_legend()
            self.chance.setVisible(True)
            self._extents["loss"].set_y(0.0, math.log(num_classes))
        self.redraw()

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        self.redraw()

    def redraw(self) -> None:
        """Push the buffers' new points to the curves; cheap when nothing changed."""
        run = self._run
        if run is None:
            for curve in self.curves.values():
                curve.setData([], [])
            return
        if run.version == self._drawn_version:
            return
        self._drawn_version = run.version
        start = time.perf_counter()
        for name, (_, _, series, _, _) in LIVE_CURVES.items():
            with run.lock:
                x, y = run.series[series].data()
            self.curves[name].setData(x, y, skipFiniteCheck=True)
        self._fit_step_axes()
        self._fit_lr_axis()
        self.view.viewport().repaint()  # paint now, so the cost of a whole frame is measured
        frame_ms = (time.perf_counter() - start) * 1000
        # long runs (e.g. 100 000 points) cost more per frame: redraw less often, never more than REDRAW_HZ
        self.timer.setInterval(int(min(1000, max(1000 / REDRAW_HZ, frame_ms / MAX_DRAW_SHARE))))

    def _fit_step_axes(self) -> None:
        last = 0.0
        for curve in [self.curves["loss"]] + [item for _, item in self._overlay_items]:
            x = curve.getData()[0]
            if x is not None and len(x):
                last = max(last, float(x[-1]))
        for extent in self._extents.values():
            extent.set_last_step(last)

    def _fit_lr_axis(self) -> None:
        """Learning rates start at zero on the axis: a constant rate is a flat line, not a zoom on noise."""
        top = 0.0
        for item in self._lr_items():
            y = item.getData()[1]
            if y is not None and len(y):
                top = max(top, float(np.nanmax(y)))
        if top > 0 and top != self._lr_top:
            self._lr_top = top
            self.plots["lr"].setYRange(0.0, top * 1.1, padding=0)

    def _lr_items(self) -> list[pg.PlotDataItem]:
        return [self.curves["lr"]] + [item for plot, item in self._overlay_items if plot is self.plots["lr"]]

    def set_overlays(self, runs: list[tuple[str, RunCurves]]) -> None:
        """Draw finished runs over the live curves, one colour per run, named in the legends."""
        for plot, item in self._overlay_items:
            plot.removeItem(item)
            self.legend.removeItem(item)
        self._overlay_items = []
        for i, (name, curves) in enumerate(runs):
            colour = OVERLAY_COLOURS[i % len(OVERLAY_COLOURS)]
            for plot, series, dashed, symbol, legend in (  # one legend entry per run: its colour
                ("loss", "loss_ema", False, None, f"{name}"),
                ("loss", "val_loss", True, "t", None),
                ("acc", "val_acc", False, "t", None),
                ("lr", "lr", False, None, None),
            ):
                x, y = curves.series[series].data()
                if not len(x):
                    continue
                pen = pg.mkPen(colour, width=2, style=Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine)
                extra = {"symbol": symbol, "symbolSize": 6, "symbolBrush": colour, "symbolPen": None} if symbol else {}
                item = self.plots[plot].plot(x, y, pen=pen, **extra)
                if legend:
                    self.legend.addItem(item, legend)
                self._overlay_items.append((self.plots[plot], item))
        self._fit_legend()
        self._fit_step_axes()
        self._fit_lr_axis()

    def _fit_legend(self) -> None:
        fit_columns(self.legend, self.view, self.view.width() - 16)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        self._fit_legend()

    def overlay_count(self) -> int:
        return len(self._overlay_items)
