"""The contour map's legend: what each marker and overlay means, in a row under the map.

It sits in its own row of the layout, so it never hides a ball or a point, lists only what is
on the map (the kinds of critical points present, the overlays switched on), and takes as many
columns (up to three) as the map's width holds.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

import pyqtgraph as pg
from PyQt6 import QtCore

from gui import palette

#: Legend words: short, so that three columns fit beside a 3D view on a laptop screen.
LEGEND_LABELS = {
    "minimum": "minimum (λ₁, λ₂ > 0)",
    "maximum": "maximum (λ₁, λ₂ < 0)",
    "saddle": "saddle (λ₁ < 0 < λ₂)",
    "degenerate": "degenerate (λ ≈ 0)",
    "gradient": "−∇f downhill",
    "step": "last step",
    "velocity": "momentum push",
    "eigen+": "curves up (λ > 0)",
    "eigen-": "curves down (λ < 0)",
}
#: The order entries appear in.
ENTRIES = tuple(LEGEND_LABELS)


class OutlinedSample(pg.ItemSample):
    """A legend sample whose line is drawn over a dark edge, as the map draws its arrows and steps
    (palette.OUTLINE_COLOR under each): the white −∇f line stays visible on a light legend (a clip's
    light theme), and the sample looks like what it stands for."""

    def paint(self, painter, *args) -> None:  # noqa: ANN001
        if not isinstance(self.item, pg.ScatterPlotItem) and self.item.isVisible():
            pen = pg.mkPen(self.item.opts["pen"])
            edge = pg.mkPen(palette.OUTLINE_COLOR, width=pen.widthF() + 3.0)
            edge.setCapStyle(QtCore.Qt.PenCapStyle.FlatCap)
            painter.setPen(edge)
            painter.drawLine(QtCore.QPointF(-1.5, 11.0), QtCore.QPointF(21.5, 11.0))
        super().paint(painter, *args)


class MapLegend(pg.LegendItem):
    """A LegendItem that shows a chosen subset of the map's symbols (see :data:`LEGEND_LABELS`)."""

    def __init__(self, font_point_size: int = 12):
        super().__init__(labelTextColor="#f0f0f0", labelTextSize=f"{font_point_size}pt", colCount=3,
                         horSpacing=18, verSpacing=-6, sampleType=OutlinedSample)
        self._samples = _samples()
        self._available_width = 0.0
        self.max_columns = 3  # presentation mode on a low screen asks for one row

    def show_entries(self, names: Iterable[str]) -> None:
        """List exactly these entries (names of :data:`LEGEND_LABELS`), in the standard order."""
        wanted = set(names)
        self.clear()
        for name in ENTRIES:
            if name in wanted:
                # Legend labels are HTML: "<" in "λ₁ < 0" must be escaped or the text is cut there.
                self.addItem(self._samples[name], html.escape(LEGEND_LABELS[name]))
        self.setVisible(bool(self.items))
        self.fit(self._available_width)

    @property
    def labels(self) -> list[str]:
        """The texts shown, in order."""
        return [html.unescape(label.text) for _sample, label in self.items]

    def fit(self, available_width: float) -> None:
        """As many columns (up to max_columns) as ``available_width`` pixels hold: the legend never widens the map."""
        self._available_width = float(available_width)
        if not self.items or available_width <= 0:
            return
        widest = max(label.boundingRect().width() for _sample, label in self.items) + 50
        self.setColumnCount(int(max(1, min(self.max_columns, (available_width - 30) // widest))))


def _samples() -> dict[str, pg.GraphicsObject]:
    """Stand-in items whose pens and symbols the legend draws (they are never added to a plot)."""
    def line(color: str, style: QtCore.Qt.PenStyle = QtCore.Qt.PenStyle.SolidLine) -> pg.PlotDataItem:
        return pg.PlotDataItem(pen=pg.mkPen(color, width=4.0, style=style))

    samples: dict[str, pg.GraphicsObject] = {
        "gradient": line(palette.DESCENT_COLOR),
        "step": line(palette.STEP_COLOR),
        "velocity": line(palette.VELOCITY_COLOR, QtCore.Qt.PenStyle.DashLine),
        "eigen+": line(palette.POSITIVE_CURVATURE_COLOR),
        "eigen-": line(palette.NEGATIVE_CURVATURE_COLOR, QtCore.Qt.PenStyle.DashLine),
    }
    for kind in palette.CRITICAL_COLORS:
        samples[kind] = pg.ScatterPlotItem(symbol=palette.CRITICAL_SYMBOLS[kind], size=16,
                                           brush=pg.mkBrush(palette.CRITICAL_COLORS[kind]),
                                           pen=pg.mkPen(palette.OUTLINE_COLOR, width=1.5))
    return samples
