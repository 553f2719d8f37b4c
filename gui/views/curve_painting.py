"""How pyqtgraph paints a curve, for the items that paint several curves at once (trails, panel curves).

pyqtgraph's PlotCurveItem, without antialiasing, strokes a curve as separate line segments when its
pen is opaque, solid and wider than a pixel (much faster for the raster engine than a path), else
as one path. Items that paint several curves in one pass make the same choice, with pyqtgraph's own
functions for the segments and the path, so they paint the same pixels.
"""

from __future__ import annotations

from PyQt6 import QtCore, QtGui


def paints_as_segments(pen: QtGui.QPen) -> bool:
    """pyqtgraph's choice for a curve without antialiasing (PlotCurveItem._shouldUseDrawLineSegments)."""
    return (pen.widthF() > 1.0 and pen.style() == QtCore.Qt.PenStyle.SolidLine and pen.isSolid()
            and pen.color().alphaF() == 1.0)
