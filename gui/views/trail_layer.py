"""Every ball's trail on the contour map, drawn by one graphics item.

As one pyqtgraph curve per ball, each frame cost eight item updates and eight times Qt's handling
of a changed item (its bounding rectangle asked again, the scene's dirty regions worked out), a
good part of the map's work per frame. The trails change together (each frame adds a point to
each) and always lie in the domain (gui.views.off_map cuts them to it), so one item holds them
all: a frame hands the changed trails their points and asks Qt for one repaint, and the item's
extent, the domain, does not change.

Each trail is drawn as pyqtgraph draws a curve with a shadow pen: the dark outline, then the
ball's colour over it, as separate line segments (what pyqtgraph does for opaque solid pens wider
than a pixel, the trails' case) or else as a path, without antialiasing, in the balls' order (a
later trail passes over an earlier one, as a later item did). pyqtgraph's own functions turn the
points into segments and paths, so the pixels are the ones a PlotCurveItem would paint.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtGui
from pyqtgraph.graphicsItems.PlotCurveItem import arrayToLineSegments

from gui.views.cached_bounds import CachedBoundsItem
from gui.views.curve_painting import paints_as_segments


class Trail:
    """One ball's trail as the layer draws it, readable like a curve (``getData``, ``opts``, ``isVisible``).

    Attributes:
        pen, shadow: the colour's pen and the outline's pen drawn under it.
        shown: whether the ball's trail is drawn (a hidden ball's is not).
    """

    __slots__ = ("x", "y", "connect", "pen", "shadow", "shown", "_layer", "_segments", "_segments_current", "_path")

    def __init__(self, layer: TrailLayer, pen: QtGui.QPen, shadow: QtGui.QPen, shown: bool):
        self._layer = layer
        self.pen = pen
        self.shadow = shadow
        self.shown = shown
        self.x = np.empty(0)
        self.y = np.empty(0)
        self.connect = "all"
        # What is painted, made from the points at paint time when missing (new points drop it):
        # pyqtgraph's segment buffer (reused from frame to frame) or a path.
        self._segments = None
        self._segments_current = False
        self._path: QtGui.QPainterPath | None = None

    def getData(self) -> tuple[np.ndarray, np.ndarray]:  # noqa: N802 (as pyqtgraph's curves)
        return self.x, self.y

    @property
    def opts(self) -> dict[str, object]:
        return {"pen": self.pen, "shadowPen": self.shadow, "connect": self.connect}

    def isVisible(self) -> bool:  # noqa: N802 (as Qt's items)
        return self.shown and self._layer.isVisible()

    def dataBounds(self, axis: int) -> tuple[float, float] | tuple[None, None]:  # noqa: N802
        """The extent the layer draws this trail in along ``axis`` (the box; None before there is one)."""
        box = self._layer.box
        return (None, None) if box is None else (float(box[0][axis]), float(box[1][axis]))

    def set_points(self, x: np.ndarray, y: np.ndarray, connect: str) -> None:
        self.x, self.y, self.connect = x, y, connect
        self._segments_current = False
        self._path = None

    def paint(self, painter: QtGui.QPainter) -> None:
        """The outline, then the colour (as pyqtgraph paints a curve with a shadow pen)."""
        for pen in (self.shadow, self.pen):
            if pen.style() == QtCore.Qt.PenStyle.NoPen:
                continue
            painter.setPen(pen)
            if paints_as_segments(pen):
                if not self._segments_current:
                    self._segments = arrayToLineSegments(self.x, self.y, connect=self.connect, finiteCheck=False,
                                                         out=self._segments)
                    self._segments_current = True
                painter.drawLines(*self._segments.drawargs())
            else:
                if self._path is None:
                    self._path = pg.arrayToQPath(self.x, self.y, connect=self.connect, finiteCheck=False)
                painter.drawPath(self._path)


class TrailLayer(CachedBoundsItem):
    """The map's trails, one :class:`Trail` per ball, in one item (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self.trails: list[Trail] = []
        self.box: tuple[np.ndarray, np.ndarray] | None = None
        self._bounds = QtCore.QRectF()

    # -- data ----------------------------------------------------------------------------------
    def set_trails(self, styles: list[tuple[QtGui.QPen, QtGui.QPen, bool]]) -> None:
        """One empty trail per ball: (pen, shadow pen, shown) each."""
        self.trails = [Trail(self, pen, shadow, shown) for pen, shadow, shown in styles]
        self._geometry_changed()

    def set_style(self, index: int, pen: QtGui.QPen, shadow: QtGui.QPen) -> None:
        trail = self.trails[index]
        trail.pen, trail.shadow = pen, shadow
        self._geometry_changed()   # the widest pen pads the bounds

    def set_box(self, lo: np.ndarray | None, hi: np.ndarray | None = None) -> None:
        """The domain (lo, hi corners, each (2,)): every trail lies in it, so it is the layer's extent."""
        self.box = None if lo is None else (np.asarray(lo, dtype=float), np.asarray(hi, dtype=float))
        if self.box is None:
            self._bounds = QtCore.QRectF()
        else:
            (x0, y0), (x1, y1) = self.box[0].tolist(), self.box[1].tolist()
            self._bounds = QtCore.QRectF(x0, y0, x1 - x0, y1 - y0)
        self._geometry_changed()

    def set_points(self, index: int, x: np.ndarray, y: np.ndarray, connect: str = "all") -> None:
        """Trail ``index``'s points (n,) each, finite, within the box; ``connect`` "all" (a polyline)
        or "pairs" (rows 2j, 2j + 1 are a separate segment). Shown at the next paint; call
        :meth:`changed` once after the frame's trails are set."""
        if connect not in ("all", "pairs"):
            raise ValueError(f"connect must be 'all' or 'pairs', not {connect!r}")
        self.trails[index].set_points(x, y, connect)

    def changed(self) -> None:
        """Repaint: some trails have new points (their extent, the box, is the same)."""
        self.update()

    def _geometry_changed(self) -> None:
        self.prepareGeometryChange()
        self._rect = None
        self.update()

    # -- QGraphicsItem -------------------------------------------------------------------------
    def _bounding_rect(self) -> QtCore.QRectF:
        if self._bounds.isNull() or not self.trails:
            return QtCore.QRectF(self._bounds)
        pixel = self.pixel_extent()
        if pixel is None:
            return QtCore.QRectF(self._bounds)
        # The widest pen reaches beyond the points (pyqtgraph pads a curve by 0.7 of its pen's width).
        pad = 0.7072 * max(max(trail.pen.widthF(), trail.shadow.widthF()) for trail in self.trails)
        px, py = pixel[0] * pad, pixel[1] * pad
        return self._bounds.adjusted(-px, -py, px, py)

    def paint(self, painter: QtGui.QPainter, *_args) -> None:
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, False)
        for trail in self.trails:
            if trail.shown and len(trail.x) >= 2:
                trail.paint(painter)

