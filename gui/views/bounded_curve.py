"""A pyqtgraph curve told its extent instead of scanning its points for it after every update.

``PlotCurveItem.setData`` forgets the curve's bounds; the next time Qt or the ViewBox asks for
them (every frame, for a curve that changes every frame) pyqtgraph scans all the points with
``nanmin`` / ``nanmax``, both axes: with a dozen curves of a thousand points that is a good part
of a frame's work. The code that feeds a curve usually knows its extent already, for free: a
trail cut to the domain lies in the domain, a telemetry series keeps its running minimum and
maximum (gui.panels.series). :class:`BoundedCurve` takes those bounds with :meth:`set_bounds`
and answers from them; asked for something else (a percentile of the data, the part within a
range of the other axis), it scans the points as pyqtgraph does.
"""

from __future__ import annotations

import math

import pyqtgraph as pg

Bounds = tuple[tuple[float, float], tuple[float, float]] | None


class BoundedCurve(pg.PlotCurveItem):
    """A PlotCurveItem whose full data bounds are given (:meth:`set_bounds`), not computed from its points."""

    _given: Bounds = None   # until set_bounds: pyqtgraph's own scan

    def set_bounds(self, x: tuple[float, float] | None, y: tuple[float, float] | None) -> None:
        """(low, high) along each axis containing every finite coordinate on it; None where there is none
        (an empty curve, or one whose values are all gaps). Looser bounds are allowed (the item is
        then repainted over a larger area).
        """
        self._given = (_axis(x), _axis(y))
        self.invalidateBounds()
        self.prepareGeometryChange()

    def forget_bounds(self) -> None:
        """Compute the bounds from the points again (pyqtgraph's own way)."""
        self._given = None
        self.invalidateBounds()

    def dataBounds(self, ax: int, frac: float = 1.0, orthoRange=None):  # noqa: N802, N803 (pyqtgraph's names)
        if self._given is not None and frac >= 1.0 and orthoRange is None and ax in (0, 1):
            return self._given[ax]
        return super().dataBounds(ax, frac, orthoRange)


def _axis(bounds: tuple[float, float] | None) -> tuple[float, float] | tuple[None, None]:
    if bounds is None or not (math.isfinite(bounds[0]) and math.isfinite(bounds[1])):
        return (None, None)
    return (float(bounds[0]), float(bounds[1]))
