"""What a view, panel or editor may use of the controller: its signals, its reads, its commands.

Views and panels are built with the :class:`gui.controller.SceneController` but rely only on
:class:`ControllerLink`, so a test may hand them a stand-in, and a reader sees at a glance what a
view can do to the model: observe it, and select a ball. Editors rely on :class:`EditorLink`, the
same plus the commands they send.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from PyQt6.QtCore import pyqtBoundSignal

if TYPE_CHECKING:
    from physics.balls import BallSpec
    from physics.scenes import Scene
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


class EditorLink(ControllerLink, Protocol):
    """The controller as the editors see it: the views' link plus the commands they send.

    Surface commands build in the background: ``buildStarted`` / ``buildFinished`` bracket the
    work, and ``surfaceChanged`` or ``formulaError(DownhillError)`` tells how it ended.
    """

    formulaError: pyqtBoundSignal
    buildStarted: pyqtBoundSignal
    buildFinished: pyqtBoundSignal

    def set_formula(self, text: str) -> None: ...

    def set_parameter(self, name: str, value: float) -> None: ...

    def load_preset(self, name: str) -> None: ...

    def load_scene(self, scene: Scene) -> None: ...

    def add_ball(self, spec: BallSpec | None = None, start: tuple[float, float] | None = None) -> int: ...

    def update_ball(self, index: int, spec: BallSpec) -> None: ...

    def duplicate_ball(self, index: int) -> int: ...

    def remove_ball(self, index: int) -> None: ...
