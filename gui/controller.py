"""The SceneController: the one model object the GUI's views observe and its editors command.

It wraps the current :class:`physics.scenes.Scene`, the live :class:`surfaces.surface.Surface`,
its critical points and the :class:`physics.simulation.Simulation`, and adds what a window
needs around them:

- **Background builds.** ``set_formula``, ``load_preset``, ``load_scene`` and ``open_file`` build
  the surface with SymPy on a pool thread (``gui.workers.LatestOnlyRunner``); the critical points
  follow on a second one. Every request carries a generation number and only the newest result is
  applied, so a half-typed formula never overwrites a newer one. A failed build emits
  ``formulaError`` and the previous surface stays live. The UI thread never waits on SymPy.
- **One animation clock.** A single ``QTimer`` ticks at the display rate (16 ms). Each tick
  advances the simulation by ``speed`` steps, but stops early once the frame's stepping budget
  is spent, so a heavy swarm slows the animation down instead of freezing the window; then it
  emits ``stepped()``. When every ball has come to rest (converged, stuck or stopped as
  diverging) the timer stops itself and ``playingChanged(False)`` tells the transport.
- **Live parameters.** ``set_parameter`` swaps in ``surface.with_parameters`` (no SymPy, no
  recompilation) and the running balls continue on the changed landscape.

The constructor builds its first surface synchronously: it runs before any window exists, so
there is no event loop to stall, and every view can rely on ``controller.surface`` from the start.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from PyQt6.QtCore import QObject, QTimer, pyqtSignal

from gui.palette import ball_color
from gui.workers import LatestOnlyRunner
from physics.balls import BallSpec
from physics.preset_scenes import DEFAULT_SCENE, PRESET_SCENES
from physics.scenes import MAX_SPEED, Scene, ViewSettings, load_scene, resolve_scene
from physics.simulation import Simulation
from physics.telemetry import FULL_HISTORY_PARTICLES
from surfaces.critical import find_critical_points
from surfaces.errors import DownhillError, FormulaError
from surfaces.parsing import X, Y
from surfaces.presets import PRESETS, preset_name, preset_surface, resolve_surface
from surfaces.surface import Surface, build_surface

#: Animation tick (ms): the display rate.
FRAME_INTERVAL_MS = 16
#: Wall-clock seconds of simulation work allowed per frame, so the frame still draws in time.
FRAME_STEP_BUDGET = 0.008
#: Speeds offered by + and - (simulation steps per frame).
SPEEDS = (1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000)
#: Most balls a scene may hold from the GUI (each a colour, a row in the panels, a legend entry).
MAX_BALLS = 16
#: The animation stops by itself after this many steps ...
MAX_STEPS = 200_000
#: ... or earlier, when the balls' recorded history would pass this many bytes.
HISTORY_BUDGET_BYTES = 300_000_000
#: Bytes one particle adds to its ball's history per step (physics.telemetry.particle_record:
#: positions 16, loss 8, gradient 16, step size 8, lr 8, eigenvalues 16, regime 1, active 1),
#: and a swarm's per-step summary row (physics.telemetry.summary_record, rounded up).
PARTICLE_STEP_BYTES = 74
SUMMARY_STEP_BYTES = 200
#: Check for "every ball at rest" every this many frames (a swarm's state is a large copy).
REST_CHECK_FRAMES = 8
#: A step shorter than this fraction of the domain's diagonal counts as standing still.
REST_STEP_FRACTION = 1e-9
#: What ``activity`` says while a surface is built, and while its critical points are searched.
ACTIVITIES = ("Building the surface…", "Finding the critical points…")
#: Grid on which a ball whose start became undefined looks for the nearest defined point.
RELOCATION_GRID = 61


def build_surface_for(text: str, parameters: dict[str, float], domain: object | None) -> Surface:
    """The surface for text typed into the formula field (a formula or a preset's name).

    Runs on a worker thread. A preset's name brings the preset itself (its domain, parameters
    and terms). A formula may use named parameters beyond x and y (they become sliders); those
    already known keep their values, so a slider does not jump while the formula is edited, and
    the current domain is kept, so the view does not jump either. A formula that uses neither
    x nor y is refused: it would be a flat landscape, and is usually a misspelt preset's name.

    Raises:
        FormulaError: with the column of the problem where there is one.
    """
    name = preset_name(text)
    if name is not None:
        return preset_surface(name)
    surface = build_surface(text, parameters=True, domain=domain)  # type: ignore[arg-type]
    if not (surface.expression.has(X) or surface.expression.has(Y)):
        resolve_surface(text)  # raises with "did you mean the preset ...?" when the text is a near miss
        raise FormulaError(f"f(x, y) = {text.strip()} does not depend on x or y: the landscape would be flat",
                           column=1)
    kept = {key: value for key, value in parameters.items() if key in surface.parameter_names}
    return surface.with_parameters(kept) if kept else surface


def history_step_limit(balls: tuple[BallSpec, ...]) -> int:
    """How many steps the balls may record before their history would pass HISTORY_BUDGET_BYTES."""
    per_step = 8 * len(balls)
    for ball in balls:
        if ball.particles <= FULL_HISTORY_PARTICLES:
            per_step += PARTICLE_STEP_BYTES * ball.particles
        if ball.particles > 1:
            per_step += SUMMARY_STEP_BYTES
    # Records double when full, so up to twice the used rows may be allocated.
    return int(max(1000, min(MAX_STEPS, HISTORY_BUDGET_BYTES // (2 * max(per_step, 1)))))


class SceneController(QObject):
    """Model of the running demo; see the module docstring and docs/internals.md (gui)."""

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
        if scene is None:
            scene = PRESET_SCENES[DEFAULT_SCENE]
        elif isinstance(scene, str):
            scene = resolve_scene(scene)
        self._scene: Scene = scene
        self._scene_file = ""
        self._surface: Surface = surface if surface is not None else scene.surface()
        self._view: ViewSettings = scene.view
        self._critical_points: list = []
        self._states: dict[int, object] = {}
        self._histories: dict[int, object] = {}
        self._simulation = self._install(Simulation(self._surface, scene.balls, seed=scene.seed))
        self._step_limit = history_step_limit(self._simulation.balls)
        self._selected = 0 if scene.balls else -1
        self._playing = False
        self._speed = _clamp_speed(scene.speed)
        self._step_cost = 0.0  # running estimate of seconds per simulation step (all balls)
        self._last_frame_work = 0.0
        self._frames = 0
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
        self._request_critical_points()

    # -- read-only state -----------------------------------------------------------------------
    @property
    def scene(self) -> Scene:
        """The scene last loaded (its title, note and description); ``current_scene()`` is the live one."""
        return self._scene

    @property
    def scene_file(self) -> str:
        """The file the scene was opened from ("" for a preset or a scene given as a value).

        Set before ``sceneChanged`` is emitted, so a window can tell a file from a gallery scene.
        """
        return self._scene_file

    @property
    def surface(self) -> Surface:
        return self._surface

    @property
    def critical_points(self) -> list:
        return list(self._critical_points)

    @property
    def simulation(self) -> Simulation:
        return self._simulation

    @property
    def balls(self) -> tuple[BallSpec, ...]:
        return tuple(self._simulation.balls)

    @property
    def selected(self) -> int:
        return self._selected

    @property
    def playing(self) -> bool:
        return self._playing

    @property
    def speed(self) -> int:
        return self._speed

    @property
    def seed(self) -> int:
        return self._simulation.seed

    @property
    def step_index(self) -> int:
        return self._simulation.step_index

    @property
    def view(self) -> ViewSettings:
        """How the scene is shown (camera, layout, overlays); saved with the scene."""
        return self._view

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

    @property
    def last_frame_work(self) -> float:
        """Seconds the last animation tick spent stepping the simulation."""
        return self._last_frame_work

    def state(self, index: int):
        """The latest BallState of ball ``index``.

        Every view and panel asks for it each frame; it is made once per change of the
        simulation and shared, so treat it as read-only.
        """
        state = self._states.get(index)
        if state is None:
            state = self._states[index] = self._simulation.state(index)
        return state

    def history(self, index: int):
        """The BallHistory of ball ``index`` (shared until the simulation changes; read-only)."""
        history = self._histories.get(index)
        if history is None:
            history = self._histories[index] = self._simulation.history(index)
        return history

    def _install(self, simulation: Simulation) -> Simulation:
        """Adopt a new simulation: the cached states and histories follow its every change."""
        previous = getattr(self, "_simulation", None)
        if previous is not None:
            previous.remove_listener(self._forget_telemetry)
        simulation.add_listener(self._forget_telemetry)
        self._forget_telemetry()
        self._step_cost = 0.0  # other balls, other cost: measure again
        return simulation

    def _forget_telemetry(self, _event: str = "") -> None:
        self._states.clear()
        self._histories.clear()

    # -- surface and scene ---------------------------------------------------------------------
    def set_formula(self, text: str) -> None:
        """Build the surface for ``text`` (a formula or a preset's name) in the background.

        On success ``surfaceChanged`` follows and the balls restart on the new landscape; on
        failure ``formulaError`` carries the DownhillError and the current surface stays.
        """
        parameters = self._surface.parameter_values
        domain = self._surface.domain
        self._builder.submit(lambda: ("formula", build_surface_for(text, parameters, domain)))

    def load_preset(self, name: str) -> None:
        """Load the preset surface ``name`` in the background and put the balls on its suggested starts.

        The preset comes with its own domain and parameter values; ball ``i`` moves to the
        preset's start ``i`` (cycling when there are more balls than starts) and every ball
        restarts there, in the same switch as the surface (one restart, not one per ball). A
        preset without suggested starts keeps the balls' starts. ``surfaceChanged`` follows, then
        ``notice`` with the preset's teaching note; a failure emits ``formulaError``.

        Raises:
            FormulaError: no preset has that name (case, spaces and underscores are forgiven;
                the message names the closest preset).
        """
        key = preset_name(name)
        if key is None:
            preset_surface(name)  # raises the FormulaError that suggests the closest preset
        self._builder.submit(lambda: ("preset", preset_surface(key)))

    def set_parameter(self, name: str, value: float) -> None:
        """Change a named parameter live: no rebuild; running balls continue on the new surface.

        Raises:
            FormulaError: the surface has no such parameter, or the value is not finite.
        """
        value = float(value)
        if self._surface.parameter_values.get(name) == value:
            return
        surface = self._surface.with_parameters({name: value})
        try:
            self._simulation.set_surface(surface)
        except DownhillError:
            # A ball's start is undefined for this value: restart with the start moved.
            try:
                self._restart_on(surface, self.balls)
            except DownhillError as error:
                self.formulaError.emit(error)
                return
        self._surface = surface
        self.surfaceChanged.emit(surface)
        self._request_critical_points()
        self.stepped.emit()

    def set_view(self, view: ViewSettings) -> None:
        """Remember how the scene is shown (the window reports overlay switches and the camera)."""
        self._view = view

    def load_scene(self, scene: Scene) -> None:
        """Open a whole scene; its surface is built in the background, then everything switches."""
        self._builder.submit(lambda: ("scene", (scene, scene.surface(), "")))

    def open_file(self, path: str | Path) -> None:
        """Read, validate and open a scene file in the background.

        ``sceneFileOpened(path)`` follows when it is live; ``sceneFileFailed(path, error)`` if it
        cannot be read or is not a valid scene (the current scene stays).
        """
        target = str(path)

        def read() -> tuple[str, object]:
            try:
                scene = load_scene(target)
            except DownhillError as error:
                return ("file-error", (target, error))
            return ("scene", (scene, scene.surface(), target))

        self._builder.submit(read)

    def wait_for_build(self, milliseconds: int = 30_000) -> bool:
        """Block until background work is done (shutdown, scripts and tests only; never in a slot)."""
        return self._builder.wait(milliseconds) and self._critical.wait(milliseconds)

    def shutdown(self) -> None:
        """Stop the clock and drop pending work (the window is closing)."""
        self._set_playing(False)
        self._builder.cancel()
        self._critical.cancel()
        self.wait_for_build(10_000)

    def current_scene(self) -> Scene:
        """The live state as a Scene value (what Save writes and the autosave keeps)."""
        surface = self._surface
        preset = preset_name(surface.name) if surface.name else None
        formula = preset if preset is not None and surface.text == preset_surface(preset).text else surface.text
        return replace(self._scene, formula=formula, parameters=surface.parameters, domain=surface.domain,
                       balls=self.balls, seed=self.seed, speed=self._speed, view=self._view)

    def _on_built(self, _generation: int, result: tuple[str, object]) -> None:
        kind, payload = result
        if kind == "file-error":
            path, error = payload  # type: ignore[misc]
            self.sceneFileFailed.emit(path, error)
        elif kind == "scene":
            scene, surface, path = payload  # type: ignore[misc]
            self._apply_scene(scene, surface, path)
            if path:
                self.sceneFileOpened.emit(path)
        elif kind == "preset":
            surface = payload
            if self._apply_formula(surface, preset_starts(surface.name, self.balls)):  # type: ignore[union-attr]
                note = PRESETS[surface.name].note  # type: ignore[union-attr]
                if note:
                    self.notice.emit(note)
        else:
            self._apply_formula(payload)  # type: ignore[arg-type]

    def _apply_formula(self, surface: Surface, balls: tuple[BallSpec, ...] | None = None) -> bool:
        """Switch to ``surface`` with ``balls`` (the current ones by default); False if it was refused."""
        moved = balls is not None and balls != self.balls
        try:
            self._restart_on(surface, self.balls if balls is None else balls, announce=moved)
        except DownhillError as error:
            self.formulaError.emit(error)  # e.g. f undefined over the whole domain: keep the old surface
            return False
        if (surface.text, surface.name) != (self._surface.text, self._surface.name):
            # The scene's words described the old landscape: a new formula makes an untitled scene.
            self._scene = replace(self._scene, title="", description="", note="")
        self._surface = surface
        self._critical_points = []
        self.surfaceChanged.emit(surface)
        self.criticalPointsChanged.emit([])
        self._request_critical_points()
        self.stepped.emit()
        return True

    def _restart_on(self, surface: Surface, balls: tuple[BallSpec, ...], announce: bool = False) -> None:
        """A fresh simulation on ``surface`` with ``balls``; those that cannot run there are adapted.

        ``ballsChanged`` follows when the balls differ from those given (adapted, with the
        changes in words as a ``notice``) or when ``announce`` says the caller changed them.

        Raises:
            DownhillError: the balls cannot be made to run there (f undefined over the whole domain).
        """
        adapted, changes = adapt_balls(surface, balls)
        self._simulation = self._install(Simulation(surface, adapted, seed=self.seed))
        self._step_limit = history_step_limit(adapted)
        if changes or announce:
            self.ballsChanged.emit()
        if changes:
            self.notice.emit("; ".join(changes))

    def _apply_scene(self, scene: Scene, surface: Surface, path: str = "") -> None:
        was_playing = self._playing
        self._set_playing(False)
        self._scene = scene
        self._scene_file = path
        self._surface = surface
        self._view = scene.view
        self._critical_points = []
        self._simulation = self._install(Simulation(surface, scene.balls, seed=scene.seed))
        self._step_limit = history_step_limit(self._simulation.balls)
        self._selected = 0 if scene.balls else -1
        speed = _clamp_speed(scene.speed)
        speed_changed = speed != self._speed
        # Before any signal: a receiver of sceneChanged reads current_scene() as the scene just loaded.
        self._speed = speed
        self.sceneChanged.emit(scene)
        self.surfaceChanged.emit(surface)
        self.criticalPointsChanged.emit([])
        self.ballsChanged.emit()
        self.selectionChanged.emit(self._selected)
        if speed_changed:
            self.speedChanged.emit(speed)
        self._request_critical_points()
        self.stepped.emit()
        if was_playing:
            self.play()

    def _on_build_failed(self, _generation: int, error: object) -> None:
        self.formulaError.emit(error)

    def _on_builder_busy(self, busy: bool) -> None:
        self._set_activity("surface", busy)
        if busy:
            self.buildStarted.emit()
        else:
            self.buildFinished.emit()

    def _request_critical_points(self) -> None:
        surface = self._surface
        self._critical.submit(lambda: (surface, find_critical_points(surface, surface.domain)))

    def _on_critical_points(self, _generation: int, result: tuple[Surface, list]) -> None:
        surface, points = result
        if surface is not self._surface:
            return  # found for a surface that has since been replaced
        self._critical_points = list(points)
        self.criticalPointsChanged.emit(self.critical_points)

    def _on_critical_failed(self, _generation: int, error: object) -> None:
        # The surface itself is fine; it just has no marked critical points this time.
        self._critical_points = []
        self.criticalPointsChanged.emit([])
        self.notice.emit(f"no critical points marked: {error}")

    def _set_activity(self, key: str, busy: bool) -> None:
        self._activity[key] = busy
        self.activityChanged.emit(self.activity)

    # -- balls ---------------------------------------------------------------------------------
    def add_ball(self, spec: BallSpec | None = None, start: tuple[float, float] | None = None) -> int:
        """Add a ball and select it; return its index.

        Without ``spec`` the new ball copies the selected ball's optimiser, hyper-parameters and
        noise (a teacher comparing starts wants the same method), with a fresh name and colour.

        Raises:
            DownhillError: the scene already holds MAX_BALLS balls, or f is undefined at the start.
        """
        balls = self.balls
        if len(balls) >= MAX_BALLS:
            raise DownhillError(f"a scene holds at most {MAX_BALLS} balls; remove one first")
        if spec is None:
            spec = self._new_ball_spec(start)
        elif start is not None:
            spec = replace(spec, start=(float(start[0]), float(start[1])))
        self._set_balls((*balls, spec))
        index = len(balls)
        self.select(index)
        return index

    def update_ball(self, index: int, spec: BallSpec) -> None:
        """Replace one ball's settings; a ball whose motion changed restarts from its start.

        Raises:
            DownhillError: the settings are invalid (the field names the offending key).
        """
        self._check_index(index)
        balls = list(self.balls)
        if balls[index] == spec:
            return
        balls[index] = spec
        self._set_balls(tuple(balls))

    def duplicate_ball(self, index: int) -> int:
        """Add a copy of ball ``index`` (new name and colour, same settings and start); return its index."""
        self._check_index(index)
        original = self.balls[index]
        copy = replace(original, name=self._unique_name(original.name), color=self._next_color())
        return self.add_ball(copy)

    def remove_ball(self, index: int) -> None:
        self._check_index(index)
        balls = list(self.balls)
        del balls[index]
        selected = self._selected
        if selected > index or selected >= len(balls):
            selected -= 1
        self._set_balls(tuple(balls))
        self._selected = -2  # force the announcement: the same number may now mean another ball
        self.select(selected if balls else -1)

    def select(self, index: int) -> None:
        index = int(index)
        if not -1 <= index < len(self.balls):
            index = -1
        if index != self._selected:
            self._selected = index
            self.selectionChanged.emit(index)

    def set_ball_start(self, index: int, start: tuple[float, float]) -> None:
        """Move a ball's start; the ball runs again from there."""
        self._check_index(index)
        self.update_ball(index, replace(self.balls[index], start=(float(start[0]), float(start[1]))))

    def _set_balls(self, balls: tuple[BallSpec, ...]) -> None:
        self._simulation.set_balls(balls)
        self._step_cost = 0.0
        self._step_limit = history_step_limit(self._simulation.balls)
        self.ballsChanged.emit()
        self.stepped.emit()

    def _check_index(self, index: int) -> None:
        if not 0 <= index < len(self.balls):
            raise DownhillError(f"there is no ball number {index + 1}")

    def _new_ball_spec(self, start: tuple[float, float] | None) -> BallSpec:
        balls = self.balls
        if 0 <= self._selected < len(balls):
            template = balls[self._selected]
        else:
            template = balls[-1] if balls else None
        if start is None:
            domain = self._surface.domain
            start = ((domain.xmin + domain.xmax) / 2, (domain.ymin + domain.ymax) / 2)
        start = (float(start[0]), float(start[1]))
        name = self._unique_name("Ball")
        if template is None:
            return BallSpec(name=name, color=self._next_color(), optimizer="gd", hyperparameters=(("lr", 0.1),),
                            start=start)
        return replace(template, name=name, color=self._next_color(), start=start, visible=True)

    def _unique_name(self, base: str) -> str:
        names = {ball.name for ball in self.balls}
        stem = base.rstrip("0123456789 ") or "Ball"
        number = 1
        while f"{stem} {number}" in names:
            number += 1
        return f"{stem} {number}"

    def _next_color(self) -> str:
        used = {ball.color.lower() for ball in self.balls}
        for index in range(MAX_BALLS):
            if ball_color(index).lower() not in used:
                return ball_color(index)
        return ball_color(len(self.balls))

    # -- transport -----------------------------------------------------------------------------
    def play(self) -> None:
        """Start the animation; at the end of a run (every ball at rest) it starts over."""
        if self._playing:
            return
        if self._at_rest() or self.step_index >= self._step_limit:
            self._simulation.reset()
            self.stepped.emit()
        self._frames = 0
        self._set_playing(True)

    def pause(self) -> None:
        self._set_playing(False)

    def toggle_play(self) -> None:
        if self._playing:
            self.pause()
        else:
            self.play()

    def step_once(self) -> None:
        """Advance every ball by one step (pausing the animation first)."""
        self.advance(1)

    def advance(self, count: int) -> None:
        """Pause, then advance every ball by ``count`` steps at once (within the step limit)."""
        self.pause()
        count = max(0, min(int(count), self._step_limit - self._simulation.step_index))
        if count:
            self._simulation.step(count)
            self.stepped.emit()

    def reset(self) -> None:
        """Every ball back to its start; the same seed gives the same run again."""
        self._simulation.reset()
        self.stepped.emit()

    def set_speed(self, speed: int) -> None:
        """Simulation steps per animation frame (1 to the scene format's maximum)."""
        speed = _clamp_speed(speed)
        if speed != self._speed:
            self._speed = speed
            self.speedChanged.emit(speed)

    def faster(self) -> None:
        self.set_speed(next((s for s in SPEEDS if s > self._speed), SPEEDS[-1]))

    def slower(self) -> None:
        self.set_speed(next((s for s in reversed(SPEEDS) if s < self._speed), SPEEDS[0]))

    def set_seed(self, seed: int) -> None:
        """A new seed for the scene's noise: the run restarts with other random draws.

        Raises:
            DownhillError: the seed is not a whole number from 0 to 2^63 - 1.
        """
        if int(seed) == self.seed:
            return
        self._simulation.set_seed(int(seed))
        self.stepped.emit()

    def _set_playing(self, playing: bool) -> None:
        if playing == self._playing:
            return
        self._playing = playing
        if playing:
            self._timer.start()
        else:
            self._timer.stop()
        self.playingChanged.emit(playing)

    def _tick(self) -> None:
        """One animation frame: up to ``speed`` steps within the frame budget, then ``stepped``."""
        simulation = self._simulation
        started = time.perf_counter()
        remaining = min(self._speed, self._step_limit - simulation.step_index)
        while remaining > 0:
            budget = FRAME_STEP_BUDGET - (time.perf_counter() - started)
            if budget <= 0:
                break
            # Without an estimate of a step's cost yet, one step measures it.
            chunk = max(1, min(remaining, int(budget / self._step_cost))) if self._step_cost > 0 else 1
            before = time.perf_counter()
            simulation.step(chunk)
            cost = (time.perf_counter() - before) / chunk
            self._step_cost = cost if self._step_cost == 0 else 0.8 * self._step_cost + 0.2 * cost
            remaining -= chunk
        self._last_frame_work = time.perf_counter() - started
        self._frames += 1
        self.stepped.emit()
        if simulation.step_index >= self._step_limit:
            self.pause()
            self.notice.emit(f"Stopped after {simulation.step_index:,} steps (the history is full); "
                             "R starts again")
        elif self._frames % REST_CHECK_FRAMES == 0 and self._at_rest():
            self.pause()
            self.notice.emit("Every ball has come to rest; Space runs the scene again")

    def _at_rest(self) -> bool:
        """True when no particle of any ball moves any more (all stopped, or all steps negligible)."""
        simulation = self._simulation
        if simulation.step_index == 0:
            return False
        tiny = REST_STEP_FRACTION * simulation.surface.domain.diameter
        for index in range(len(simulation.balls)):
            state = self.state(index)  # the one the views already asked for this frame
            moving = state.active & (state.step_size > tiny)
            if moving.any():
                return False
        return True


def adapt_balls(surface: Surface, balls: tuple[BallSpec, ...]) -> tuple[tuple[BallSpec, ...], list[str]]:
    """The balls made runnable on a new surface, and what was changed, in words.

    A mini-batch ball on a surface that is not a sum of terms goes full-batch; a ball whose start
    is undefined on the new surface moves to the nearest point of the domain where f and its
    derivatives are defined.

    Raises:
        FormulaError: f is undefined everywhere in the domain.
    """
    adapted: list[BallSpec] = []
    changes: list[str] = []
    for ball in balls:
        batch = ball.noise.batch_size
        if batch is not None and (not surface.is_finite_sum or batch > len(surface.terms)):
            ball = replace(ball, noise=replace(ball.noise, batch_size=None))
            changes.append(f"{ball.name} now uses the full gradient (this surface is not a sum of terms)")
        try:
            ball.check_against(surface)
        except DownhillError:
            start = nearest_defined_point(surface, ball.start)
            ball = replace(ball, start=start)
            changes.append(f"{ball.name}'s start moved to ({start[0]:.3g}, {start[1]:.3g}), where f is defined")
        adapted.append(ball)
    return tuple(adapted), changes


def preset_starts(name: str, balls: tuple[BallSpec, ...]) -> tuple[BallSpec, ...]:
    """The balls moved to the suggested starts of preset ``name``: ball i to start i, cycling.

    A preset without suggested starts leaves the balls where they are.
    """
    starts = [(float(x), float(y)) for x, y in PRESETS[name].starts]
    if not starts:
        return balls
    return tuple(ball if tuple(ball.start) == starts[index % len(starts)]
                 else replace(ball, start=starts[index % len(starts)])
                 for index, ball in enumerate(balls))


def nearest_defined_point(surface: Surface, point: tuple[float, float]) -> tuple[float, float]:
    """The grid point of the domain nearest ``point`` where f, grad f and H are all finite.

    Raises:
        FormulaError: there is none (f is undefined over the whole domain).
    """
    xs, ys = surface.domain.grid(RELOCATION_GRID)
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    evaluation = surface.evaluate(grid)
    finite = (np.isfinite(evaluation.value) & np.isfinite(evaluation.gradient).all(axis=1)
              & np.isfinite(evaluation.hessian).all(axis=(1, 2)))
    if not finite.any():
        raise FormulaError("f is undefined everywhere in the domain", column=1)
    candidates = grid[finite]
    distance = np.hypot(candidates[:, 0] - point[0], candidates[:, 1] - point[1])
    best = candidates[int(np.argmin(distance))]
    return (float(best[0]), float(best[1]))


def _clamp_speed(speed: object) -> int:
    try:
        value = float(speed)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 1
    if not math.isfinite(value):
        return 1
    return int(max(1, min(round(value), MAX_SPEED)))


__all__ = ["SceneController", "SPEEDS", "MAX_BALLS", "ACTIVITIES", "build_surface_for", "adapt_balls", "preset_starts"]
