"""The SceneController: background builds, stale results, transport, live parameters, scene round trip."""

from __future__ import annotations

import threading
from dataclasses import replace

import numpy as np
import pytest

import gui.controller as controller_module
import physics.session as session_module
from gui.controller import SceneController
from physics.ball_placement import adapt_balls, preset_starts
from physics.balls import BallSpec
from physics.history_budget import MAX_STEPS, history_step_limit
from physics.noise import NoiseSettings
from physics.scene_files import save_scene
from physics.scene_reader import scene_from_json
from physics.scenes import Scene
from physics.session import SPEEDS
from surfaces.errors import DownhillError, FormulaError
from surfaces.presets import PRESETS
from surfaces.surface import build_surface

BUILD_TIMEOUT = 20_000  # ms a test waits for a background SymPy build


def gd_ball(name: str, start: tuple[float, float], lr: float = 0.1, **options) -> BallSpec:
    return BallSpec(name=name, color="#ff3b30", optimizer="gd", hyperparameters=(("lr", lr),), start=start, **options)


def simple_scene(formula: str = "x^2 + 3*y^2", balls: tuple[BallSpec, ...] | None = None, seed: int = 0) -> Scene:
    if balls is None:
        balls = (gd_ball("a", (1.0, 1.0)),)
    return Scene(title="test", formula=formula, balls=balls, seed=seed)


@pytest.fixture
def quick(qtbot):
    """A controller on x^2 + 3y^2 with one gradient-descent ball."""
    controller = SceneController(simple_scene())
    yield controller
    controller.shutdown()


def build(qtbot, controller: SceneController, text: str):
    with qtbot.waitSignal(controller.surfaceChanged, timeout=BUILD_TIMEOUT) as blocker:
        controller.set_formula(text)
    return blocker.args[0]


# -- background builds -------------------------------------------------------------------------


def test_a_formula_is_built_off_the_ui_thread_and_then_announced(qtbot, quick):
    threads: list[threading.Thread] = []
    original = controller_module.build_surface_for

    def recording(*arguments):
        threads.append(threading.current_thread())
        return original(*arguments)

    quick_before = quick.surface
    started, finished = [], []
    quick.buildStarted.connect(lambda: started.append(True))
    quick.buildFinished.connect(lambda: finished.append(True))
    try:
        controller_module.build_surface_for = recording
        with qtbot.waitSignal(quick.surfaceChanged, timeout=BUILD_TIMEOUT) as blocker:
            quick.set_formula("x^2 - y^2")
            # The call returned at once; the result can only land through the event loop.
            assert quick.surface is quick_before
    finally:
        controller_module.build_surface_for = original
    surface = blocker.args[0]
    assert surface is quick.surface and surface.text == "x^2 - y^2"
    assert threads and threads[0] is not threading.main_thread()
    qtbot.waitUntil(lambda: bool(finished), timeout=BUILD_TIMEOUT)
    assert started
    # The new surface is live in the simulation: the ball's gradient is that of x^2 - y^2 at (1, 1).
    np.testing.assert_allclose(quick.state(0).gradient[0], [2.0, -2.0])
    # Its critical point (the saddle at the origin) follows from the second worker.
    qtbot.waitUntil(lambda: [p.kind for p in quick.critical_points] == ["saddle"], timeout=BUILD_TIMEOUT)


def test_a_bad_formula_reports_its_column_and_keeps_the_surface(qtbot, quick):
    before, simulation = quick.surface, quick.simulation
    quick.step_once()
    changed: list[object] = []
    quick.surfaceChanged.connect(changed.append)
    with qtbot.waitSignal(quick.formulaError, timeout=BUILD_TIMEOUT) as blocker:
        quick.set_formula("x^2 +* y")
    error = blocker.args[0]
    assert isinstance(error, FormulaError) and error.column == 6  # the '*'
    assert quick.surface is before and quick.simulation is simulation and quick.step_index == 1
    assert changed == []


def test_a_formula_without_x_or_y_is_refused_with_the_preset_it_resembles(qtbot, quick):
    with qtbot.waitSignal(quick.formulaError, timeout=BUILD_TIMEOUT) as blocker:
        quick.set_formula("rosenbrok")
    assert "rosenbrock" in str(blocker.args[0])
    with qtbot.waitSignal(quick.formulaError, timeout=BUILD_TIMEOUT) as blocker:
        quick.set_formula("3")
    assert "does not depend on x or y" in str(blocker.args[0])


def test_stale_builds_are_dropped_and_waiting_ones_replaced(qtbot, quick, monkeypatch):
    built: list[str] = []
    release = threading.Event()
    original = controller_module.build_surface_for

    def slow(text, parameters, domain):
        built.append(text)
        if text == "x^2 + y^2":
            release.wait(10)  # the first build is still running while the others arrive
        return original(text, parameters, domain)

    monkeypatch.setattr(controller_module, "build_surface_for", slow)
    applied: list[str] = []
    quick.surfaceChanged.connect(lambda surface: applied.append(surface.text))
    quick.set_formula("x^2 + y^2")
    qtbot.waitUntil(lambda: built == ["x^2 + y^2"], timeout=BUILD_TIMEOUT)
    quick.set_formula("x^2 + 2*y^2")
    quick.set_formula("x^2 + 4*y^2")
    release.set()
    qtbot.waitUntil(lambda: not quick.building, timeout=BUILD_TIMEOUT)
    # The first result was stale when it arrived; the second request never ran; the last one won.
    assert built == ["x^2 + y^2", "x^2 + 4*y^2"]
    assert applied == ["x^2 + 4*y^2"]
    assert quick.surface.text == "x^2 + 4*y^2"


def test_a_typed_formula_keeps_parameter_values_and_the_domain(qtbot, quick):
    first = build(qtbot, quick, "a*x^2 + b*y^2")
    assert first.parameter_values == {"a": 1.0, "b": 1.0}
    quick.set_parameter("a", 2.5)
    second = build(qtbot, quick, "a*x^2 + b*y^2 + x*y")
    assert second.parameter_values == {"a": 2.5, "b": 1.0}
    assert second.domain == first.domain


def test_a_preset_name_brings_the_preset_and_its_domain(qtbot, quick):
    surface = build(qtbot, quick, "rosenbrock")
    assert surface.name == "rosenbrock"
    assert surface.domain != build_surface("x^2").domain


def test_load_preset_brings_its_domain_and_moves_the_balls_to_its_starts_in_one_restart(qtbot, quick):
    for start in ((0.5, 0.5), (0.2, 0.1), (0.3, 0.3), (0.4, 0.4)):
        quick.add_ball(start=start)
    quick.simulation.step(3)
    before = quick.balls
    announcements: list[object] = []
    quick.ballsChanged.connect(lambda: announcements.append(quick.simulation))
    notices: list[str] = []
    quick.notice.connect(notices.append)
    with qtbot.waitSignal(quick.surfaceChanged, timeout=BUILD_TIMEOUT):
        quick.load_preset("Himmelblau")  # as the menu or the gallery calls it; case forgiven
    assert quick.surface.name == "himmelblau"
    assert quick.surface.domain == PRESETS["himmelblau"].domain
    # Himmelblau suggests four starts; the fifth ball takes the first again.
    starts = [(0.0, 0.0), (-1.0, 1.0), (-1.0, -1.5), (1.0, -1.5), (0.0, 0.0)]
    assert [ball.start for ball in quick.balls] == starts
    assert [replace(ball, start=(0.0, 0.0)) for ball in quick.balls] == [replace(ball, start=(0.0, 0.0))
                                                                        for ball in before]
    # One new simulation, announced once, every ball at its new start at step 0.
    assert announcements == [quick.simulation]
    assert quick.step_index == 0
    for index, start in enumerate(starts):
        np.testing.assert_array_equal(quick.state(index).positions[0], start)
    assert notices == [PRESETS["himmelblau"].note]


def test_load_preset_of_an_unknown_name_says_which_one_was_meant(quick):
    with pytest.raises(FormulaError, match="did you mean 'himmelblau'"):
        quick.load_preset("himmelbrau")
    assert not quick.building


def test_preset_starts_leave_balls_already_there_untouched():
    ball = gd_ball("a", (-1.2, 1.0))
    assert preset_starts("rosenbrock", (ball,))[0] is ball
    moved = preset_starts("rosenbrock", (gd_ball("b", (0.0, 0.0)),))[0]
    assert moved.start == (-1.2, 1.0) and moved.name == "b"


def test_balls_whose_start_becomes_undefined_are_moved_and_announced(qtbot):
    controller = SceneController(simple_scene(balls=(gd_ball("left", (-1.0, 0.5)),)))
    try:
        notices: list[str] = []
        controller.notice.connect(notices.append)
        build(qtbot, controller, "log(x) + y^2")
        start = controller.balls[0].start
        assert start[0] > 0  # log(x) is defined only for x > 0
        value = controller.surface.evaluate(np.array([start])).value[0]
        assert value == pytest.approx(np.log(start[0]) + start[1] ** 2)
        assert notices and "left" in notices[0]
    finally:
        controller.shutdown()


def test_adapt_balls_drops_minibatches_on_a_surface_without_terms():
    surface = build_surface("x^2 + y^2")
    ball = gd_ball("batch", (1.0, 1.0), noise=NoiseSettings(batch_size=2))
    (adapted,), changes = adapt_balls(build_surface("(x-1)^2"), (ball,))
    assert adapted.noise.batch_size is None and changes
    assert adapt_balls(surface, (gd_ball("plain", (1.0, 1.0)),)) == ((gd_ball("plain", (1.0, 1.0)),), [])


# -- transport ---------------------------------------------------------------------------------


def test_step_once_advances_one_gradient_descent_step(qtbot, quick):
    with qtbot.waitSignal(quick.stepped):
        quick.step_once()
    assert quick.step_index == 1
    # x^2 + 3y^2 at (1, 1): gradient (2, 6); lr 0.1 gives (1, 1) - 0.1 (2, 6) = (0.8, 0.4).
    np.testing.assert_allclose(quick.state(0).positions[0], [0.8, 0.4])


def test_play_runs_the_animation_and_pause_stops_it(qtbot, quick):
    quick.set_speed(3)
    frames: list[int] = []
    quick.stepped.connect(lambda: frames.append(quick.step_index))
    with qtbot.waitSignal(quick.playingChanged) as blocker:
        quick.play()
    assert blocker.args == [True] and quick.playing
    qtbot.waitUntil(lambda: quick.step_index >= 9, timeout=BUILD_TIMEOUT)
    quick.pause()
    assert not quick.playing
    steps = quick.step_index
    # Each frame advanced by at most `speed` steps, and by at least one.
    advances = np.diff([0, *frames])
    assert advances.max() <= 3 and advances.min() >= 1 and sum(advances) == steps
    qtbot.wait(100)
    assert quick.step_index == steps


def test_reset_returns_every_ball_to_its_start(qtbot, quick):
    quick.simulation.step(5)
    quick.reset()
    assert quick.step_index == 0
    np.testing.assert_allclose(quick.state(0).positions[0], [1.0, 1.0])


def test_the_animation_stops_by_itself_when_every_ball_has_settled(qtbot):
    # lr 0.5 on x^2 + y^2 jumps to the minimum in one step and then stands still.
    controller = SceneController(simple_scene("x^2 + y^2", (gd_ball("jump", (1.0, -2.0), lr=0.5),)))
    try:
        notices: list[str] = []
        controller.notice.connect(notices.append)
        controller.play()
        qtbot.waitUntil(lambda: not controller.playing, timeout=BUILD_TIMEOUT)
        assert any("rest" in text for text in notices)
        # Space at the end runs the scene again from the start.
        with qtbot.waitSignal(controller.stepped):
            controller.play()
        assert controller.playing
        controller.pause()
    finally:
        controller.shutdown()


def test_speed_moves_along_the_ladder_and_is_clamped(quick):
    speeds: list[int] = []
    quick.speedChanged.connect(speeds.append)
    quick.set_speed(1)
    quick.faster()
    quick.faster()
    assert quick.speed == SPEEDS[2]
    quick.slower()
    assert quick.speed == SPEEDS[1]
    quick.set_speed(10**9)
    assert quick.speed == 1000
    quick.set_speed(-5)
    assert quick.speed == 1
    assert speeds == [SPEEDS[1], SPEEDS[2], SPEEDS[1], 1000, 1]


class FakeClock:
    """A perf_counter that only moves when the simulation steps: each step costs ``step_cost`` seconds."""

    def __init__(self, step_cost: float):
        self.now = 100.0
        self.step_cost = step_cost

    def perf_counter(self) -> float:
        return self.now


def test_a_frame_stops_stepping_when_its_budget_is_spent(quick, monkeypatch):
    clock = FakeClock(step_cost=0.001)
    monkeypatch.setattr(session_module, "time", clock)
    simulation = quick.simulation
    real_step = simulation.step
    chunks: list[int] = []

    def timed_step(count: int = 1) -> None:
        chunks.append(count)
        real_step(count)
        clock.now += count * clock.step_cost

    monkeypatch.setattr(simulation, "step", timed_step)
    quick.set_speed(1000)
    quick._tick()  # one animation frame
    # The first step measures the cost (1 ms); the rest of the 8 ms budget is filled in a call or two.
    budget_steps = round(session_module.FRAME_STEP_BUDGET / clock.step_cost)
    assert chunks[0] == 1 and len(chunks) <= 3
    assert quick.step_index == budget_steps
    assert quick.last_frame_work == pytest.approx(session_module.FRAME_STEP_BUDGET)
    # With the cost known, the next frame takes the same number of steps.
    before = len(chunks)
    quick._tick()
    assert sum(chunks[before:]) == budget_steps and len(chunks) - before <= 2
    # Steps become 4 times as costly (a swarm was added): after one frame to notice, frames take fewer steps.
    clock.step_cost = 0.004
    quick._tick()
    before = len(chunks)
    quick._tick()
    assert 1 <= sum(chunks[before:]) < budget_steps


def test_set_seed_restarts_with_other_noise(quick):
    noisy = gd_ball("noisy", (1.0, 1.0), noise=NoiseSettings(sigma=0.5))
    quick.update_ball(0, noisy)
    quick.simulation.step(3)
    first = quick.state(0).positions.copy()
    quick.set_seed(42)
    assert quick.seed == 42 and quick.step_index == 0
    quick.simulation.step(3)
    assert not np.array_equal(first, quick.state(0).positions)


# -- live parameters ---------------------------------------------------------------------------


def test_set_parameter_changes_the_surface_live_without_restarting(qtbot, quick):
    build(qtbot, quick, "a*x^2 + y^2")
    quick.step_once()
    position = quick.state(0).positions[0].copy()
    with qtbot.waitSignal(quick.surfaceChanged) as blocker:
        quick.set_parameter("a", 3.0)
    assert blocker.args[0].parameter_values == {"a": 3.0}
    assert quick.step_index == 1  # the ball was not restarted
    quick.step_once()
    # One gradient-descent step on 3x^2 + y^2: p - 0.1 (6x, 2y).
    expected = position - 0.1 * np.array([6.0 * position[0], 2.0 * position[1]])
    np.testing.assert_allclose(quick.state(0).positions[0], expected)


def test_set_parameter_rejects_a_name_the_formula_does_not_have(quick):
    with pytest.raises(FormulaError):
        quick.set_parameter("zeta", 1.0)


# -- balls -------------------------------------------------------------------------------------


def test_add_ball_copies_the_selected_method_at_the_new_start(quick):
    adam = BallSpec(name="adam", color="#ff9f0a", optimizer="adam", hyperparameters=(("lr", 0.05),),
                    start=(0.5, 0.5))
    quick.update_ball(0, adam)
    quick.select(0)
    index = quick.add_ball(start=(-1.0, 2.0))
    assert index == 1 and quick.selected == 1
    ball = quick.balls[1]
    assert ball.start == (-1.0, 2.0) and ball.optimizer == "adam" and ball.hyperparameters == (("lr", 0.05),)
    assert ball.name not in ("adam",) and ball.color != adam.color
    with pytest.raises(DownhillError):
        quick.add_ball(start=(float("nan"), 0.0))


def test_remove_and_duplicate_keep_the_selection_sensible(quick):
    quick.duplicate_ball(0)
    assert len(quick.balls) == 2 and quick.balls[1].start == quick.balls[0].start
    selections: list[int] = []
    quick.selectionChanged.connect(selections.append)
    quick.remove_ball(1)
    assert quick.selected == 0 and selections[-1] == 0
    quick.remove_ball(0)
    assert quick.balls == () and quick.selected == -1


def test_set_ball_start_reruns_that_ball_only(quick):
    quick.add_ball(start=(0.5, -0.5))
    quick.simulation.step(4)
    other = quick.history(0).positions.copy()
    quick.set_ball_start(1, (-1.0, 1.0))
    assert quick.balls[1].start == (-1.0, 1.0)
    np.testing.assert_allclose(quick.state(1).positions[0], [-1.0, 1.0])
    np.testing.assert_array_equal(quick.history(0).positions, other)


def test_history_step_limit_shrinks_with_swarms():
    one = history_step_limit((gd_ball("a", (0.0, 0.0)),))
    many = history_step_limit(tuple(gd_ball(str(i), (0.0, 0.0), particles=32) for i in range(16)))
    assert one == MAX_STEPS
    assert 1000 <= many < one


# -- scenes ------------------------------------------------------------------------------------


def test_a_scene_round_trips_through_json_and_runs_identically(qtbot, tmp_path):
    balls = (gd_ball("plain", (1.2, 0.3)),
             BallSpec(name="noisy adam", color="#4dc3ff", optimizer="adam", hyperparameters=(("lr", 0.05),),
                      start=(-1.0, 0.8), noise=NoiseSettings(sigma=0.2)))
    scene = replace(simple_scene("a*x^2 + y^2 - x*y", balls, seed=7), parameters=(("a", 1.0),))
    controller = SceneController(scene)
    other = None
    try:
        build(qtbot, controller, "a*x^2 + y^2 - x*y")
        controller.set_parameter("a", 1.7)
        controller.set_speed(5)
        scene = controller.current_scene()
        path = tmp_path / "scene.json"
        save_scene(scene, path)
        reloaded = scene_from_json(path.read_text())
        assert reloaded == scene

        controller.reset()
        controller.simulation.step(40)
        other = SceneController(reloaded)
        other.simulation.step(40)
        assert other.surface.parameter_values == {"a": 1.7} and other.speed == 5 and other.seed == 7
        for index in range(2):
            np.testing.assert_array_equal(controller.history(index).positions, other.history(index).positions)
            np.testing.assert_array_equal(controller.history(index).loss, other.history(index).loss)

        # Loading it into a running controller gives the same run again.
        with qtbot.waitSignal(controller.sceneChanged, timeout=BUILD_TIMEOUT):
            controller.load_scene(reloaded)
        controller.simulation.step(40)
        for index in range(2):
            np.testing.assert_array_equal(controller.history(index).positions, other.history(index).positions)
    finally:
        controller.shutdown()
        if other is not None:
            other.shutdown()


def test_open_file_reports_a_bad_file_and_keeps_the_scene(qtbot, quick, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"version": 1, "formula": "x^2 +", "balls": []}')
    scene = quick.scene
    with qtbot.waitSignal(quick.sceneFileFailed, timeout=BUILD_TIMEOUT) as blocker:
        quick.open_file(path)
    assert blocker.args[0] == str(path) and "formula" in str(blocker.args[1])
    assert quick.scene is scene


def test_open_file_switches_to_the_scene(qtbot, quick, tmp_path):
    scene = simple_scene("x^2 - y^2", (gd_ball("s", (1.0, 0.0)),), seed=3)
    path = tmp_path / "saddle.json"
    save_scene(replace(scene, title="saddle"), path)
    with qtbot.waitSignals([quick.sceneChanged, quick.sceneFileOpened], timeout=BUILD_TIMEOUT):
        quick.open_file(path)
    assert quick.scene.title == "saddle" and quick.surface.text == "x^2 - y^2" and quick.seed == 3
    assert quick.balls == scene.balls and quick.selected == 0
    assert quick.scene_file == str(path)
    with qtbot.waitSignal(quick.sceneChanged, timeout=BUILD_TIMEOUT):
        quick.load_scene(scene)  # a scene given as a value comes from no file
    assert quick.scene_file == ""


@pytest.mark.parametrize("link", ["ControllerLink", "EditorLink"])
def test_the_controller_offers_everything_the_views_panels_and_editors_link_to(quick, link):
    import gui.controller_link as links

    protocol = getattr(links, link)
    names = set()
    for cls in protocol.__mro__:
        if cls.__module__ == links.__name__:
            names |= {name for name in vars(cls) if not name.startswith("_")}
            names |= set(vars(cls).get("__annotations__", {}))
    assert {"surfaceChanged", "stepped", "state", "history", "select", "balls"} <= names
    missing = [name for name in sorted(names) if not hasattr(quick, name)]
    assert missing == []


def test_the_controller_relays_the_sessions_events_as_its_signals(qtbot, quick):
    heard: list[tuple[str, object]] = []
    quick.selectionChanged.connect(lambda index: heard.append(("selection", index)))
    quick.ballsChanged.connect(lambda: heard.append(("balls", None)))
    quick.stepped.connect(lambda: heard.append(("stepped", None)))
    quick.speedChanged.connect(lambda speed: heard.append(("speed", speed)))
    quick.session.add_ball(start=(0.5, 0.5))  # a command given to the session directly
    quick.session.set_speed(7)
    assert heard == [("balls", None), ("stepped", None), ("selection", 1), ("speed", 7)]
    assert quick.balls == quick.session.balls and quick.selected == 1
