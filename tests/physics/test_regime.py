"""Regime diagnosis as pure functions: the scales, the rules, the hysteresis, the words."""

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
    DESCENDING,
    DIVERGING,
    HOLD,
    MAXIMUM,
    MINIMUM,
    NEAR,
    NO_LABEL,
    OSCILLATING,
    PLATEAU,
    REGIMES,
    SADDLE,
    RegimeScales,
    diagnose,
    model_distance,
    newton_point,
    oscillation_of,
    settle_label,
)
from physics.regime_words import Evidence, describe, describe_swarm, format_number
from surfaces.surface import Domain, build_surface
from tests.physics.regime_reference import diagnose_reference, labels_reference
from tests.physics.regime_reference import model_distance as model_distance_reference


def test_model_distance_is_the_length_of_the_newton_step() -> None:
    rng = np.random.default_rng(3)
    a = rng.standard_normal((500, 2, 2)) * 10.0 ** rng.uniform(-3, 3, (500, 1, 1))
    h = (a + a.transpose(0, 2, 1))[30:]
    g = np.random.default_rng(4).standard_normal((len(h), 2))
    values = symmetric_eigenvalues(h)
    expected = np.linalg.norm(np.linalg.solve(h, g[:, :, None])[:, :, 0], axis=1)
    assert np.allclose(model_distance(g, values, top_direction(h)), expected, rtol=1e-9)
    assert np.allclose(model_distance_reference(g, values, top_direction(h)), expected, rtol=1e-9)


def test_model_distance_along_a_zero_curvature() -> None:
    # f = x^2: a line of minima along y (no pull along it: no distance); f = x^2 + y (a pull along a
    # zero curvature: the model has no critical point at all)
    h = np.array([[[2.0, 0.0], [0.0, 0.0]]] * 2)
    g = np.array([[0.2, 0.0], [0.2, 1.0]])
    distance = model_distance(g, symmetric_eigenvalues(h), top_direction(h))
    assert distance[0] == pytest.approx(0.1) and math.isinf(distance[1])


def test_newton_point_is_where_the_quadratic_model_is_flat() -> None:
    # f = (x - 1)^2 / 2 + 25 (y - 2)^2 / 2 at (1.5, 1.9): the model is exact, its critical point (1, 2)
    position, gradient, hessian = np.array([1.5, 1.9]), np.array([0.5, -2.5]), np.diag([1.0, 25.0])
    assert newton_point(position, gradient, hessian) == pytest.approx((1.0, 2.0))
    assert newton_point(position, gradient, np.zeros((2, 2))) is None


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


UNIT = RegimeScales(gradient=1.0, curvature=1.0, loss=1.0, floor=0.0, length=1.0)


def _diagnose(**overrides) -> int:
    """One particle with neutral defaults on a surface with unit scales (the near radius NEAR)."""
    values = dict(active=True, loss=0.0, gradient=(1.0, 0.0), step_size=0.1, mean_gradient=(1.0, 0.0),
                  mean_step=(0.0, 0.0), noise_level=0.0, step_level=0.1, window_count=8, eigenvalues=(1.0, 2.0),
                  top=(0.0, 1.0), flips=0, swing=0.05, previous_swing=0.1, bound_rate=math.nan, bound_shift=0.0)
    values.update(overrides)
    values["noise_power"] = values.pop("noise_level") ** 2
    values["step_power"] = values.pop("step_level") ** 2
    values.setdefault("gradient_norm", math.hypot(*values["gradient"]))
    values.setdefault("previous_lam_max", values["eigenvalues"][1])
    arrays = {key: np.array([value]) for key, value in values.items()}
    codes = diagnose(scales=UNIT, floor=0.0, **arrays)
    assert codes.tolist() == diagnose_reference(scales=UNIT, floor=0.0, **arrays).tolist()
    return int(codes[0])


STILL = dict(gradient=(1e-6, 0.0), step_size=1e-6, mean_gradient=(1e-6, 0.0), step_level=1e-6)


def test_each_rule_of_the_diagnosis() -> None:
    assert _diagnose() == DESCENDING
    assert _diagnose(**STILL) == MINIMUM
    assert _diagnose(**STILL, eigenvalues=(-1.0, 2.0)) == SADDLE
    assert _diagnose(**STILL, eigenvalues=(-2.0, -1.0)) == MAXIMUM
    # a zero curvature: a flat bottom if the loss is low, a plateau if it is high
    flat = dict(STILL, gradient=(0.0, 0.0), eigenvalues=(0.0, 0.0))
    assert _diagnose(**flat) == MINIMUM
    assert _diagnose(**flat, loss=0.9) == PLATEAU
    # passing through a critical point at speed is not settling there
    assert _diagnose(gradient=(1e-6, 0.0), step_size=0.5, eigenvalues=(-1.0, 2.0)) == DESCENDING
    # small but not zero gradient, flat, high loss: the plateau that fakes convergence
    assert _diagnose(gradient=(1e-3, 0.0), eigenvalues=(1e-3, 2e-3), loss=0.9) == PLATEAU
    assert _diagnose(gradient=(1e-3, 0.0), eigenvalues=(1e-3, 2e-3), loss=0.01) == DESCENDING
    assert _diagnose(gradient=(1e-3, 0.0), eigenvalues=(1.0, 2.0), loss=0.9) == DESCENDING
    assert _diagnose(active=False, **STILL) == DIVERGING


def test_settled_means_near_the_critical_point_of_the_local_model() -> None:
    # The Newton distance against NEAR D: |H^-1 g| = |g_x| / lambda_min here (g along lambda_min's x).
    assert _diagnose(**dict(STILL, gradient=(0.5 * NEAR, 0.0)), eigenvalues=(-1.0, 2.0)) == SADDLE
    assert _diagnose(**dict(STILL, gradient=(2.0 * NEAR, 0.0)), eigenvalues=(-1.0, 2.0)) == DESCENDING
    # A small gradient is not enough: on a gentle curvature the critical point is far (Beale's valley:
    # |g| = 0.23, lambda_min = 0.18, the model's critical point 1.3 away).
    assert _diagnose(**dict(STILL, gradient=(0.23 * NEAR, 0.0)), eigenvalues=(0.18 * NEAR, 346.0)) == DESCENDING
    # A pull along an exactly zero curvature: no critical point at all.
    assert _diagnose(**dict(STILL, gradient=(1e-9, 0.0)), eigenvalues=(0.0, 2.0)) == DESCENDING


def test_a_ball_moving_steadily_is_not_settled() -> None:
    # Within the near radius, but travelling steadily (mean step = the rms step) fast enough to
    # leave it within a window: not settled. The same steps alternating (mean step 0): settled.
    steady = dict(STILL, step_size=NEAR / 2, step_level=NEAR / 2)
    assert _diagnose(**steady, mean_step=(NEAR / 2, 0.0)) == DESCENDING
    assert _diagnose(**steady, mean_step=(0.0, 0.0)) == MINIMUM
    # ... and a ball that has arrived takes ever shorter steps: WINDOW |step| within NEAR D.
    assert _diagnose(**dict(steady, step_size=NEAR / 10), mean_step=(NEAR / 2, 0.0)) == MINIMUM


def test_noise_cannot_hide_a_minimum_but_a_noisy_slope_is_not_a_saddle() -> None:
    # jittering in a bowl: the averaged true gradient is below the noise
    jitter = dict(gradient=(0.05, 0.0), mean_gradient=(0.01, 0.0), noise_level=0.1, step_level=0.01)
    assert _diagnose(**jitter) == MINIMUM
    assert _diagnose(**jitter, window_count=2) == DESCENDING  # too soon to tell
    assert _diagnose(**dict(jitter, noise_level=0.005)) == DESCENDING  # the pull beats the noise
    # near a saddle (the Newton step on the averaged gradient is short) ...
    assert _diagnose(**jitter, eigenvalues=(-1.0, 2.0)) == SADDLE
    # ... but on a slope with negative curvature whose critical point is far, it is descending
    # (the averaged gradient lies along the eigenvector of lambda_min = -1e-3: |H^-1 g| = 10)
    far = dict(jitter, eigenvalues=(-1e-3, 2.0), top=(0.0, 1.0))
    assert _diagnose(**far) == DESCENDING
    # drifting steadily under noise (the mean step near the rms step) is not settled either
    assert _diagnose(**jitter, mean_step=(0.009, 0.0)) == DESCENDING


def test_strong_noise_does_not_make_a_wall_a_minimum() -> None:
    # High on a bowl's wall (|ḡ| = 0.5) under noise stronger still (s = 3 |ḡ|): still descending;
    # the same noise around a small averaged gradient in the bowl is a minimum.
    # (H = diag(1, 2): the minimum is |H^-1 ḡ| = 0.36 away, 36 mean steps of 0.01.)
    wall = dict(gradient=(0.3, 0.4), mean_gradient=(0.3, 0.4), noise_level=1.5, step_level=0.01, top=(0.0, 1.0))
    assert _diagnose(**wall) == DESCENDING
    assert _diagnose(**dict(wall, gradient=(0.03, 0.04), mean_gradient=(0.03, 0.04))) == MINIMUM
    # ... and a large pull with the minimum a few steps away (fast steps) is the bowl's bottom too.
    assert _diagnose(**dict(wall, step_level=0.05)) == MINIMUM


def test_oscillation_needs_flips_and_the_rate_past_its_bound() -> None:
    # gradient descent: lr / c = 0.1 / 2; lambda_max = 24 -> lr * lambda_max = 2.4 > 2
    assert _diagnose(flips=2, bound_rate=0.05, eigenvalues=(1.0, 24.0)) == OSCILLATING
    assert _diagnose(flips=1, bound_rate=0.05, eigenvalues=(1.0, 24.0)) == DESCENDING
    assert _diagnose(flips=5, bound_rate=0.05, eigenvalues=(1.0, 19.0)) == DESCENDING  # under the bound
    # a flip across the ball's travel that a student does not see (the step mostly across the top direction)
    assert _diagnose(flips=5, bound_rate=0.05, eigenvalues=(1.0, 24.0), swing=0.01) == DESCENDING
    # no bound (Adam): persistent, non-shrinking flips
    assert _diagnose(flips=3, swing=0.1, previous_swing=0.1) == OSCILLATING
    assert _diagnose(flips=3, swing=0.05, previous_swing=0.1) == DESCENDING  # dying out
    settled = dict(STILL, swing=1e-6, previous_swing=1e-6)
    assert _diagnose(flips=3, **settled) == MINIMUM  # jitter at a minimum is not an oscillation


def test_oscillation_at_the_exact_bound_and_with_weight_decay() -> None:
    # lr = 0.1 on lambda_max = 20: lr lambda_max = 2 exactly. A steady two-cycle is oscillating; a
    # shrinking one (numerically just under) is not.
    edge = dict(flips=4, bound_rate=0.05, eigenvalues=(2.0, 20.0))
    assert _diagnose(**edge, swing=0.1, previous_swing=-0.1) == OSCILLATING
    assert _diagnose(**edge, swing=0.05, previous_swing=-0.1) == DESCENDING
    # weight decay adds to the curvature: lr (lambda_max + wd) = 0.09 (20 + 3) = 2.07 > 2
    decayed = dict(flips=4, bound_rate=0.09 / 2, eigenvalues=(2.0, 20.0), swing=0.05, previous_swing=-0.1)
    assert _diagnose(**decayed, bound_shift=3.0) == OSCILLATING
    assert _diagnose(**decayed, bound_shift=0.0) == DESCENDING
    # a bounce between a steep wall and its flat foot: the step spans both ends
    foot = dict(flips=4, bound_rate=0.15, eigenvalues=(0.2, 0.6), swing=0.1, previous_swing=-0.1)
    assert _diagnose(**foot, previous_lam_max=900.0) == OSCILLATING
    assert _diagnose(**foot) == DESCENDING


def test_an_oscillation_shown_lasts_while_the_steps_alternate() -> None:
    # RMSProp in a valley: its rate sits at its own stability edge, the bounce across the valley grows
    # and fades in turn while the steps keep alternating. Fading (swing 0.5 of the one before) and
    # small against the travel along the valley (swing 0.01 of a step of 0.1): not a new oscillation,
    # but one already shown continues.
    fading = dict(step_size=0.1, lam_max=50.0, swing=0.001, previous_swing=-0.002, earlier_swing=0.004,
                  swing_top_x=0.0, swing_top_y=1.0, bound_rate=math.nan, bound_shift=0.0, previous_lam_max=50.0)
    assert not oscillation_of(DESCENDING, False, **fading)
    assert oscillation_of(DESCENDING, True, **fading)
    assert not oscillation_of(MINIMUM, True, **fading)  # settled: the bounce is over
    assert not oscillation_of(DESCENDING, True, **dict(fading, step_size=0.0))  # a rejected step is no swing
    # with a bound: only while the rate stays at or past it
    assert oscillation_of(DESCENDING, True, **dict(fading, bound_rate=0.05, lam_max=20.0, previous_lam_max=20.0))
    assert not oscillation_of(DESCENDING, True, **dict(fading, bound_rate=0.05, lam_max=19.0, previous_lam_max=19.0))
    labels = np.full(1, OSCILLATING, dtype=np.int8)
    particle = {key: np.array([value]) for key, value in dict(
        active=True, loss=1.0, gradient=(1.0, 0.0), gradient_norm=1.0, step_size=0.1, mean_gradient=(1.0, 0.0),
        mean_step=(0.0, 0.0), step_power=0.01, eigenvalues=(1.0, 50.0), top=(0.0, 1.0), flips=5, swing=0.001,
        previous_swing=-0.002, bound_rate=math.nan).items()}
    assert diagnose_reference(**particle, noise_power=0.0, window_count=8, scales=UNIT, floor=0.0,
                              labels=labels)[0] == OSCILLATING
    assert diagnose_reference(**particle, noise_power=0.0, window_count=8, scales=UNIT, floor=0.0)[0] == DESCENDING


def test_hysteresis_holds_a_label_until_the_new_regime_has_held() -> None:
    def labels(raw: list[int]) -> list[int]:
        label, candidate, held, out = NO_LABEL, NO_LABEL, 0, []
        for code in raw:
            label, candidate, held = settle_label(code, label, candidate, held)
            out.append(label)
        return out

    d, m, o = DESCENDING, MINIMUM, OSCILLATING
    assert labels([d] + [m] * (HOLD - 1) + [d]) == [d] * (HOLD + 1)  # never held long enough
    assert labels([d] + [m] * HOLD) == [d] * HOLD + [m]  # held HOLD steps: changed on the last
    assert labels([d, o] * 20) == [d] * 40  # a flicker gets one label
    assert labels([m, DIVERGING]) == [m, DIVERGING]  # diverging at once
    assert labels([o] + [d, m] * 10) == [o] * 21  # a new regime must hold, not merely differ


def test_hysteresis_matches_its_reference_over_random_runs() -> None:
    rng = np.random.default_rng(11)
    k, n = 120, 40
    # runs of random regimes of random lengths, per particle
    raw = np.empty((k, n), dtype=np.int8)
    for j in range(n):
        step = 0
        while step < k:
            length = int(rng.integers(1, 2 * HOLD + 2))
            raw[step:step + length, j] = rng.integers(0, len(REGIMES))
            step += length
    expected = labels_reference(raw)
    label = np.full(n, NO_LABEL, dtype=np.int8)
    candidate = np.full(n, NO_LABEL, dtype=np.int8)
    held = np.zeros(n, dtype=np.int32)
    for step in range(k):
        for j in range(n):
            label[j], candidate[j], held[j] = settle_label(raw[step, j], label[j], candidate[j], held[j])
        np.testing.assert_array_equal(label, expected[step])


def test_diagnosis_is_vectorised_over_particles() -> None:
    n = 5
    codes = diagnose(active=np.array([True, True, True, False, True]), loss=np.zeros(n),
                     gradient=np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [1.0, 0.0]]),
                     gradient_norm=np.array([1.0, 0.0, 0.0, 0.0, 1.0]), step_size=np.full(n, 0.1),
                     mean_gradient=np.zeros((n, 2)), mean_step=np.zeros((n, 2)), noise_power=np.zeros(n),
                     step_power=np.zeros(n), window_count=np.full(n, 8),
                     eigenvalues=np.array([[1, 2], [1, 2], [-1, 2], [1, 2], [1, 30]], float),
                     top=np.tile([0.0, 1.0], (n, 1)), flips=np.array([0, 0, 0, 0, 4]), swing=np.full(n, 0.1),
                     previous_swing=np.full(n, -0.1), bound_rate=np.full(n, 0.05), scales=RegimeScales(
                         1.0, 1.0, 1.0, 0.0, 100.0), floor=0.0)
    assert [REGIMES[c] for c in codes] == ["descending", "minimum", "saddle", "diverging", "oscillating"]
    assert CODES["plateau"] == PLATEAU


@pytest.mark.parametrize(("value", "signed", "text"), [
    (-1.0, True, "-1.0"), (2.0, True, "+2.0"), (25.0, True, "+25.0"), (0.9, False, "0.9"), (1e-4, False, "1e-4"),
    (0.9999, False, "0.9999"), (2.4, False, "2.4"), (0.0, False, "0"), (3e5, False, "3e+5"), (0.041, True, "+0.041"),
])
def test_numbers_read_as_a_student_reads_them(value: float, signed: bool, text: str) -> None:
    assert format_number(value, signed) == text


def test_the_words_for_students_name_the_evidence() -> None:
    near = Evidence(distance=0.002, critical_point=(1.0, 2.0))
    assert describe(MINIMUM, loss=0.0, gradient_norm=0.0, eigenvalues=(1.0, 25.0), evidence=near) == \
        "minimum: 0.002 from the critical point (1.000, 2.000), curvature +1.0 and +25.0"
    assert describe(SADDLE, loss=0.0, gradient_norm=0.0, eigenvalues=(-1.0, 2.0),
                    evidence=Evidence(distance=3e-9, critical_point=(0.0, -0.0))) == \
        "saddle: 3e-9 from the critical point (0.000, 0.000), curvature -1.0 and +2.0"
    assert describe(SADDLE, loss=0.0, gradient_norm=0.0, eigenvalues=(-1.0, 2.0)) == "saddle: curvature -1.0 and +2.0"
    assert describe(PLATEAU, loss=0.9, gradient_norm=1e-4, eigenvalues=(0.0, 0.0)) == \
        "plateau: gradient 1e-4 but loss still 0.9, curvature 0 and 0"
    assert describe(OSCILLATING, loss=1.0, gradient_norm=1.0, eigenvalues=(1.0, 24.0),
                    evidence=Evidence(lr=0.1, stability=2.0)) == "oscillating: lr × λ_max = 2.4 > 2"
    assert describe(OSCILLATING, loss=1.0, gradient_norm=1.0, eigenvalues=(1.0, 40.0),
                    evidence=Evidence(lr=0.1, stability=3.8)) == "oscillating: lr × λ_max = 4 > 3.8"
    assert describe(OSCILLATING, loss=1.0, gradient_norm=1.0, eigenvalues=(2.0, 20.0),
                    evidence=Evidence(lr=0.09, stability=2.0, shift=3.0)) == \
        "oscillating: lr × (λ_max + weight decay) = 2.07 > 2"
    assert describe(OSCILLATING, loss=1.0, gradient_norm=1.0, eigenvalues=(2.0, 20.0),
                    evidence=Evidence(lr=0.1, stability=2.0)) == \
        "oscillating: lr × λ_max = 2, at the bound 2: a two-cycle that neither grows nor shrinks"
    assert describe(OSCILLATING, loss=1.0, gradient_norm=1.0, eigenvalues=(0.2, 0.6),
                    evidence=Evidence(lr=0.3, stability=2.0, curvature=900.0)) == "oscillating: lr × λ_max = 270 > 2"
    assert describe(OSCILLATING, loss=1.0, gradient_norm=1.0, eigenvalues=(1.0, 40.0)) == \
        "oscillating: steps flip along the steepest direction and do not shrink (curvature +40.0)"
    assert describe(DIVERGING, loss=1.0, gradient_norm=1.0, eigenvalues=(1.0, 2.0),
                    evidence=Evidence(stopped="left the box")).startswith("diverging: left the box")
    assert describe_swarm(np.array([10, 30, 0, 0, 0, 0, 0]), "minimum: curvature +1.0 and +2.0") == \
        "75% minimum, 25% descending of 40 particles (minimum: curvature +1.0 and +2.0)"


def _reference(active, loss, gradient, gradient_norm, step_size, mean_gradient, mean_step, noise_power, step_power,
               window_count, eigenvalues, top, flips, swing, previous_swing, bound_rate, bound_shift,
               previous_lam_max, earlier_swing, swing_top, scales, floor, bound_kappa=math.nan) -> int:
    """The rules of the module docstring, one particle at a time, in plain Python (np.linalg for H^-1 g)."""
    from physics import regime as r

    lam_min, lam_max = eigenvalues
    if not active:
        return DIVERGING
    rho = max(lam_max, -lam_min)
    flat = r.FLAT_CURVATURE * min(scales.curvature, rho)
    near = r.NEAR * scales.length
    high = loss - floor > r.HIGH_LOSS * scales.loss
    u = np.array(top) / np.linalg.norm(top) if np.linalg.norm(top) > 0 else np.array([1.0, 0.0])
    w = np.array([-u[1], u[0]])

    def distance(g: np.ndarray) -> float:  # |H^-1 g|, by components along u and w
        parts = [(float(u @ g), lam_max), (float(w @ g), lam_min)]
        return math.sqrt(sum((c / lam) ** 2 if c != 0 else 0.0 for c, lam in parts if c == 0 or lam != 0)
                         ) if all(c == 0 or lam != 0 for c, lam in parts) else math.inf

    moving = (r.WINDOW * step_size > near and math.hypot(*mean_step) ** 2 > r.STEADY_DRIFT ** 2 * step_power)
    still = (step_size <= near and gradient_norm <= near * rho and distance(np.array(gradient)) <= near)
    noisy = (noise_power > 0 and window_count >= r.MIN_WINDOW
             and math.hypot(*mean_gradient) ** 2 <= r.NOISE_RATIO ** 2 * noise_power
             and distance(np.array(mean_gradient)) <= (r.BOWL_REACH if lam_min > flat else r.REACH)
             * math.sqrt(step_power))
    settled = (still or noisy) and not moving
    if settled:
        if lam_max < -flat:
            code = MAXIMUM
        elif lam_min < -flat:
            code = SADDLE
        elif lam_min > flat or not high:
            code = MINIMUM
        else:
            code = PLATEAU
    elif (gradient_norm <= r.PLATEAU_GRADIENT * scales.gradient and rho <= r.PLATEAU_CURVATURE * scales.curvature
          and high):
        code = PLATEAU
    else:
        code = DESCENDING
    visible = abs(swing) >= r.SWING_SHARE * step_size * math.hypot(*swing_top)
    if flips >= r.OSCILLATION_FLIPS and step_size != 0 and visible:
        steady = (abs(swing) >= r.STEADY_SWING * abs(previous_swing)
                  or abs(swing) >= r.STEADY_SWING ** 2 * abs(earlier_swing))
        if not math.isnan(bound_kappa):  # a rate per coordinate: the swing, started near its edge
            if steady and code == DESCENDING and bound_kappa >= r.ADAPTIVE_EDGE:
                code = OSCILLATING
        elif not math.isnan(bound_rate):
            kappa = bound_rate * (max(lam_max, previous_lam_max) + bound_shift)
            if kappa > 1 + r.EDGE or (kappa >= 1 - r.EDGE and steady):
                code = OSCILLATING
        elif steady and code == DESCENDING:
            code = OSCILLATING
    return code


def _mixed_particles(seed: int, n: int, scales: RegimeScales = UNIT) -> dict:
    """Particles scattered across every rule's threshold (floor 0)."""
    rng = np.random.default_rng(seed)
    low = rng.choice([-1.0, 1.0], n) * 10.0 ** rng.uniform(-5, 1, n) * (rng.random(n) > 0.02)
    high = np.maximum(low, rng.choice([-1.0, 1.0], n) * 10.0 ** rng.uniform(-5, 1, n))
    angle = rng.uniform(0, 2 * np.pi, n)
    top = np.column_stack([np.cos(angle), np.sin(angle)]) * rng.choice([0.0, 1.0, 3.0], n, p=[0.05, 0.5, 0.45])[:, None]
    gradient = rng.normal(size=(n, 2)) * 10.0 ** rng.uniform(-7, 0, (n, 1))
    step_size = 10.0 ** rng.uniform(-6, -1, n)
    step_power = 10.0 ** rng.uniform(-12, -2, n)
    return dict(
        active=rng.random(n) > 0.05, loss=10.0 ** rng.uniform(-3, 0.5, n) * (rng.random(n) > 0.1),
        gradient=gradient, gradient_norm=np.hypot(gradient[:, 0], gradient[:, 1]), step_size=step_size,
        mean_gradient=rng.normal(size=(n, 2)) * 10.0 ** rng.uniform(-4, 0, (n, 1)),
        mean_step=rng.normal(size=(n, 2)) * np.sqrt(step_power)[:, None] * rng.uniform(0, 1.2, (n, 1)),
        noise_power=np.where(rng.random(n) < 0.3, 0.0, 10.0 ** rng.uniform(-4, 0, n)),
        step_power=step_power, window_count=rng.integers(1, 10, n),
        eigenvalues=np.column_stack([low, high]), top=top, flips=rng.choice([0, 1, 2, 3, 16, 30], n).astype(np.int32),
        swing=rng.normal(size=n) * step_size * 2, previous_swing=rng.normal(size=n) * step_size * 2,
        bound_rate=np.where(rng.random(n) < 0.5, np.nan, 10.0 ** rng.uniform(-2, 1, n)),
        bound_shift=np.where(rng.random(n) < 0.5, 0.0, rng.uniform(0, 3, n)),
        previous_lam_max=high * 10.0 ** rng.uniform(-1, 1, n),
        earlier_swing=rng.normal(size=n) * step_size * 2,
        swing_top=np.column_stack([np.cos(angle + 0.1), np.sin(angle + 0.1)]) * rng.uniform(0.5, 2, (n, 1)),
        bound_kappa=np.where(rng.random(n) < 0.7, np.nan, 10.0 ** rng.uniform(-1, 0.5, n)),
        scales=scales, floor=0.0)


def test_the_compiled_diagnosis_follows_the_written_rules() -> None:
    scales = RegimeScales(gradient=2.0, curvature=3.0, loss=5.0, floor=0.0, length=4.0)
    particles = _mixed_particles(7, 4000, scales)
    codes = diagnose(**particles)
    n = len(codes)
    keys = [k for k in particles if k not in ("scales", "floor")]
    expected = [_reference(**{k: particles[k][i] for k in keys}, scales=scales, floor=0.0) for i in range(n)]
    assert codes.tolist() == expected
    assert set(expected) == set(range(len(REGIMES)))  # every regime was reached


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
    # weight decay: judged on f + (wd / 2) |p|^2
    positions = np.random.default_rng(seed).normal(size=(20_000, 2))
    np.testing.assert_array_equal(diagnose(**particles, positions=positions),
                                  diagnose_reference(**particles, positions=positions))


def test_with_weight_decay_the_ball_settles_where_the_decayed_gradient_vanishes() -> None:
    # f = (x - 1)^2 + 10 y^2 with weight decay 1: the ball descends f + |p|^2 / 2, whose minimum is
    # (2/3, 0), where grad f = (-2/3, 0) is not zero. Still there, it is settled.
    there = dict(STILL, gradient=(-2.0 / 3.0, 0.0), eigenvalues=(2.0, 20.0), bound_shift=1.0)
    positions = np.array([[2.0 / 3.0, 0.0]])
    arrays = {key: np.array([value]) for key, value in there.items()}
    values = dict(active=np.array([True]), loss=np.array([1 / 9]), gradient_norm=np.array([2.0 / 3.0]),
                  mean_gradient=np.array([[-2.0 / 3.0, 0.0]]), mean_step=np.zeros((1, 2)), noise_power=0.0,
                  step_power=np.array([1e-12]), window_count=8, top=np.array([[0.0, 1.0]]), flips=np.array([0]),
                  swing=np.zeros(1), previous_swing=np.zeros(1), bound_rate=np.array([0.025]), scales=UNIT, floor=0.0)
    arrays.pop("mean_gradient")
    arrays.pop("step_level")
    assert diagnose(**values, **arrays, positions=positions)[0] == MINIMUM
    assert diagnose(**values, **arrays)[0] == DESCENDING  # judged on f alone, it would be far from rest


def test_a_noisy_ball_high_on_a_bowl_is_descending(capsys: pytest.CaptureFixture[str]) -> None:
    # The reported run: at about (0.98, 0.99) the true |grad f| is 2.8, half of G = 6.0 on x^2 + y^2.
    assert main.main(["run", "--surface", "x^2+y^2", "--optimizer", "gd", "--start", "1,1", "--steps", "10",
                      "--noise", "3"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert all(float(row["grad_norm"]) > 2.5 for row in rows)
    assert [row["regime"] for row in rows] == ["descending"] * 11
