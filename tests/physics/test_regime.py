"""Regime diagnosis as pure functions: the scales, the rules, the words."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest

import main
from physics.eigen import symmetric_eigenvalues, top_direction
from physics.regime import (
    CODES,
    CRITICAL_GRADIENT,
    DESCENDING,
    DIVERGING,
    MAXIMUM,
    MINIMUM,
    OSCILLATING,
    PLATEAU,
    REGIMES,
    SADDLE,
    RegimeScales,
    describe,
    describe_swarm,
    diagnose,
    format_number,
    model_distance,
)
from surfaces.surface import Domain, build_surface
from tests.physics.regime_reference import diagnose_reference


def test_model_distance_is_the_length_of_the_newton_step() -> None:
    rng = np.random.default_rng(3)
    a = rng.standard_normal((500, 2, 2)) * 10.0 ** rng.uniform(-3, 3, (500, 1, 1))
    h = (a + a.transpose(0, 2, 1))[30:]
    g = np.random.default_rng(4).standard_normal((len(h), 2))
    values = symmetric_eigenvalues(h)
    expected = np.linalg.norm(np.linalg.solve(h, g[:, :, None])[:, :, 0], axis=1)
    assert np.allclose(model_distance(g, values, top_direction(h)), expected, rtol=1e-9)


def test_scales_of_a_bowl_follow_their_definition() -> None:
    surface = build_surface("x^2 + 3y^2", domain=Domain(-2, 2, -1, 1))
    scales = RegimeScales.of_surface(surface, resolution=41)
    xs, ys = np.meshgrid(np.linspace(-2, 2, 41), np.linspace(-1, 1, 41), indexing="ij")
    gradient = np.hypot(2 * xs, 6 * ys)
    values = xs ** 2 + 3 * ys ** 2
    assert scales.gradient == pytest.approx(np.percentile(gradient, 75), rel=1e-12)
    assert scales.curvature == pytest.approx(6.0)
    assert scales.loss == pytest.approx(np.percentile(values, 95) - np.percentile(values, 5), rel=1e-12)
    assert scales.floor == 0.0
    assert scales.length == pytest.approx(math.hypot(4, 2))


def _diagnose(**overrides) -> np.ndarray:
    """One particle with neutral defaults on a surface with unit scales."""
    values = dict(active=True, loss=0.0, gradient_norm=1.0, step_size=0.1, mean_gradient=(1.0, 0.0),
                  noise_level=0.0, step_level=0.1, window_count=8, eigenvalues=(1.0, 2.0), top=(0.0, 1.0),
                  flips=0, swing=0.5, previous_swing=1.0, bound_rate=math.nan)
    values.update(overrides)
    values["noise_power"] = values.pop("noise_level") ** 2
    values["step_power"] = values.pop("step_level") ** 2
    arrays = {key: np.array([value]) for key, value in values.items()}
    return diagnose(scales=RegimeScales(gradient=1.0, curvature=1.0, loss=1.0, floor=0.0, length=1.0), floor=0.0,
                    **arrays)


def test_each_rule_of_the_diagnosis() -> None:
    still = dict(gradient_norm=1e-6, step_size=1e-6, mean_gradient=(1e-6, 0.0))
    assert _diagnose()[0] == DESCENDING
    assert _diagnose(**still)[0] == MINIMUM
    assert _diagnose(**still, eigenvalues=(-1.0, 2.0))[0] == SADDLE
    assert _diagnose(**still, eigenvalues=(-2.0, -1.0))[0] == MAXIMUM
    # a zero curvature: a flat bottom if the loss is low, a plateau if it is high
    assert _diagnose(**still, eigenvalues=(0.0, 0.0))[0] == MINIMUM
    assert _diagnose(**still, eigenvalues=(0.0, 0.0), loss=0.9)[0] == PLATEAU
    # passing through a critical point at speed is not settling there
    assert _diagnose(gradient_norm=1e-6, step_size=0.5, eigenvalues=(-1.0, 2.0))[0] == DESCENDING
    # small but not zero gradient, flat, high loss: the plateau that fakes convergence
    assert _diagnose(gradient_norm=1e-3, eigenvalues=(1e-3, 2e-3), loss=0.9)[0] == PLATEAU
    assert _diagnose(gradient_norm=1e-3, eigenvalues=(1e-3, 2e-3), loss=0.01)[0] == DESCENDING
    assert _diagnose(gradient_norm=1e-3, eigenvalues=(1.0, 2.0), loss=0.9)[0] == DESCENDING
    assert _diagnose(active=False, **still)[0] == DIVERGING


def test_noise_cannot_hide_a_minimum_but_a_noisy_slope_is_not_a_saddle() -> None:
    # jittering in a bowl: the averaged true gradient is below the noise
    jitter = dict(gradient_norm=0.05, mean_gradient=(0.01, 0.0), noise_level=0.1, step_level=0.01)
    assert _diagnose(**jitter)[0] == MINIMUM
    assert _diagnose(**jitter, window_count=2)[0] == DESCENDING  # too soon to tell
    assert _diagnose(**dict(jitter, noise_level=0.005))[0] == DESCENDING  # the pull beats the noise
    # near a saddle (the Newton step on the averaged gradient is short) ...
    assert _diagnose(**jitter, eigenvalues=(-1.0, 2.0))[0] == SADDLE
    # ... but on a slope with negative curvature whose critical point is far, it is descending
    # (the averaged gradient lies along the eigenvector of lambda_min = -1e-3: |H^-1 g| = 10)
    far = dict(jitter, eigenvalues=(-1e-3, 2.0), top=(0.0, 1.0))
    assert _diagnose(**far)[0] == DESCENDING


def test_oscillation_needs_flips_and_the_rate_past_its_bound() -> None:
    # gradient descent: lr / c = 0.1 / 2; lambda_max = 24 -> lr * lambda_max = 2.4 > 2
    assert _diagnose(flips=2, bound_rate=0.05, eigenvalues=(1.0, 24.0))[0] == OSCILLATING
    assert _diagnose(flips=1, bound_rate=0.05, eigenvalues=(1.0, 24.0))[0] == DESCENDING
    assert _diagnose(flips=5, bound_rate=0.05, eigenvalues=(1.0, 19.0))[0] == DESCENDING  # under the bound
    # no bound (Adam): persistent, non-shrinking flips
    assert _diagnose(flips=3, swing=1.0, previous_swing=1.0)[0] == OSCILLATING
    assert _diagnose(flips=3, swing=0.5, previous_swing=1.0)[0] == DESCENDING  # dying out
    settled = dict(gradient_norm=1e-6, step_size=1e-6, swing=1.0, previous_swing=1.0)
    assert _diagnose(flips=3, **settled)[0] == MINIMUM  # jitter at a minimum is not an oscillation


def test_diagnosis_is_vectorised_over_particles() -> None:
    n = 5
    codes = diagnose(active=np.array([True, True, True, False, True]), loss=np.zeros(n),
                     gradient_norm=np.array([1.0, 0.0, 0.0, 0.0, 1.0]), step_size=np.zeros(n),
                     mean_gradient=np.zeros((n, 2)), noise_power=np.zeros(n), step_power=np.zeros(n),
                     window_count=np.full(n, 8),
                     eigenvalues=np.array([[1, 2], [1, 2], [-1, 2], [1, 2], [1, 30]], float),
                     top=np.tile([0.0, 1.0], (n, 1)), flips=np.array([0, 0, 0, 0, 4]), swing=np.zeros(n),
                     previous_swing=np.ones(n),
                     bound_rate=np.full(n, 0.05), scales=RegimeScales(1.0, 1.0, 1.0, 0.0, 1.0), floor=0.0)
    assert [REGIMES[c] for c in codes] == ["descending", "minimum", "saddle", "diverging", "oscillating"]
    assert CODES["plateau"] == PLATEAU


@pytest.mark.parametrize(("value", "signed", "text"), [
    (-1.0, True, "-1.0"), (2.0, True, "+2.0"), (25.0, True, "+25.0"), (0.9, False, "0.9"), (1e-4, False, "1e-4"),
    (0.9999, False, "0.9999"), (2.4, False, "2.4"), (0.0, False, "0"), (3e5, False, "3e+5"), (0.041, True, "+0.041"),
])
def test_numbers_read_as_a_student_reads_them(value: float, signed: bool, text: str) -> None:
    assert format_number(value, signed) == text


def test_the_words_for_students() -> None:
    assert describe(SADDLE, loss=0.0, gradient_norm=0.0, eigenvalues=(-1.0, 2.0)) == "saddle: curvature -1.0 and +2.0"
    assert describe(MINIMUM, loss=0.0, gradient_norm=0.0, eigenvalues=(1.0, 25.0)) == \
        "minimum: curvature +1.0 and +25.0"
    assert describe(PLATEAU, loss=0.9, gradient_norm=1e-4, eigenvalues=(0.0, 0.0)) == \
        "plateau: gradient 1e-4 but loss still 0.9"
    assert describe(OSCILLATING, loss=1.0, gradient_norm=1.0, eigenvalues=(1.0, 24.0), lr=0.1, stability=2.0) == \
        "oscillating: lr x lambda_max = 2.4 > 2"
    assert describe(OSCILLATING, loss=1.0, gradient_norm=1.0, eigenvalues=(1.0, 40.0), lr=0.1, stability=3.8) == \
        "oscillating: lr x lambda_max = 4.0 > 3.8"
    assert describe(OSCILLATING, loss=1.0, gradient_norm=1.0, eigenvalues=(1.0, 40.0)) == \
        "oscillating: steps flip along the steepest direction (curvature +40.0)"
    assert describe(DIVERGING, loss=1.0, gradient_norm=1.0, eigenvalues=(1.0, 2.0), stopped="left the box").startswith(
        "diverging: left the box")
    assert describe_swarm(np.array([10, 30, 0, 0, 0, 0, 0]), "minimum: curvature +1.0 and +2.0") == \
        "75% minimum, 25% descending of 40 particles (minimum: curvature +1.0 and +2.0)"


def test_critical_threshold_is_relative_to_the_surface() -> None:
    still = dict(gradient_norm=0.5 * CRITICAL_GRADIENT, step_size=0.0, eigenvalues=(-1.0, 2.0))
    assert _diagnose(**still)[0] == SADDLE
    assert _diagnose(**dict(still, gradient_norm=2 * CRITICAL_GRADIENT))[0] == DESCENDING


def _reference(active, loss, gradient_norm, step_size, mean_gradient, noise_power, step_power, window_count,
               eigenvalues, top, flips, swing, previous_swing, bound_rate, scales, floor) -> int:
    """The rules of the module docstring, one particle at a time, in plain Python."""
    from physics import regime as r

    lam_min, lam_max = eigenvalues
    if not active:
        return DIVERGING
    flat = r.FLAT_CURVATURE * scales.curvature
    high = loss - floor > r.HIGH_LOSS * scales.loss
    pull = math.hypot(*mean_gradient)
    noise, reach = math.sqrt(noise_power), math.sqrt(step_power)
    u = np.array(top) / (np.linalg.norm(top) or 1.0) if np.linalg.norm(top) > 0 else np.array([1.0, 0.0])
    w = np.array([-u[1], u[0]])
    h = lam_max * np.outer(u, u) + lam_min * np.outer(w, w)
    with np.errstate(all="ignore"):
        distance = np.linalg.norm(np.linalg.solve(h, mean_gradient)) if abs(np.linalg.det(h)) > 0 else math.inf
    settled = (gradient_norm <= r.CRITICAL_GRADIENT * scales.gradient and step_size <= r.STILL * scales.length) or (
        noise > 0 and window_count >= r.MIN_WINDOW and pull <= r.NOISE_RATIO * noise
        and ((lam_min > flat and (pull <= r.NOISY_GRADIENT * scales.gradient or distance <= r.BOWL_REACH * reach))
             or distance <= r.REACH * reach))
    if settled:
        if lam_max < -flat:
            code = MAXIMUM
        elif lam_min < -flat:
            code = SADDLE
        elif lam_min > flat or not high:
            code = MINIMUM
        else:
            code = PLATEAU
    elif (gradient_norm <= r.PLATEAU_GRADIENT * scales.gradient and max(abs(lam_min), abs(lam_max))
          <= r.PLATEAU_CURVATURE * scales.curvature and high):
        code = PLATEAU
    else:
        code = DESCENDING
    if flips >= r.OSCILLATION_FLIPS:
        if math.isfinite(bound_rate) and bound_rate * lam_max > 1.0:
            code = OSCILLATING
        elif math.isnan(bound_rate) and abs(swing) >= r.STEADY_SWING * abs(previous_swing) and code == DESCENDING:
            code = OSCILLATING
    return code


def test_the_vectorised_diagnosis_follows_the_written_rules() -> None:
    rng = np.random.default_rng(7)
    n = 3000
    scales = RegimeScales(gradient=2.0, curvature=3.0, loss=5.0, floor=-1.0, length=4.0)

    def spread(low: float, high: float) -> np.ndarray:  # log-uniform magnitudes reach every threshold
        return 10 ** rng.uniform(low, high, n)

    eigen = np.sort(rng.choice([-1, 1], (n, 2)) * 10 ** rng.uniform(-6, 1, (n, 2)), axis=1)
    inputs = dict(
        active=rng.random(n) > 0.05, loss=rng.uniform(-1.0, 1.0, n), gradient_norm=spread(-6, 1),
        step_size=spread(-6, 0), mean_gradient=rng.standard_normal((n, 2)) * spread(-6, 0)[:, None],
        noise_power=np.where(rng.random(n) < 0.5, 0.0, spread(-8, 0)), step_power=spread(-8, 0),
        window_count=rng.integers(1, 10, n), eigenvalues=eigen, top=rng.standard_normal((n, 2)),
        flips=rng.integers(0, 4, n), swing=rng.standard_normal(n), previous_swing=rng.standard_normal(n),
        bound_rate=np.where(rng.random(n) < 0.5, math.nan, spread(-3, 0)))
    codes = diagnose(scales=scales, floor=-1.0, **inputs)
    expected = [_reference(*(inputs[k][i] for k in inputs), scales=scales, floor=-1.0) for i in range(n)]
    assert codes.tolist() == expected
    assert set(expected) == set(range(len(REGIMES)))  # every regime was reached


def test_strong_noise_does_not_make_a_wall_a_minimum() -> None:
    # High on a bowl's wall (|ḡ| = 0.5 G) under noise stronger still (s = 3 |ḡ|): still descending;
    # the same noise around a small averaged gradient (0.05 G) in the bowl is a minimum.
    # (H = diag(1, 2): the minimum is |H^-1 ḡ| = 0.36 away, 36 mean steps of 0.01.)
    wall = dict(gradient_norm=0.5, mean_gradient=(0.3, 0.4), noise_level=1.5, step_level=0.01, top=(0.0, 1.0))
    assert _diagnose(**wall)[0] == DESCENDING
    assert _diagnose(**dict(wall, gradient_norm=0.05, mean_gradient=(0.03, 0.04)))[0] == MINIMUM
    # ... and a large pull with the minimum a few steps away (fast steps) is the bowl's bottom too.
    assert _diagnose(**dict(wall, step_level=0.05))[0] == MINIMUM


def test_a_noisy_ball_high_on_a_bowl_is_descending(capsys: pytest.CaptureFixture[str]) -> None:
    # The reported run: at about (0.98, 0.99) the true |grad f| is 2.8, half of G = 6.0 on x^2 + y^2.
    assert main.main(["run", "--surface", "x^2+y^2", "--optimizer", "gd", "--start", "1,1", "--steps", "10",
                      "--noise", "3"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert all(float(row["grad_norm"]) > 2.5 for row in rows)
    assert [row["regime"] for row in rows] == ["descending"] * 11


def _mixed_particles(seed: int, n: int) -> dict:
    """Particles scattered across every rule's threshold (scales G = C = L = D = 1, floor 0)."""
    rng = np.random.default_rng(seed)
    low = rng.choice([-1.0, 1.0], n) * 10.0 ** rng.uniform(-5, 1, n)
    high = np.maximum(low, rng.choice([-1.0, 1.0], n) * 10.0 ** rng.uniform(-5, 1, n))
    angle = rng.uniform(0, 2 * np.pi, n)
    top = np.column_stack([np.cos(angle), np.sin(angle)]) * rng.choice([0.0, 1.0, 3.0], n, p=[0.05, 0.5, 0.45])[:, None]
    return dict(
        active=rng.random(n) > 0.05, loss=10.0 ** rng.uniform(-3, 0.5, n) * (rng.random(n) > 0.1),
        gradient_norm=10.0 ** rng.uniform(-6, 0, n), step_size=10.0 ** rng.uniform(-5, -1, n),
        mean_gradient=rng.normal(size=(n, 2)) * 10.0 ** rng.uniform(-4, 0, (n, 1)),
        noise_power=np.where(rng.random(n) < 0.3, 0.0, 10.0 ** rng.uniform(-4, 0, n)),
        step_power=10.0 ** rng.uniform(-8, -1, n), window_count=rng.integers(1, 10, n),
        eigenvalues=np.column_stack([low, high]), top=top, flips=rng.integers(0, 4, n).astype(np.int32),
        swing=rng.normal(size=n), previous_swing=rng.normal(size=n),
        bound_rate=np.where(rng.random(n) < 0.5, np.nan, 10.0 ** rng.uniform(-2, 1, n)),
        scales=RegimeScales(gradient=1.0, curvature=1.0, loss=1.0, floor=0.0, length=1.0), floor=0.0)


@pytest.mark.parametrize("seed", range(5))
def test_compiled_rules_agree_with_the_vectorised_transcription(seed: int) -> None:
    particles = _mixed_particles(seed, 20_000)
    codes = diagnose(**particles)
    expected = diagnose_reference(**particles)
    np.testing.assert_array_equal(codes, expected)
    assert len(np.unique(codes)) == len(REGIMES)  # every rule was exercised
    # one number for the noise power and window of all particles: the same codes as per-particle arrays
    shared = dict(particles, noise_power=0.01, window_count=6)
    expanded = dict(particles, noise_power=np.full(20_000, 0.01), window_count=np.full(20_000, 6))
    np.testing.assert_array_equal(diagnose(**shared), diagnose(**expanded))
    np.testing.assert_array_equal(diagnose(**shared), diagnose_reference(**shared))
