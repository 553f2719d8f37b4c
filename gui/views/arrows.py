"""A layer of arrows (or plain segments) drawn in screen pixels over a pyqtgraph ViewBox.

The contour map draws, at every ball, its descent direction, its last step, its velocity and
its curvature directions. They must read from the back of a lecture hall: thick lines with a
dark outline (visible on every colour of the map) and arrowheads of a fixed size in pixels,
whatever the zoom. :class:`ArrowLayer` holds all the arrows of one kind in two arrays and paints
them in one pass; updating it each frame is a ``set_arrows`` call, no item is created.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtGui

from gui.palette import OUTLINE_COLOR
from gui.views.cached_bounds import CachedBoundsItem


class ArrowLayer(CachedBoundsItem):
    """Arrows from ``tails`` to ``tips`` (data coordinates), styled in pixels.

    Args:
        color: the fill colour ("#rrggbb").
        width: shaft width in pixels.
        head: arrowhead length in pixels (0 draws plain segments with round ends).
        dash: draw the shaft dashed (for quantities that are not displacements).
        extend: pixels added at both ends of plain segments, so a segment centred on a ball
            shows its scaled length beyond the ball's marker instead of under it.
    """

    def __init__(self, color: str, width: float = 4.0, head: float = 18.0, dash: bool = False,
                 extend: float = 0.0):
        super().__init__()
        self._rect: QtCore.QRectF | None = None
        self._extend = float(extend)
        self._color = pg.mkColor(color)
        self._width = float(width)
        self._head = float(head)
        self._dash = dash
        self._tails = np.empty((0, 2))
        self._tips = np.empty((0, 2))

    # -- data ----------------------------------------------------------------------------------
    def set_arrows(self, tails: np.ndarray, tips: np.ndarray, within_extent: bool = False) -> None:
        """Replace the arrows: tails and tips are (n, 2) in data coordinates; non-finite rows are skipped.

        ``within_extent``: the caller guarantees every arrow lies in the extent (``set_extent``), so
        their bounds are not measured.
        """
        # One (n, 4) array [tail x, tail y, tip x, tip y]: a few array operations for all of it
        # (this runs every frame for every kind of arrow).
        ends = np.concatenate((tails, tips), axis=1)
        self.set_ends(ends[np.isfinite(ends).all(axis=1)], within_extent)

    def set_ends(self, ends: np.ndarray, within_extent: bool = False) -> None:
        """Replace the arrows by ``ends`` (m, 4): [tail x, tail y, tip x, tip y] per arrow, all finite
        (``within_extent`` as for :meth:`set_arrows`)."""
        self._tails, self._tips = ends[:, :2], ends[:, 2:]
        if within_extent and self._extent is not None:
            self._data_changed_within_extent()
        elif len(ends):
            points = ends.reshape(-1, 2)        # tails and tips alike, one per row
            (x0, y0), (x1, y1) = points.min(axis=0).tolist(), points.max(axis=0).tolist()
            self._data_changed(QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))
        else:
            self._data_changed(QtCore.QRectF())

    def clear(self) -> None:
        self.set_arrows(np.empty((0, 2)), np.empty((0, 2)))

    @property
    def tails(self) -> np.ndarray:
        return self._tails

    @property
    def tips(self) -> np.ndarray:
        return self._tips

    @property
    def color(self) -> QtGui.QColor:
        return QtGui.QColor(self._color)

    def shaft_pen(self) -> QtGui.QPen:
        """The pen of the shafts (in pixels): the layer's colour and width, dashed if asked."""
        pen = QtGui.QPen(self._color, self._width)
        pen.setCapStyle(QtCore.Qt.PenCapStyle.FlatCap if self._head > 0 else QtCore.Qt.PenCapStyle.RoundCap)
        if self._dash:
            pen.setDashPattern([2.0, 1.2])
        return pen

    # -- QGraphicsItem -------------------------------------------------------------------------
    def _bounding_rect(self) -> QtCore.QRectF:
        if not len(self._tails) and not self._within:
            return QtCore.QRectF()
        # Grow by the pixel extent of heads and outlines.
        return self._padded_box(self._head + self._width + self._extend + 4)

    def paint(self, painter: QtGui.QPainter, *_args) -> None:
        if not len(self._tails):
            return
        t = painter.transform()
        matrix = np.array([[t.m11(), t.m12()], [t.m21(), t.m22()]])
        offset = np.array([t.dx(), t.dy()])
        tails = self._tails @ matrix + offset
        tips = self._tips @ matrix + offset
        vectors = tips - tails
        lengths = np.hypot(vectors[:, 0], vectors[:, 1])
        visible = lengths >= 1.5
        if not visible.any():
            return
        tails, tips, vectors, lengths = tails[visible], tips[visible], vectors[visible], lengths[visible]
        units = vectors / lengths[:, None]
        if self._extend:
            tails = tails - units * self._extend
            tips = tips + units * self._extend
            lengths = lengths + 2 * self._extend
        normals = np.column_stack([-units[:, 1], units[:, 0]])
        heads = np.minimum(self._head, 0.6 * lengths) if self._head > 0 else np.zeros_like(lengths)
        # The shaft stops inside the head so its square end does not poke through the tip.
        shaft_ends = tips - units * (0.7 * heads)[:, None]

        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        lines = [QtCore.QLineF(a[0], a[1], b[0], b[1]) for a, b in zip(tails, shaft_ends, strict=True)]
        polygons = []
        if self._head > 0:
            bases = tips - units * heads[:, None]
            left = bases + normals * (0.5 * heads)[:, None]
            right = bases - normals * (0.5 * heads)[:, None]
            polygons = [QtGui.QPolygonF([QtCore.QPointF(*tip), QtCore.QPointF(*a), QtCore.QPointF(*b)])
                        for tip, a, b in zip(tips, left, right, strict=True)]
        cap = QtCore.Qt.PenCapStyle.FlatCap if self._head > 0 else QtCore.Qt.PenCapStyle.RoundCap
        outline = QtGui.QPen(pg.mkColor(OUTLINE_COLOR), self._width + 3.0)
        outline.setCapStyle(cap)
        outline.setJoinStyle(QtCore.Qt.PenJoinStyle.MiterJoin)
        fill = self.shaft_pen()
        painter.setPen(outline)
        painter.drawLines(lines)
        painter.setBrush(pg.mkBrush(OUTLINE_COLOR))
        for polygon in polygons:
            painter.drawPolygon(polygon)
        painter.setPen(fill)
        painter.drawLines(lines)
        painter.setPen(QtGui.QPen(self._color, 1.0))
        painter.setBrush(QtGui.QBrush(self._color))
        for polygon in polygons:
            painter.drawPolygon(polygon)
        painter.restore()
