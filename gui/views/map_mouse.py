"""Mouse handling of the contour map: clicks and start-marker drags go to the map, the rest to pyqtgraph."""

from __future__ import annotations

from typing import Any, Protocol

import pyqtgraph as pg
from PyQt6 import QtCore

from gui.what_if import EscapeCancels


class MapMouseTarget(Protocol):
    """What the map offers its ViewBox (scene coordinates in, data coordinates out).

    ``cancel_drag(index)`` (optional) puts a start marker back where it was: the drag was cancelled.
    """

    def start_at(self, scene_pos: QtCore.QPointF) -> int | None: ...

    def clicked(self, scene_pos: QtCore.QPointF) -> None: ...

    def drag_to(self, index: int, x: float, y: float) -> None: ...

    def finish_drag(self, index: int, x: float, y: float) -> None: ...


class StartDragListener(Protocol):
    """Told of a start marker's drag besides the map (the what-if ghost, gui.views.ghost_path)."""

    def start_dragged(self, index: int, x: float, y: float) -> None: ...

    def start_drag_ended(self, index: int) -> None: ...


class PassiveScatter(pg.ScatterPlotItem):
    """A ScatterPlotItem that lets clicks through to the ViewBox (pyqtgraph's would accept a click
    on one of its points and keep it from the map)."""

    def mouseClickEvent(self, ev: Any) -> None:  # noqa: N802 (Qt naming)
        ev.ignore()


class MapViewBox(pg.ViewBox):
    """A ViewBox (aspect locked) that gives left clicks and drags of start markers to its map first.

    A left drag that starts on a start marker moves it (``drag_to`` while moving,
    ``finish_drag`` on release); Esc during the drag cancels it (``cancel_drag``; the rest of
    the drag, until release, does nothing). ``drag_listeners`` hear of every move and of the end
    (release or Esc). Any other left drag pans, right drag and the wheel zoom, as pyqtgraph does.
    """

    def __init__(self, target: MapMouseTarget):
        super().__init__(lockAspect=True, enableMenu=False)
        self._target = target
        self._dragging: int | None = None
        self._cancelled = False
        self.drag_listeners: list[StartDragListener] = []
        self._escape = EscapeCancels(self.cancel_drag, self)

    @property
    def dragging(self) -> int | None:
        """The index of the ball whose start is being dragged, or None."""
        return self._dragging

    def cancel_drag(self) -> None:
        """Cancel the start drag under way (Esc): the marker goes back, listeners hear the end."""
        index = self._dragging
        if index is None:
            return
        self._cancelled = True
        self._dragging = None
        self._escape.remove()
        cancel = getattr(self._target, "cancel_drag", None)
        if cancel is not None:
            cancel(index)
        for listener in list(self.drag_listeners):
            listener.start_drag_ended(index)

    def mouseClickEvent(self, ev: Any) -> None:  # noqa: N802 (Qt naming)
        if ev.button() == QtCore.Qt.MouseButton.LeftButton:
            ev.accept()
            self._target.clicked(ev.scenePos())
            return
        super().mouseClickEvent(ev)

    def mouseDragEvent(self, ev: Any, axis: int | None = None) -> None:  # noqa: N802
        if ev.button() == QtCore.Qt.MouseButton.LeftButton:
            if ev.isStart():
                self._cancelled = False
                self._dragging = self._target.start_at(ev.buttonDownScenePos())
                if self._dragging is not None:
                    self._escape.install()
            if self._cancelled:
                ev.accept()  # (the rest of a cancelled drag neither moves the start nor pans)
                if ev.isFinish():
                    self._cancelled = False
                return
            if self._dragging is not None:
                ev.accept()
                point = self.mapSceneToView(ev.scenePos())
                if ev.isFinish():
                    index, self._dragging = self._dragging, None
                    self._escape.remove()
                    self._target.finish_drag(index, point.x(), point.y())
                    for listener in list(self.drag_listeners):
                        listener.start_drag_ended(index)
                else:
                    self._target.drag_to(self._dragging, point.x(), point.y())
                    for listener in list(self.drag_listeners):
                        listener.start_dragged(self._dragging, point.x(), point.y())
                return
        super().mouseDragEvent(ev, axis)
