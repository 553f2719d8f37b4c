"""A pyqtgraph curve told its extent instead of scanning its points for it after every update.

``PlotCurveItem.setData`` forgets the curve's bounds; the next time Qt or the ViewBox asks for
them (every frame, for a curve that changes every frame) pyqtgraph scans all the points with
``nanmin`` / ``nanmax``, both axes, and pads the rectangle by the pen's width, which it converts
to data units by mapping a pixel through the item's device transform: with a dozen curves of a
thousand points that is a good part of a frame's work. The code that feeds a curve usually knows
its extent already, for free: a trail cut to the domain lies in the domain, a telemetry series
keeps its running minimum and maximum (gui.panels.series).

:class:`BoundedCurve` takes those bounds (:meth:`set_bounds`, or with the points in one call,
:meth:`set_curve`) and answers from them; asked for something else (a percentile of the data, the part
within a range of the other axis), it scans the points as pyqtgraph does. The size of a pixel in
data units, which the padding needs, is remembered until the view's transform changes (zoom,
pan, resize: ``viewTransformChanged``), and the padding in pixels until the pens change, so a
bounding rectangle after new points costs a few multiplications.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore

Bounds = tuple[tuple[float, float], tuple[float, float]] | None


class BoundedCurve(pg.PlotCurveItem):
    """A PlotCurveItem whose full data bounds are given (:meth:`set_bounds`), not computed from its points."""

    _given: Bounds = None   # until set_bounds: pyqtgraph's own scan
    _extent: Bounds = None  # the given bounds loosened (loose_interval): what the bounding rectangle holds
    _pixel: tuple[float, float] | None = None   # data units per pixel along x and y, until the view changes
    _padding: float | None = None   # pixels the pens reach beyond the points, until the pens change

    def set_bounds(self, x: tuple[float, float] | None, y: tuple[float, float] | None) -> None:
        """(low, high) along each axis containing every finite coordinate on it; None where there is none
        (an empty curve, or one whose values are all gaps). Looser bounds are allowed (the item is
        then repainted over a larger area).
        """
        self.prepareGeometryChange()
        self._given = (_axis(x), _axis(y))
        self._extent = _loosened(self._given)
        self.invalidateBounds()

    def set_curve(self, x: np.ndarray, y: np.ndarray, x_bounds: tuple[float, float] | None,
                  y_bounds: tuple[float, float] | None, connect: str = "all", inform_view: bool = True) -> None:
        """New points and their bounds at once (:meth:`set_points` and :meth:`set_bounds`).

        The bounding rectangle holds the bounds loosened (:func:`loose_interval`), so for a curve
        that grows a little at a time it stays the same for many updates, and Qt need not be told
        of a change of geometry (which costs it more than the update itself): only a repaint.
        """
        self._given = (_axis(x_bounds), _axis(y_bounds))
        extent = _loosened(self._given)
        if extent != self._extent:
            self.prepareGeometryChange()
            self._extent = extent
            self._boundingRect = None
        self.set_points(x, y, connect, inform_view, geometry=False)

    def set_points(self, x: np.ndarray, y: np.ndarray, connect: str = "all", inform_view: bool = True,
                   geometry: bool = True) -> None:
        """``setData(x, y, connect=connect)`` for two float arrays (n,), the given bounds kept.

        It does what ``PlotCurveItem.updateData`` does with such arguments, without the parsing
        of its many other options, which costs more than the rest for a curve updated every
        frame (tests/gui/test_views.py holds it to ``setData``'s result).

        ``inform_view=False`` leaves out telling the ViewBox that the curve's extent changed (all
        it does is ask the view to fit its range again at the next paint): a caller updating many
        curves of one view tells it once (``informViewBoundsChanged`` of one of them); a curve
        added with ``ignoreBounds`` never moves its view at all. ``geometry=False``: the caller
        took care of the bounding rectangle (:meth:`set_curve`).
        """
        x = x.view(np.ndarray)
        y = y.view(np.ndarray)
        if x.shape != y.shape or x.ndim != 1:
            raise ValueError(f"x and y must be 1D arrays of the same shape, not {x.shape} and {y.shape}")
        self.xData = x
        self.yData = y
        self.opts["connect"] = connect
        self._boundsCache = [None, None]   # (invalidateBounds(), inline: this runs for every curve, every frame)
        if geometry:
            self.prepareGeometryChange()
            self._boundingRect = None
        if inform_view:
            self.informViewBoundsChanged()
        self.path = None
        self.fillPath = None
        self._fillPathList = None
        self._mouseShape = None
        self._lineSegmentsRendered = False
        self.update()
        self.sigPlotChanged.emit(self)

    def forget_bounds(self) -> None:
        """Compute the bounds from the points again (pyqtgraph's own way)."""
        self.prepareGeometryChange()
        self._given = self._extent = None
        self.invalidateBounds()

    def dataBounds(self, ax: int, frac: float = 1.0, orthoRange=None):  # noqa: N802, N803 (pyqtgraph's names)
        if self._given is not None and frac >= 1.0 and orthoRange is None and ax in (0, 1):
            return self._given[ax]
        return super().dataBounds(ax, frac, orthoRange)

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt's name)
        extent = self._extent
        if extent is None:
            return super().boundingRect()
        rect = self._boundingRect
        if rect is None:
            (x_low, x_high), (y_low, y_high) = extent
            if x_low is None or y_low is None:
                return QtCore.QRectF()
            padding = self._padding
            if padding is None:
                padding = self._padding = self.pixelPadding()
            px = py = 0.0
            if padding > 0:
                pixel = self._pixel
                if pixel is None:
                    pixel = self._pixel = self._pixel_size()
                if pixel is not None:
                    px, py = pixel[0] * padding, pixel[1] * padding
            rect = self._boundingRect = QtCore.QRectF(x_low - px, y_low - py, x_high - x_low + 2 * px,
                                                      y_high - y_low + 2 * py)
        return rect

    def _pixel_size(self) -> tuple[float, float] | None:
        """Data units per pixel along x and y, as pyqtgraph pads by; None while the item is not shown
        in a view yet (nothing to remember: the rectangle goes unpadded until it is)."""
        px, py = self.pixelVectors()
        if px is None or py is None:
            return None
        try:
            return (px.length(), py.length())
        except OverflowError:
            return (0.0, 0.0)

    def viewTransformChanged(self) -> None:  # noqa: N802 (pyqtgraph's name)
        self._pixel = None
        super().viewTransformChanged()

    def setPen(self, *args, **kwargs) -> None:  # noqa: N802 (pyqtgraph's name)
        self._padding = None
        super().setPen(*args, **kwargs)

    def setShadowPen(self, *args, **kwargs) -> None:  # noqa: N802 (pyqtgraph's name)
        self._padding = None
        super().setShadowPen(*args, **kwargs)

    def setClickable(self, *args, **kwargs) -> None:  # noqa: N802 (pyqtgraph's name)
        self._padding = None
        super().setClickable(*args, **kwargs)


def loose_interval(low: float, high: float) -> tuple[float, float]:
    """[low, high] widened to multiples of a power of two q, with a step of q to spare on each side.

    q is the smallest power of two at least a quarter of the interval's length (or of a millionth
    of its magnitude, if more), so the result is at most about three times as long as the
    interval, and stays the same while the interval grows or shifts by less than q: a curve that
    gains a point at a time changes it once in many updates. (An interval near the largest
    float is returned as it is.)
    """
    size = max(high - low, 2.0 ** -20 * max(abs(low), abs(high)))
    q = 2.0 ** math.ceil(math.log2(size / 4.0)) if size > 0 else 1.0
    loose = ((math.floor(low / q) - 1.0) * q, (math.ceil(high / q) + 1.0) * q)
    return loose if math.isfinite(loose[0]) and math.isfinite(loose[1]) else (low, high)


def _loosened(bounds: Bounds) -> Bounds:
    if bounds is None:
        return None
    return tuple((None, None) if low is None else loose_interval(low, high) for low, high in bounds)


def _axis(bounds: tuple[float, float] | None) -> tuple[float, float] | tuple[None, None]:
    if bounds is None or not (math.isfinite(bounds[0]) and math.isfinite(bounds[1])):
        return (None, None)
    return (float(bounds[0]), float(bounds[1]))
