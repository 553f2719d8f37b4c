"""A swarm's particles as round dots, painted in one call.

pyqtgraph's ScatterPlotItem keeps a record per spot and costs milliseconds to update with
thousands of points; a swarm changes every frame. :class:`PointCloudItem` copies the positions
into one QPolygonF and paints them with ``drawPoints`` and a round pen: a few hundred
microseconds for 20 000 particles.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtGui

#: At most this many particles of a swarm are drawn (an evenly spread subset beyond it).
MAX_DRAWN_POINTS = 20_000


class PointCloudItem(pg.GraphicsObject):
    """Dots of ``size`` pixels in ``color`` at (n, 2) data positions."""

    def __init__(self, color: str, size: float = 4.0, alpha: int = 230, halo: int = 110):
        super().__init__()
        color_value = pg.mkColor(color)
        color_value.setAlpha(alpha)
        self._pen = QtGui.QPen(color_value, float(size))
        self._pen.setCapStyle(QtCore.Qt.PenCapStyle.RoundCap)
        self._pen.setCosmetic(True)
        # A faint light halo under each dot: a swarm whose colour is close to the map's under
        # it (a purple swarm in a dark purple valley) still shows; on bright ground the dots'
        # own colour carries it.
        self._halo = QtGui.QPen(QtGui.QColor(255, 255, 255, halo), float(size) + 2.5)
        self._halo.setCapStyle(QtCore.Qt.PenCapStyle.RoundCap)
        self._halo.setCosmetic(True)
        self._polygon = QtGui.QPolygonF()
        self._positions = np.empty((0, 2))
        self._bounds = QtCore.QRectF()

    def set_points(self, positions: np.ndarray) -> None:
        """Show the particles at ``positions`` (n, 2); non-finite rows (diverged particles) are left out."""
        p = np.asarray(positions, dtype=float).reshape(-1, 2)
        if len(p) > MAX_DRAWN_POINTS:
            p = p[:: int(np.ceil(len(p) / MAX_DRAWN_POINTS))]
        p = p[np.isfinite(p).all(axis=1)]
        self.prepareGeometryChange()
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
    def positions(self) -> np.ndarray:
        """The positions drawn (after subsampling and dropping non-finite rows), (m, 2)."""
        return self._positions

    def boundingRect(self) -> QtCore.QRectF:
        v0, v1 = self.pixelVectors()
        if v0 is None:
            return QtCore.QRectF(self._bounds)
        pad = self._halo.widthF()
        px, py = abs(v0.x()) + abs(v1.x()), abs(v0.y()) + abs(v1.y())
        return self._bounds.adjusted(-pad * px, -pad * py, pad * px, pad * py)

    def viewTransformChanged(self) -> None:
        self.prepareGeometryChange()

    def paint(self, painter: QtGui.QPainter, *_args) -> None:
        if len(self._polygon):
            painter.setPen(self._halo)
            painter.drawPoints(self._polygon)
            painter.setPen(self._pen)
            painter.drawPoints(self._polygon)
