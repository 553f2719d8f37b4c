"""The Hessian's eigenvalues λ_min and λ_max against step, one colour per ball: where a saddle shows itself.

Both eigenvalues positive: the ball sits in a bowl. λ_min below zero while λ_max is above: a
saddle (one direction curves up, one curves down). The panel makes that sign the first thing one
sees: the zero line is drawn thick, everything below it is shaded in the colour the contour map
uses for negative curvature and hatched (so it does not rest on colour alone), and the axis
always includes zero. Their meaning ("0: flat",
"λ<0: curves down") is written in the legend strip above the plot, with the key to the line
styles, where no word ever covers a curve. λ_max is the ball's solid line, λ_min the same colour
lighter and dashed.

Eigenvalues of one run can span decades (Rosenbrock: 0.4 along the valley, 1000 across it).
Then the axis switches to the symmetric-log ``asinh`` display of gui.panels.axes (linear
near zero, logarithmic far from it, the sign kept) with ticks at 1, 10, 100, ... in both signs,
labelled in eigenvalue units, the axis titled "λ (asinh scale)" and the range widened to the next
labelled decade, so nobody reads it as linear (931 sits between the 100 and 1000 ticks). In
``"auto"`` mode (the default) the choice is re-made when the largest |λ| enters a new decade,
when the longest history has doubled since the last choice, or when the curves are set up again;
not every frame, so the axis does not flicker (and the choice costs nothing on average). The
plot's right-click menu ("Eigenvalue axis") sets automatic, linear or symmetric log.

Values come from ``controller.history(i).lambda_min`` / ``lambda_max`` (the ball's first particle,
or the swarm mean; see physics.simulation).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF, Qt
from PyQt6.QtGui import QAction, QActionGroup, QBrush, QColor, QFont, QFontMetricsF, QPainter
from PyQt6.QtWidgets import QGraphicsRectItem

from gui.controller_link import ControllerLink
from gui.palette import NEGATIVE_CURVATURE_COLOR
from gui.panels import plot_style
from gui.panels.axes import AsinhScale, SymlogAxis, axis_bounds, choose_width
from gui.panels.history_plot import HistoryPlotPanel, PlotSpec, Trace
from gui.panels.series import field_extractor

SCALE_MODES = ("auto", "linear", "asinh")
#: Percentile of the non-zero |λ| taken as "typical" when choosing the scale.
TYPICAL_PERCENTILE = 20.0
#: How much lighter than the ball colour the dashed λ_min line is.
LAMBDA_MIN_LIGHTEN = 0.35
#: Opacity (0..255) of the negative-curvature shading, and of the hatching over it.
NEGATIVE_SHADE_ALPHA = 38
NEGATIVE_HATCH_ALPHA = 110
#: The axis title, linear and compressed.
LINEAR_LABEL = "curvature λ"
ASINH_LABEL = "λ (asinh scale)"
#: The same, for a plot too low to hold the whole words along its axis.
SHORT_ASINH_LABEL = "λ (asinh)"
#: The view box's padding on the asinh axis (a fraction of the range; pyqtgraph's own is 0.02, grown
#: to 0.1 in a small plot). The range is already framed by labelled decades (axis_bounds), and a
#: tenth of an asinh range is a whole decade: the padding alone would add a label (10000 over
#: data reaching 1300) and push the data's own decades into the middle.
ASINH_PADDING = 0.004
AXIS_LABEL_STYLE = {"color": plot_style.FOREGROUND, "font-size": f"{plot_style.LABEL_POINT_SIZE}pt"}
#: Colour of the line-style key in the legend.
KEY_COLOR = "#c8c8c8"
#: How strongly the legend's sample of the shading mixes the negative-curvature colour into the
#: background (stronger than the shading itself, which a small legend swatch would not show).
LEGEND_SHADE_MIX = 0.45


class HatchRect(QGraphicsRectItem):
    """A rectangle hatched with diagonal lines a few pixels apart, whatever the plot's scale.

    A pattern brush is drawn in the item's coordinates, which here are steps by eigenvalues: the
    lines would be stretched out of sight. The brush is mapped back to device pixels.
    """

    def __init__(self, color: QColor):
        super().__init__()
        self.hatch = QBrush(color, Qt.BrushStyle.BDiagPattern)

    def paint(self, painter: QPainter, _option: Any, _widget: Any = None) -> None:
        brush = QBrush(self.hatch)
        inverse, invertible = painter.worldTransform().inverted()
        if invertible:
            brush.setTransform(inverse)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(brush)
        painter.drawRect(self.rect())


class EigenvaluePanel(HistoryPlotPanel):
    """λ_min (dashed) and λ_max (solid) of the Hessian per visible ball, against step."""

    plots = (PlotSpec("The Hessian's eigenvalues: λmax solid, λmin dashed; below zero the surface curves down",
                      LINEAR_LABEL),)
    track_magnitude = True

    def __init__(self, controller: ControllerLink, parent: Any = None, scale_mode: str = "auto"):
        if scale_mode not in SCALE_MODES:
            raise ValueError(f"scale_mode must be one of {SCALE_MODES}")
        self.scale_mode = scale_mode
        self.scale: AsinhScale | None = None
        self._scale_decade: int | None = None
        self._scale_count = 0  # the longest history when the scale was last chosen
        self.axis = SymlogAxis("left")
        super().__init__(controller, parent)

    def axis_items(self, plot: int) -> dict[str, pg.AxisItem]:
        return {"left": self.axis}

    def decorate(self) -> None:
        plot = self.plot_items[0]
        shade = QColor(NEGATIVE_CURVATURE_COLOR)
        shade.setAlpha(NEGATIVE_SHADE_ALPHA)
        # A rectangle kept to the visible part of y < 0: a "half-plane" item with huge coordinates
        # overflows Qt's raster engine and paints the whole view.
        self.negative_region = QGraphicsRectItem()
        self.negative_region.setBrush(pg.mkBrush(shade))
        self.negative_region.setPen(pg.mkPen(None))
        self.negative_region.setZValue(-20)
        plot.addItem(self.negative_region, ignoreBounds=True)
        hatch = QColor(NEGATIVE_CURVATURE_COLOR)
        hatch.setAlpha(NEGATIVE_HATCH_ALPHA)
        self.negative_hatch = HatchRect(hatch)
        self.negative_hatch.setZValue(-19)
        plot.addItem(self.negative_hatch, ignoreBounds=True)
        # Two invisible points at the labelled decades beyond the data (axis_bounds): the
        # auto-range then frames the data between labelled ticks.
        self.decade_frame = pg.PlotDataItem([0.0, 0.0], [0.0, 0.0], pen=pg.mkPen(0, 0, 0, 0))
        self.decade_frame.setZValue(-30)
        plot.addItem(self.decade_frame)
        self._frame = (0.0, 0.0)
        plot.getViewBox().sigRangeChanged.connect(self._shade_negative)
        plot.getViewBox().sigResized.connect(lambda _view: self._label_axis())  # the title fits the new height
        self._add_scale_menu()
        view = plot.getViewBox()
        steps_padding = view.suggestPadding

        def padding(axis: int) -> float:
            # Only the eigenvalue axis, only compressed: the step axis keeps pyqtgraph's padding,
            # without which its "0" label, on the plot's edge, is not drawn.
            return ASINH_PADDING if axis == 1 and self.scale is not None else steps_padding(axis)

        view.suggestPadding = padding
        self._margins = self.graphics.ci.getContentsMargins()
        # Added with bounds: an InfiniteLine reports y = 0 to the auto-range, so zero is always in view.
        self.zero_line = pg.InfiniteLine(pos=0.0, angle=0, movable=False,
                                         pen=pg.mkPen(plot_style.FOREGROUND, width=3.5))
        self.zero_line.setZValue(-10)
        plot.addItem(self.zero_line)

    def _add_scale_menu(self) -> None:
        """"Eigenvalue axis" in the plot's right-click menu: automatic, linear or symmetric log."""
        menu = self.plot_items[0].getViewBox().menu.addMenu("Eigenvalue axis")
        group = QActionGroup(menu)
        self.scale_actions: dict[str, QAction] = {}
        for mode, text in (("auto", "Automatic (compress when values span decades)"), ("linear", "Linear"),
                           ("asinh", "Symmetric log (asinh)")):
            action = menu.addAction(text)
            action.setCheckable(True)
            action.setChecked(mode == self.scale_mode)
            action.triggered.connect(lambda _checked, chosen=mode: self.set_scale_mode(chosen))
            group.addAction(action)
            self.scale_actions[mode] = action

    def _shade_negative(self, _view: Any = None, ranges: Any = None) -> None:
        (x0, x1), (y0, y1) = ranges if ranges is not None else self.plot_items[0].getViewBox().viewRange()
        top = min(0.0, y1)
        rect = QRectF(x0, y0, x1 - x0, max(0.0, top - y0))
        self.negative_region.setRect(rect)
        self.negative_hatch.setRect(rect)

    def traces(self, index: int, ball: Any) -> list[Trace]:
        return [
            Trace("lambda_max", field_extractor("lambda_max"), plot_style.ball_pen(ball.color), z=2),
            Trace("lambda_min", field_extractor("lambda_min"),
                  plot_style.ball_pen(ball.color, dashed=True, lighten=LAMBDA_MIN_LIGHTEN), z=1),
        ]

    def legend_extras(self) -> list[tuple[str, str]]:
        shade = plot_style.mix(NEGATIVE_CURVATURE_COLOR, plot_style.BACKGROUND, LEGEND_SHADE_MIX)
        return [(plot_style.legend_sample(KEY_COLOR), "λmax"),
                (plot_style.legend_sample(KEY_COLOR, dashed=True), "λmin"),
                (plot_style.legend_sample(plot_style.FOREGROUND), "0: flat"),
                (plot_style.legend_sample(shade, band=True), "λ<0: curves down")]

    def display_transform(self, plot: int) -> Callable[[np.ndarray], np.ndarray] | None:
        return self.scale.forward if self.scale is not None else None

    def inverse_display(self, plot: int, y: np.ndarray) -> np.ndarray:
        return self.scale.inverse(y) if self.scale is not None else y

    def set_scale_mode(self, mode: str) -> None:
        """"auto" (compress when eigenvalues span decades), "linear" or "asinh"."""
        if mode not in SCALE_MODES:
            raise ValueError(f"scale_mode must be one of {SCALE_MODES}")
        self.scale_mode = mode
        self._scale_decade = None
        self.scale_actions[mode].setChecked(True)
        self._choose_scale(force=True)

    def _sync_balls(self, rebuild: bool) -> None:
        self._scale_decade = None  # re-judge the spread once the new curves are filled
        super()._sync_balls(rebuild)

    def axis_title(self) -> str:
        """The words along the axis: the scale named when compressed, in as many words as fit."""
        if self.scale is None:
            return LINEAR_LABEL
        font = QFont()
        font.setPointSize(plot_style.LABEL_POINT_SIZE)
        fits = QFontMetricsF(font).horizontalAdvance(ASINH_LABEL) <= self.axis.height()
        return ASINH_LABEL if fits else SHORT_ASINH_LABEL

    def _label_axis(self) -> None:
        # Say so on the axis: a compressed axis read as a linear one misleads (1 looks near 0.1).
        title = self.axis_title()
        if title != self.axis.labelText:
            self.plot_items[0].setLabel("left", title, **AXIS_LABEL_STYLE)

    def after_refresh(self) -> None:
        self._choose_scale(force=False)
        self._frame_decades()

    def _frame_decades(self) -> None:
        """On the asinh axis, keep the auto-range out to the labelled decades around the data."""
        if self.scale is None:
            frame = (0.0, 0.0)
        else:
            entries = [entry.series for entry in self._curves.values() if entry.series.low <= entry.series.high]
            low = min((series.low for series in entries), default=0.0)
            high = max((series.high for series in entries), default=0.0)
            bounds = axis_bounds(self.scale.width, min(low, 0.0), max(high, 0.0))
            frame = tuple(float(v) for v in self.scale.forward(np.array(bounds)))
        if frame != self._frame:
            self._frame = frame
            self.decade_frame.setData([0.0, 0.0], list(frame))

    def _choose_scale(self, force: bool) -> None:
        largest = max((entry.series.magnitude for entry in self._curves.values()), default=0.0)
        count = max((entry.series.count for entry in self._curves.values()), default=0)
        decade = math.floor(math.log10(largest)) if largest > 0 else None
        if not force and decade == self._scale_decade and count < 2 * self._scale_count:
            return
        self._scale_decade = decade
        self._scale_count = count
        if self.scale_mode == "linear" or largest <= 0:
            width = None
        else:
            magnitudes = [np.abs(entry.series.data()[1]) for entry in self._curves.values()]
            values = np.concatenate(magnitudes) if magnitudes else np.empty(0)
            values = values[np.isfinite(values) & (values > 0)]
            typical = float(np.percentile(values, TYPICAL_PERCENTILE)) if len(values) else 0.0
            width = choose_width(largest, typical)
            if self.scale_mode == "asinh" and width is None:
                width = 10.0 ** math.floor(math.log10(typical if typical > 0 else largest))
        scale = AsinhScale(width) if width is not None else None
        if scale != self.scale:
            self.scale = scale
            self.axis.set_scale(scale)
            self._label_axis()
            # Room above the plot for half a tick label: the top decade's label may sit on the edge.
            left, top, right, bottom = self._margins
            if scale is not None:
                top = max(top, math.ceil(self.axis.label_spacing() / 2.0))
            self.graphics.ci.setContentsMargins(left, top, right, bottom)
            self.redraw()
            self._frame_decades()
