"""A pyqtgraph item base whose bounding rectangle is cached between data and view changes.

Qt asks an item for its bounding rectangle many times a frame; the map's overlay layers pad theirs
by a pixel extent (arrowheads, outlines), which depends only on their data and the view's
transform. Subclasses compute it in ``_bounding_rect()`` and set ``self._rect = None`` whenever
their data change; a change of the view's transform clears it here. The size of a pixel in data
units (:meth:`CachedBoundsItem.pixel_extent`), which the padding needs, is kept until the view's
transform changes too: items that move every frame then pad their new rectangle without mapping a
pixel through the device transform again.

An item whose data normally stay in a known box (the map's balls and arrows stay in and around the
domain) can be given that box (:meth:`CachedBoundsItem.set_extent`): while its data lie in it, its
bounding rectangle is the box's, the same from frame to frame, so new data only ask Qt for a
repaint and not for a change of geometry (which costs Qt much more: the scene's index and its
dirty regions are worked out again). Subclasses report their data's bounds with
:meth:`CachedBoundsItem._data_changed` (or, for data their caller guarantees to lie in the extent,
:meth:`CachedBoundsItem._data_changed_within_extent`, which does not measure them) and pad
:meth:`CachedBoundsItem._padded_box`.
"""

from __future__ import annotations

import pyqtgraph as pg
from PyQt6 import QtCore


class CachedBoundsItem(pg.GraphicsObject):
    """A GraphicsObject that caches ``_bounding_rect()`` until its data or the view change."""

    def __init__(self) -> None:
        super().__init__()
        self._rect: QtCore.QRectF | None = None
        self._pixel: tuple[float, float] | None = None
        self._bounds = QtCore.QRectF()            # the data's bounds (data units; null: no data)
        self._extent: QtCore.QRectF | None = None  # the box the data normally lie in, or None
        self._within = False                      # whether they do now

    def set_extent(self, lo: tuple[float, float] | None, hi: tuple[float, float] | None = None) -> None:
        """The box (lower-left and upper-right corners, data units) the data normally lie in, or None."""
        self.prepareGeometryChange()
        self._extent = None if lo is None else QtCore.QRectF(lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1])
        self._within = self._inside(self._bounds)
        self._rect = None
        self.update()

    def _data_changed(self, bounds: QtCore.QRectF) -> None:
        """New data, whose bounds are ``bounds`` (null: none): a repaint, and a change of geometry
        unless the data stayed in the extent."""
        self._bounds = bounds
        within = self._inside(bounds)
        if not (within and self._within):
            self.prepareGeometryChange()
            self._within = within
            self._rect = None
        self.update()

    def _data_changed_within_extent(self) -> None:
        """New data that the caller knows to lie in the extent (set): a repaint, the rectangle kept."""
        if not self._within:
            self.prepareGeometryChange()
            self._within = True
            self._rect = None
        self._bounds = QtCore.QRectF(self._extent)   # (not the data's own bounds, but they lie in it)
        self.update()

    def _inside(self, bounds: QtCore.QRectF) -> bool:
        extent = self._extent
        if extent is None:
            return False
        if bounds.isNull():
            return True
        return (extent.left() <= bounds.left() and bounds.right() <= extent.right()
                and extent.top() <= bounds.top() and bounds.bottom() <= extent.bottom())

    def _padded_box(self, pad_pixels: float) -> QtCore.QRectF:
        """The data's bounds (or, while the data lie in it, the extent) grown by ``pad_pixels`` pixels."""
        box = self._extent if self._within else self._bounds
        pixel = self.pixel_extent()
        if pixel is None:
            return QtCore.QRectF(box)
        px, py = pad_pixels * pixel[0], pad_pixels * pixel[1]
        return box.adjusted(-px, -py, px, py)

    def _bounding_rect(self) -> QtCore.QRectF:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    def pixel_extent(self) -> tuple[float, float] | None:
        """(x, y) data units covered by one pixel, both pixel directions summed (as a padding needs);
        None while the item is in no view (there are no pixels yet)."""
        pixel = self._pixel
        if pixel is None:
            v0, v1 = self.pixelVectors()
            if v0 is None or v1 is None:
                return None
            pixel = self._pixel = (abs(v0.x()) + abs(v1.x()), abs(v0.y()) + abs(v1.y()))
        return pixel

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt's name)
        rect = self._rect
        if rect is None:
            rect = self._bounding_rect()
            if self.getViewBox() is not None:   # (outside a view there are no pixels to pad by yet)
                self._rect = rect
        return QtCore.QRectF(rect)

    def viewTransformChanged(self) -> None:  # noqa: N802 (pyqtgraph's name)
        # The pixel padding, in data units, changes with zoom; Qt reads the old rectangle first.
        self.prepareGeometryChange()
        self._rect = None
        self._pixel = None
