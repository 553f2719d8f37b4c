"""The high-dimensional picture: GOE minima fractions against direct eigvalsh sampling and the exact
n = 1, 2 values, the large-deviation slope, critical points of the random landscape checked by
finite differences, index rising with loss, CSV, scene round trip and hostile settings."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pytest

from physics.experiments import landscape_stats
from physics.experiments.base import Cancelled, make_spec
from physics.experiments.goe_minima import (
    EXACT_N2,
    THETA,
    positive_definite_counts,
    splitting_estimate,
    theta_estimates,
    wilson_interval,
)
from physics.experiments.random_landscape import (
    SAME,
    TOLERANCE,
    bray_dean_index,
    find_critical_points,
    random_field,
)
from physics.preset_scenes import PRESET_SCENES
from physics.scene_reader import scene_from_json
from surfaces.errors import SceneError

SMALL = {"n_max": 6, "samples": 200_000, "population": 4000, "dim": 5, "starts": 200, "features": 120}


def _eigvalsh_fractions(n_max: int, samples: int, seed: int) -> np.ndarray:
    """The independent reference: (A + A^T)/2 from the legacy generator, all eigenvalues > 0 by eigvalsh."""
    legacy = np.random.RandomState(seed)
    out = np.zeros(n_max)
    for n in range(1, n_max + 1):
        a = legacy.standard_normal((samples, n, n))
        out[n - 1] = (np.linalg.eigvalsh((a + np.swapaxes(a, 1, 2)) / 2).min(axis=1) > 0).mean()
    return out


def _within(observed: float, expected: float, samples: int, sigmas: float = 4.5) -> bool:
    return abs(observed - expected) <= sigmas * math.sqrt(expected * (1 - expected) / samples)


def test_exact_n1_and_n2_within_a_binomial_bound() -> None:
    samples = 400_000
    counts = positive_definite_counts(2, samples, np.random.default_rng(11))
    assert _within(counts[0] / samples, 0.5, samples)
    assert _within(counts[1] / samples, EXACT_N2, samples)
    # Not the coin-flip count: eigenvalues repel.
    assert not _within(counts[1] / samples, 0.25, samples)
    # The exact n = 2 value by numerical integration, independently of the closed form:
    # P = P(u > r) with u ~ N(0, 1/2) and r Rayleigh(sigma^2 = 1/2): integral of exp(-r^2) 2r * Q(r / s).
    r = np.linspace(0.0, 8.0, 200_001)
    tail = 0.5 * np.vectorize(math.erfc)(r)  # P(N(0, 1/2) > r) = erfc(r) / 2
    integrand = 2 * r * np.exp(-r * r) * tail
    assert np.trapezoid(integrand, r) == pytest.approx(EXACT_N2, rel=1e-6)


def test_direct_sampler_agrees_with_eigvalsh_on_independent_matrices() -> None:
    samples = 150_000
    reference = _eigvalsh_fractions(4, samples, seed=5)
    counts = positive_definite_counts(4, samples, np.random.default_rng(6))
    for n in range(4):
        p = (reference[n] + counts[n] / samples) / 2
        spread = math.sqrt(2 * p * (1 - p) / samples)
        assert abs(reference[n] - counts[n] / samples) <= 4.5 * spread, n


def test_splitting_agrees_with_direct_sampling_and_keeps_going() -> None:
    mean, error = splitting_estimate(10, 6000, 8, np.random.default_rng(3))
    counts = positive_definite_counts(5, 1_000_000, np.random.default_rng(4))
    low, high = wilson_interval(counts, 1_000_000)
    for n in range(5):
        assert low[n] - 5 * error[n] <= mean[n] <= high[n] + 5 * error[n], n
    assert np.all(np.diff(mean) < 0)
    assert mean[-1] < 1e-10  # n = 10: far below what a million direct samples can see
    assert np.all(error > 0) and np.all(error[:6] < 0.2 * mean[:6])


def test_fraction_decreases_with_n_and_falls_below_the_coin_flip() -> None:
    counts = positive_definite_counts(6, 300_000, np.random.default_rng(8))
    seen = counts[counts > 0]
    assert np.all(np.diff(seen) < 0)
    assert np.all(counts[1:4] / 300_000 < 2.0 ** -np.arange(2, 5))


def test_large_deviation_slope_approaches_theta() -> None:
    mean, _error = splitting_estimate(11, 6000, 8, np.random.default_rng(21))
    n = np.arange(1, 12)
    per_n2 = -np.log(mean) / n ** 2
    # -ln P / n^2 falls towards theta from above (the lower-order terms are positive at these n).
    assert np.all(np.diff(per_n2[3:]) < 0.01) and per_n2[-1] > THETA and per_n2[-1] < THETA + 0.06
    estimates = theta_estimates(mean)
    assert np.nanmean(estimates[2:9]) == pytest.approx(THETA, abs=0.04)
    assert math.isnan(estimates[0]) and math.isnan(estimates[-1])


def test_theta_estimate_by_hand_on_an_exact_law() -> None:
    n = np.arange(1, 8)
    exact = np.exp(-0.3 * n ** 2 - 0.7 * n + 1.0)  # the linear and constant terms drop out
    np.testing.assert_allclose(theta_estimates(exact)[1:-1], 0.3)


def test_wilson_interval_by_hand() -> None:
    low, high = wilson_interval(np.array([50, 0]), 100)
    # p = 0.5, n = 100: centre 0.5, half-width 1.96 * sqrt(0.25/100 + 1.96^2/40000) / (1 + 1.96^2/100)
    z = 1.959963984540054
    half = z * math.sqrt(0.0025 + z * z / 40000) / (1 + z * z / 100)
    assert low[0] == pytest.approx(0.5 - half) and high[0] == pytest.approx(0.5 + half)
    assert low[1] == 0.0 and high[1] == pytest.approx(z * z / (100 + z * z))


def test_critical_points_are_critical_distinct_and_index_rises_with_loss() -> None:
    rng = np.random.default_rng(12)
    field = random_field(5, 150, rng)
    census = find_critical_points(field, 300, rng)
    assert len(census.losses) >= 60
    assert census.converged == len(census.losses) + census.duplicates
    assert np.all(census.gradient_norms < TOLERANCE)
    # Independent check of criticality: central differences of the value, not the analytic gradient.
    h = 1e-5
    for point in census.points[:40]:
        steps = np.eye(5) * h
        fd = (field.value(point + steps) - field.value(point - steps)) / (2 * h)
        assert np.max(np.abs(fd)) < 1e-7
    # The index from a finite-difference Hessian (of the analytic gradient) at a few points.
    for point, index in zip(census.points[:10], census.indices[:10], strict=True):
        steps = np.eye(5) * 1e-5
        hessian = (field.gradient(point + steps) - field.gradient(point - steps)) / 2e-5
        assert (np.linalg.eigvalsh((hessian + hessian.T) / 2) < 0).mean() == index
    distances = np.linalg.norm(census.points[:, None] - census.points[None], axis=2) + np.eye(len(census.points))
    assert distances.min() > SAME
    assert census.correlation > 0.5
    minima, maxima = census.losses[census.indices == 0], census.losses[census.indices == 1]
    if len(minima) and len(maxima):
        assert minima.max() < maxima.min()
    assert census.losses[census.indices == 0].mean() < census.losses.mean()


def test_random_field_has_unit_variance_and_its_gradient_is_its_derivative() -> None:
    rng = np.random.default_rng(2)
    field = random_field(4, 400, rng)
    x = rng.uniform(-50, 50, (20_000, 4))
    assert np.var(field.value(x)) == pytest.approx(1.0, abs=0.2)
    point = rng.standard_normal((1, 4))
    steps = np.eye(4) * 1e-6
    fd = (field.value(point + steps) - field.value(point - steps)) / 2e-6
    np.testing.assert_allclose(field.gradient(point)[0], fd, atol=1e-7)


def test_run_is_deterministic_and_its_csv_reads_back() -> None:
    first = landscape_stats.run(None, None, SMALL, 7, lambda done, total: True)
    again = landscape_stats.run(None, None, SMALL, 7, lambda done, total: True)
    np.testing.assert_array_equal(first.positives, again.positives)
    np.testing.assert_array_equal(first.census.losses, again.census.losses)
    other = landscape_stats.run(None, None, SMALL, 8, lambda done, total: True)
    assert not np.array_equal(first.positives, other.positives)
    stream = io.StringIO()
    landscape_stats.to_csv(first, stream)
    goe, points = stream.getvalue().split("\n\n")
    rows = list(csv.DictReader(io.StringIO(goe)))
    assert [int(row["n"]) for row in rows] == list(range(1, 7))
    assert [int(row["positives"]) for row in rows] == list(first.positives)
    assert float(rows[1]["coin_flip"]) == 0.25 and float(rows[2]["large_deviation"]) == math.exp(-9 * THETA)
    critical = list(csv.DictReader(io.StringIO(points)))
    assert len(critical) == len(first.census.losses)
    losses = [float(row["loss"]) for row in critical]
    assert losses == sorted(losses) and float(critical[0]["gradient_norm"]) < TOLERANCE
    assert {int(row["negative"]) for row in critical} <= set(range(6))


def test_cancel_stops_the_run() -> None:
    calls = []

    def progress(done: int, total: int) -> bool:
        calls.append(done)
        return len(calls) < 3

    with pytest.raises(Cancelled):
        landscape_stats.run(None, None, dict(SMALL, samples=2_000_000), 0, progress)
    assert len(calls) == 3


@pytest.mark.parametrize(("settings", "field", "words"), [
    ({"n_max": 0}, "n_max", "out of range"),
    ({"n_max": 1e9}, "n_max", "out of range"),
    ({"samples": "1e9"}, "samples", "whole number"),
    ({"samples": True}, "samples", "whole number"),
    ({"samples": 10 ** 30}, "samples", "out of range"),
    ({"dim": 2.5}, "dim", "whole number"),
    ({"starts": -1}, "starts", "out of range"),
    ({"features": None}, "features", "whole number"),
    ({"__import__('os')": 1}, "__import__('os')", "unknown setting"),
])
def test_hostile_settings_are_one_line_errors_naming_the_field(settings, field, words) -> None:
    with pytest.raises(SceneError, match=words) as caught:
        make_spec("highdim", settings, "experiments[0]")
    assert caught.value.field == f"experiments[0].settings.{field}"
    assert "\n" not in str(caught.value)


def test_scene_round_trip_keeps_the_highdim_settings() -> None:
    scene = next(iter(PRESET_SCENES.values()))
    data = json.loads(scene.to_json())
    data["experiments"] = [{"kind": "highdim", "settings": {"n_max": 9, "samples": 50_000, "dim": 7}}]
    loaded = scene_from_json(json.dumps(data))
    settings = loaded.experiments[0].settings_dict()
    assert (settings["n_max"], settings["samples"], settings["dim"]) == (9, 50_000, 7)
    assert settings["starts"] == landscape_stats.DEFAULT_STARTS
    assert scene_from_json(loaded.to_json()) == loaded


def test_bray_dean_index_by_hand_and_against_the_census() -> None:
    # F(t) = 1/2 + (t sqrt(1 - t^2) + arcsin t) / pi at t = e / (2 sqrt n): n = 4, e = 0, +-4, 2.
    np.testing.assert_allclose(bray_dean_index(np.array([0.0, -4.0, 4.0, -9.0]), 4), [0.5, 0.0, 1.0, 0.0])
    assert bray_dean_index(np.array([2.0]), 4)[0] == pytest.approx(0.5 + (0.5 * math.sqrt(0.75) + math.pi / 6)
                                                                   / math.pi)
    rng = np.random.default_rng(3)
    census = find_critical_points(random_field(6, 200, rng), 500, rng)
    edges = np.quantile(census.losses, np.linspace(0, 1, 6))
    bins = np.clip(np.digitize(census.losses, edges) - 1, 0, 4)
    for b in range(5):
        chosen = bins == b
        theory = bray_dean_index(np.array([census.losses[chosen].mean()]), 6)[0]
        assert census.indices[chosen].mean() == pytest.approx(theory, abs=0.07), b
