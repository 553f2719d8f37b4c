"""A swarm's particles as round dots, painted in three calls, visible on every colour of the map.

pyqtgraph's ScatterPlotItem keeps a record per spot and costs milliseconds to update with
thousands of points; a swarm changes every frame. :class:`PointCloudItem` copies the positions
into one QPolygonF and paints them with ``drawPoints`` and round pens: a few hundred
microseconds for 20 000 particles.

A swarm in the ball's own colour can vanish into the map (a purple swarm in viridis' dark purple
valleys, a yellow one on its yellow heights). Each dot is therefore drawn in three layers: a light
halo, a dark edge inside it, and the dot in the ball's colour (lifted when dark, gui.palette), so
one of the three contrasts with whatever lies under it, dark or bright; all halos are painted
first, so a dense cluster reads as one patch of the swarm's colour with a dark and a light rim.
The 3D view draws its clouds the same way (gui.views.landscape3d, :func:`cloud_layers`).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtGui

from gui import palette
from gui.views.cached_bounds import CachedBoundsItem

#: At most this many particles of a swarm are drawn (an evenly spread subset beyond it).
MAX_DRAWN_POINTS = 20_000
#: Dot diameter (pixels) and the widths the dark edge and the light halo add to it.
DOT_SIZE = 5.0
EDGE_WIDTH = 2.5
HALO_WIDTH = 5.5
#: Colours of the edge and the halo (RGBA 0..255), and the least HSL lightness of a dot.
EDGE_RGBA = (16, 16, 16, 235)
HALO_RGBA = (255, 255, 255, 175)
DOT_LIGHTNESS = 0.55


def cloud_layers(color: str, size: float = DOT_SIZE) -> list[tuple[tuple[int, int, int, int], float]]:
    """The three layers of a swarm's dots, painted in order: (RGBA 0..255, diameter in pixels) each.

    Halo, dark edge, then the dot in the ball's colour lifted to at least DOT_LIGHTNESS.
    """
    dot = pg.mkColor(palette.readable_on_dark(color, DOT_LIGHTNESS))
    return [(HALO_RGBA, size + HALO_WIDTH + EDGE_WIDTH), (EDGE_RGBA, size + EDGE_WIDTH),
            ((dot.red(), dot.green(), dot.blue(), 255), size)]


class PointCloudItem(CachedBoundsItem):
    """Dots of ``size`` pixels in ``color`` at (n, 2) data positions, with an edge and a halo (module docstring)."""

    def __init__(self, color: str, size: float = DOT_SIZE):
        super().__init__()
        self._rect: QtCore.QRectF | None = None
        self._pens = []
        for rgba, width in cloud_layers(color, size):
            pen = QtGui.QPen(QtGui.QColor(*rgba), float(width))
            pen.setCapStyle(QtCore.Qt.PenCapStyle.RoundCap)
            pen.setCosmetic(True)
            self._pens.append(pen)
        self._polygon = QtGui.QPolygonF()
        self._positions = np.empty((0, 2))
        self._bounds = QtCore.QRectF()

    def set_state(self, state) -> None:
        """Show a BallState's particles (a diverged one stays where it stopped, as before)."""
        self.set_points(state.positions)

    def set_points(self, positions: np.ndarray) -> None:
        """Show the particles at ``positions`` (n, 2); non-finite rows (diverged particles) are left out."""
        p = np.asarray(positions, dtype=float).reshape(-1, 2)
        if len(p) > MAX_DRAWN_POINTS:
            p = p[:: int(np.ceil(len(p) / MAX_DRAWN_POINTS))]
        p = p[np.isfinite(p).all(axis=1)]
        self.prepareGeometryChange()
        self._rect = None
        if len(self._polygon) != len(p):
            self._polygon = pg.functions.create_qpolygonf(len(p))
        if len(p):
            pg.functions.ndarray_from_qpolygonf(self._polygon)[:] = p
            lo, hi = p.min(axis=0), p.max(axis=0)
            self._bounds = QtCore.QRectF(lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1])
        else:
            self._bounds = QtCore.QRectF()
        self._positions = p
        self.update()

    @property
    def pens(self) -> list[QtGui.QPen]:
        """The pens of the layers, in painting order: halo, edge, dot."""
        return list(self._pens)

    @property
    def positions(self) -> np.ndarray:
        """The positions drawn (after subsampling and dropping non-finite rows), (m, 2)."""
        return self._positions

    def _bounding_rect(self) -> QtCore.QRectF:
        pixel = self.pixel_extent()
        if pixel is None:
            return QtCore.QRectF(self._bounds)
        pad = self._pens[0].widthF()
        px, py = pixel
        return self._bounds.adjusted(-pad * px, -pad * py, pad * px, pad * py)

    def paint(self, painter: QtGui.QPainter, *_args) -> None:
        if len(self._polygon):
            for pen in self._pens:
                painter.setPen(pen)
                painter.drawPoints(self._polygon)
