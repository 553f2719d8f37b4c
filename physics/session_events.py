"""What a Session announces: one small frozen dataclass per kind of change, and the observer list.

An observer is any callable taking one event; :meth:`Observers.subscribe` adds it and returns a
function that removes it again. Events are delivered synchronously, in the order they happen,
to the observers in the order they subscribed, so a receiver of :class:`SceneChanged` that reads
the session sees the scene just loaded. The GUI's controller relays each event as the Qt signal
of the same name; a clip export or an experiment view subscribes directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from physics.scenes import Scene
    from surfaces.critical import CriticalPoint
    from surfaces.errors import DownhillError
    from surfaces.surface import Surface


@dataclass(frozen=True)
class SceneChanged:
    """A whole scene was loaded (its title, note and view; the other events follow)."""

    scene: Scene


@dataclass(frozen=True)
class SurfaceChanged:
    """The landscape changed: a new formula, preset, scene or parameter value."""

    surface: Surface


@dataclass(frozen=True)
class CriticalPointsWanted:
    """The critical points of ``surface`` are needed (the host finds them, on a worker or at once)
    and hands them to ``Session.critical_points_found``."""

    surface: Surface


@dataclass(frozen=True)
class CriticalPointsChanged:
    """The marked critical points (empty while they are searched)."""

    points: list[CriticalPoint]


@dataclass(frozen=True)
class FormulaRefused:
    """A surface could not be switched to; the previous one stays live."""

    error: DownhillError


@dataclass(frozen=True)
class BallsChanged:
    """The balls were added, removed, edited or adapted to a new surface."""


@dataclass(frozen=True)
class SelectionChanged:
    """The selected ball (-1: none)."""

    index: int


@dataclass(frozen=True)
class Stepped:
    """The simulation moved on, or restarted: positions, states and histories are new."""


@dataclass(frozen=True)
class PlayingChanged:
    """The scene started running (True) or paused (False)."""

    playing: bool


@dataclass(frozen=True)
class SpeedChanged:
    """Simulation steps per animation frame."""

    speed: int


@dataclass(frozen=True)
class Notice:
    """Something the teacher should know, in words (why the run stopped, a ball moved ...)."""

    text: str


SessionEvent = (SceneChanged | SurfaceChanged | CriticalPointsWanted | CriticalPointsChanged | FormulaRefused
                | BallsChanged | SelectionChanged | Stepped | PlayingChanged | SpeedChanged | Notice)
Observer = Callable[[SessionEvent], None]


class Observers:
    """The callables told of every event, in the order they subscribed."""

    def __init__(self) -> None:
        self._observers: list[Observer] = []

    def subscribe(self, observer: Observer) -> Callable[[], None]:
        """Call ``observer(event)`` for every event from now on; returns the function that stops it."""
        self._observers.append(observer)
        return lambda: self.unsubscribe(observer)

    def unsubscribe(self, observer: Observer) -> None:
        if observer in self._observers:
            self._observers.remove(observer)

    def emit(self, event: SessionEvent) -> None:
        # A copy: an observer may unsubscribe (or subscribe another) while being told.
        for observer in tuple(self._observers):
            observer(event)
