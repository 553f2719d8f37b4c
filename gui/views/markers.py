"""Round markers of a few balls, sized in pixels, moved every frame for the price of one array copy.

pyqtgraph's ScatterPlotItem re-renders a symbol per point and rebuilds its spot records on every
``setData`` (milliseconds for eight balls); the map moves its balls every frame. A
:class:`MarkerLayer` keeps the colours and sizes, which change only when the balls do, apart
from the positions, which change every frame, and paints plain circles.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtGui

from gui.views.cached_bounds import CachedBoundsItem


class MarkerLayer(CachedBoundsItem):
    """Circles at data positions: filled (balls) or hollow rings (start points).

    Args:
        hollow: draw rings of ``ring_width`` pixels in each marker's colour instead of discs.
        outline: colour of the dark edge drawn around every marker for contrast.
    """

    def __init__(self, hollow: bool = False, ring_width: float = 3.5, outline: str = "#101010"):
        super().__init__()
        self._rect: QtCore.QRectF | None = None
        self._hollow = hollow
        self._ring_width = float(ring_width)
        self._outline = pg.mkColor(outline)
        self._halo = QtGui.QColor(255, 255, 255, 200)
        self._positions = np.empty((0, 2))
        self._colors: list[QtGui.QColor] = []
        self._edges: list[QtGui.QColor] = []
        self._sizes = np.empty(0)
        self._indices = np.empty(0, dtype=int)
        self._shapes: list[str] = []

    def set_style(self, colors: list[str], sizes: np.ndarray | list[float], edges: list[str] | None = None,
                  indices: np.ndarray | list[int] | None = None, shapes: list[str] | None = None) -> None:
        """Colour, diameter (pixels) and edge colour of each marker, the ball index each stands for, and
        optionally each marker's shape (a name of :data:`SHAPES`; discs without)."""
        self._colors = [pg.mkColor(c) for c in colors]
        self._edges = [pg.mkColor(c) for c in edges] if edges is not None else [self._outline] * len(colors)
        self._sizes = np.asarray(sizes, dtype=float)
        self._indices = np.arange(len(colors)) if indices is None else np.asarray(indices, dtype=int)
        self._shapes = list(shapes) if shapes is not None else []
        self.prepareGeometryChange()   # the sizes pad the bounds
        self._rect = None
        self.update()

    def set_positions(self, positions: np.ndarray, within_extent: bool = False) -> None:
        """(n, 2) data positions, one per styled marker; a non-finite row hides that marker.

        ``within_extent``: the caller guarantees the finite positions lie in the extent (``set_extent``),
        so their bounds are not measured.
        """
        p = np.asarray(positions, dtype=float).reshape(-1, 2)
        self._positions = p.copy()
        if within_extent and self._extent is not None:
            self._data_changed_within_extent()
            return
        finite = p[np.isfinite(p).all(axis=1)]
        if len(finite):
            (x0, y0), (x1, y1) = finite.min(axis=0).tolist(), finite.max(axis=0).tolist()
            self._data_changed(QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))
        else:
            self._data_changed(QtCore.QRectF())

    @property
    def positions(self) -> np.ndarray:
        return self._positions.copy()

    @property
    def indices(self) -> np.ndarray:
        """The ball index of each marker."""
        return self._indices.copy()

    @property
    def sizes(self) -> np.ndarray:
        return self._sizes.copy()

    def _bounding_rect(self) -> QtCore.QRectF:
        if not len(self._positions) and not self._within:
            return QtCore.QRectF(self._bounds)
        return self._padded_box((float(self._sizes.max()) if len(self._sizes) else 0.0) / 2 + self._ring_width + 4)

    def paint(self, painter: QtGui.QPainter, *_args) -> None:
        count = min(len(self._positions), len(self._colors))
        if not count:
            return
        t = painter.transform()
        matrix = np.array([[t.m11(), t.m12()], [t.m21(), t.m22()]])
        device = self._positions[:count] @ matrix + np.array([t.dx(), t.dy()])
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        for k, ((x, y), color, edge, size) in enumerate(zip(device, self._colors, self._edges, self._sizes,
                                                            strict=False)):
            if not (np.isfinite(x) and np.isfinite(y)):
                continue
            r = size / 2
            centre = QtCore.QPointF(x, y)
            shape = self._shapes[k] if k < len(self._shapes) else "disc"
            if self._hollow:
                painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
                painter.setPen(QtGui.QPen(edge, self._ring_width + 3))
                painter.drawEllipse(centre, r, r)
                painter.setPen(QtGui.QPen(color, self._ring_width))
                painter.drawEllipse(centre, r, r)
            elif shape != "disc":
                path = shape_path(shape, centre, r)
                painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
                painter.setPen(QtGui.QPen(self._halo, 7.0))  # the light ring, 2 px outside the dark edge
                painter.drawPath(path)
                painter.setBrush(QtGui.QBrush(color))
                painter.setPen(QtGui.QPen(edge, 2.5))
                painter.drawPath(path)
            else:
                # A light ring outside the dark edge: one of the two contrasts with any ground.
                painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
                painter.setPen(QtGui.QPen(self._halo, 2.0))
                painter.drawEllipse(centre, r + 2.0, r + 2.0)
                painter.setBrush(QtGui.QBrush(color))
                painter.setPen(QtGui.QPen(edge, 2.5))
                painter.drawEllipse(centre, r, r)
        painter.restore()


#: Marker shapes, one per ball in turn (presentation mode gives each ball its own, so that no
#: meaning rests on colour alone). No triangles, crosses or stars: the map's critical points
#: are drawn as those (gui.palette.CRITICAL_SYMBOLS).
SHAPES: tuple[str, ...] = ("disc", "square", "diamond", "hexagon", "pentagon", "octagon")

#: Corners and starting angle (degrees, 0 = pointing right, counted clockwise on screen) of each
#: polygon, and its circumradius as a multiple of the marker's radius (about the disc's area).
_POLYGONS: dict[str, tuple[int, float, float]] = {
    "square": (4, 45.0, 1.25),
    "diamond": (4, 0.0, 1.3),
    "hexagon": (6, 0.0, 1.1),
    "pentagon": (5, -90.0, 1.15),
    "octagon": (8, 22.5, 1.05),
}


def shape_path(shape: str, centre: QtCore.QPointF, radius: float) -> QtGui.QPainterPath:
    """The outline of a marker of ``shape`` (a name of SHAPES) around ``centre``, ``radius`` pixels."""
    path = QtGui.QPainterPath()
    if shape not in _POLYGONS:
        path.addEllipse(centre, radius, radius)
        return path
    corners, start, scale = _POLYGONS[shape]
    angles = np.radians(start + 360.0 / corners * np.arange(corners))
    points = [QtCore.QPointF(centre.x() + scale * radius * np.cos(a), centre.y() + scale * radius * np.sin(a))
              for a in angles]
    path.addPolygon(QtGui.QPolygonF([*points, points[0]]))
    return path


def ball_shape(index: int) -> str:
    """The shape of ball ``index`` (0-based): SHAPES in turn."""
    return SHAPES[index % len(SHAPES)]
