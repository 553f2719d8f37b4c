"""The what-if preview (physics.preview) against the simulation itself: the ghost is what happens.

The reference is the real run: the same balls committed to a Simulation (``set_balls``, as the
GUI's release does) and stepped. The preview must equal its positions bit for bit.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from physics.balls import BallSpec
from physics.noise import NoiseSettings
from physics.optimizers.sgd import MomentumState, PlainState
from physics.preview import LEFT_MAP, NEIGHBOURHOOD, UNDEFINED, preview_ball, run_preview, what_if
from physics.simulation import Simulation
from surfaces.presets import preset_surface
from surfaces.surface import Domain, build_surface

STEPS = 120
NOISELESS = NoiseSettings()
NOISY = NoiseSettings(sigma=0.4)
ANNEALED = NoiseSettings(sigma=0.5, schedule="inverse-sqrt", decay=0.05)


def _ball(name: str, optimizer: str, start: tuple[float, float], noise: NoiseSettings = NOISELESS,
          clip: float | None = None, **hyper: object) -> BallSpec:
    return BallSpec(name, "#e69f00", optimizer, tuple(hyper.items()), start, noise, clip=clip)


def _committed_run(surface, balls, index, changed, steps, before=0, seed=7):  # noqa: ANN001, ANN202
    """The real run: ``before`` steps of ``balls``, then ball ``index`` changed to ``changed`` (the
    release), then ``steps`` more; returns the preview taken at the release and the ball's positions
    after it (row 0: where it stands at the release)."""
    simulation = Simulation(surface, balls, seed=seed)
    simulation.step(before)
    preview = preview_ball(simulation, index, changed, steps)
    replaced = list(simulation.balls)
    replaced[index] = changed
    simulation.set_balls(replaced)
    simulation.step(steps)
    return preview, simulation.history(index).positions


@pytest.mark.parametrize(("optimizer", "noise", "hyper"), [
    ("sgd", NoiseSettings(), {"lr": 1e-3}),
    ("sgd", NOISY, {"lr": 2e-4, "momentum": 0.9}),
    ("nesterov", ANNEALED, {"lr": 2e-4}),
    ("adam", NoiseSettings(), {"lr": 0.05}),
    ("adam", NOISY, {"lr": 0.05, "betas": (0.8, 0.99)}),
    ("rmsprop", NOISY, {"lr": 0.005}),
    ("rprop", NoiseSettings(), {"lr": 0.01}),
    ("newton", NoiseSettings(sigma=0.02), {}),
    ("damped-newton", NoiseSettings(), {}),
    ("bfgs", NOISY, {}),
    ("cg", NoiseSettings(), {}),
])
def test_a_ball_at_step_zero_previews_exactly_what_it_does_after_release(optimizer, noise, hyper) -> None:  # noqa: ANN001
    surface = preset_surface("rosenbrock")
    other = _ball("other", "adam", (0.5, 2.0), NOISY, lr=0.1)
    # The previewed ball is the second: its random streams are its index's, not the first's.
    mine = _ball("mine", optimizer, (-1.5, 1.5), noise)
    changed = replace(mine, hyperparameters=tuple(hyper.items()))
    steps = 40 if optimizer in ("bfgs", "cg") else STEPS
    preview, real = _committed_run(surface, [other, mine], 1, changed, steps)
    assert preview.from_start and preview.complete
    assert len(preview.path) == steps + 1 and preview.reason == ""
    assert np.array_equal(preview.path, real[: steps + 1])
    # The preview did move (a test of a ghost that stands still could not fail).
    assert np.linalg.norm(preview.path[-1] - preview.path[0]) > 1e-3


def test_mini_batch_noise_on_a_finite_sum_is_previewed_exactly() -> None:
    surface = preset_surface("tiny-network")
    assert surface.is_finite_sum
    mine = _ball("mine", "sgd", (1.0, -1.0), NoiseSettings(batch_size=2), lr=0.5)
    changed = replace(mine, hyperparameters=(("lr", 0.8),), clip=2.0)
    preview, real = _committed_run(surface, [mine], 0, changed, 60)
    assert np.array_equal(preview.path, real[:61])


def test_a_dragged_start_mid_run_previews_the_restart_from_there() -> None:
    surface = preset_surface("rosenbrock")
    balls = [_ball("a", "sgd", (-1.5, 1.5), NOISY, lr=1e-3, momentum=0.9),
             _ball("b", "adam", (1.5, -0.5), NOISY, lr=0.05)]
    moved = replace(balls[0], start=(-0.5, 2.0))
    preview, real = _committed_run(surface, balls, 0, moved, STEPS, before=25)
    assert preview.from_start
    assert tuple(preview.path[0]) == (-0.5, 2.0)
    assert np.array_equal(preview.path, real[: STEPS + 1])


def test_a_ball_under_way_continues_from_where_it_is_with_its_state_and_streams() -> None:
    """Unchanged settings, mid-run: the preview must be the rest of the ball's own run, noise included."""
    surface = preset_surface("rosenbrock")
    ball = _ball("a", "adam", (-1.5, 1.5), ANNEALED, lr=0.05)
    simulation = Simulation(surface, [ball, _ball("b", "sgd", (1.0, 1.0), NOISY, lr=1e-3)], seed=3)
    simulation.step(30)
    preview = preview_ball(simulation, 0, ball, 80)
    assert not preview.from_start
    simulation.step(80)
    assert np.array_equal(preview.path, simulation.history(0).positions[30:111])


def test_a_changed_rate_mid_run_starts_from_the_ball_with_its_momentum() -> None:
    """lr 0.001 -> 0.002 from step 20: the first preview step is -lr' * b with the ball's own buffer b."""
    surface = build_surface("x^2 + 3*y^2", domain=Domain(-3, 3, -3, 3))
    ball = _ball("a", "sgd", (2.0, 1.0), lr=0.001, momentum=0.9)
    simulation = Simulation(surface, [ball], seed=0)
    simulation.step(20)
    here = simulation.state(0).positions[0]
    buffer = simulation.runtime(0).state.momentum_buffer[0]
    x, y = here
    gradient = np.array([2 * x, 6 * y])
    expected = here - 0.002 * (0.9 * buffer + gradient)
    preview = preview_ball(simulation, 0, replace(ball, hyperparameters=(("lr", 0.002), ("momentum", 0.9))), 5)
    assert np.array_equal(preview.path[0], here)
    np.testing.assert_allclose(preview.path[1], expected, rtol=1e-12)
    # A fresh buffer would step -lr' * g only: clearly elsewhere.
    assert np.linalg.norm(preview.path[1] - (here - 0.002 * gradient)) > 1e-4


def test_a_state_of_another_layout_is_started_afresh_where_the_ball_is() -> None:
    surface = build_surface("x^2 + 3*y^2", domain=Domain(-3, 3, -3, 3))
    ball = _ball("a", "sgd", (2.0, 1.0), lr=0.01)
    simulation = Simulation(surface, [ball], seed=0)
    simulation.step(10)
    assert isinstance(simulation.runtime(0).state, PlainState)
    changed = replace(ball, hyperparameters=(("lr", 0.01), ("momentum", 0.5)))
    request = what_if(simulation, 0, changed, 3)
    preview = run_preview(request)
    here = simulation.state(0).positions[0]
    # First momentum step from a fresh buffer: b_1 = g, step = -lr * g.
    np.testing.assert_allclose(preview.path[1], here - 0.01 * np.array([2 * here[0], 6 * here[1]]), rtol=1e-12)
    assert isinstance(Simulation(surface, [changed]).runtime(0).state, MomentumState)


def test_a_diverging_rate_stops_where_the_ball_leaves_the_map() -> None:
    surface = build_surface("x^2 + 10*y^2", domain=Domain(-2, 2, -2, 2))
    ball = _ball("a", "gd", (1.0, 1.0), lr=0.11)  # lr x lambda_max = 2.2 > 2: |y| grows 1.2x a step
    simulation = Simulation(surface, [ball], seed=0)
    preview = preview_ball(simulation, 0, ball)
    assert preview.reason == LEFT_MAP and preview.complete
    k = len(preview.path)
    assert 3 < k < 40
    reach = 2 + NEIGHBOURHOOD * 4
    assert np.abs(preview.path).max() <= reach
    simulation.step(k)
    assert np.array_equal(preview.path, simulation.history(0).positions[:k])
    assert np.abs(simulation.history(0).positions[k]).max() > reach  # the next one is out


def test_a_step_into_an_undefined_region_stops_the_preview() -> None:
    surface = build_surface("log(x) + y^2", domain=Domain(0.1, 3, -1, 1))
    ball = _ball("a", "gd", (1.0, 0.5), lr=2.0)  # x <- x - 2/x = -1: log undefined there
    preview = preview_ball(Simulation(surface, [ball]), 0, ball)
    assert preview.reason == UNDEFINED
    assert preview.path.tolist() == [[1.0, 0.5]]


def test_a_long_preview_reports_its_path_so_far_and_stops_when_told() -> None:
    surface = preset_surface("rosenbrock")
    ball = _ball("a", "adam", (-1.5, 1.5), lr=0.05)
    simulation = Simulation(surface, [ball])
    seen = []

    def report(partial):  # noqa: ANN001, ANN202
        seen.append(partial)
        return len(seen) < 3

    cut = run_preview(what_if(simulation, 0, ball), report=report, every=0.0)
    assert [len(p.path) for p in seen] == [2, 3, 4]
    assert not cut.complete and len(cut.path) == 4
    whole = preview_ball(simulation, 0, ball)
    assert np.array_equal(whole.path[:4], cut.path)


@pytest.mark.parametrize("optimizer", ["bfgs", "cg"])
def test_a_line_search_at_rest_is_filled_in_without_stepping(optimizer, monkeypatch) -> None:
    """BFGS and CG stop on a minimum within tens of steps, then fail to improve on it each step: the
    preview fills the rest of the path in, and still equals the real run."""
    from physics import preview as module

    calls = []

    class CountingOracle(module.SurfaceOracle):
        def evaluate(self, points):  # noqa: ANN001, ANN202
            calls.append(len(points))
            return super().evaluate(points)

    monkeypatch.setattr(module, "SurfaceOracle", CountingOracle)
    surface = preset_surface("six-hump-camel")
    ball = _ball("a", optimizer, (-1.0, 0.6))
    preview, real = _committed_run(surface, [ball], 0, replace(ball, hyperparameters=(("lr", 0.5),)), 100)
    assert np.array_equal(preview.path, real[:101]) and len(preview.path) == 101
    assert np.all(preview.path[-30:] == preview.path[-1])
    assert len(calls) < 100 * 3  # (a line search at rest costs 10-20 evaluations a step)


def test_a_swarm_is_previewed_as_one_particle_from_its_centre() -> None:
    surface = build_surface("x^2 + 3*y^2", domain=Domain(-3, 3, -3, 3))
    swarm = replace(_ball("s", "sgd", (2.0, 1.0), lr=0.05), particles=50, spread=0.3)
    simulation = Simulation(surface, [swarm], seed=2)
    simulation.step(10)
    preview = preview_ball(simulation, 0, replace(swarm, hyperparameters=(("lr", 0.1),)), 4)
    assert preview.from_start and preview.ball.particles == 1
    # Noiseless GD from the centre: x <- (1 - 0.2) x, y <- (1 - 0.6) y, by hand.
    expected = [(2.0 * 0.8 ** k, 1.0 * 0.4 ** k) for k in range(5)]
    np.testing.assert_allclose(preview.path, expected, rtol=1e-12)
