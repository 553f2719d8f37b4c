"""A large swarm on the map as a density: a 2D histogram painted as a translucent image.

Dots saturate: past a few thousand particles a cloud of dots is one blot, and where half the swarm
sits reads the same as where ten particles do. A swarm of at least :data:`DENSITY_FROM` particles
is therefore drawn as counts per bin (:func:`density_counts`): bins of :data:`BIN_PIXELS` screen
pixels over the part of the map in view (finer when zoomed in), each occupied bin in the ball's
colour (lifted like the dots', gui.palette), mixed towards white and more opaque with
``t = log(1 + count) / log(1 + max count)`` (:func:`density_rgba`), so one particle and ten
thousand in a bin are both visible and still differ. Like the dots (gui.views.point_cloud), the
occupied bins are ringed by a dark edge and a light halo one bin wide each, so the swarm shows on
the map's darkest and brightest colours alike.

Counting is ``np.bincount`` on integer bin indices (``np.histogram2d`` sorts and searches and is
several times slower): a few milliseconds for 100 000 particles. Only active particles count
(a diverged one is gone, not where it stopped); bins follow ``np.histogram2d``'s convention (each
half-open, the last one closed) so the two agree bin for bin.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtGui

from gui import palette
from gui.views.point_cloud import DOT_LIGHTNESS, EDGE_RGBA, HALO_RGBA

#: Swarms of this many particles or more are drawn as a density; smaller ones stay dots.
DENSITY_FROM = 2000
#: Side of a bin in screen pixels.
BIN_PIXELS = 3
#: The most bins along a side (a huge or zoomed window does not make counting slow).
MAX_BINS = 800
#: Opacity of the sparsest and the densest bin, and how far the densest is mixed towards white.
SPARSE_ALPHA = 0.62
DENSE_ALPHA = 0.95
DENSE_WHITE = 0.55


def density_counts(positions: np.ndarray, active: np.ndarray | None, x_range: tuple[float, float],
                   y_range: tuple[float, float], bins: tuple[int, int]) -> np.ndarray:
    """Counts (nx, ny) int64 of the active particles at ``positions`` (n, 2) in ``bins`` equal bins
    over ``x_range`` x ``y_range`` (data units); particles outside the ranges or not finite are
    not counted. Bin i along x holds ``x0 + i w <= x < x0 + (i + 1) w``, the last one also x = x1
    (``np.histogram2d``'s bins)."""
    nx, ny = int(bins[0]), int(bins[1])
    p = np.asarray(positions, dtype=np.float64).reshape(-1, 2)
    (x0, x1), (y0, y1) = x_range, y_range
    # Scaled coordinates: bin i is [i, i + 1). Non-finite rows fail every comparison below.
    u = (p[:, 0] - x0) * (nx / (x1 - x0))
    v = (p[:, 1] - y0) * (ny / (y1 - y0))
    keep = (u >= 0) & (u <= nx) & (v >= 0) & (v <= ny)
    if active is not None:
        keep &= np.asarray(active, dtype=bool)
    i = np.minimum(u[keep].astype(np.int64), nx - 1)
    j = np.minimum(v[keep].astype(np.int64), ny - 1)
    return np.bincount(i * ny + j, minlength=nx * ny).reshape(nx, ny)


def _grow(mask: np.ndarray) -> np.ndarray:
    """``mask`` (nx, ny) bool and its eight neighbours' (a dilation by one bin)."""
    grown = mask.copy()
    grown[1:, :] |= mask[:-1, :]
    grown[:-1, :] |= mask[1:, :]
    wide = grown.copy()
    wide[:, 1:] |= grown[:, :-1]
    wide[:, :-1] |= grown[:, 1:]
    return wide


def density_rgba(counts: np.ndarray, color: str) -> np.ndarray:
    """Premultiplied RGBA (ny, nx, 4) uint8, row 0 at the bottom (y0), of ``counts`` (nx, ny) in
    ``color`` ("#rrggbb"): the module docstring's ramp, with the edge and the halo around it."""
    nx, ny = counts.shape
    occupied = counts > 0
    rgba = np.zeros((nx, ny, 4), dtype=np.float32)
    if occupied.any():
        edge = _grow(occupied)
        halo = _grow(edge) & ~edge
        edge &= ~occupied
        for ring, (r, g, b, a) in ((halo, HALO_RGBA), (edge, EDGE_RGBA)):
            rgba[ring] = (r, g, b, a)
        dot = pg.mkColor(palette.readable_on_dark(color, DOT_LIGHTNESS))
        base = np.array([dot.red(), dot.green(), dot.blue()], dtype=np.float32)
        filled = counts[occupied]
        t = (np.log1p(filled) / np.log1p(filled.max())).astype(np.float32)[:, None]
        rgb = base + (255.0 - base) * (DENSE_WHITE * t)
        alpha = 255.0 * (SPARSE_ALPHA + (DENSE_ALPHA - SPARSE_ALPHA) * t)
        rgba[occupied] = np.concatenate([rgb, alpha], axis=1)
    rgba[..., :3] *= rgba[..., 3:] / 255.0   # premultiplied: what QPainter blends without converting
    return np.ascontiguousarray(np.rint(rgba).astype(np.uint8).transpose(1, 0, 2))


class SwarmDensityItem(pg.GraphicsObject):
    """A swarm drawn as its density over the part of the map in view (module docstring).

    Same use as gui.views.point_cloud.PointCloudItem: ``set_state(state)`` each step. It bins
    again by itself when the view is panned, zoomed or resized.
    """

    def __init__(self, color: str):
        super().__init__()
        self._color = color
        self._positions = np.empty((0, 2))
        self._active: np.ndarray | None = None
        self._image: QtGui.QImage | None = None
        self._rect = QtCore.QRectF()
        self.counts = np.zeros((0, 0), dtype=np.int64)
        #: The counts' ranges ((x0, x1), (y0, y1)), data units.
        self.ranges: tuple[tuple[float, float], tuple[float, float]] = ((0.0, 1.0), (0.0, 1.0))

    def set_state(self, state) -> None:
        """Show a BallState's active particles."""
        self.set_points(state.positions, state.active)

    def set_points(self, positions: np.ndarray, active: np.ndarray | None = None) -> None:
        """Show the particles at ``positions`` (n, 2) whose ``active`` (n,) is True (all if None)."""
        self._positions = np.asarray(positions, dtype=np.float64).reshape(-1, 2)
        self._active = None if active is None else np.asarray(active, dtype=bool)
        self._bin()

    @property
    def positions(self) -> np.ndarray:
        """The positions last given, (n, 2)."""
        return self._positions

    def bins_for_view(self) -> tuple[tuple[tuple[float, float], tuple[float, float]], tuple[int, int]] | None:
        """((x range), (y range)) of the view and the bins over it (BIN_PIXELS each), or None before it is shown."""
        view = self.getViewBox()
        if not isinstance(view, pg.ViewBox):
            return None  # (not yet in a plot: pyqtgraph answers with the GraphicsView, or None)
        (x0, x1), (y0, y1) = view.viewRange()
        size = view.sceneBoundingRect()
        width, height = size.width(), size.height()
        if not (width > 1 and height > 1 and x1 > x0 and y1 > y0):
            return None
        nx = int(min(MAX_BINS, max(1, round(width / BIN_PIXELS))))
        ny = int(min(MAX_BINS, max(1, round(height / BIN_PIXELS))))
        return ((float(x0), float(x1)), (float(y0), float(y1))), (nx, ny)

    def _bin(self) -> None:
        where = self.bins_for_view()
        if where is None or not len(self._positions):
            self._set_rect(QtCore.QRectF())
            self._image = None
            self.counts = np.zeros((0, 0), dtype=np.int64)
            self.update()
            return
        (x_range, y_range), bins = where
        self.ranges = (x_range, y_range)
        self.counts = density_counts(self._positions, self._active, x_range, y_range, bins)
        self._pixels = density_rgba(self.counts, self._color)   # kept: the QImage shares its memory
        height, width = self._pixels.shape[:2]
        self._image = QtGui.QImage(self._pixels.data, width, height, 4 * width,
                                   QtGui.QImage.Format.Format_RGBA8888_Premultiplied)
        self._set_rect(QtCore.QRectF(x_range[0], y_range[0], x_range[1] - x_range[0], y_range[1] - y_range[0]))
        self.update()

    def _set_rect(self, rect: QtCore.QRectF) -> None:
        # The rectangle is the view's: it changes with a pan or zoom, not with a step, and a change of
        # geometry costs Qt far more than a repaint.
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect

    def viewRangeChanged(self) -> None:  # noqa: N802 - pyqtgraph's hook: panned or zoomed
        self._bin()

    def viewTransformChanged(self) -> None:  # noqa: N802 - pyqtgraph's hook: resized
        self._bin()

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802
        return QtCore.QRectF(self._rect)

    def paint(self, painter: QtGui.QPainter, *_args) -> None:
        if self._image is None:
            return
        # Row 0 of the image is y0: the image's first row is drawn at the rectangle's least y, which the
        # view (y up) shows at the bottom, as pyqtgraph's ImageItem does.
        painter.drawImage(self._rect, self._image)
