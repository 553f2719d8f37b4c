"""Saddle-escape statistics: the theory line, single runs, symmetry, censoring, CSV and hostile input."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest

from physics.experiments import escape
from physics.experiments.base import Cancelled, make_spec, run_experiment
from physics.noise import STREAM_NOISE, STREAM_NOISE_Y, ball_generator
from physics.simulation import Simulation
from surfaces.errors import DownhillError, SceneError
from surfaces.surface import Domain, build_surface

#: A saddle at the origin between two minima (0, +-1): f_yy(0) = -1, f_xx = 2; the x axis is its stable manifold.
FORMULA = "x^2 + y^4/4 - y^2/2"


def _surface():
    return build_surface(FORMULA, domain=Domain(-2, 2, -2, 2))


def _run(seed: int = 3, **settings):
    raw = {"optimizer": "gd", "hyperparameters": {"lr": 0.1}}
    raw.update(settings)
    return run_experiment(make_spec("escape", raw), _surface(), seed=seed, cache=None)


@pytest.fixture(scope="module")
def default_result():
    return _run()


def test_geometry_of_the_default_start(default_result) -> None:
    r = default_result
    assert r.points[r.saddle].kind == "saddle" and r.lam_min == pytest.approx(-1.0)
    # r = a quarter of the distance 1 to the nearest minimum; the start r/2 along the stable eigenvector (x).
    assert r.radius == pytest.approx(0.25)
    assert abs(r.start[0]) == pytest.approx(0.125) and r.start[1] == pytest.approx(0.0, abs=1e-12)
    assert r.drop == pytest.approx(0.125)  # half of f(saddle) - f(minimum) = (0 + 1/4) / 2
    assert r.rho == pytest.approx(1.1)
    assert list(r.sigmas) == pytest.approx(list(np.geomspace(1e-8, 1e-1, 8)))


def test_median_escape_follows_the_theory_slope_and_line(default_result) -> None:
    r = default_result
    assert r.censored.tolist() == [0] * 8
    slope = 1.0 / math.log(1.0 + 0.1 * 1.0)
    assert r.slope == pytest.approx(slope)
    assert r.measured_slope() == pytest.approx(slope, rel=0.15)
    # The stated offset, by hand: c = ln(r sqrt(rho^2 - 1) / (lr q)), q = 0.6745.
    offset = math.log(0.25 * math.sqrt(1.1 ** 2 - 1.0) / (0.1 * 0.6744897501960817))
    assert r.offset == pytest.approx(offset) and not r.offset_fitted
    line = (np.log(1.0 / r.sigmas) + offset) / math.log(1.1)
    assert r.medians == pytest.approx(line, rel=0.15)
    # More noise escapes sooner, level after level.
    assert (np.diff(r.medians) < 0).all()


def _first_escape(path: np.ndarray, loss: np.ndarray, centre, radius: float, threshold: float) -> int:
    """A plain loop over one run's positions (k, 2) and losses: the brief's definition, step by step."""
    reached = False
    for step, (point, value) in enumerate(zip(path, loss, strict=True)):
        distance = math.hypot(point[0] - centre[0], point[1] - centre[1])
        if distance <= radius:
            reached = True
        elif reached or value < threshold:
            return step
        if value < threshold:
            return step
    return -1


def test_each_run_escapes_when_its_own_single_ball_simulation_does(default_result) -> None:
    r = default_result
    surface = _surface()
    centre = (r.points[r.saddle].x, r.points[r.saddle].y)
    threshold = r.points[r.saddle].value - r.drop
    n = r.times.shape[1]
    sampled = [0, 17, 333, n - 1]
    # Level 0 is ball 0: alone in a Simulation of its own with the same seed, it has the same streams.
    balls = escape.escape_balls(r.settings, r.sigmas, np.array(r.start))
    single = Simulation(surface, [balls[0]], seed=r.seed, capacity=16, starts={0: np.tile(r.start, (n, 1))})
    paths, losses = [single.state(0).positions[sampled]], [single.state(0).loss[sampled]]
    for _ in range(int(r.times[0, sampled].max())):
        single.step(1)
        paths.append(single.state(0).positions[sampled])
        losses.append(single.state(0).loss[sampled])
    paths, losses = np.array(paths), np.array(losses)
    for column, k in enumerate(sampled):
        assert r.times[0, k] == _first_escape(paths[:, column], losses[:, column], centre, r.radius, threshold)

    # Other levels: gradient descent by hand, p <- p - lr (grad f(p) + sigma xi), xi from the ball's streams
    # (x from STREAM_NOISE, y from STREAM_NOISE_Y, n normals per step: particle k takes the k-th).
    for level in (3, 7):
        sigma = r.sigmas[level]
        gx, gy = ball_generator(r.seed, level, STREAM_NOISE), ball_generator(r.seed, level, STREAM_NOISE_Y)
        p = np.tile(np.array(r.start), (n, 1))
        path, loss = [p.copy()], [p[:, 0] ** 2 + p[:, 1] ** 4 / 4 - p[:, 1] ** 2 / 2]
        for _ in range(int(r.times[level, sampled].max())):
            grad = np.column_stack([2 * p[:, 0], p[:, 1] ** 3 - p[:, 1]])
            noise = np.column_stack([gx.standard_normal(n), gy.standard_normal(n)])
            p = p - 0.1 * (grad + sigma * noise)
            path.append(p.copy())
            loss.append(p[:, 0] ** 2 + p[:, 1] ** 4 / 4 - p[:, 1] ** 2 / 2)
        path, loss = np.array(path), np.array(loss)
        for k in sampled:
            assert r.times[level, k] == _first_escape(path[:, k], loss[:, k], centre, r.radius, threshold)


def test_where_the_runs_went_is_symmetric(default_result) -> None:
    r = default_result
    minima = [i for i, p in enumerate(r.points) if p.kind == "minimum"]
    assert len(minima) == 2
    n = r.times.shape[1]
    upper = minima[0] if r.points[minima[0]].y > 0 else minima[1]
    up = (r.outcomes == upper).sum(axis=1)
    bound = 4.0 * math.sqrt(0.25 * n)  # four binomial standard deviations of a fair coin
    assert (np.abs(up - n / 2) <= bound).all()
    pooled = up.sum() / r.outcomes.size
    assert abs(pooled - 0.5) <= 4.0 * math.sqrt(0.25 / r.outcomes.size)
    # Nearly every run ends at one of the two minima (a few at sigma 0.1 may sit just outside the match radius).
    assert np.isin(r.outcomes, minima).mean() > 0.99
    shares = r.shares()
    assert shares.sum(axis=1) == pytest.approx(np.ones(8))


def test_censored_runs_are_counted_and_the_median_respects_them() -> None:
    r = _run(runs=60, steps=120, levels=3, sigma_low=1e-8, sigma_high=1e-2)
    # sigma 1e-8 needs about 199 steps: every run is censored; sigma 1e-2 about 54: none is.
    assert r.censored.tolist()[0] == 60 and r.censored.tolist()[2] == 0
    assert math.isnan(r.medians[0]) and math.isfinite(r.medians[2])
    assert (r.outcomes[0] == escape.CENSORED).all() and (r.times[0] == -1).all()
    assert escape.censored_median(np.array([5, -1, 3])) == 5.0
    assert escape.censored_median(np.array([5, -1, 3, 4])) == 4.5
    assert math.isnan(escape.censored_median(np.array([5, -1, -1, 4])))


def test_heavy_ball_growth_factor_by_hand() -> None:
    # u_{t+1} = u_t + mu (u_t - u_{t-1}) + lr |lambda| u_t: z^2 - (1 + mu + lr |lambda|) z + mu = 0.
    rho = escape.growth_factor("momentum", {"lr": 0.1, "momentum": 0.5}, -1.0)
    assert rho == pytest.approx((1.6 + math.sqrt(1.6 ** 2 - 2.0)) / 2.0)
    assert escape.growth_factor("gd", {"lr": 0.1}, -2.0) == pytest.approx(1.2)
    assert escape.growth_factor("adam", {"lr": 0.1}, -1.0) is None


def test_csv_has_a_row_per_run() -> None:
    r = _run(runs=20, levels=2, sigma_low=1e-4, sigma_high=1e-2, steps=400)
    stream = io.StringIO()
    escape.to_csv(r, stream)
    rows = list(csv.DictReader(io.StringIO(stream.getvalue())))
    assert len(rows) == 40
    first = [row for row in rows if float(row["sigma"]) == r.sigmas[0]]
    times = sorted(int(row["escape_step"]) for row in first)
    assert float(first[0]["level_median"]) == (times[9] + times[10]) / 2
    assert {row["outcome"] for row in rows} <= {"cp1", "cp2"}


def test_progress_can_cancel() -> None:
    with pytest.raises(Cancelled):
        run_experiment(make_spec("escape", {"hyperparameters": {"lr": 0.1}, "runs": 10}), _surface(),
                       progress=lambda done, total: done < 20, cache=None)


@pytest.mark.parametrize(("settings", "field", "words"), [
    ({"sigma_low": 0.1, "sigma_high": 0.01}, "sigma_high", "below"),
    ({"sigma_low": -1}, "sigma_low", "out of range"),
    ({"runs": 20000, "levels": 8}, "runs", "particles"),
    ({"start": "1,2"}, "start", "two finite numbers"),
    ({"start": [1, float("nan")]}, "start", "two finite numbers"),
    ({"saddle": 0}, "saddle", "out of range"),
    ({"steps": 1e9}, "steps", "out of range"),
    ({"levels": "8"}, "levels", "whole number"),
    ({"colour": 1}, "colour", "unknown setting"),
])
def test_hostile_settings_name_their_field(settings, field, words) -> None:
    with pytest.raises(SceneError) as caught:
        make_spec("escape", settings, "experiments[0]")
    assert caught.value.field == f"experiments[0].settings.{field}"
    assert words in caught.value.message and "\n" not in caught.value.message


def test_a_saddle_that_is_not_one_and_a_surface_without_saddle() -> None:
    with pytest.raises(DownhillError, match="critical point 1 is a minimum; the saddles are 3"):
        _run(saddle=1, runs=5)
    with pytest.raises(DownhillError, match="no saddle"):
        run_experiment(make_spec("escape", {"runs": 5}), build_surface("x^2 + y^2"), cache=None)
