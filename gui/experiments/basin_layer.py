"""The basin map as a layer of the contour map: a semi-transparent image under the contours and
trails, the critical points numbered, and a legend of outcomes with each one's share.

:class:`BasinLayer(map_view)` adds its items to a gui.views.contour_map.ContourMapView (image at
z = -15: above the height map (-20), below the contour lines (-10), the critical points (5) and the
trails (10)); ``show(result)``, ``clear()``. The legend is a plate in the map's top-right corner:
each outcome's colour, its words and its share in % (the words carry the meaning; the colours
are gui.experiments.basin_colors'), and how noise is drawn when there is noise.
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtWidgets

from gui.experiments.basin_colors import basin_rgba, outcome_color
from gui.experiments.basin_paint import basin_caption, legend_rows, noise_note, short_name

#: Above the height map (-20), below the contour lines (-10), critical points (5) and trails (10).
LAYER_Z = -15
#: The layer's opacity over the height map: the basins read at a glance, the contours still show.
OPACITY = 0.72
LEGEND_STYLE = ("QLabel { background: rgba(20, 20, 24, 215); color: #f0f0f0; border: 1px solid #808080;"
                " border-radius: 4px; padding: 4px; }")


class BasinLayer:
    """The basin map's items on one ContourMapView."""

    def __init__(self, map_view: QtWidgets.QWidget) -> None:
        self.map_view = map_view
        plot = map_view.plot_item
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(LAYER_Z)
        self.image.hide()
        plot.addItem(self.image, ignoreBounds=True)
        self.numbers: list[pg.TextItem] = []
        self.legend = QtWidgets.QLabel(map_view.plot_widget)
        self.legend.setStyleSheet(LEGEND_STYLE)
        self.legend.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.legend.hide()
        self.result = None
        map_view.view_box.sigResized.connect(self._place_legend)

    @property
    def visible(self) -> bool:
        return self.image.isVisible()

    def show(self, result: object, title: str = "") -> None:
        """Draw ``result`` (a physics.experiments.basins.BasinMap) over its domain, with its legend."""
        self.result = result
        self.image.setImage(basin_rgba(result, OPACITY), levels=None, autoLevels=False)
        xmin, xmax, ymin, ymax = result.domain
        self.image.setRect(QtCore.QRectF(xmin, ymin, xmax - xmin, ymax - ymin))
        self.image.show()
        self._number_points(result)
        self.legend.setText(legend_html(result, title))
        self.legend.setToolTip(noise_note(result).replace("; ", "\n"))
        self.legend.adjustSize()
        self.legend.show()
        self._place_legend()

    def clear(self) -> None:
        self.result = None
        self.image.hide()
        self.legend.hide()
        for item in self.numbers:
            item.hide()

    def _number_points(self, result: object) -> None:
        plot = self.map_view.plot_item
        while len(self.numbers) < len(result.points):
            item = pg.TextItem("", color="#101010", fill=pg.mkBrush(255, 255, 255, 225), anchor=(-0.35, 1.1))
            item.setZValue(6)
            plot.addItem(item, ignoreBounds=True)
            self.numbers.append(item)
        for index, item in enumerate(self.numbers):
            if index < len(result.points):
                point = result.points[index]
                item.setText(str(index + 1))
                item.setPos(point.x, point.y)
                item.show()
            else:
                item.hide()

    def _place_legend(self) -> None:
        """Below the map beside the map's own legend when there is room; else in the corner of the map
        that hides the fewest critical points (top-right on a tie)."""
        if not self.legend.isVisible():
            return
        widget = self.map_view.plot_widget
        view = self.map_view.view_box
        area = view.sceneBoundingRect()
        size = self.legend.size()
        below = widget.mapFromScene(self.map_view.plot_item.sceneBoundingRect().bottomLeft()).y() + 4
        labels = [label.item.mapToScene(label.item.boundingRect().topRight()).x()  # (the text's own width)
                  for _sample, label in getattr(self.map_view.legend, "items", [])]
        right = widget.mapFromScene(QtCore.QPointF(max(labels), 0)).x() if labels else 0
        if right + 8 + size.width() <= widget.width() - 2 and below + size.height() <= widget.height():
            self.legend.move(widget.width() - size.width() - 2, int(below))
            return
        points = []
        if self.result is not None:
            for point in self.result.points:
                scene = view.mapViewToScene(QtCore.QPointF(point.x, point.y))
                points.append(widget.mapFromScene(scene))
        best = None
        for corner in (area.topRight(), area.topLeft(), area.bottomRight(), area.bottomLeft()):
            at = widget.mapFromScene(corner)
            x = at.x() - size.width() - 6 if corner.x() > area.center().x() else at.x() + 6
            y = at.y() + 6 if corner.y() < area.center().y() else at.y() - size.height() - 6
            plate = QtCore.QRect(int(x), int(y), size.width(), size.height()).adjusted(-12, -12, 12, 12)
            hidden = sum(plate.contains(p) for p in points)
            if best is None or hidden < best[0]:
                best = (hidden, int(x), int(y))
        self.legend.move(max(0, best[1]), max(0, best[2]))


def legend_html(result: object, title: str = "", heading: bool = True) -> str:
    """The legend's rich text: with ``heading`` a title (the map's plate), else the run's words (the
    dock's, under its picture); then a coloured square and "minimum 2: 26.0 %" per outcome (the
    number labels the point on the map)."""
    if heading:
        lines = [f"<b>{html.escape(title or 'Basins of attraction')}</b>"]
    else:
        lines = [f"<span style='font-size:small'>{html.escape(basin_caption(result))}</span>"]
    for code, text in legend_rows(result, short=True):
        lines.append(f"<span style='color:{outcome_color(code)}; font-size:large'>&#9632;</span> "
                     f"{html.escape(text)}")
    if noise_note(result):  # (the map's plate stays narrow: "faded = unsure"; the dock says it whole)
        parts = ["faded = less sure"] if heading else noise_note(result).split("; ")
        lines += [f"<span style='font-size:small'>{html.escape(part)}</span>" for part in parts]
    return "<br>".join(lines)


def shares_by_name(result: object) -> dict[str, float]:
    """{outcome's short words ("minimum 2"): share} (for tests and read-outs)."""
    shares = np.asarray(result.shares)
    return {short_name(result, code): float(share) for code, share in zip(result.outcomes, shares, strict=True)}
