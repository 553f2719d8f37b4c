"""The what-if ghost on the contour map: where the ball would go under the settings being dragged.

:class:`GhostPath` draws a :class:`gui.what_if.Ghost` (physics.preview's path, up to 301 points)
as a translucent dashed line in the ball's colour over a dark outline, with a hollow ring at its
end and a short label there ("what-if: lr 0.05"). The outline and the label's dark plate keep it
readable on the dark map, on a light projector theme and over any colour of the height map; the
dashes (and the word "what-if") tell it from the ball's real, solid trail without relying on colour.
The label says how the path ends when it ends early ("left the map after 23 steps") and "so far"
while a long preview is still growing.

:func:`attach_ghost(map_view)` gives a ContourMapView its ghost: it draws what the controller's
:class:`gui.what_if.WhatIfPreview` announces, and turns drags of a start marker on the map
(gui.views.map_mouse) into previews from the dragged point (release commits, Esc cancels: the
ghost goes either way).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtGui

from gui.what_if import Ghost, WhatIfPreview

#: Opacity (0-255) of the ghost's line and ring: translucent, so the map and the real trail show through.
GHOST_ALPHA = 215
LINE_WIDTH = 3.0
OUTLINE_WIDTH = 6.5
END_SIZE = 18
#: Above the trails (10) and start markers (15), below the arrows (20+) and balls (30).
GHOST_Z = 17


def ghost_words(ghost: Ghost) -> str:
    """The label: "what-if: lr 0.05", and how the path ends when it ends early or is still growing."""
    preview = ghost.preview
    steps = len(preview.path) - 1
    words = f"what-if: {ghost.label}" if ghost.label else "what-if"
    if not preview.complete:
        return f"{words} · {steps} steps so far"
    if preview.reason:
        return f"{words} · {preview.reason} after {steps} step{'s' if steps != 1 else ''}"
    return words


class GhostPath:
    """The ghost's items on a pyqtgraph PlotItem (created once; ``show`` and ``clear`` update them)."""

    def __init__(self, plot_item: pg.PlotItem):
        self.plot_item = plot_item
        self.outline = pg.PlotCurveItem(pen=pg.mkPen(16, 16, 16, 150, width=OUTLINE_WIDTH), connect="finite")
        self.line = pg.PlotCurveItem(connect="finite")
        self.end_outline = pg.ScatterPlotItem(symbol="o", size=END_SIZE, brush=pg.mkBrush(None),
                                              pen=pg.mkPen(16, 16, 16, 170, width=OUTLINE_WIDTH), pxMode=True)
        self.end = pg.ScatterPlotItem(symbol="o", size=END_SIZE, brush=pg.mkBrush(None), pxMode=True)
        self.label = pg.TextItem("", color="#ffffff", fill=pg.mkBrush(0, 0, 0, 190), anchor=(-0.08, 1.15))
        font = QtGui.QFont()
        font.setPointSize(12)
        font.setBold(True)
        self.label.setFont(font)
        for offset, item in enumerate((self.outline, self.line, self.end_outline, self.end)):
            item.setZValue(GHOST_Z + offset * 0.1)
            plot_item.addItem(item, ignoreBounds=True)
        self.label.setZValue(40)
        plot_item.addItem(self.label, ignoreBounds=True)
        self.ghost: Ghost | None = None
        self.clear()

    @property
    def visible(self) -> bool:
        return self.line.isVisible()

    @property
    def path(self) -> np.ndarray:
        """The points drawn (k, 2) (empty when hidden)."""
        if not self.visible:
            return np.empty((0, 2))
        x, y = self.line.getData()
        return np.column_stack([x, y]) if x is not None else np.empty((0, 2))

    @property
    def text(self) -> str:
        return self.label.toPlainText() if self.label.isVisible() else ""

    def show(self, ghost: Ghost | None) -> None:
        """Draw ``ghost`` (None: clear)."""
        if ghost is None:
            self.clear()
            return
        self.ghost = ghost
        path = ghost.preview.path
        colour = QtGui.QColor(ghost.color)
        colour.setAlpha(GHOST_ALPHA)
        pen = pg.mkPen(colour, width=LINE_WIDTH, style=QtCore.Qt.PenStyle.DashLine)
        pen.setCapStyle(QtCore.Qt.PenCapStyle.FlatCap)
        self.line.setPen(pen)
        x, y = path[:, 0], path[:, 1]
        self.outline.setData(x, y)
        self.line.setData(x, y)
        end = path[-1:]
        self.end_outline.setData(pos=end)
        self.end.setData(pos=end, pen=pg.mkPen(colour, width=3.0))
        self.label.setText(ghost_words(ghost))
        self.label.setPos(*self._label_point(end[0]))
        for item in (self.outline, self.line, self.end_outline, self.end, self.label):
            item.show()
        # (pyqtgraph skips a hidden TextItem's transform updates: without this a label shown after
        # the view moved would be drawn at the view's scale, huge and off screen)
        self.label.updateTransform(force=True)

    def clear(self) -> None:
        self.ghost = None
        for item in (self.outline, self.line, self.end_outline, self.end, self.label):
            item.hide()
        self.line.setData([], [])
        self.outline.setData([], [])

    def _label_point(self, end: np.ndarray) -> tuple[float, float]:
        """The path's end, kept inside the visible range so the label stays on screen."""
        (x0, x1), (y0, y1) = self.plot_item.getViewBox().viewRange()
        margin_x, margin_y = 0.02 * (x1 - x0), 0.06 * (y1 - y0)
        x = float(np.clip(end[0], x0 + margin_x, x1 - 0.25 * (x1 - x0)))
        y = float(np.clip(end[1], y0 + margin_y, y1 - margin_y))
        return x, y


class _StartDrags:
    """Turns a start marker's drag into previews of the ball from the dragged point."""

    def __init__(self, map_view: Any, what_if: WhatIfPreview):
        self.map_view = map_view
        self.what_if = what_if

    def start_dragged(self, index: int, x: float, y: float) -> None:
        balls = getattr(self.map_view.controller, "balls", ())
        if 0 <= index < len(balls):
            self.what_if.preview(index, replace(balls[index], start=(float(x), float(y))),
                                 f"start ({x:.3g}, {y:.3g})")

    def start_drag_ended(self, _index: int) -> None:
        self.what_if.end()


def attach_ghost(map_view: Any) -> GhostPath:
    """Give ``map_view`` (a ContourMapView) its ghost: drawn from its controller's WhatIfPreview,
    and previews while one of its start markers is dragged. Returns the GhostPath."""
    ghost = GhostPath(map_view.plot_item)
    what_if = WhatIfPreview.of(map_view.controller)
    what_if.ghostChanged.connect(ghost.show)
    listeners = getattr(map_view.view_box, "drag_listeners", None)
    if listeners is not None:
        listeners.append(_StartDrags(map_view, what_if))
    return ghost


__all__ = ["GhostPath", "attach_ghost", "ghost_words"]
