"""The SceneController: a :class:`physics.session.Session` with the Qt it needs around it.

The session holds the model (the scene, its surface, critical points and simulation, the balls,
the selection, speed and running state) and every command; the controller adds only what needs
Qt, and relays each session event as the Qt signal the views, panels and editors connect to:

- **Background builds.** ``set_formula``, ``load_preset``, ``load_scene`` and ``open_file`` build
  the surface with SymPy on a pool thread (``gui.workers.LatestOnlyRunner``); the critical points
  follow on a second one. Every request carries a generation number and only the newest result is
  applied, so a half-typed formula never overwrites a newer one. A result is one small dataclass
  per kind of build (physics.session_builds), handed to the session on the UI thread. A failed
  build emits ``formulaError`` and the previous surface stays live. The UI thread never waits on
  SymPy.
- **One animation clock.** A single ``QTimer`` ticks at the display rate (16 ms) while the
  session is playing; each tick is one ``Session.frame()`` (up to ``speed`` steps within the
  frame's stepping budget, so a heavy swarm slows the animation down instead of freezing the
  window). When the session pauses itself (every ball at rest, or the history full) the timer
  stops and ``playingChanged(False)`` tells the transport.

The constructor builds its first surface synchronously: it runs before any window exists, so
there is no event loop to stall, and every view can rely on ``controller.surface`` from the start.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PyQt6.QtCore import QObject, QTimer, pyqtSignal

from gui.workers import LatestOnlyRunner
from physics.balls import BallSpec
from physics.scenes import Scene, ViewSettings
from physics.session import Session
from physics.session_builds import (
    BuildResult,
    CriticalPointsFound,
    FormulaBuilt,
    PresetBuilt,
    SceneBuilt,
    SceneFileFailed,
    build_preset,
    build_scene,
    build_surface_for,
    find_critical_points_of,
    read_scene_file,
)
from physics.session_events import (
    BallsChanged,
    CriticalPointsChanged,
    CriticalPointsWanted,
    FormulaRefused,
    Notice,
    PlayingChanged,
    SceneChanged,
    SelectionChanged,
    SessionEvent,
    SpeedChanged,
    Stepped,
    SurfaceChanged,
)
from physics.simulation import BallHistory, BallState, Simulation
from surfaces.presets import preset_name, preset_surface
from surfaces.surface import Surface

#: Animation tick (ms): the display rate.
FRAME_INTERVAL_MS = 16
#: What ``activity`` says while a surface is built, and while its critical points are searched.
ACTIVITIES = ("Building the surface…", "Finding the critical points…")


class SceneController(QObject):
    """The session of the running demo, with threads, the timer and signals; see the module docstring."""

    surfaceChanged = pyqtSignal(object)
    criticalPointsChanged = pyqtSignal(object)
    formulaError = pyqtSignal(object)
    buildStarted = pyqtSignal()
    buildFinished = pyqtSignal()
    ballsChanged = pyqtSignal()
    stepped = pyqtSignal()
    sceneChanged = pyqtSignal(object)
    playingChanged = pyqtSignal(bool)
    speedChanged = pyqtSignal(int)
    selectionChanged = pyqtSignal(int)
    #: What the controller is busy with, in words for the status bar ("" when idle).
    activityChanged = pyqtSignal(str)
    #: Something the teacher should know, in words (why the animation stopped, a ball moved ...).
    notice = pyqtSignal(str)
    #: A scene file was opened (path) / could not be opened (path, DownhillError).
    sceneFileOpened = pyqtSignal(str)
    sceneFileFailed = pyqtSignal(str, object)

    def __init__(self, scene: Scene | str | None = None, surface: Surface | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self._session = Session(scene, surface)
        self._activity = {"surface": False, "critical": False}

        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_INTERVAL_MS)
        self._timer.timeout.connect(self._tick)

        self._builder = LatestOnlyRunner("build the surface", self)
        self._builder.succeeded.connect(self._on_built)
        self._builder.failed.connect(self._on_build_failed)
        self._builder.busyChanged.connect(self._on_builder_busy)
        self._critical = LatestOnlyRunner("find the critical points", self)
        self._critical.succeeded.connect(self._on_critical_points)
        self._critical.failed.connect(self._on_critical_failed)
        self._critical.busyChanged.connect(lambda busy: self._set_activity("critical", busy))

        # Each session event becomes the signal of the same name; two also need Qt's help.
        self._relays: dict[type, Callable] = {
            SceneChanged: lambda event: self.sceneChanged.emit(event.scene),
            SurfaceChanged: lambda event: self.surfaceChanged.emit(event.surface),
            CriticalPointsWanted: lambda event: self._request_critical_points(event.surface),
            CriticalPointsChanged: lambda event: self.criticalPointsChanged.emit(event.points),
            FormulaRefused: lambda event: self.formulaError.emit(event.error),
            BallsChanged: lambda _event: self.ballsChanged.emit(),
            SelectionChanged: lambda event: self.selectionChanged.emit(event.index),
            Stepped: lambda _event: self.stepped.emit(),
            PlayingChanged: self._on_playing_changed,
            SpeedChanged: lambda event: self.speedChanged.emit(event.speed),
            Notice: lambda event: self.notice.emit(event.text),
        }
        self._session.subscribe(self._relay)
        self._request_critical_points(self._session.surface)

    # -- read-only state (the session's) ---------------------------------------------------------
    @property
    def session(self) -> Session:
        """The model this controller runs (no Qt)."""
        return self._session

    @property
    def scene(self) -> Scene:
        """The scene last loaded (its title, note and description); ``current_scene()`` is the live one."""
        return self._session.scene

    @property
    def scene_file(self) -> str:
        """The file the scene was opened from ("" for a preset or a scene given as a value).

        Set before ``sceneChanged`` is emitted, so a window can tell a file from a gallery scene.
        """
        return self._session.scene_file

    @property
    def surface(self) -> Surface:
        return self._session.surface

    @property
    def critical_points(self) -> list:
        return self._session.critical_points

    @property
    def simulation(self) -> Simulation:
        return self._session.simulation

    @property
    def balls(self) -> tuple[BallSpec, ...]:
        return self._session.balls

    @property
    def selected(self) -> int:
        return self._session.selected

    @property
    def playing(self) -> bool:
        return self._session.playing

    @property
    def speed(self) -> int:
        return self._session.speed

    @property
    def seed(self) -> int:
        return self._session.seed

    @property
    def step_index(self) -> int:
        return self._session.step_index

    @property
    def view(self) -> ViewSettings:
        """How the scene is shown (camera, layout, overlays); saved with the scene."""
        return self._session.view

    @property
    def last_frame_work(self) -> float:
        """Seconds the last animation tick spent stepping the simulation."""
        return self._session.last_frame_work

    def state(self, index: int) -> BallState:
        """The latest BallState of ball ``index`` (shared by every view; read-only)."""
        return self._session.state(index)

    def history(self, index: int) -> BallHistory:
        """The BallHistory of ball ``index`` (shared until the simulation changes; read-only)."""
        return self._session.history(index)

    def current_scene(self) -> Scene:
        """The live state as a Scene value (what Save writes and the autosave keeps)."""
        return self._session.current_scene()

    # -- background work (Qt's) --------------------------------------------------------------------
    @property
    def building(self) -> bool:
        return self._builder.busy

    @property
    def activity(self) -> str:
        if self._activity["surface"]:
            return ACTIVITIES[0]
        if self._activity["critical"]:
            return ACTIVITIES[1]
        return ""

    def set_formula(self, text: str) -> None:
        """Build the surface for ``text`` (a formula or a preset's name) in the background.

        On success ``surfaceChanged`` follows and the balls restart on the new landscape; on
        failure ``formulaError`` carries the DownhillError and the current surface stays.
        """
        parameters = self.surface.parameter_values
        domain = self.surface.domain
        self._builder.submit(lambda: FormulaBuilt(build_surface_for(text, parameters, domain)))

    def load_preset(self, name: str) -> None:
        """Load the preset surface ``name`` in the background and put the balls on its suggested starts.

        ``surfaceChanged`` follows, then ``notice`` with the preset's teaching note (see
        ``Session.apply_preset``); a failure emits ``formulaError``.

        Raises:
            FormulaError: no preset has that name (case, spaces and underscores are forgiven;
                the message names the closest preset).
        """
        key = preset_name(name)
        if key is None:
            preset_surface(name)  # raises the FormulaError that suggests the closest preset
        self._builder.submit(lambda: build_preset(key))

    def load_scene(self, scene: Scene) -> None:
        """Open a whole scene; its surface is built in the background, then everything switches."""
        self._builder.submit(lambda: build_scene(scene))

    def open_file(self, path: str | Path) -> None:
        """Read, validate and open a scene file in the background.

        ``sceneFileOpened(path)`` follows when it is live; ``sceneFileFailed(path, error)`` if it
        cannot be read or is not a valid scene (the current scene stays).
        """
        target = str(path)
        self._builder.submit(lambda: read_scene_file(target))

    def wait_for_build(self, milliseconds: int = 30_000) -> bool:
        """Block until background work is done (shutdown, scripts and tests only; never in a slot)."""
        return self._builder.wait(milliseconds) and self._critical.wait(milliseconds)

    def shutdown(self) -> None:
        """Stop the clock and drop pending work (the window is closing)."""
        self._session.pause()
        self._builder.cancel()
        self._critical.cancel()
        self.wait_for_build(10_000)

    def _on_built(self, _generation: int, result: BuildResult) -> None:
        if isinstance(result, SceneFileFailed):
            self.sceneFileFailed.emit(result.path, result.error)
        elif isinstance(result, SceneBuilt):
            self._session.apply_scene(result.scene, result.surface, result.path)
            if result.path:
                self.sceneFileOpened.emit(result.path)
        elif isinstance(result, PresetBuilt):
            self._session.apply_preset(result.surface)
        else:
            assert isinstance(result, FormulaBuilt), result
            self._session.apply_formula(result.surface)

    def _on_build_failed(self, _generation: int, error: object) -> None:
        self.formulaError.emit(error)

    def _on_builder_busy(self, busy: bool) -> None:
        self._set_activity("surface", busy)
        if busy:
            self.buildStarted.emit()
        else:
            self.buildFinished.emit()

    def _request_critical_points(self, surface: Surface) -> None:
        self._critical.submit(lambda: find_critical_points_of(surface))

    def _on_critical_points(self, _generation: int, result: CriticalPointsFound) -> None:
        self._session.critical_points_found(result.surface, result.points)

    def _on_critical_failed(self, _generation: int, error: object) -> None:
        self._session.critical_points_failed(error)

    def _set_activity(self, key: str, busy: bool) -> None:
        self._activity[key] = busy
        self.activityChanged.emit(self.activity)

    # -- commands the session carries out --------------------------------------------------------
    def set_parameter(self, name: str, value: float) -> None:
        """Change a named parameter live (``Session.set_parameter``): no rebuild.

        Raises:
            FormulaError: the surface has no such parameter, or the value is not finite.
        """
        self._session.set_parameter(name, value)

    def set_view(self, view: ViewSettings) -> None:
        """Remember how the scene is shown (the window reports overlay switches and the camera)."""
        self._session.set_view(view)

    def add_ball(self, spec: BallSpec | None = None, start: tuple[float, float] | None = None) -> int:
        """Add a ball and select it; return its index (``Session.add_ball``).

        Raises:
            DownhillError: the scene already holds MAX_BALLS balls, or f is undefined at the start.
        """
        return self._session.add_ball(spec, start)

    def update_ball(self, index: int, spec: BallSpec) -> None:
        """Replace one ball's settings (``Session.update_ball``).

        Raises:
            DownhillError: the settings are invalid (the field names the offending key).
        """
        self._session.update_ball(index, spec)

    def duplicate_ball(self, index: int) -> int:
        """Add a copy of ball ``index`` (new name and colour, same settings and start); return its index."""
        return self._session.duplicate_ball(index)

    def remove_ball(self, index: int) -> None:
        self._session.remove_ball(index)

    def select(self, index: int) -> None:
        self._session.select(index)

    def set_ball_start(self, index: int, start: tuple[float, float]) -> None:
        """Move a ball's start; the ball runs again from there."""
        self._session.set_ball_start(index, start)

    def play(self) -> None:
        """Start the animation; at the end of a run (every ball at rest) it starts over."""
        self._session.play()

    def pause(self) -> None:
        self._session.pause()

    def toggle_play(self) -> None:
        self._session.toggle_play()

    def step_once(self) -> None:
        """Advance every ball by one step (pausing the animation first)."""
        self._session.step_once()

    def advance(self, count: int) -> None:
        """Pause, then advance every ball by ``count`` steps at once (within the step limit)."""
        self._session.advance(count)

    def reset(self) -> None:
        """Every ball back to its start; the same seed gives the same run again."""
        self._session.reset()

    def set_speed(self, speed: int) -> None:
        """Simulation steps per animation frame (1 to the scene format's maximum)."""
        self._session.set_speed(speed)

    def faster(self) -> None:
        self._session.faster()

    def slower(self) -> None:
        self._session.slower()

    def set_seed(self, seed: int) -> None:
        """A new seed for the scene's noise (``Session.set_seed``).

        Raises:
            DownhillError: the seed is not a whole number from 0 to 2^63 - 1.
        """
        self._session.set_seed(seed)

    # -- the clock and the relay ---------------------------------------------------------------
    def _tick(self) -> None:
        """One animation frame: the session's ``frame()``."""
        self._session.frame()

    def _on_playing_changed(self, event: PlayingChanged) -> None:
        if event.playing:
            self._timer.start()
        else:
            self._timer.stop()
        self.playingChanged.emit(event.playing)

    def _relay(self, event: SessionEvent) -> None:
        self._relays[type(event)](event)


__all__ = ["SceneController", "ACTIVITIES", "FRAME_INTERVAL_MS"]
