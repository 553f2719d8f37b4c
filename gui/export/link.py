"""A Session seen as the views see the controller: the ControllerLink of an export's own session.

A clip or a figure drives a :class:`physics.session.Session` of its own (never the live window's)
and renders it through the same views and panels the window uses. Those rely on
:class:`gui.controller_link.ControllerLink`; :class:`SessionLink` offers exactly that around a
session, with no timer and no worker threads: critical points are found at once, on the calling
thread, and every session event becomes its signal synchronously, so that after
``session.advance(n)`` returns every view already shows the new state.
"""

from __future__ import annotations

from PyQt6.QtCore import QObject, pyqtSignal

from physics.balls import BallSpec
from physics.session import Session
from physics.session_builds import find_critical_points_of
from physics.session_events import (
    BallsChanged,
    CriticalPointsChanged,
    CriticalPointsWanted,
    PlayingChanged,
    SceneChanged,
    SelectionChanged,
    SessionEvent,
    Stepped,
    SurfaceChanged,
)
from physics.simulation import BallHistory, BallState
from surfaces.surface import Surface


class SessionLink(QObject):
    """A :class:`ControllerLink` over ``session``; nothing is selected (a clip shows every ball alike).

    ``critical_points``: those of the session's surface when already known (else searched here).
    """

    surfaceChanged = pyqtSignal(object)
    criticalPointsChanged = pyqtSignal(object)
    sceneChanged = pyqtSignal(object)
    ballsChanged = pyqtSignal()
    selectionChanged = pyqtSignal(int)
    stepped = pyqtSignal()
    playingChanged = pyqtSignal(bool)

    def __init__(self, session: Session, critical_points: list | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.session = session
        self._stop = session.subscribe(self._relay)
        if critical_points is None:
            self._find_critical_points(session.surface)
        else:  # already found for this surface (the live window's): no search again
            session.critical_points_found(session.surface, list(critical_points))

    def _relay(self, event: SessionEvent) -> None:
        if isinstance(event, Stepped):
            self.stepped.emit()
        elif isinstance(event, SurfaceChanged):
            self.surfaceChanged.emit(event.surface)
        elif isinstance(event, CriticalPointsWanted):
            self._find_critical_points(event.surface)
        elif isinstance(event, CriticalPointsChanged):
            self.criticalPointsChanged.emit(event.points)
        elif isinstance(event, BallsChanged):
            self.ballsChanged.emit()
        elif isinstance(event, SceneChanged):
            self.sceneChanged.emit(event.scene)
        elif isinstance(event, PlayingChanged):
            self.playingChanged.emit(event.playing)
        elif isinstance(event, SelectionChanged):
            pass  # a clip selects no ball: every ball is drawn alike

    def _find_critical_points(self, surface: Surface) -> None:
        found = find_critical_points_of(surface)
        self.session.critical_points_found(found.surface, found.points)

    def close(self) -> None:
        """Stop listening to the session."""
        self._stop()

    @property
    def surface(self) -> Surface:
        return self.session.surface

    @property
    def critical_points(self) -> list:
        return self.session.critical_points

    @property
    def balls(self) -> tuple[BallSpec, ...]:
        return self.session.balls

    @property
    def selected(self) -> int:
        return -1

    @property
    def playing(self) -> bool:
        return False

    @property
    def step_index(self) -> int:
        return self.session.step_index

    def state(self, index: int) -> BallState:
        return self.session.state(index)

    def history(self, index: int) -> BallHistory:
        return self.session.history(index)

    def select(self, index: int) -> None:
        """A click on a ball in a rendered frame selects nothing."""
