"""Mouse handling of the contour map: clicks and start-marker drags go to the map, the rest to pyqtgraph."""

from __future__ import annotations

from typing import Any, Protocol

import pyqtgraph as pg
from PyQt6 import QtCore


class MapMouseTarget(Protocol):
    """What the map offers its ViewBox (scene coordinates in, data coordinates out)."""

    def start_at(self, scene_pos: QtCore.QPointF) -> int | None: ...

    def clicked(self, scene_pos: QtCore.QPointF) -> None: ...

    def drag_to(self, index: int, x: float, y: float) -> None: ...

    def finish_drag(self, index: int, x: float, y: float) -> None: ...


class PassiveScatter(pg.ScatterPlotItem):
    """A ScatterPlotItem that lets clicks through to the ViewBox (pyqtgraph's would accept a click
    on one of its points and keep it from the map)."""

    def mouseClickEvent(self, ev: Any) -> None:  # noqa: N802 (Qt naming)
        ev.ignore()


class MapViewBox(pg.ViewBox):
    """A ViewBox (aspect locked) that gives left clicks and drags of start markers to its map first.

    A left drag that starts on a start marker moves it (``drag_to`` while moving,
    ``finish_drag`` on release); any other left drag pans, right drag and the wheel zoom, as
    pyqtgraph does.
    """

    def __init__(self, target: MapMouseTarget):
        super().__init__(lockAspect=True, enableMenu=False)
        self._target = target
        self._dragging: int | None = None

    def mouseClickEvent(self, ev: Any) -> None:  # noqa: N802 (Qt naming)
        if ev.button() == QtCore.Qt.MouseButton.LeftButton:
            ev.accept()
            self._target.clicked(ev.scenePos())
            return
        super().mouseClickEvent(ev)

    def mouseDragEvent(self, ev: Any, axis: int | None = None) -> None:  # noqa: N802
        if ev.button() == QtCore.Qt.MouseButton.LeftButton:
            if ev.isStart():
                self._dragging = self._target.start_at(ev.buttonDownScenePos())
            if self._dragging is not None:
                ev.accept()
                point = self.mapSceneToView(ev.scenePos())
                if ev.isFinish():
                    index, self._dragging = self._dragging, None
                    self._target.finish_drag(index, point.x(), point.y())
                else:
                    self._target.drag_to(self._dragging, point.x(), point.y())
                return
        super().mouseDragEvent(ev, axis)
