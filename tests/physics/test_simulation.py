"""The simulation: hand-derived trajectories, telemetry, saddles and noise, divergence isolation, live changes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from physics.balls import BallSpec
from physics.noise import NoiseSettings
from physics.regime import DIVERGING, MINIMUM, REGIMES, SADDLE
from physics.simulation import LEFT_BOX, UNDEFINED, Simulation
from physics.telemetry import FULL_HISTORY_PARTICLES
from surfaces.errors import DownhillError
from surfaces.presets import preset_surface
from surfaces.surface import build_surface


def ball(optimizer: str = "gd", start: tuple[float, float] = (1.0, 1.0), name: str = "a", **options) -> BallSpec:
    hyper = options.pop("hyper", {"lr": 0.1} if optimizer in ("gd", "sgd") else {})
    return BallSpec(name, "#1f77b4", optimizer, tuple(hyper.items()), start, **options)


def test_gradient_descent_matches_the_hand_derived_iteration_bit_for_bit() -> None:
    surface = build_surface("x^2 + 3y^2")
    simulation = Simulation(surface, [ball(start=(1.5, -0.5), hyper={"lr": 0.05})])
    simulation.step(40)
    history = simulation.history(0)
    x, y = 1.5, -0.5
    expected = [(x, y)]
    for _ in range(40):
        x, y = x + -0.05 * (2 * x), y + -0.05 * (6 * y)  # p + step, step = -lr * grad f (torch.optim.SGD)
        expected.append((x, y))
    assert np.array_equal(history.positions, np.array(expected))
    assert history.steps.tolist() == list(range(41))
    assert np.array_equal(history.loss, np.array([a * a + 3 * b * b for a, b in expected]))


def test_telemetry_of_every_step() -> None:
    surface = build_surface("x^2 + 3y^2 + x y")
    simulation = Simulation(surface, [ball(start=(2.0, 1.0), hyper={"lr": 0.1})])
    simulation.step(10)
    h = simulation.history(0)
    steps = np.diff(h.positions, axis=0)
    assert np.allclose(h.step_size[1:], np.linalg.norm(steps, axis=1), rtol=1e-15)
    assert h.step_size[0] == 0.0 and math.isnan(h.lr[0])
    assert np.allclose(h.lr[1:], 0.1, rtol=1e-12)  # noiseless GD: |step| / |grad| = lr
    exact = np.column_stack([2 * h.positions[:, 0] + h.positions[:, 1], 6 * h.positions[:, 1] + h.positions[:, 0]])
    assert np.allclose(h.gradient, exact, rtol=1e-14)
    assert np.allclose(h.gradient_norm, np.linalg.norm(exact, axis=1), rtol=1e-14)
    eig = np.linalg.eigvalsh(np.array([[2.0, 1.0], [1.0, 6.0]]))
    assert np.allclose(h.lambda_min, eig[0]) and np.allclose(h.lambda_max, eig[1])
    state = simulation.state(0)
    hessian = np.array([[2.0, 1.0], [1.0, 6.0]])
    vectors = state.eigenvectors[0]
    assert np.allclose(hessian @ vectors, vectors * state.eigenvalues[0], atol=1e-12)
    assert state.lr_bound == pytest.approx(2.0 / eig[1])
    assert np.allclose(state.step[0], steps[-1])
    assert state.velocity is None  # plain gradient descent has none
    assert state.regime == h.regimes[-1] and state.active.all()


def test_history_is_made_of_views_of_the_records_however_long_the_run() -> None:
    surface = build_surface("x^2 - y^2 + y^4")
    simulation = Simulation(surface, [ball(start=(1.0, 0.1), hyper={"lr": 0.05}),
                                      ball(start=(0.5, 0.5), particles=50, spread=0.3, hyper={"lr": 0.05})],
                            capacity=64)
    simulation.step(3000)  # the records have doubled several times
    for index in range(2):
        first, second = simulation.history(index), simulation.history(index)
        for name in ("positions", "loss", "gradient", "gradient_norm", "lr", "lambda_min", "regime_codes"):
            # the same memory twice: nothing was recomputed or copied for the second call
            assert np.shares_memory(getattr(first, name), getattr(second, name)), name
        assert len(first.regimes) == len(first.steps) == 3001
        assert list(first.regimes) == [REGIMES[code] for code in first.regime_codes]
        assert first.regimes[-1] == REGIMES[first.regime_codes[-1]] and first.regimes[-3:] == list(first.regimes)[-3:]
        assert first.regimes == second.regimes and first.regimes != ["saddle"]
        assert first.regimes.count(first.regimes[-1]) == int(np.sum(first.regime_codes == first.regime_codes[-1]))
    single = simulation.history(0)
    assert np.allclose(single.gradient_norm, np.hypot(single.gradient[:, 0], single.gradient[:, 1]), rtol=1e-15, atol=0)
    assert single.regimes[-200:] == ["minimum"] * 200  # (0, ±1/sqrt 2)


def test_momentum_exposes_its_velocity() -> None:
    simulation = Simulation(build_surface("x^2 + y^2"), [ball("momentum", hyper={"lr": 0.1, "momentum": 0.9})])
    simulation.step(3)
    state = simulation.state(0)
    assert state.velocity is not None and state.velocity.shape == (1, 2) and np.isfinite(state.velocity).all()
    # position units per step, the way the ball is pushed: for the heavy ball, its very step
    np.testing.assert_allclose(state.velocity, state.step, rtol=1e-15)


def test_noiseless_descent_on_the_stable_manifold_stops_on_the_saddle() -> None:
    simulation = Simulation(preset_surface("saddle"), [ball(start=(1.5, 0.0))])
    simulation.step(200)
    state = simulation.state(0)
    assert np.abs(state.positions).max() < 1e-15
    assert state.regime == "saddle"
    assert state.regime_detail.startswith("saddle: ") and state.regime_detail.endswith(
        " from the critical point (0.000, 0.000), curvature -2.0 and +2.0")
    assert simulation.history(0).regimes[-100:] == ["saddle"] * 100


def test_noise_escapes_the_saddle_in_a_time_growing_like_log_one_over_sigma() -> None:
    # x^2 + y^4/4 - y^2/2: at the saddle lambda = -1 along y. With lr = 0.1 the distance along y
    # grows by (1 + lr |lambda|) per step, so escaping from noise sigma to |y| = 0.5 takes about
    # ln(0.5 / sigma) / ln(1.1) steps: the slope against ln(1/sigma) is 1/ln(1.1) = 10.5 ~ 1/(lr |lambda|).
    surface = preset_surface("saddle-between-minima")
    sigmas = (1e-2, 1e-4, 1e-6, 1e-8)
    particles = 200
    balls = [ball(start=(1.5, 0.0), name=f"sigma {s:g}", noise=NoiseSettings(sigma=s), particles=particles)
             for s in sigmas]
    simulation = Simulation(surface, balls, seed=5, capacity=512)
    escape = np.full((len(sigmas), particles), -1)
    for step in range(1, 400):
        simulation.step()
        for i in range(len(sigmas)):
            out = (np.abs(simulation.state(i).positions[:, 1]) > 0.5) & (escape[i] < 0)
            escape[i][out] = step
    assert (escape > 0).all()
    means = escape.mean(axis=1)
    assert (np.diff(means) > 0).all()
    slope = np.polyfit(np.log(1 / np.array(sigmas)), means, 1)[0]
    assert 0.75 * 10.0 < slope < 1.35 * 10.5, (means, slope)
    # the noisy balls end in the two minima at y = +-1
    assert np.allclose(np.abs(simulation.state(0).positions[:, 1]), 1.0, atol=0.05)


def test_a_ball_settled_in_a_bowl_with_noise_is_at_a_minimum() -> None:
    simulation = Simulation(build_surface("x^2 + y^2"), [ball(start=(1.0, 1.0), noise=NoiseSettings(sigma=0.5))],
                            seed=2)
    simulation.step(300)
    regimes = simulation.history(0).regimes[-150:]
    assert regimes.count("minimum") >= 140, regimes


def test_a_diverging_ball_never_spills_nan_into_anyone_else() -> None:
    # a bowl inside a ridge at |x| = sqrt(5): particles kicked over it run away to -infinity
    surface = build_surface("x^2 + y^2 - 0.1x^4")
    good = ball(start=(1.0, 1.0), name="good", hyper={"lr": 0.01})
    bad = ball(start=(1.0, 1.0), name="bad", hyper={"lr": 1.2})  # y -> -1.4 y: oscillates and diverges
    swarm = ball(start=(0.0, 0.0), name="swarm", hyper={"lr": 0.05}, particles=500, spread=1.5,
                 noise=NoiseSettings(sigma=1.0))
    alone = Simulation(surface, [good])
    together = Simulation(surface, [good, bad, swarm], seed=9)
    alone.step(300)
    together.step(300)
    assert np.array_equal(alone.history(0).positions, together.history(0).positions)
    bad_state = together.state(1)
    assert not bad_state.active[0] and bad_state.regime == "diverging"
    assert "stopped at step" in bad_state.regime_detail
    swarm_state = together.state(2)
    assert 0 < swarm_state.active.sum() < 500  # some of the swarm diverged, some did not
    for index in range(3):
        state = together.state(index)
        for name in ("positions", "loss", "gradient", "step", "step_size", "eigenvalues", "eigenvectors"):
            assert np.isfinite(getattr(state, name)).all(), (index, name)
        history = together.history(index)
        for name in ("positions", "loss", "gradient", "gradient_norm", "step_size", "lambda_min", "lambda_max"):
            assert np.isfinite(getattr(history, name)).all(), (index, name)
        if history.particles is not None and index < 2:  # a single ball: a rate while it moves, none once stopped
            moving = history.particles.active[1:, 0]
            assert np.isfinite(history.lr[1:][moving]).all() and np.isnan(history.lr[1:][~moving]).all()
        else:
            assert np.isfinite(history.lr[1:]).all()
    summary = together.history(2).summary
    for name in ("mean_position", "mean_loss", "median_loss", "min_loss", "max_loss", "mean_gradient_norm",
                 "mean_step_size", "mean_eigenvalues", "fraction_active"):
        assert np.isfinite(getattr(summary, name)).all(), name
    assert summary.fraction_active[-1] == swarm_state.active.mean()
    assert summary.regime_counts[-1][DIVERGING] == 500 - swarm_state.active.sum()


def test_a_stopped_particle_keeps_its_last_finite_position() -> None:
    # log(x) is undefined for x <= 0: a large step from x = 0.5 jumps there
    surface = build_surface("(x - 2)^2 - log(x)")
    # from x = 3 the first step is -2 * (2 - 1/3) = -3.33: to x < 0, where f is undefined
    simulation = Simulation(surface, [ball(start=(3.0, 0.0), hyper={"lr": 2.0})])
    simulation.step(5)
    h = simulation.history(0)
    state = simulation.state(0)
    assert state.regime == "diverging" and "undefined" in state.regime_detail
    assert simulation._p.stopped[0] == UNDEFINED
    assert np.isfinite(h.positions).all() and h.positions[-1, 0] > 0
    assert np.array_equal(h.positions[-1], h.positions[-2])
    box = Simulation(build_surface("x^2 + y^2"), [ball(hyper={"lr": 5.0})])
    box.step(20)
    assert box._p.stopped[0] == LEFT_BOX and box.history(0).regime_codes[-1] == DIVERGING


def test_reset_reproduces_the_run_and_listeners_hear_every_change() -> None:
    events: list[str] = []
    simulation = Simulation(build_surface("x^2 - y^2 + y^4"), [ball(noise=NoiseSettings(sigma=0.1))], seed=4)
    simulation.add_listener(events.append)
    simulation.step(25)
    first = simulation.history(0).positions.copy()
    simulation.reset()
    simulation.step(25)
    assert np.array_equal(first, simulation.history(0).positions)
    simulation.set_seed(5)
    simulation.step(25)
    assert not np.array_equal(first, simulation.history(0).positions)
    simulation.set_surface(build_surface("x^2 - y^2 + 2y^4"))
    simulation.set_balls([ball(noise=NoiseSettings(sigma=0.1), name="renamed")])
    simulation.remove_listener(events.append)
    simulation.step()
    assert events == ["stepped", "reset", "stepped", "seed", "stepped", "surface", "balls"]


def test_set_balls_keeps_unchanged_balls_and_restarts_changed_ones() -> None:
    surface = build_surface("x^2 + 2y^2")
    a, b = ball(name="a", start=(1.0, 1.0)), ball(name="b", start=(-1.0, 1.0))
    simulation = Simulation(surface, [a, b])
    simulation.step(10)
    before = simulation.state(0).positions.copy()
    moved_b = BallSpec("b", "#ff0000", "gd", (("lr", 0.1),), (2.0, 0.0))
    simulation.set_balls([BallSpec("a2", "#00ff00", "gd", (("lr", 0.1),), (1.0, 1.0)), moved_b])
    assert np.array_equal(simulation.state(0).positions, before)  # renamed and recoloured: continues
    assert np.array_equal(simulation.state(1).positions, [[2.0, 0.0]])  # moved: restarts now
    assert simulation.history(1).steps.tolist() == [10]
    assert simulation.balls[0].name == "a2"
    simulation.set_balls([moved_b])  # removing the first: the second keeps going
    assert np.array_equal(simulation.state(0).positions, [[2.0, 0.0]])
    with pytest.raises(DownhillError) as caught:
        simulation.set_balls([ball(optimizer="adamm")])
    assert caught.value.field == "balls[0].optimizer"
    assert simulation.balls == (moved_b,)  # a refused change changes nothing


def test_set_surface_lets_the_balls_continue() -> None:
    surface = preset_surface("tunable-bowl")
    simulation = Simulation(surface, [ball(start=(2.0, 1.0), hyper={"lr": 0.01})])
    simulation.step(5)
    position = simulation.state(0).positions.copy()
    simulation.set_surface(surface.with_parameters({"a": 2.0}))
    state = simulation.state(0)
    assert np.array_equal(state.positions, position)
    assert np.allclose(state.gradient, [[4.0 * position[0, 0], 20.0 * position[0, 1]]])
    simulation.step()
    assert np.allclose(simulation.state(0).positions, position - 0.01 * state.gradient)


def test_swarm_summary_statistics_match_numpy() -> None:
    swarm = ball(start=(0.5, 0.5), particles=FULL_HISTORY_PARTICLES, spread=1.0, noise=NoiseSettings(sigma=0.2))
    simulation = Simulation(build_surface("x^2 - y^2 + y^4"), [swarm], seed=1)
    simulation.step(15)
    h = simulation.history(0)
    p = h.particles
    s = h.summary
    assert not p.active[-1].all()  # a few particles scattered onto the steep y^4 walls diverged
    for k in range(len(h.steps)):  # statistics over the active particles only
        alive = p.active[k]
        assert np.allclose(s.mean_position[k], p.positions[k][alive].mean(axis=0), rtol=1e-13)
        assert s.median_loss[k] == np.median(p.loss[k][alive])
        assert s.min_loss[k] == p.loss[k][alive].min() and s.max_loss[k] == p.loss[k][alive].max()
        assert np.isclose(s.mean_step_size[k], p.step_size[k][alive].mean(), rtol=1e-13)
        assert s.fraction_active[k] == alive.mean()
    assert (s.regime_counts.sum(axis=1) == FULL_HISTORY_PARTICLES).all()
    assert h.regimes == [REGIMES[int(np.argmax(c))] for c in s.regime_counts]
    assert np.array_equal(h.positions, s.mean_position)
    big = Simulation(build_surface("x^2 + y^2"), [ball(particles=1000, spread=1.0)], seed=1)
    big.step(3)
    assert big.history(0).particles is None
    state = big.state(0)
    assert big.history(0).summary.median_loss[-1] == np.median(state.loss)
    assert state.regime_detail.endswith(")") and "of 1000 particles" in state.regime_detail


def test_gradient_clipping_bounds_every_step() -> None:
    surface = preset_surface("cliff")
    clipped = Simulation(surface, [ball(start=(-2.5, 1.5), hyper={"lr": 0.3}, clip=1.0)])
    clipped.step(200)
    assert clipped.history(0).step_size.max() <= 0.3 * (1.0 + 1e-12)
    assert clipped.state(0).active.all()
    with pytest.raises(DownhillError) as caught:
        Simulation(surface, [ball("newton", clip=1.0)])
    assert caught.value.field == "balls[0].clip"


def test_full_batch_equals_the_exact_gradient_and_small_batches_are_noisy() -> None:
    surface = preset_surface("sigmoid-neuron")
    exact = ball(start=(-2.0, -2.0), hyper={"lr": 0.5})
    full = ball(start=(-2.0, -2.0), hyper={"lr": 0.5}, noise=NoiseSettings(batch_size=6))
    single = ball(start=(-2.0, -2.0), hyper={"lr": 0.5}, noise=NoiseSettings(batch_size=1))
    simulation = Simulation(surface, [exact, full, single], seed=1)
    simulation.step(50)
    assert np.allclose(simulation.history(1).positions, simulation.history(0).positions, rtol=1e-12, atol=1e-14)
    assert not np.allclose(simulation.history(2).positions, simulation.history(0).positions)
    with pytest.raises(DownhillError) as caught:
        Simulation(build_surface("exp(x^2 + y^2)"), [ball(noise=NoiseSettings(batch_size=1))])
    assert caught.value.field == "balls[0].noise.batch_size"


def test_newton_lands_on_the_saddle_and_saddle_free_newton_leaves() -> None:
    simulation = Simulation(preset_surface("saddle-between-minima"),
                            [ball("newton", (1.0, 0.3)), ball("saddle-free-newton", (1.0, 0.3))])
    simulation.step(20)
    assert simulation.history(0).regime_codes[-1] == SADDLE
    assert np.allclose(simulation.state(0).positions, 0.0, atol=1e-12)
    assert simulation.history(1).regime_codes[-1] == MINIMUM
    assert np.allclose(simulation.state(1).positions, [[0.0, 1.0]], atol=1e-9)


def test_bad_balls_and_seeds_are_refused() -> None:
    surface = build_surface("x^2 + y^2")
    for bad, field in [(ball(hyper={"lr": 50.0}), "balls[0].hyperparameters.lr"),
                       (ball(hyper={"beta": 0.9}), "balls[0].hyperparameters.beta"),
                       (ball(start=(math.nan, 0.0)), "balls[0].start"),
                       (ball(particles=200_000), "balls[0].particles"),
                       (BallSpec("a", "red", "gd"), "balls[0].color")]:
        with pytest.raises(DownhillError) as caught:
            Simulation(surface, [bad])
        assert caught.value.field == field
    with pytest.raises(DownhillError):
        Simulation(surface, [], seed=-1)
    with pytest.raises(DownhillError) as caught:
        Simulation(build_surface("log(x)"), [ball(start=(-1.0, 0.0))])
    assert caught.value.field == "balls[0].start"


def test_a_swarm_scattered_into_an_undefined_region_starts_there_at_the_start() -> None:
    simulation = Simulation(build_surface("sqrt(x) + y^2"), [ball(start=(0.3, 0.0), particles=200, spread=1.0)])
    state = simulation.state(0)
    assert np.isfinite(state.loss).all() and (state.positions[:, 0] >= 0).all()
    assert ((state.positions == [0.3, 0.0]).all(axis=1)).sum() > 10


def test_the_helper_thread_changes_no_number(monkeypatch: pytest.MonkeyPatch) -> None:
    import physics.simulation

    def run() -> tuple[dict[str, object], dict[str, np.ndarray]]:
        swarm = ball("adam", (-1.0, 1.0), hyper={"lr": 0.05}, particles=25_000, spread=0.5,
                     noise=NoiseSettings(sigma=1.0))
        simulation = Simulation(preset_surface("rosenbrock"), [swarm, ball(start=(0.5, 0.5), hyper={"lr": 1e-3})],
                                seed=3)
        for count in (1, 5, 6):  # steps with telemetry pending on the helper, then queries
            simulation.step(count)
            state = simulation.state(0)
        summary = simulation.history(0).summary
        single = simulation.history(1)
        return ({**vars(state), "floor": simulation.floor, "single": single.regime_codes.copy(),
                 "single_lr": single.lr.copy()}, {k: v.copy() for k, v in vars(summary).items()})

    state, summary = run()  # large enough for the helper thread
    monkeypatch.setattr(physics.simulation, "HELPER_PARTICLES", 10 ** 9)
    alone_state, alone_summary = run()  # everything on the main thread
    for name, value in state.items():
        if isinstance(value, np.ndarray):
            assert np.array_equal(value, alone_state[name], equal_nan=True), name
        else:
            assert value == alone_state[name] or (value != value and alone_state[name] != alone_state[name]), name
    for name, values in summary.items():
        assert np.array_equal(values, alone_summary[name], equal_nan=True), name
    assert len(summary["median_loss"]) == 13


def test_a_move_adds_the_step_and_tells_whether_every_point_stayed_in_the_box() -> None:
    from physics.particles import inside_box, move

    rng = np.random.default_rng(8)
    positions = np.asfortranarray(rng.uniform(-1, 1, (1000, 2)))
    step = np.asfortranarray(rng.normal(0, 0.1, (1000, 2)))
    moved, inside = move(positions, step, (0.5, -0.5), 3.0)
    np.testing.assert_array_equal(moved, positions + step)
    assert moved.flags.f_contiguous and inside
    for far, expected in (((3.6, 0.0), False), ((0.0, 2.4), True), ((np.nan, 0.0), False)):
        step[17] = np.array(far) - positions[17]
        moved, inside = move(positions, step, (0.5, -0.5), 3.0)
        assert inside == expected == inside_box(moved, (0.5, -0.5), 3.0).all()
