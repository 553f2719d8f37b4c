"""Critical points: found, classified and checked against published values and hand derivations.

References: Surjanovic & Bingham, Virtual Library of Simulation Experiments (sfu.ca/~ssurjano)
for the test functions' optima; Himmelblau (1972) for his function's nine critical points; the
McCormick optimum in closed form (cos(x + y) = -1/2, x - y = 1); separability for Rastrigin and
Styblinski-Tang (the 2-D critical points are products of 1-D ones, found here by bisection).
"""

from __future__ import annotations

import math
import time
import warnings
from fractions import Fraction

import numpy as np
import pytest
import sympy

from surfaces.critical import DEGENERATE_RTOL, CriticalPoint, classify, find_critical_points
from surfaces.parsing import X, Y
from surfaces.resultant import _determinant, _resultant_in_x, polynomial_candidates
from surfaces.surface import Domain, build_surface

HIMMELBLAU = "(x^2 + y - 11)^2 + (x + y^2 - 7)^2"


def positions(points: list[CriticalPoint], kind: str | None = None) -> np.ndarray:
    return np.array([(p.x, p.y) for p in points if kind is None or p.kind == kind]).reshape(-1, 2)


def assert_has_point(points: list[CriticalPoint], where: tuple[float, float], kind: str,
                     tolerance: float) -> CriticalPoint:
    candidates = [p for p in points if p.kind == kind and math.hypot(p.x - where[0], p.y - where[1]) <= tolerance]
    assert len(candidates) == 1, f"expected one {kind} near {where}, found {candidates} among {points}"
    return candidates[0]


def finite_difference_gradient(surface, point: tuple[float, float], h: float = 1e-6) -> np.ndarray:
    """Central differences of f alone: independent of the compiled gradient."""
    x, y = point
    probes = np.array([[x + h, y], [x - h, y], [x, y + h], [x, y - h]])
    f = surface.value(probes)
    return np.array([(f[0] - f[1]) / (2 * h), (f[2] - f[3]) / (2 * h)])


# ------------------------------------------------------------------------------------- classify


@pytest.mark.parametrize(("eigenvalues", "kind"), [
    ((1.0, 2.0), "minimum"),
    ((-2.0, -1.0), "maximum"),
    ((-1.0, 3.0), "saddle"),
    ((3.0, -1.0), "saddle"),
    ((0.0, 2.0), "degenerate"),
    ((0.0, 0.0), "degenerate"),
    ((-4.0, 1e-9), "degenerate"),
    ((-4.0, 1e-5), "saddle"),
])
def test_classify_by_signs_with_a_relative_zero(eigenvalues, kind):
    assert classify(eigenvalues, scale=10.0) == kind


def test_classify_tolerance_is_relative_to_the_scale():
    assert classify((1e-3, 1.0), scale=1.0) == "minimum"
    assert classify((1e-3, 1.0), scale=1e4) == "degenerate"  # 1e-3 <= 1e-6 x 1e4
    assert classify((0.9 * DEGENERATE_RTOL, 1.0), scale=1.0) == "degenerate"
    assert classify((1.1 * DEGENERATE_RTOL, 1.0), scale=1.0) == "minimum"


def test_classify_refuses_nonsense():
    with pytest.raises(ValueError):
        classify((math.nan, 1.0), scale=1.0)
    with pytest.raises(ValueError):
        classify((1.0, 1.0), scale=0.0)


# ------------------------------------------------------------------------- published test functions


def test_himmelblau_nine_critical_points_match_published_values():
    surface = build_surface(HIMMELBLAU)
    points = find_critical_points(surface, Domain(-5, 5, -5, 5))
    assert [p.kind for p in points].count("minimum") == 4
    assert [p.kind for p in points].count("maximum") == 1
    assert [p.kind for p in points].count("saddle") == 4
    assert len(points) == 9
    # Published minima (f = 0) to six decimals.
    for where in [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)]:
        point = assert_has_point(points, where, "minimum", 2e-6)
        assert point.value == pytest.approx(0.0, abs=1e-12)
    peak = assert_has_point(points, (-0.270845, -0.923039), "maximum", 2e-6)
    assert peak.value == pytest.approx(181.617, abs=5e-4)
    for point in points:
        assert np.allclose(finite_difference_gradient(surface, (point.x, point.y)), 0, atol=1e-5)
        hessian = np.array([[12 * point.x**2 + 4 * point.y - 42, 4 * (point.x + point.y)],
                            [4 * (point.x + point.y), 12 * point.y**2 + 4 * point.x - 26]])  # by hand
        assert np.allclose(point.eigenvalues, np.linalg.eigvalsh(hessian), rtol=1e-9, atol=1e-9)
        assert point.eigenvalues[0] <= point.eigenvalues[1]


def test_six_hump_camel_global_minima():
    surface = build_surface("(4 - 2.1x^2 + x^4/3)x^2 + x y + (-4 + 4y^2)y^2")
    points = find_critical_points(surface, Domain(-3, 3, -2, 2))
    minima = [p for p in points if p.kind == "minimum"]
    best = sorted(minima, key=lambda p: p.value)[:2]
    for where in [(0.0898, -0.7126), (-0.0898, 0.7126)]:
        point = assert_has_point(best, where, "minimum", 1e-4)
        assert point.value == pytest.approx(-1.0316, abs=5e-5)
        assert point.value == pytest.approx(-1.031628453489877, abs=1e-12)
    assert len(minima) == 6 and len(points) == 15


@pytest.mark.parametrize(("formula", "domain", "where", "value"), [
    ("(1.5 - x + x y)^2 + (2.25 - x + x y^2)^2 + (2.625 - x + x y^3)^2", (-4.5, 4.5, -4.5, 4.5), (3.0, 0.5), 0.0),
    ("(x + 2y - 7)^2 + (2x + y - 5)^2", (-10, 10, -10, 10), (1.0, 3.0), 0.0),
    ("0.26(x^2 + y^2) - 0.48x y", (-10, 10, -10, 10), (0.0, 0.0), 0.0),
    ("(1 + (x + y + 1)^2 (19 - 14x + 3x^2 - 14y + 6x y + 3y^2))"
     " (30 + (2x - 3y)^2 (18 - 32x + 12x^2 + 48y - 36x y + 27y^2))", (-2, 2, -2, 2), (0.0, -1.0), 3.0),
    ("(1 - x)^2 + 100(y - x^2)^2", (-2, 2, -1, 3), (1.0, 1.0), 0.0),
])
def test_global_minimum_of_test_functions(formula, domain, where, value):
    points = find_critical_points(build_surface(formula), Domain(*domain))
    point = assert_has_point(points, where, "minimum", 1e-7)
    assert point.value == pytest.approx(value, abs=1e-10)
    assert point.value == min(p.value for p in points if p.kind == "minimum")


def test_mccormick_matches_published_and_closed_form():
    points = find_critical_points(build_surface("sin(x + y) + (x - y)^2 - 1.5x + 2.5y + 1"), Domain(-1.5, 4, -3, 4))
    x = 0.5 - math.pi / 3  # cos(x + y) = -1/2 with x + y = -2 pi / 3, and x - y = 1
    point = assert_has_point(points, (x, x - 1), "minimum", 1e-9)
    assert point.value == pytest.approx(-math.sqrt(3) / 2 - math.pi / 3, abs=1e-12)
    assert (point.x, point.y) == pytest.approx((-0.54719, -1.54719), abs=1e-5)  # printed truncated
    assert point.value == pytest.approx(-1.9133, abs=1e-4)  # the library prints -1.9133 for -1.91322


def test_goldstein_price_local_minima():
    formula = ("(1 + (x + y + 1)^2 (19 - 14x + 3x^2 - 14y + 6x y + 3y^2))"
               " (30 + (2x - 3y)^2 (18 - 32x + 12x^2 + 48y - 36x y + 27y^2))")
    points = find_critical_points(build_surface(formula), Domain(-2, 2, -2, 2))
    minima = sorted((round(p.value, 6), round(p.x, 6), round(p.y, 6)) for p in points if p.kind == "minimum")
    assert minima == [(3.0, 0.0, -1.0), (30.0, -0.6, -0.4), (84.0, 1.8, 0.2), (840.0, 1.2, 0.8)]


def one_dimensional_critical_points(derivative, low: float, high: float) -> np.ndarray:
    """Zeros of a 1-D derivative by sign changes on a fine grid and bisection."""
    xs = np.linspace(low, high, 20000)  # an even count keeps 0 off the grid, so a zero there shows
    values = derivative(xs)
    roots = []
    for i in np.flatnonzero(np.sign(values[:-1]) * np.sign(values[1:]) < 0):
        a, b = xs[i], xs[i + 1]
        for _ in range(60):
            m = (a + b) / 2
            a, b = (m, b) if np.sign(derivative(np.array([m]))[0]) == np.sign(derivative(np.array([a]))[0]) else (a, m)
        roots.append((a + b) / 2)
    return np.array(roots)


def test_rastrigin_critical_points_are_products_of_one_dimensional_ones():
    surface = build_surface("20 + x^2 - 10cos(2pi x) + y^2 - 10cos(2pi y)")
    points = find_critical_points(surface, Domain(-3.2, 3.2, -3.2, 3.2))
    roots = one_dimensional_critical_points(lambda t: 2 * t + 20 * np.pi * np.sin(2 * np.pi * t), -3.2, 3.2)
    curvature = 2 + 40 * np.pi**2 * np.cos(2 * np.pi * roots)
    assert len(roots) == 13
    assert len(points) == len(roots) ** 2
    found = positions(points)
    for i, a in enumerate(roots):
        for j, b in enumerate(roots):
            distance = np.min(np.hypot(found[:, 0] - a, found[:, 1] - b))
            assert distance < 1e-9
            kind = [p for p in points if math.hypot(p.x - a, p.y - b) < 1e-9][0].kind
            signs = (curvature[i] > 0, curvature[j] > 0)
            expected = "minimum" if all(signs) else "maximum" if not any(signs) else "saddle"
            assert kind == expected
    assert_has_point(points, (0.0, 0.0), "minimum", 1e-12)


def test_styblinski_tang_global_minimum_published():
    surface = build_surface("0.5(x^4 - 16x^2 + 5x + y^4 - 16y^2 + 5y)")
    points = find_critical_points(surface, Domain(-5, 5, -5, 5))
    assert len(points) == 9
    best = min(points, key=lambda p: p.value)
    assert best.kind == "minimum"
    assert (best.x, best.y) == pytest.approx((-2.903534, -2.903534), abs=1e-6)
    assert best.value == pytest.approx(-39.16599 * 2, rel=1e-5)  # published -39.16599 d
    root = min(np.roots([4, 0, -32, 5]).real)  # f'(x) = 0 in one coordinate
    assert best.value == pytest.approx(root**4 - 16 * root**2 + 5 * root, abs=1e-10)


def test_ackley_cone_tip_is_not_a_critical_point_but_the_ripples_are():
    surface = build_surface("-20exp(-0.2sqrt(0.5(x^2 + y^2))) - exp(0.5(cos(2pi x) + cos(2pi y))) + e + 20")
    points = find_critical_points(surface, Domain(-3.2, 3.2, -3.2, 3.2))
    found = positions(points)
    assert np.min(np.hypot(found[:, 0], found[:, 1])) > 0.5
    assert len(points) == 168
    # Ackley is symmetric under x -> -x and x <-> y: so must the set of critical points be.
    for transform in (lambda p: p * [-1, 1], lambda p: p[:, ::-1]):
        image = transform(found)
        assert max(np.min(np.linalg.norm(found - q, axis=1)) for q in image) < 1e-8
    for point in points[::17]:
        assert np.allclose(finite_difference_gradient(surface, (point.x, point.y)), 0, atol=1e-6)


# --------------------------------------------------------------------------------- degenerate cases


def test_monkey_saddle_centre_is_degenerate():
    points = find_critical_points(build_surface("x^3 - 3x y^2"), Domain(-1.5, 1.5, -1.5, 1.5))
    assert len(points) == 1
    centre = points[0]
    assert centre.kind == "degenerate"
    assert math.hypot(centre.x, centre.y) < 1e-8
    assert max(abs(v) for v in centre.eigenvalues) < 1e-6


@pytest.mark.parametrize("formula", ["x^4 + y^4", "x^6 + y^2", "x^3 + y^2"])
def test_linearly_convergent_zeros_are_still_found_precisely(formula):
    points = find_critical_points(build_surface(formula), Domain(-2, 2, -2, 2))
    assert len(points) == 1
    assert points[0].kind == "degenerate"
    assert math.hypot(points[0].x, points[0].y) < 1e-6


def test_a_ring_of_minima_is_reported_once_not_sampled():
    points = find_critical_points(build_surface("(x^2 + y^2 - 1)^2"), Domain(-2, 2, -2, 2))
    kinds = sorted(p.kind for p in points)
    assert kinds == ["degenerate", "maximum"]
    ring = [p for p in points if p.kind == "degenerate"][0]
    assert math.hypot(ring.x, ring.y) == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize(("formula", "expected"), [
    ("x + y", 0),                              # no critical point at all
    ("5", 0),                                  # constant: nothing isolated
    ("log(x) + y^2", 0),                       # undefined for x <= 0, no critical point for x > 0
    ("tanh(((x - 1.5)^2 + (y - 1.5)^2)/2)", 1),  # plateau: tiny gradients are not zeros
])
def test_no_false_critical_points(formula, expected):
    points = find_critical_points(build_surface(formula), Domain(-4, 4, -4, 4))
    assert len(points) == expected


def test_points_outside_the_domain_are_left_out():
    surface = build_surface(HIMMELBLAU)
    points = find_critical_points(surface, Domain(0, 5, 0, 5))
    assert sorted(p.kind for p in points) == ["minimum", "saddle", "saddle"]  # (3,2), (3.385,0.074), (0.087,2.884)
    assert all(0 <= p.x <= 5 and 0 <= p.y <= 5 for p in points)


def test_parameters_are_used():
    surface = build_surface("a*x^2 + b*y^2 - x", parameters={"a": 1.0, "b": 1.0})
    point = find_critical_points(surface.with_parameters({"a": 2.0, "b": -3.0}), Domain(-2, 2, -2, 2))[0]
    assert (point.x, point.y, point.kind) == (pytest.approx(0.25), pytest.approx(0.0, abs=1e-12), "saddle")
    assert point.eigenvalues == pytest.approx((-6.0, 4.0))


def test_order_is_deterministic_kind_then_value_then_position():
    points = find_critical_points(build_surface(HIMMELBLAU), Domain(-5, 5, -5, 5))
    assert [p.kind for p in points] == ["minimum"] * 4 + ["maximum"] + ["saddle"] * 4
    minima = positions(points, "minimum")
    assert list(minima[:, 0]) == sorted(minima[:, 0])  # equal values (0): by x
    saddles = [p.value for p in points if p.kind == "saddle"]
    assert saddles == sorted(saddles)
    again = find_critical_points(build_surface(HIMMELBLAU), Domain(-5, 5, -5, 5))
    assert again == points


class _FakeClock:
    """A clock that only moves when the surface is evaluated: time as work done, whatever the load."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now


class _CostlySurface:
    """A surface whose every evaluation costs ``cost`` seconds of the fake clock."""

    def __init__(self, surface, clock: _FakeClock, cost: float) -> None:
        self._surface, self._clock, self._cost = surface, clock, cost

    def evaluate(self, points):
        self._clock.now += self._cost
        return self._surface.evaluate(points)

    def value(self, points):
        self._clock.now += self._cost
        return self._surface.value(points)

    def __getattr__(self, name):
        return getattr(self._surface, name)


RIPPLES = "sin(20x) sin(20y) + 0.01(x^2 + y^2)"


def ripples_gradient(points: np.ndarray) -> np.ndarray:
    """By hand, independent of the compiled gradient."""
    x, y = points[:, 0], points[:, 1]
    return np.column_stack([20 * np.cos(20 * x) * np.sin(20 * y) + 0.02 * x,
                            20 * np.sin(20 * x) * np.cos(20 * y) + 0.02 * y])


def test_time_limit_stops_the_search_and_partial_results_are_genuine(monkeypatch):
    """The deadline, on a fake clock that advances 0.1 s per evaluation (so machine load cannot matter).

    Genuine means: each partial point is one of the complete search's, of the same kind, and
    its gradient is zero relative to the surface's own gradient scale (|grad f| <= 20.1 on the
    domain, by hand), at the acceptance tolerance of the search (1e-6 of it).
    """
    import surfaces.critical as critical

    surface = build_surface(RIPPLES)
    domain = Domain(-3, 3, -3, 3)
    clock = _FakeClock()
    monkeypatch.setattr(critical, "time", clock)
    iterations = []
    newton_step = critical._newton_step
    monkeypatch.setattr(critical, "_newton_step", lambda *a: (iterations.append(1), newton_step(*a))[1])

    complete = find_critical_points(_CostlySurface(surface, clock, 0.1), domain, time_limit=1e9)
    complete_iterations, complete_time = len(iterations), clock.now
    clock.now = 0.0
    iterations.clear()
    # 0.35 s: the survey and the starts' evaluation take 0.2, so two Newton iterations fit.
    partial = find_critical_points(_CostlySurface(surface, clock, 0.1), domain, time_limit=0.35)

    assert complete_iterations >= 8  # the complete search needs many iterations ...
    assert len(iterations) - 1 <= 3  # ... the limited one stopped within one of its deadline (+1: the final check)
    assert clock.now < complete_time
    assert 0 < len(partial) < len(complete)
    assert len(complete) > 2000
    everything = positions(complete)
    for point in partial:
        distances = np.hypot(everything[:, 0] - point.x, everything[:, 1] - point.y)
        assert distances.min() <= 1e-6 * domain.diameter
        assert complete[int(np.argmin(distances))].kind == point.kind
    gradient = np.hypot(*ripples_gradient(positions(partial)).T)
    assert gradient.max() <= 1e-6 * 20.1


def test_time_limit_holds_on_the_wall_clock():
    """A real clock on a loaded 2-core machine: only a generous bound, against a hang or an ignored limit.

    The limit cuts the Newton iterations only; the survey (201 x 201 points) and the
    book-keeping after it take a fixed ~0.1 s here, so 5 s leaves room for a 20x slowdown.
    """
    surface = build_surface(RIPPLES)
    started = time.monotonic()
    points = find_critical_points(surface, Domain(-3, 3, -3, 3), time_limit=0.02)
    assert time.monotonic() - started < 5.0
    if points:
        assert np.hypot(*ripples_gradient(positions(points)).T).max() <= 1e-6 * 20.1


# ----------------------------------------------------------------------- surfaces of huge range


def test_a_huge_range_does_not_hide_an_honest_minimum():
    """x^30 makes the typical gradient 1e14: the slopes around the origin are small beside it, not flat."""
    points = find_critical_points(build_surface("x^2 + y^2 + x^30"), Domain(-3, 3, -3, 3))
    assert len(points) == 1 and points[0].kind == "minimum"
    assert (points[0].x, points[0].y) == pytest.approx((0.0, 0.0), abs=1e-9)
    assert points[0].eigenvalues == pytest.approx((2.0, 2.0), rel=1e-9)


def test_overflowing_derivatives_give_no_false_points_and_no_warnings():
    """exp(exp(r^2)) has |H| ~ 1e96 where |grad f| ~ 1e93: the Newton systems must not overflow to a zero step."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        points = find_critical_points(build_surface("exp(exp(x^2 + y^2))"), Domain(-3, 3, -3, 3))
        assert find_critical_points(build_surface("exp(exp(exp(exp(x))))"), Domain(-3, 3, -3, 3)) == []
    assert len(points) == 1
    assert points[0].kind == "minimum"
    assert (points[0].x, points[0].y) == pytest.approx((0.0, 0.0), abs=1e-9)
    assert points[0].value == pytest.approx(math.e, rel=1e-15)
    assert points[0].eigenvalues == pytest.approx((2 * math.e, 2 * math.e), rel=1e-12)  # f'' = 2 e at 0


def test_goldstein_price_on_a_wide_domain_keeps_its_minima():
    """Over [-10, 10]^2 the median curvature is ~1e9; the minima (eigenvalues from 208) stay minima, in order."""
    formula = ("(1 + (x + y + 1)^2 (19 - 14x + 3x^2 - 14y + 6x y + 3y^2))"
               " (30 + (2x - 3y)^2 (18 - 32x + 12x^2 + 48y - 36x y + 27y^2))")
    points = find_critical_points(build_surface(formula), Domain(-10, 10, -10, 10))
    assert [p.kind for p in points] == ["minimum"] * 4 + ["maximum"] + ["saddle"] * 4
    assert [round(p.value, 6) for p in points[:4]] == [3.0, 30.0, 84.0, 840.0]  # by value, not by position


def test_an_isolated_very_flat_point_is_reported_where_it_is():
    """(x^2 + y^2)^3 - x^2: H = diag(-2, 0) at the origin and f ~ y^6 along y; nearly-converged neighbours
    must not stand in for the point."""
    points = find_critical_points(build_surface("(x^2 + y^2)^3 - x^2"), Domain(-3, 3, -3, 3))
    centre = [p for p in points if p.kind == "degenerate"]
    assert len(centre) == 1 and math.hypot(centre[0].x, centre[0].y) < 1e-6
    root = (1 / 3) ** 0.25  # the minima: 6 x^5 = 2 x
    assert sorted((round(p.x, 9), p.kind) for p in points if p.kind != "degenerate") == \
        [(round(-root, 9), "minimum"), (round(root, 9), "minimum")]


@pytest.mark.parametrize(("formula", "kind", "eigenvalues"), [
    ("x^4 + y^4", "degenerate", (0.0, 0.0)),
    ("x^2 + y^4", "degenerate", (0.0, 2.0)),
    ("x^2 - y^4", "degenerate", (0.0, 2.0)),
    ("x^2 - y^2", "saddle", (-2.0, 2.0)),
    ("1e-3(x^2 + y^2)", "minimum", (2e-3, 2e-3)),   # small but sound curvature: not degenerate
    ("1e6(y^2 - x^2)", "saddle", (-2e6, 2e6)),
])
def test_degenerate_tolerance_at_the_origin(formula, kind, eigenvalues):
    points = find_critical_points(build_surface(formula), Domain(-3, 3, -3, 3))
    assert len(points) == 1
    assert points[0].kind == kind
    assert (points[0].x, points[0].y) == pytest.approx((0.0, 0.0), abs=1e-6)
    assert points[0].eigenvalues == pytest.approx(eigenvalues, abs=1e-9)


# ---------------------------------------------------------------------------------- exact route


def test_integer_determinant_matches_numpy():
    rng = np.random.default_rng(3)
    for size in range(1, 7):
        matrix = rng.integers(-9, 10, size=(size, size))
        assert _determinant(matrix.tolist()) == round(np.linalg.det(matrix))
    assert _determinant([[0, 1], [1, 0]]) == -1
    assert _determinant([[0, 0], [1, 0]]) == 0


def test_resultant_by_interpolation_matches_sympy():
    p = {(2, 0): 1, (0, 1): 1, (0, 0): -11}  # x^2 + y - 11
    q = {(1, 0): 1, (0, 2): 1, (0, 0): -7}   # x + y^2 - 7
    ours = _resultant_in_x(p, q, deadline=time.monotonic() + 5)
    reference = sympy.Poly(sympy.resultant(X**2 + Y - 11, X + Y**2 - 7, Y), X).all_coeffs()
    assert [Fraction(c) for c in ours] == [Fraction(int(c)) for c in reference]


def test_polynomial_candidates_cover_every_himmelblau_point():
    surface = build_surface(HIMMELBLAU)
    candidates = polynomial_candidates(surface.expression, {}, (-5, 5, -5, 5), time.monotonic() + 5)
    assert candidates is not None
    for point in find_critical_points(surface, Domain(-5, 5, -5, 5)):
        assert np.min(np.hypot(candidates[:, 0] - point.x, candidates[:, 1] - point.y)) < 1e-6


@pytest.mark.parametrize("formula", ["sin(x) + y^2", "x^9 + y^2", "(x^2 + y^2 - 1)^2", "x^2", "exp(x) y"])
def test_polynomial_route_declines_what_it_cannot_do(formula):
    expression = build_surface(formula).expression
    assert polynomial_candidates(expression, {}, (-2, 2, -2, 2), time.monotonic() + 5) is None


def test_polynomial_route_respects_its_deadline():
    expression = build_surface(HIMMELBLAU).expression
    assert polynomial_candidates(expression, {}, (-5, 5, -5, 5), time.monotonic() - 1) is None
