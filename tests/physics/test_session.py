"""The Session without Qt: an editing sequence as the window sends it, checked against independent facts.

Each event list is what an observer heard; the state after each command is checked against a
Simulation run directly with the same balls and seed, against the domain's own grid (a ball
moved off an undefined start), and against the bytes the telemetry records really allocate.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from physics.ball_placement import RELOCATION_GRID
from physics.balls import PALETTE, BallSpec
from physics.history_budget import (
    HISTORY_BUDGET_BYTES,
    MAX_STEPS,
    PARTICLE_STEP_BYTES,
    SUMMARY_STEP_BYTES,
    history_step_limit,
)
from physics.noise import NoiseSettings
from physics.scenes import Scene
from physics.session import Session
from physics.session_builds import (
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
    SpeedChanged,
    Stepped,
    SurfaceChanged,
)
from physics.simulation import Simulation
from physics.telemetry import particle_record, summary_record
from surfaces.presets import PRESETS


def gd_ball(name: str, start: tuple[float, float], **options) -> BallSpec:
    return BallSpec(name=name, color="#ff3b30", optimizer="gd", hyperparameters=(("lr", 0.1),), start=start,
                    **options)


class Recorder:
    """An observer that keeps every event, and finds critical points when asked (as a worker would)."""

    def __init__(self, session: Session, answer_critical: bool = True):
        self.session = session
        self.events: list = []
        self.answer_critical = answer_critical
        self.stop = session.subscribe(self)

    def __call__(self, event) -> None:
        self.events.append(event)
        if self.answer_critical and isinstance(event, CriticalPointsWanted):
            found = find_critical_points_of(event.surface)
            self.session.critical_points_found(found.surface, found.points)

    def take(self) -> list:
        events, self.events = self.events, []
        return events


def kinds(events: list) -> list[type]:
    return [type(event) for event in events]


def direct_positions(session: Session, steps: int) -> list[np.ndarray]:
    """The balls' positions after ``steps`` steps of a Simulation made afresh with the session's balls and seed."""
    simulation = Simulation(session.surface, session.balls, seed=session.seed)
    simulation.step(steps)
    return [simulation.state(index).positions for index in range(len(session.balls))]


def test_an_editing_sequence_runs_headless_and_matches_a_direct_simulation():
    scene = Scene(title="bowl", description="words", formula="x^2 + 3*y^2",
                  balls=(gd_ball("a", (1.0, 1.0)),), seed=7)
    session = Session(scene)
    heard = Recorder(session)
    assert session.selected == 0 and session.step_index == 0 and not session.playing

    # A formula result built as a worker builds it: the surface switches and the scene is untitled.
    surface = build_surface_for("(x - 1)^2 + 2*y^2 + x*y", session.surface.parameter_values, session.surface.domain)
    assert session.apply_formula(surface)
    events = heard.take()
    assert kinds(events) == [SurfaceChanged, CriticalPointsChanged, CriticalPointsWanted, CriticalPointsChanged,
                             Stepped]
    assert events[0].surface is surface and events[1].points == []
    # The one critical point of this convex quadratic: grad f = (2(x-1) + y, 4y + x) = 0 at (8/7, -2/7).
    (point,) = events[3].points
    np.testing.assert_allclose([point.x, point.y], [8 / 7, -2 / 7], atol=1e-6)
    assert point.kind == "minimum"
    assert session.critical_points == events[3].points
    assert session.scene.title == "" and session.scene.description == ""
    # Points found for a surface since replaced are dropped.
    session.critical_points_found(build_surface_for("x^2 + y^2", {}, None), [])
    assert heard.take() == [] and len(session.critical_points) == 1

    # Add a ball: it copies the selected ball's method under a fresh name and the first free colour.
    index = session.add_ball(start=(-0.5, 0.5))
    assert index == 1
    assert kinds(heard.take()) == [BallsChanged, Stepped, SelectionChanged]
    added = session.balls[1]
    assert (added.name, added.color, added.start) == ("Ball 1", PALETTE[0], (-0.5, 0.5))
    assert added.dynamics()[:2] == session.balls[0].dynamics()[:2] and session.selected == 1

    # Update it to a noisy momentum ball; select the first; a new seed.
    session.update_ball(1, replace(added, optimizer="momentum", hyperparameters=(("lr", 0.05),),
                                   noise=NoiseSettings(sigma=0.3)))
    assert kinds(heard.take()) == [BallsChanged, Stepped]
    session.select(0)
    assert heard.take() == [SelectionChanged(0)]
    session.set_seed(1234)
    assert heard.take() == [Stepped()] and session.seed == 1234

    # Step: the same positions as a Simulation stepped directly with the same balls and seed.
    session.advance(25)
    assert heard.take() == [Stepped()] and session.step_index == 25
    for got, expected in zip([session.state(i).positions for i in range(2)], direct_positions(session, 25),
                             strict=True):
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(session.history(1).positions[-1], session.state(1).positions[0])

    # Reset: back to the starts, and the same seed gives the same run again.
    session.reset()
    assert heard.take() == [Stepped()] and session.step_index == 0
    np.testing.assert_array_equal(session.state(1).positions[0], [-0.5, 0.5])
    session.step_once()
    assert heard.take() == [Stepped()]
    np.testing.assert_array_equal(session.state(1).positions, direct_positions(session, 1)[1])

    # Remove the first ball: the selection stays on a ball (announced, the number now means another).
    session.remove_ball(0)
    assert kinds(heard.take()) == [BallsChanged, Stepped, SelectionChanged]
    assert [ball.name for ball in session.balls] == ["Ball 1"] and session.selected == 0

    # The live scene is a value that runs identically (from step 0) in a session of its own.
    saved = session.current_scene()
    assert saved.balls == session.balls and saved.seed == 1234
    again = Session(saved, session.surface)
    session.reset()
    session.advance(10)
    again.advance(10)
    np.testing.assert_array_equal(again.state(0).positions, session.state(0).positions)


def test_a_ball_on_an_undefined_point_moves_to_the_nearest_defined_grid_point():
    session = Session(Scene(title="t", formula="x^2 + y^2", balls=(gd_ball("left", (-1.0, 0.3)),)))
    heard = Recorder(session, answer_critical=False)
    surface = build_surface_for("log(x) + y^2", {}, session.surface.domain)
    assert session.apply_formula(surface)
    events = heard.take()
    assert kinds(events) == [BallsChanged, Notice, SurfaceChanged, CriticalPointsChanged, CriticalPointsWanted,
                             Stepped]
    # log(x) is defined for x > 0: the nearest grid point has the smallest positive grid x and the grid y nearest 0.3.
    xs, ys = surface.domain.grid(RELOCATION_GRID)
    expected = (xs[xs > 0].min(), ys[np.argmin(np.abs(ys - 0.3))])
    assert session.balls[0].start == pytest.approx(expected)
    assert "left's start moved to" in events[1].text
    np.testing.assert_allclose(session.state(0).positions[0], expected)


def test_a_parameter_that_makes_a_start_undefined_moves_the_ball_and_one_where_nothing_is_defined_is_refused():
    session = Session(Scene(title="t", formula="x^2 + y^2", balls=(gd_ball("b", (0.2, 0.0)),)))
    surface = build_surface_for("sqrt(x - a) + y^2", {}, session.surface.domain)
    session.apply_formula(surface.with_parameters({"a": 0.0}))
    heard = Recorder(session, answer_critical=False)
    session.set_parameter("a", 0.5)  # the start x = 0.2 is now left of the defined half-plane x > 0.5
    events = heard.take()
    assert kinds(events) == [BallsChanged, Notice, SurfaceChanged, CriticalPointsWanted, Stepped]
    assert session.surface.parameter_values["a"] == 0.5 and session.balls[0].start[0] > 0.5
    # f undefined over the whole domain: refused, the surface stays.
    before = session.surface
    session.set_parameter("a", 1e6)
    (refused,) = heard.take()
    assert isinstance(refused, FormulaRefused) and "undefined everywhere" in str(refused.error)
    assert session.surface is before


def test_running_frames_until_every_ball_rests_pauses_and_says_why():
    session = Session(Scene(title="t", formula="x^2 + y^2", balls=(gd_ball("b", (1.0, 1.0)),), speed=5))
    heard = Recorder(session)
    session.set_speed(1000)
    session.play()
    assert heard.take() == [SpeedChanged(1000), PlayingChanged(True)]
    for _ in range(200):
        session.frame(budget=1.0)
        if not session.playing:
            break
    events = heard.take()
    assert events[-2:] == [PlayingChanged(False),
                           Notice("Every ball has come to rest; Space runs the scene again")]
    assert set(kinds(events[:-2])) == {Stepped}
    # Playing again at rest starts the run over.
    session.play()
    assert heard.take() == [Stepped(), PlayingChanged(True)] and session.step_index == 0
    session.pause()
    assert heard.take() == [PlayingChanged(False)]


def test_build_results_are_values_a_session_applies():
    session = Session(Scene(title="t", formula="x^2 + y^2", balls=(gd_ball("b", (1.0, 1.0)),)))
    heard = Recorder(session, answer_critical=False)
    preset = build_preset("rosenbrock")
    assert isinstance(preset, PresetBuilt)
    assert session.apply_preset(preset.surface)
    start = tuple(float(v) for v in PRESETS["rosenbrock"].starts[0])
    assert session.balls[0].start == start
    note = PRESETS["rosenbrock"].note
    assert kinds(heard.take())[-1:] == ([Notice] if note else [Stepped])

    scene = Scene(title="other", formula="x^2 + 3*y^2", balls=(gd_ball("c", (0.5, 0.5)),), speed=3)
    built = build_scene(scene)
    assert isinstance(built, SceneBuilt) and built.path == ""
    session.apply_scene(built.scene, built.surface)
    assert kinds(heard.take()) == [SceneChanged, SurfaceChanged, CriticalPointsChanged, BallsChanged,
                                   SelectionChanged, SpeedChanged, CriticalPointsWanted, Stepped]
    assert session.scene is scene and session.speed == 3 and session.balls == scene.balls


def test_a_missing_scene_file_is_a_result_not_an_exception(tmp_path):
    failed = read_scene_file(tmp_path / "nowhere.json")
    assert isinstance(failed, SceneFileFailed) and failed.path.endswith("nowhere.json")


def test_unsubscribed_observers_hear_nothing_more():
    session = Session(Scene(title="t", formula="x^2 + y^2", balls=(gd_ball("b", (1.0, 1.0)),)))
    heard = Recorder(session)
    heard.stop()
    session.step_once()
    assert heard.events == []


def test_the_history_budget_counts_the_bytes_the_records_allocate():
    capacity = 16
    for n in (1, 5, 32):
        record = particle_record(n, capacity)
        allocated = sum(array.nbytes for array in record.arrays.values())
        assert allocated == capacity * (8 + n * PARTICLE_STEP_BYTES)
    summary = summary_record(capacity)
    assert sum(array.nbytes for array in summary.arrays.values()) == capacity * SUMMARY_STEP_BYTES
    swarm = tuple(gd_ball(str(i), (0.0, 0.0), particles=32) for i in range(16))
    per_step = 16 * (8 + 32 * PARTICLE_STEP_BYTES + SUMMARY_STEP_BYTES)
    assert history_step_limit(swarm) == HISTORY_BUDGET_BYTES // (2 * per_step)
    assert history_step_limit((gd_ball("a", (0.0, 0.0)),)) == MAX_STEPS
