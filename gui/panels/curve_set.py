"""The curves of one plot that share a stacking level, drawn by one graphics item.

A panel draws a curve per ball and series, 16 to 24 of them in one panel. As one pyqtgraph
``PlotCurveItem`` each, every refresh cost 48 item updates across the panels, and for each Qt's
handling of a changed item (the bounding rectangle asked again, the scene's dirty regions worked
out): more than taking in the new steps. A :class:`CurveSet` holds the curves of one plot at one
stacking level (z) whose pens reach equally far beyond their points; a refresh hands each curve
its points (:meth:`CurveSet.set_curve`, no Qt call) and then tells Qt and the view once
(:meth:`CurveSet.changed`).

What the user sees is what the separate curves showed:

- Painting: each curve as pyqtgraph paints a ``PlotCurveItem`` with ``connect="finite"`` and no
  antialiasing, with pyqtgraph's own functions (separate segments for an opaque solid pen wider
  than a pixel, else a path), in the order the curves were added, as items at the same z were.
  Sets stack by their z like the items did.
- The view's range: a set reports the union of its curves' extents and their pens' reach in
  pixels (``dataBounds``, ``pixelPadding``, which pyqtgraph's ViewBox reads from every item); the
  curves of a set all reach as far, so the range is the one the separate items gave.
- The bounding rectangle holds that extent loosened (gui.views.bounded_curve.loose_interval): it
  stays the same for many refreshes, so Qt is seldom told of a change of geometry.

Each curve (:class:`SetCurve`) reads like the item it replaces: ``getData()``, ``opts["pen"]``,
``dataBounds(axis)``, ``isVisible()``, ``zValue()``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtGui
from pyqtgraph.graphicsItems.PlotCurveItem import arrayToLineSegments

from gui.views.bounded_curve import loose_interval
from gui.views.cached_bounds import CachedBoundsItem
from gui.views.curve_painting import paints_as_segments

Interval = tuple[float, float] | tuple[None, None]


def pen_reach(pen: QtGui.QPen) -> float:
    """Pixels a cosmetic pen reaches beyond a curve's points (PlotCurveItem.pixelPadding's rule)."""
    if pen.isCosmetic() and pen.style() != QtCore.Qt.PenStyle.NoPen:
        return pen.widthF() * 0.7072
    return 0.0


class SetCurve:
    """One curve of a :class:`CurveSet`: its points (plot coordinates), pen and extent."""

    __slots__ = ("x", "y", "pen", "bounds", "_set", "_segments", "_segments_current", "_path")

    def __init__(self, curve_set: CurveSet, pen: QtGui.QPen):
        self._set = curve_set
        self.pen = pen
        self.x = np.empty(0)
        self.y = np.empty(0)
        self.bounds: tuple[Interval, Interval] = ((None, None), (None, None))
        # What is painted, made from the points at paint time when missing (new points drop it):
        # pyqtgraph's segment buffer (reused from refresh to refresh) or a path.
        self._segments = None
        self._segments_current = False
        self._path: QtGui.QPainterPath | None = None

    # -- read like a PlotCurveItem -------------------------------------------------------------
    def getData(self) -> tuple[np.ndarray, np.ndarray]:  # noqa: N802 (pyqtgraph's name)
        return self.x, self.y

    @property
    def opts(self) -> dict[str, object]:
        return {"pen": self.pen, "connect": "finite", "antialias": False}

    def isVisible(self) -> bool:  # noqa: N802 (Qt's name)
        return self._set.isVisible()

    def zValue(self) -> float:  # noqa: N802 (Qt's name)
        return self._set.zValue()

    def dataBounds(self, ax: int, frac: float = 1.0, orthoRange=None) -> Interval:  # noqa: N802, N803
        """The extent along ``ax`` (the given one; anything but the whole extent: from the points, as pyqtgraph)."""
        if frac >= 1.0 and orthoRange is None:
            return self.bounds[ax]
        return _scanned_bounds(self.x, self.y, ax, frac, orthoRange)

    # -- drawing ---------------------------------------------------------------------------------
    def paint(self, painter: QtGui.QPainter) -> None:
        if not len(self.x):
            return
        pen = self.pen
        if pen.style() == QtCore.Qt.PenStyle.NoPen:
            return
        painter.setPen(pen)
        if paints_as_segments(pen):
            if not self._segments_current:
                self._segments = arrayToLineSegments(self.x, self.y, connect="finite", finiteCheck=True,
                                                     out=self._segments)
                self._segments_current = True
            painter.drawLines(*self._segments.drawargs())
        else:
            if self._path is None:
                self._path = pg.arrayToQPath(self.x, self.y, connect="finite", finiteCheck=True)
            painter.drawPath(self._path)


class CurveSet(CachedBoundsItem):
    """Curves of one plot at one z whose pens reach ``reach`` pixels, in one item (module docstring)."""

    def __init__(self, z: float, reach: float):
        super().__init__()
        self.setZValue(z)
        self.reach = reach
        self.curves: list[SetCurve] = []
        self._union: tuple[Interval, Interval] = ((None, None), (None, None))
        self._extent: tuple[Interval, Interval] = ((None, None), (None, None))

    # -- curves ----------------------------------------------------------------------------------
    def add(self, pen: QtGui.QPen) -> SetCurve:
        """A new, empty curve, painted over the set's others."""
        curve = SetCurve(self, pen)
        self.curves.append(curve)
        return curve

    def remove(self, curve: SetCurve) -> None:
        self.curves.remove(curve)
        self.changed()

    def set_pen(self, curve: SetCurve, pen: QtGui.QPen) -> None:
        """A new pen (reaching as far as the set's: ``reach``)."""
        curve.pen = pen
        curve._segments_current = False
        curve._path = None
        self.update()

    def set_curve(self, curve: SetCurve, x: np.ndarray, y: np.ndarray, x_bounds: tuple[float, float] | None,
                  y_bounds: tuple[float, float] | None) -> None:
        """A curve's points (n,) each, in plot coordinates (NaN breaks the line), and their extent along
        each axis (None where there is none). Shown after :meth:`changed`."""
        if x.shape != y.shape or x.ndim != 1:
            raise ValueError(f"x and y must be 1D arrays of the same shape, not {x.shape} and {y.shape}")
        curve.x, curve.y = x, y
        curve.bounds = (_interval(x_bounds), _interval(y_bounds))
        curve._segments_current = False
        curve._path = None

    def changed(self) -> None:
        """Some curves changed: a new extent for the view to fit, and a repaint."""
        union = (_union(curve.bounds[0] for curve in self.curves), _union(curve.bounds[1] for curve in self.curves))
        extent = tuple((None, None) if low is None else loose_interval(low, high) for low, high in union)
        if extent != self._extent:
            self.prepareGeometryChange()
            self._extent = extent
            self._rect = None
        self._union = union
        self.informViewBoundsChanged()
        self.update()

    # -- what pyqtgraph's ViewBox asks of its items -------------------------------------------------
    def dataBounds(self, ax: int, frac: float = 1.0, orthoRange=None) -> Interval:  # noqa: N802, N803
        if frac >= 1.0 and orthoRange is None:
            return self._union[ax]
        return _union(curve.dataBounds(ax, frac, orthoRange) for curve in self.curves)

    def pixelPadding(self) -> float:  # noqa: N802 (pyqtgraph's name)
        return self.reach

    # -- QGraphicsItem -----------------------------------------------------------------------------
    def _bounding_rect(self) -> QtCore.QRectF:
        (x0, x1), (y0, y1) = self._extent
        if x0 is None or y0 is None:
            return QtCore.QRectF()
        pixel = self.pixel_extent()
        px, py = (0.0, 0.0) if pixel is None else (pixel[0] * self.reach, pixel[1] * self.reach)
        return QtCore.QRectF(x0 - px, y0 - py, x1 - x0 + 2 * px, y1 - y0 + 2 * py)

    def paint(self, painter: QtGui.QPainter, *_args) -> None:
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, False)
        for curve in self.curves:
            curve.paint(painter)


def _interval(bounds: tuple[float, float] | None) -> Interval:
    if bounds is None or not (math.isfinite(bounds[0]) and math.isfinite(bounds[1])):
        return (None, None)
    return (float(bounds[0]), float(bounds[1]))


def _union(intervals) -> Interval:
    low = high = None
    for a, b in intervals:
        if a is None or b is None:
            continue
        low = a if low is None or a < low else low
        high = b if high is None or b > high else high
    return (low, high)


def _scanned_bounds(x: np.ndarray, y: np.ndarray, ax: int, frac: float, ortho_range) -> Interval:
    """PlotCurveItem.dataBounds from the points, for a part of the range (a percentile, or within a range
    of the other axis)."""
    d, other = (x, y) if ax == 0 else (y, x)
    if ortho_range is not None:
        d = d[(other >= ortho_range[0]) & (other <= ortho_range[1])]
    d = d[np.isfinite(d)]
    if not len(d):
        return (None, None)
    if frac >= 1.0:
        return (float(d.min()), float(d.max()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        low, high = np.percentile(d, [50 * (1 - frac), 50 * (1 + frac)])
    return (float(low), float(high))

