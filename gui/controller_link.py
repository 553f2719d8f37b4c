"""What a view or panel may use of the controller: its signals, its reads and the one command they send.

Views and panels are built with the :class:`gui.controller.SceneController` but rely only on this
:class:`ControllerLink`, so a test may hand them a stand-in, and a reader sees at a glance what a
view can do to the model: observe it, and select a ball (the editors send the other commands).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from PyQt6.QtCore import pyqtBoundSignal

if TYPE_CHECKING:
    from physics.balls import BallSpec
    from physics.simulation import BallHistory, BallState
    from surfaces.surface import Surface


class ControllerLink(Protocol):
    """The controller as the views and panels see it (SceneController satisfies it)."""

    #: surfaceChanged(Surface), criticalPointsChanged(list), sceneChanged(Scene)
    surfaceChanged: pyqtBoundSignal
    criticalPointsChanged: pyqtBoundSignal
    sceneChanged: pyqtBoundSignal
    #: ballsChanged(), selectionChanged(int), stepped(), playingChanged(bool)
    ballsChanged: pyqtBoundSignal
    selectionChanged: pyqtBoundSignal
    stepped: pyqtBoundSignal
    playingChanged: pyqtBoundSignal

    @property
    def surface(self) -> Surface: ...

    @property
    def balls(self) -> tuple[BallSpec, ...]: ...

    @property
    def selected(self) -> int: ...

    @property
    def playing(self) -> bool: ...

    @property
    def step_index(self) -> int: ...

    def state(self, index: int) -> BallState:
        """The latest BallState of ball ``index`` (shared; read-only)."""
        ...

    def history(self, index: int) -> BallHistory:
        """The BallHistory of ball ``index`` (shared until the simulation changes; read-only)."""
        ...

    def select(self, index: int) -> None:
        """Select ball ``index`` (-1: none)."""
        ...
