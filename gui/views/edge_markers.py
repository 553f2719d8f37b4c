"""Markers of balls that left the map or diverged: an arrowhead at the edge where they left, and a word.

A ball off the map has nothing to draw on it: its trail is cut at the edge (gui.views.off_map)
and its marker would be far outside the picture. :class:`EdgeMarkerLayer` puts, for each such
ball, an arrowhead in the ball's colour on the domain's edge where the ball last left it,
pointing out (the way it went), and a short label beside it, inside the map, in the ball's
colour on a dark patch ("left the map", "diverged"). A ball that diverged inside the map (it
reached a point where f is undefined) gets the label beside its own marker and no arrowhead.

Sizes are in pixels, whatever the zoom, like the other overlays of the map
(gui.views.arrows); the whole layer is painted in one pass.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtGui

from gui.palette import OUTLINE_COLOR, readable_on_dark
from gui.views.cached_bounds import CachedBoundsItem

#: Arrowhead length and width (pixels).
HEAD_LENGTH = 22.0
HEAD_WIDTH = 20.0
#: Gap (pixels) between the arrowhead's base, or a ball's marker, and its label.
LABEL_GAP = 6.0
#: Distance (pixels) from a diverged ball's centre to its label (clear of its marker).
BALL_CLEARANCE = 16.0
LABEL_POINT_SIZE = 11
LABEL_BACKING = QtGui.QColor(15, 15, 20, 215)


class EdgeMark(NamedTuple):
    """One ball's mark: where (data coordinates), which way out (unit (dx, dy) in data axes, or (0, 0)
    for no arrowhead), its colour ("#rrggbb") and its words."""

    x: float
    y: float
    dx: float
    dy: float
    color: str
    text: str


class EdgeMarkerLayer(CachedBoundsItem):
    """The marks of off-map and diverged balls (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self._rect: QtCore.QRectF | None = None
        self._marks: tuple[EdgeMark, ...] = ()
        self._font = QtGui.QFont()
        self._font.setPointSize(LABEL_POINT_SIZE)
        self._font.setBold(True)
        self._metrics = QtGui.QFontMetricsF(self._font)
        self._bounds = QtCore.QRectF()
        self._pad = 0.0

    @property
    def marks(self) -> tuple[EdgeMark, ...]:
        return self._marks

    def set_marks(self, marks: tuple[EdgeMark, ...] | list[EdgeMark]) -> None:
        """Show exactly these marks (a repeat of the current ones costs nothing)."""
        marks = tuple(marks)
        if marks == self._marks:
            return
        self.prepareGeometryChange()
        self._rect = None
        self._marks = marks
        if marks:
            xy = np.array([(m.x, m.y) for m in marks], dtype=float)
            lo, hi = xy.min(axis=0), xy.max(axis=0)
            self._bounds = QtCore.QRectF(lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1])
            widest = max(self._metrics.horizontalAdvance(m.text) for m in marks)
            self._pad = HEAD_LENGTH + LABEL_GAP + widest + 20.0
        else:
            self._bounds = QtCore.QRectF()
            self._pad = 0.0
        self.update()

    def _bounding_rect(self) -> QtCore.QRectF:
        pixel = self.pixel_extent() if self._marks else None
        if pixel is None:
            return QtCore.QRectF(self._bounds)
        px, py = pixel
        return self._bounds.adjusted(-self._pad * px, -self._pad * py, self._pad * px, self._pad * py)

    def paint(self, painter: QtGui.QPainter, *_args) -> None:
        if not self._marks:
            return
        t = painter.transform()
        matrix = np.array([[t.m11(), t.m12()], [t.m21(), t.m22()]])
        offset = np.array([t.dx(), t.dy()])
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        painter.setFont(self._font)
        for mark in self._marks:
            where = np.array([mark.x, mark.y]) @ matrix + offset
            out = np.array([mark.dx, mark.dy]) @ matrix
            length = float(np.hypot(*out))
            color = pg.mkColor(mark.color)
            if length > 0:
                out /= length
                inner = self._paint_head(painter, where, out, color)
                self._paint_label(painter, inner, -out, mark.text, color)
            else:
                self._paint_label(painter, where + np.array([BALL_CLEARANCE, 0.0]), np.array([1.0, 0.0]),
                                  mark.text, color)
        painter.restore()

    @staticmethod
    def _paint_head(painter: QtGui.QPainter, tip: np.ndarray, out: np.ndarray, color: QtGui.QColor) -> np.ndarray:
        """An arrowhead with its tip on the edge pointing along ``out`` (device units); returns its base centre."""
        base = tip - out * HEAD_LENGTH
        normal = np.array([-out[1], out[0]]) * (HEAD_WIDTH / 2)
        polygon = QtGui.QPolygonF([QtCore.QPointF(*tip), QtCore.QPointF(*(base + normal)),
                                   QtCore.QPointF(*(base - normal))])
        # A light edge outside the dark one: one of the two contrasts with any ground.
        painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        painter.setPen(QtGui.QPen(QtGui.QColor(255, 255, 255, 200), 6.0, join=QtCore.Qt.PenJoinStyle.RoundJoin))
        painter.drawPolygon(polygon)
        painter.setBrush(QtGui.QBrush(color))
        painter.setPen(QtGui.QPen(pg.mkColor(OUTLINE_COLOR), 2.5, join=QtCore.Qt.PenJoinStyle.RoundJoin))
        painter.drawPolygon(polygon)
        return base

    def _paint_label(self, painter: QtGui.QPainter, anchor: np.ndarray, inward: np.ndarray, text: str,
                     color: QtGui.QColor) -> None:
        """The words on a dark patch, placed from ``anchor`` towards ``inward`` (device units)."""
        width = self._metrics.horizontalAdvance(text) + 12.0
        height = self._metrics.height() + 4.0
        # The patch's centre lies LABEL_GAP beyond the anchor, plus half the patch's extent along ``inward``.
        reach = 0.5 * (abs(inward[0]) * width + abs(inward[1]) * height)
        centre = anchor + inward * (LABEL_GAP + reach)
        rect = QtCore.QRectF(centre[0] - width / 2, centre[1] - height / 2, width, height)
        painter.setPen(QtGui.QPen(color, 1.2))
        painter.setBrush(QtGui.QBrush(LABEL_BACKING))
        painter.drawRoundedRect(rect, 4.0, 4.0)
        painter.setPen(pg.mkColor(readable_on_dark(color.name())))
        painter.drawText(rect, int(QtCore.Qt.AlignmentFlag.AlignCenter), text)
