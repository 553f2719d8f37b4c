"""The stability map: boundaries against the closed-form bounds, the per-particle optimiser path against
single balls bit for bit, CSV, hostile settings, scene round trip."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest

from physics.balls import BallSpec
from physics.experiments import stability
from physics.experiments.base import Cancelled, make_spec, run_experiment
from physics.noise import NoiseSettings
from physics.simulation import Simulation
from surfaces.errors import DownhillError, SceneError
from surfaces.surface import Domain, build_surface

#: A quadratic with lambda_max = 25 (and 1): the bounds are closed forms in 25.
QUADRATIC = "0.5 (x^2 + 25 y^2)"
LAMBDA = 25.0


def _surface():
    return build_surface(QUADRATIC, domain=Domain(-5, 5, -2, 2))


def _map(**settings):
    base = {"start": [-4.0, 1.5], "steps": 300}
    base.update(settings)
    return run_experiment(make_spec("stability", base), _surface(), cache=None)


def _last_stable_and_first_diverging(xs: np.ndarray, outcome_row: np.ndarray) -> tuple[float, float]:
    diverging = np.flatnonzero(outcome_row == stability.DIVERGES)
    assert diverging.size, "no cell diverged"
    first = int(diverging[0])
    assert (outcome_row[first:] == stability.DIVERGES).all(), "a cell beyond the first diverging one did not"
    assert first > 0
    return float(xs[first - 1]), float(xs[first])


def test_gradient_descent_boundary_brackets_two_over_lambda_max() -> None:
    # lr on a log axis over [0.01, 0.2], 23 cells: no cell centre within 1% of 2/25 = 0.08.
    result = _map(optimizer="gd", y_param="noise", y_range=[1e-9, 2e-9], x_range=[0.01, 0.2], grid=23)
    bound = 2.0 / LAMBDA
    assert np.min(np.abs(result.xs / bound - 1.0)) > 0.01
    for j in range(result.ys.size):
        below, above = _last_stable_and_first_diverging(result.xs, result.outcome[:, j])
        assert below < bound < above
    # Inside the bound the cells converge to the one minimum (0, 0); at lr = 0.01 the flat direction
    # (curvature 1) has shrunk only by 0.99^300 = 0.05 in 300 steps: still moving.
    inside = (result.xs > 0.6 * bound) & (result.xs < 0.9 * bound)
    assert inside.any() and (result.outcome[inside] == stability.CONVERGES).all()
    assert (result.outcome[0] == stability.MOVING).all()
    assert result.bound is not None and result.bound.lambda_max == pytest.approx(LAMBDA)
    assert result.bound.formula == "lr < 2 / (lambda_max)"
    assert np.allclose(result.bound.points[:, 0], bound)


@pytest.mark.parametrize("optimizer, closed_form", [
    ("momentum", lambda mu: 2.0 * (1.0 + mu) / LAMBDA),
    ("nesterov", lambda mu: 2.0 * (1.0 + mu) / (1.0 + 2.0 * mu) / LAMBDA),
])
def test_momentum_boundaries_bracket_the_closed_forms(optimizer, closed_form) -> None:
    result = _map(optimizer=optimizer, x_range=[0.01, 0.3], y_range=[0.05, 0.65], grid=19, steps=400)
    checked = 0
    for j, mu in enumerate(result.ys):
        bound = closed_form(float(mu))
        if np.min(np.abs(result.xs / bound - 1.0)) < 0.01:
            continue  # (a cell centre on the bound itself: either side is right)
        below, above = _last_stable_and_first_diverging(result.xs, result.outcome[:, j])
        assert below < bound < above, (mu, below, bound, above)
        checked += 1
    assert checked >= 15
    # The drawn theory line is the same closed form.
    for lr, mu in result.bound.points[::37]:
        assert lr == pytest.approx(closed_form(mu))


@pytest.mark.parametrize("optimizer, y_param, hyper", [
    ("momentum", "momentum", {}),
    ("sgd", "momentum", {"weight_decay": 0.1}),
    ("adam", "beta1", {}),
    ("adam", "beta2", {"eps": 1e-3}),
    ("rmsprop", "alpha", {"momentum": 0.5}),
])
def test_each_cell_steps_bit_for_bit_as_a_ball_of_its_own(optimizer, y_param, hyper) -> None:
    surface = build_surface("x^4/4 - x^2 + 3 y^2 + x y/2", domain=Domain(-3, 3, -3, 3))
    xs = np.geomspace(0.002, 0.3, 5)
    ys = np.linspace(0.1, 0.95, 4) if y_param != "beta2" else np.linspace(0.5, 0.999, 4)
    settings = {"x_param": "lr", "y_param": y_param}
    values = stability.per_particle_values(settings, xs, ys)
    ball = BallSpec(name="grid", color="#000000", optimizer=optimizer, hyperparameters=tuple(hyper.items()),
                    start=(2.2, -1.3), particles=20)
    swarm = Simulation(surface, [ball], per_particle={0: values})
    swarm.step(60)
    ends = swarm.state(0).positions
    for i in range(5):
        for j in range(4):
            own = dict(hyper, lr=float(xs[i]))
            if y_param in ("beta1", "beta2"):
                betas = [0.9, 0.999]
                betas[0 if y_param == "beta1" else 1] = float(ys[j])
                own["betas"] = tuple(betas)
            else:
                own[y_param] = float(ys[j])
            single = Simulation(surface, [BallSpec(name="one", color="#000000", optimizer=optimizer,
                                                   hyperparameters=tuple(own.items()), start=(2.2, -1.3))])
            single.step(60)
            assert single.state(0).positions[0].tobytes() == ends[i * 4 + j].tobytes(), (i, j)


def test_per_particle_noise_scales_the_balls_draws() -> None:
    surface = _surface()
    ball = BallSpec(name="grid", color="#000000", optimizer="gd", hyperparameters=(("lr", 0.01),), start=(1.0, 1.0),
                    particles=3)
    sigmas = np.array([0.0, 1.0, 3.0])
    swarm = Simulation(surface, [ball], seed=5, per_particle={0: {"sigma": sigmas}})
    swarm.step(1)
    steps = swarm.state(0).step
    gradient = np.array([1.0, 25.0])
    # Particle 0 has no noise: exactly -lr * grad f(1, 1).
    assert steps[0].tolist() == (-0.01 * gradient).tolist()
    # Particles 1 and 2 took -lr (g + sigma xi); xi drawn by the ball's stream for 3 particles.
    reference = Simulation(surface, [BallSpec(name="grid", color="#000000", optimizer="gd",
                                              hyperparameters=(("lr", 0.01),), start=(1.0, 1.0), particles=3,
                                              noise=NoiseSettings(sigma=1.0))], seed=5)
    reference.step(1)
    xi = -reference.state(0).step / 0.01 - gradient  # (each particle's own draws, at sigma 1)
    assert steps[1].tolist() == reference.state(0).step[1].tolist()
    assert steps[2] == pytest.approx(-0.01 * (gradient + 3.0 * xi[2]), rel=1e-12)
    assert np.abs(xi[2]).max() > 0.1  # (the noise is there to be scaled)


def test_per_particle_values_out_of_range_are_refused() -> None:
    ball = BallSpec(name="grid", color="#000000", optimizer="momentum", start=(1.0, 1.0), particles=2)
    with pytest.raises(DownhillError, match="momentum must be in"):
        Simulation(_surface(), [ball], per_particle={0: {"momentum": np.array([0.5, 1.5])}})
    with pytest.raises(DownhillError, match="no per-particle hyper-parameter 'beta1'"):
        Simulation(_surface(), [ball], per_particle={0: {"beta1": np.array([0.5, 0.5])}})
    with pytest.raises(DownhillError, match="2 finite numbers"):
        Simulation(_surface(), [ball], per_particle={0: {"lr": np.array([0.1, math.nan])}})


def test_outcomes_saddle_plateau_and_oscillation() -> None:
    # A saddle at the origin reached along its stable manifold (start on the x axis): GD ends on it.
    saddle = build_surface("x^2 - y^2", domain=Domain(-2, 2, -2, 2))
    result = run_experiment(make_spec("stability", {"optimizer": "momentum", "start": [1.5, 0.0],
                                                    "x_range": [0.1, 0.4], "y_range": [0.0, 0.5],
                                                    "grid": 3, "steps": 200}), saddle, cache=None)
    assert (result.outcome == stability.ON_SADDLE).all()
    assert np.abs(result.ends).max() < 1e-6
    # A period-2 cycle that neither grows nor settles: GD on |x|-like f = sqrt(1 + x^2) with a big lr.
    cycle = build_surface("sqrt(1 + x^2) + 0.01 y^2", domain=Domain(-3, 3, -3, 3))
    result = run_experiment(make_spec("stability", {"optimizer": "gd", "start": [2.0, 0.0], "y_param": "noise",
                                                    "y_range": [1e-9, 2e-9], "x_range": [2.5, 3.0],
                                                    "grid": 2, "steps": 200}), cycle, cache=None)
    assert (result.outcome == stability.OSCILLATES).all()


def test_csv_rows_read_back_bit_for_bit() -> None:
    result = _map(optimizer="momentum", grid=4, steps=50)
    stream = io.StringIO()
    stability.to_csv(result, stream)
    rows = list(csv.reader(io.StringIO(stream.getvalue())))
    assert rows[0] == ["lr", "momentum", "outcome", "end_x", "end_y", "end_f", "ended_at"]
    assert len(rows) == 1 + 16
    row = rows[1 + 2 * 4 + 3]  # cell (2, 3)
    assert float(row[0]) == result.xs[2] and float(row[1]) == result.ys[3]
    assert row[2] == stability.OUTCOMES[result.outcome[2, 3]]
    assert float(row[3]) == result.ends[2, 3, 0]


def test_cell_at_and_axes() -> None:
    result = _map(optimizer="momentum", grid=5, steps=20, x_range=[0.001, 0.1], y_range=[0.0, 0.5])
    assert result.x_log and not result.y_log
    assert result.xs[0] == pytest.approx(0.001 * 100 ** 0.1) and result.ys[0] == pytest.approx(0.05)
    assert result.cell_at(float(result.xs[3]), float(result.ys[1])) == (3, 1)
    assert result.cell_at(0.5, 0.2) is None
    assert result.cell_settings(3, 1) == {"lr": float(result.xs[3]), "momentum": float(result.ys[1])}


def test_cancel_stops_the_run() -> None:
    calls = []

    def progress(done: int, total: int) -> bool:
        calls.append(done)
        return done < 20

    with pytest.raises(Cancelled):
        run_experiment(make_spec("stability", {"start": [1.0, 1.0], "grid": 3}), _surface(), progress=progress,
                       cache=None)
    assert max(calls) < 40


@pytest.mark.parametrize("settings, field, words", [
    ({"x_param": "speed"}, "x_param", "is not one of"),
    ({"x_param": "momentum", "y_param": "momentum"}, "y_param", "different parameters"),
    ({"optimizer": "gd", "y_param": "momentum"}, "y_param", "has no momentum"),
    ({"x_range": [0.1, 0.01]}, "x_range", "below the high end"),
    ({"x_range": [0.0, 1.0]}, "x_range", "outside lr's range"),
    ({"x_range": "0.1..1"}, "x_range", "two numbers"),
    ({"y_range": [0.1, float("inf")]}, "y_range", "finite"),
    ({"start": [1.0]}, "start", "two finite numbers"),
    ({"grid": 100000}, "grid", "out of range"),
    ({"steps": 1}, "steps", "out of range"),
    ({"bound_at": "there"}, "bound_at", "is not one of"),
    ({"optimizer": "__import__('os')"}, "optimizer", "unknown optimiser"),
])
def test_hostile_settings_name_the_field(settings, field, words) -> None:
    with pytest.raises(SceneError) as caught:
        make_spec("stability", settings, "experiments[0]")
    assert caught.value.field == f"experiments[0].settings.{field}"
    assert words in caught.value.message and "\n" not in caught.value.message


def test_scene_round_trip_keeps_the_spec() -> None:
    spec = make_spec("stability", {"optimizer": "momentum", "start": [-4, 1.5], "x_range": [0.01, 0.2],
                                   "grid": 30})
    again = make_spec(spec.kind, spec.to_dict()["settings"])
    assert again == spec
