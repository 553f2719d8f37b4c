"""A pyqtgraph item base whose bounding rectangle is cached between data and view changes.

Qt asks an item for its bounding rectangle many times a frame; the map's overlay layers pad theirs
by a pixel extent (arrowheads, outlines), which depends only on their data and the view's
transform. Subclasses compute it in ``_bounding_rect()`` and set ``self._rect = None`` whenever
their data change; a change of the view's transform clears it here.
"""

from __future__ import annotations

import pyqtgraph as pg
from PyQt6 import QtCore


class CachedBoundsItem(pg.GraphicsObject):
    """A GraphicsObject that caches ``_bounding_rect()`` until its data or the view change."""

    def __init__(self) -> None:
        super().__init__()
        self._rect: QtCore.QRectF | None = None

    def _bounding_rect(self) -> QtCore.QRectF:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    def boundingRect(self) -> QtCore.QRectF:
        rect = self._rect
        if rect is None:
            rect = self._bounding_rect()
            if self.getViewBox() is not None:   # (outside a view there are no pixels to pad by yet)
                self._rect = rect
        return QtCore.QRectF(rect)

    def viewTransformChanged(self) -> None:
        # The pixel padding, in data units, changes with zoom; Qt reads the old rectangle first.
        self.prepareGeometryChange()
        self._rect = None
