"""The Session: the scene being edited and run, with every command the editors send. No Qt.

A session holds the scene last loaded, the live :class:`surfaces.surface.Surface`, its critical
points, the :class:`physics.simulation.Simulation` of the balls, the selected ball, the speed and
whether the scene is running, and announces each change as a small event (physics.session_events)
to the callables that subscribed. The GUI's controller wraps one and adds only what needs Qt
(worker threads for the builds, the animation timer, signals); a clip export or an experiment
view makes its own and drives it directly.

- **Surface commands take built surfaces.** SymPy is slow, so the build itself happens outside
  (physics.session_builds, on a worker thread in the GUI); ``apply_formula``, ``apply_preset`` and
  ``apply_scene`` switch to the result. Balls that cannot run on a new surface are adapted
  (physics.ball_placement) and the changes said in a :class:`Notice`; a surface on which no ball
  can run is refused with :class:`FormulaRefused` and the previous one stays.
- **Critical points are asked for.** After each surface change the session announces
  :class:`CriticalPointsWanted`; whoever finds them (a worker, or the caller at once) hands them
  back with ``critical_points_found``; points found for a surface since replaced are dropped.
- **One frame at a time.** ``frame()`` advances a running scene by up to ``speed`` steps within a
  wall-clock budget (a heavy swarm slows the animation instead of freezing the window), and
  pauses the scene once every ball is at rest or the history budget (physics.history_budget) is
  spent, saying why.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import replace

from physics.ball_naming import new_ball_spec, next_color, unique_name
from physics.ball_placement import adapt_balls, preset_starts
from physics.balls import MAX_BALLS, BallSpec
from physics.history_budget import history_step_limit
from physics.preset_scenes import DEFAULT_SCENE, PRESET_SCENES
from physics.scene_files import resolve_scene
from physics.scenes import MAX_SPEED, Scene, ViewSettings
from physics.session_events import (
    BallsChanged,
    CriticalPointsChanged,
    CriticalPointsWanted,
    FormulaRefused,
    Notice,
    Observer,
    Observers,
    PlayingChanged,
    SceneChanged,
    SelectionChanged,
    SessionEvent,
    SpeedChanged,
    Stepped,
    SurfaceChanged,
)
from physics.simulation import BallHistory, BallState, Simulation
from surfaces.errors import DownhillError
from surfaces.presets import PRESETS, preset_name, preset_surface
from surfaces.surface import Surface

#: Wall-clock seconds of simulation work allowed per frame, so the frame still draws in time.
FRAME_STEP_BUDGET = 0.008
#: Speeds offered by faster and slower (simulation steps per frame).
SPEEDS = (1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000)
#: Check for "every ball at rest" every this many frames (a swarm's state is a large copy).
REST_CHECK_FRAMES = 8
#: A step shorter than this fraction of the domain's diagonal counts as standing still.
REST_STEP_FRACTION = 1e-9


class Session:
    """The scene being edited and run; see the module docstring.

    Args:
        scene: the scene to open (a Scene, a preset scene's name or a file path; None for the
            default preset scene).
        surface: its surface when already built (otherwise built here, with SymPy).
    """

    def __init__(self, scene: Scene | str | None = None, surface: Surface | None = None):
        if scene is None:
            scene = PRESET_SCENES[DEFAULT_SCENE]
        elif isinstance(scene, str):
            scene = resolve_scene(scene)
        self._observers = Observers()
        self._scene: Scene = scene
        self._scene_file = ""
        self._surface: Surface = surface if surface is not None else scene.surface()
        self._view: ViewSettings = scene.view
        self._critical_points: list = []
        self._states: dict[int, BallState] = {}
        self._histories: dict[int, BallHistory] = {}
        self._step_cost = 0.0  # running estimate of seconds per simulation step (all balls)
        self._simulation = self._install(Simulation(self._surface, scene.balls, seed=scene.seed))
        self._step_limit = history_step_limit(self._simulation.balls)
        self._selected = 0 if scene.balls else -1
        self._playing = False
        self._speed = clamp_speed(scene.speed)
        self._last_frame_work = 0.0
        self._frames = 0

    # -- observers -----------------------------------------------------------------------------
    def subscribe(self, observer: Observer) -> Callable[[], None]:
        """Tell ``observer(event)`` of every change from now on; returns the function that stops it."""
        return self._observers.subscribe(observer)

    def _emit(self, event: SessionEvent) -> None:
        self._observers.emit(event)

    # -- read-only state -----------------------------------------------------------------------
    @property
    def scene(self) -> Scene:
        """The scene last loaded (its title, note and description); ``current_scene()`` is the live one."""
        return self._scene

    @property
    def scene_file(self) -> str:
        """The file the scene was opened from ("" for a preset or a scene given as a value).

        Set before ``SceneChanged`` is announced, so an observer can tell a file from a gallery scene.
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
    def step_limit(self) -> int:
        """The step at which a run stops by itself (physics.history_budget)."""
        return self._step_limit

    @property
    def view(self) -> ViewSettings:
        """How the scene is shown (camera, layout, overlays); saved with the scene."""
        return self._view

    @property
    def last_frame_work(self) -> float:
        """Seconds the last ``frame()`` spent stepping the simulation."""
        return self._last_frame_work

    def state(self, index: int) -> BallState:
        """The latest BallState of ball ``index``.

        Every view and panel asks for it each frame; it is made once per change of the
        simulation and shared, so treat it as read-only.
        """
        state = self._states.get(index)
        if state is None:
            state = self._states[index] = self._simulation.state(index)
        return state

    def history(self, index: int) -> BallHistory:
        """The BallHistory of ball ``index`` (shared until the simulation changes; read-only)."""
        history = self._histories.get(index)
        if history is None:
            history = self._histories[index] = self._simulation.history(index)
        return history

    def current_scene(self) -> Scene:
        """The live state as a Scene value (what Save writes and the autosave keeps)."""
        surface = self._surface
        preset = preset_name(surface.name) if surface.name else None
        formula = preset if preset is not None and surface.text == preset_surface(preset).text else surface.text
        return replace(self._scene, formula=formula, parameters=surface.parameters, domain=surface.domain,
                       balls=self.balls, seed=self.seed, speed=self._speed, view=self._view)

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
    def apply_formula(self, surface: Surface, balls: tuple[BallSpec, ...] | None = None) -> bool:
        """Switch to ``surface`` with ``balls`` (the current ones by default); False if it was refused.

        The balls restart on the new landscape (adapted where they cannot run there). A new
        formula makes an untitled scene: the scene's words described the old landscape.
        """
        moved = balls is not None and balls != self.balls
        try:
            self._restart_on(surface, self.balls if balls is None else balls, announce=moved)
        except DownhillError as error:
            self._emit(FormulaRefused(error))  # e.g. f undefined over the whole domain: keep the old surface
            return False
        if (surface.text, surface.name) != (self._surface.text, self._surface.name):
            self._scene = replace(self._scene, title="", description="", note="")
        self._surface = surface
        self._critical_points = []
        self._emit(SurfaceChanged(surface))
        self._emit(CriticalPointsChanged([]))
        self._emit(CriticalPointsWanted(surface))
        self._emit(Stepped())
        return True

    def apply_preset(self, surface: Surface) -> bool:
        """Switch to the preset ``surface`` with the balls on its suggested starts, then its teaching note.

        Ball ``i`` moves to the preset's start ``i`` (cycling) in the same switch as the surface
        (one restart, not one per ball); a preset without suggested starts keeps the balls' starts.
        """
        if not self.apply_formula(surface, preset_starts(surface.name, self.balls)):
            return False
        note = PRESETS[surface.name].note
        if note:
            self._emit(Notice(note))
        return True

    def apply_scene(self, scene: Scene, surface: Surface, path: str = "") -> None:
        """Open a whole scene (built with its ``surface``); ``path`` is its file ("" for none)."""
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
        speed = clamp_speed(scene.speed)
        speed_changed = speed != self._speed
        # Before any event: a receiver of SceneChanged reads current_scene() as the scene just loaded.
        self._speed = speed
        self._emit(SceneChanged(scene))
        self._emit(SurfaceChanged(surface))
        self._emit(CriticalPointsChanged([]))
        self._emit(BallsChanged())
        self._emit(SelectionChanged(self._selected))
        if speed_changed:
            self._emit(SpeedChanged(speed))
        self._emit(CriticalPointsWanted(surface))
        self._emit(Stepped())
        if was_playing:
            self.play()

    def set_parameter(self, name: str, value: float) -> None:
        """Change a named parameter live: no rebuild; running balls continue on the new surface.

        A ball whose start is undefined for the new value makes every ball restart, that start
        moved; a value where no ball can run is refused with ``FormulaRefused``.

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
            try:
                self._restart_on(surface, self.balls)
            except DownhillError as error:
                self._emit(FormulaRefused(error))
                return
        self._surface = surface
        self._emit(SurfaceChanged(surface))
        self._emit(CriticalPointsWanted(surface))
        self._emit(Stepped())

    def set_view(self, view: ViewSettings) -> None:
        """Remember how the scene is shown (the window reports overlay switches and the camera)."""
        self._view = view

    def set_experiments(self, experiments: tuple) -> None:
        """The experiments shown with the scene (physics.experiments.base.ExperimentSpec); saved with it."""
        self._scene = replace(self._scene, experiments=tuple(experiments))

    def critical_points_found(self, surface: Surface, points: list) -> None:
        """The critical points of ``surface``; dropped if the surface has since been replaced."""
        if surface is not self._surface:
            return
        self._critical_points = list(points)
        self._emit(CriticalPointsChanged(self.critical_points))

    def critical_points_failed(self, error: object) -> None:
        """The search failed: the surface itself is fine, it just has no marked critical points."""
        self._critical_points = []
        self._emit(CriticalPointsChanged([]))
        self._emit(Notice(f"no critical points marked: {error}"))

    def _restart_on(self, surface: Surface, balls: tuple[BallSpec, ...], announce: bool = False) -> None:
        """A fresh simulation on ``surface`` with ``balls``; those that cannot run there are adapted.

        ``BallsChanged`` follows when the balls differ from those given (adapted, with the changes
        in words as a ``Notice``) or when ``announce`` says the caller changed them.

        Raises:
            DownhillError: the balls cannot be made to run there (f undefined over the whole domain).
        """
        adapted, changes = adapt_balls(surface, balls)
        self._simulation = self._install(Simulation(surface, adapted, seed=self.seed))
        self._step_limit = history_step_limit(adapted)
        if changes or announce:
            self._emit(BallsChanged())
        if changes:
            self._emit(Notice("; ".join(changes)))

    # -- balls ---------------------------------------------------------------------------------
    def add_ball(self, spec: BallSpec | None = None, start: tuple[float, float] | None = None) -> int:
        """Add a ball and select it; return its index.

        Without ``spec`` the new ball copies the selected ball's optimiser, hyper-parameters and
        noise (physics.ball_naming), with a fresh name and colour.

        Raises:
            DownhillError: the scene already holds MAX_BALLS balls, or f is undefined at the start.
        """
        balls = self.balls
        if len(balls) >= MAX_BALLS:
            raise DownhillError(f"a scene holds at most {MAX_BALLS} balls; remove one first")
        if spec is None:
            spec = new_ball_spec(balls, self._selected, self._surface.domain, start, MAX_BALLS)
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
        copy = replace(original, name=unique_name(original.name, self.balls),
                       color=next_color(self.balls, MAX_BALLS))
        return self.add_ball(copy)

    def remove_ball(self, index: int) -> None:
        """Remove ball ``index``; the selection stays on the same ball, or the one before."""
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
        """Select ball ``index`` (out of range: none, -1)."""
        index = int(index)
        if not -1 <= index < len(self.balls):
            index = -1
        if index != self._selected:
            self._selected = index
            self._emit(SelectionChanged(index))

    def set_ball_start(self, index: int, start: tuple[float, float]) -> None:
        """Move a ball's start; the ball runs again from there."""
        self._check_index(index)
        self.update_ball(index, replace(self.balls[index], start=(float(start[0]), float(start[1]))))

    def _set_balls(self, balls: tuple[BallSpec, ...]) -> None:
        self._simulation.set_balls(balls)
        self._step_cost = 0.0
        self._step_limit = history_step_limit(self._simulation.balls)
        self._emit(BallsChanged())
        self._emit(Stepped())

    def _check_index(self, index: int) -> None:
        if not 0 <= index < len(self.balls):
            raise DownhillError(f"there is no ball number {index + 1}")

    # -- running -------------------------------------------------------------------------------
    def play(self) -> None:
        """Start running; at the end of a run (every ball at rest, or the step limit) it starts over."""
        if self._playing:
            return
        if self._at_rest() or self.step_index >= self._step_limit:
            self._simulation.reset()
            self._emit(Stepped())
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
        """Advance every ball by one step (pausing first)."""
        self.advance(1)

    def advance(self, count: int) -> None:
        """Pause, then advance every ball by ``count`` steps at once (within the step limit)."""
        self.pause()
        count = max(0, min(int(count), self._step_limit - self._simulation.step_index))
        if count:
            self._simulation.step(count)
            self._emit(Stepped())

    def reset(self) -> None:
        """Every ball back to its start; the same seed gives the same run again."""
        self._simulation.reset()
        self._emit(Stepped())

    def set_speed(self, speed: int) -> None:
        """Simulation steps per frame (1 to the scene format's maximum)."""
        speed = clamp_speed(speed)
        if speed != self._speed:
            self._speed = speed
            self._emit(SpeedChanged(speed))

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
        self._emit(Stepped())

    def frame(self, budget: float | None = None) -> None:
        """One animation frame: up to ``speed`` steps within ``budget`` seconds (FRAME_STEP_BUDGET), then ``Stepped``.

        Steps go in chunks sized by a running estimate of a step's cost (the first step of a new
        set of balls measures it). After the frame the run pauses, with a ``Notice`` saying why,
        when the history budget is spent or (checked every REST_CHECK_FRAMES frames) every ball
        is at rest.
        """
        budget_seconds = FRAME_STEP_BUDGET if budget is None else budget
        simulation = self._simulation
        started = time.perf_counter()
        remaining = min(self._speed, self._step_limit - simulation.step_index)
        while remaining > 0:
            left = budget_seconds - (time.perf_counter() - started)
            if left <= 0:
                break
            chunk = max(1, min(remaining, int(left / self._step_cost))) if self._step_cost > 0 else 1
            before = time.perf_counter()
            simulation.step(chunk)
            cost = (time.perf_counter() - before) / chunk
            self._step_cost = cost if self._step_cost == 0 else 0.8 * self._step_cost + 0.2 * cost
            remaining -= chunk
        self._last_frame_work = time.perf_counter() - started
        self._frames += 1
        self._emit(Stepped())
        if simulation.step_index >= self._step_limit:
            self.pause()
            self._emit(Notice(f"Stopped after {simulation.step_index:,} steps (the history is full); "
                              "R starts again"))
        elif self._frames % REST_CHECK_FRAMES == 0 and self._at_rest():
            self.pause()
            self._emit(Notice("Every ball has come to rest; Space runs the scene again"))

    def _set_playing(self, playing: bool) -> None:
        if playing != self._playing:
            self._playing = playing
            self._emit(PlayingChanged(playing))

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


def clamp_speed(speed: object) -> int:
    """``speed`` as a whole number of steps per frame from 1 to MAX_SPEED (1 for nonsense)."""
    try:
        value = float(speed)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 1
    if not math.isfinite(value):
        return 1
    return int(max(1, min(round(value), MAX_SPEED)))
