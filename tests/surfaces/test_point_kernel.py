"""The compiled per-point evaluator: the NumPy evaluator's numbers, its NaN marks, its parameters."""

from __future__ import annotations

import numpy as np
import pytest

from surfaces.point_kernel import MAX_KERNEL_NODES, compile_point_kernel
from surfaces.surface import POINT_KERNEL_POINTS, build_surface

N = 4 * POINT_KERNEL_POINTS


def _points(seed: int, low: float = -2.0, high: float = 2.0, order: str = "F") -> np.ndarray:
    return np.asarray(np.random.default_rng(seed).uniform(low, high, (N, 2)), order=order)


def _both(text: str, points: np.ndarray, parameters: dict | None = None):
    """(NumPy evaluation, kernel evaluation) of the same formula at the same points."""
    numpy_surface = build_surface(text, parameters=parameters)
    kernel_surface = build_surface(text, parameters=parameters)  # its own compiled functions
    assert kernel_surface.prepare_point_kernel()
    return numpy_surface.evaluate_checked(points), kernel_surface.evaluate_checked(points)


@pytest.mark.parametrize("order", ["F", "C"])
def test_a_polynomial_gives_the_same_bits(order: str) -> None:
    (expected, finite), (got, kernel_finite) = _both("(1 - x)^2 + 100 (y - x^2)^2", _points(0, order=order))
    assert finite and kernel_finite
    for a, b in zip(expected, got, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(got.hessian[:, 0, 1], got.hessian[:, 1, 0])


@pytest.mark.parametrize("text", ["sin(3x) cos(2y) + exp(-x^2 - y^2)", "log(1 + exp(x y)) + tanh(x - y)^2",
                                  "abs(x) + max(x, y)^2 + sign(y) x", "sqrt(x^2 + y^2 + 1) + atan(y / (1 + x^2))"])
def test_transcendental_functions_agree_to_rounding(text: str) -> None:
    (expected, _), (got, _) = _both(text, _points(1))
    for a, b in zip(expected, got, strict=True):
        scale = max(1.0, float(np.nanmax(np.abs(a))))
        assert np.nanmax(np.abs(a - b)) <= 1e-13 * scale
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))


def test_stable_sigmoid_and_softplus_agree_with_numpy_far_into_their_tails() -> None:
    # Arguments up to +-1200 (exp(1200) overflows): both evaluators stay finite and agree.
    (expected, finite), (got, kernel_finite) = _both("sigmoid(300 x - y) + softplus(600 y) x", _points(4))
    assert finite and kernel_finite
    for a, b in zip(expected, got, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-13, atol=1e-300)


def test_undefined_points_are_nan_as_in_numpy() -> None:
    # log(x) is undefined for x <= 0 (NaN there, derivatives too); 1/y has a pole at 0
    points = _points(2)
    points[:10, 1] = 0.0
    (expected, finite), (got, kernel_finite) = _both("log(x) + 1/y", points)
    assert not finite and not kernel_finite
    for a, b in zip(expected, got, strict=True):
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        np.testing.assert_allclose(a, b, rtol=1e-15, equal_nan=True)
    assert np.isnan(got.value[points[:, 0] <= 0]).all() and np.isnan(got.gradient[points[:, 0] <= 0]).all()
    assert not np.isinf(got.value).any()


def test_parameters_are_arguments_not_constants() -> None:
    points = _points(3)
    surface = build_surface("a x^2 + b y^2", parameters={"a": 1.0, "b": 3.0})
    assert surface.prepare_point_kernel()
    moved = surface.with_parameters({"a": -2.0})  # shares the compiled kernel
    got = moved.evaluate(points)
    np.testing.assert_allclose(got.value, -2.0 * points[:, 0] ** 2 + 3.0 * points[:, 1] ** 2, rtol=1e-15)
    np.testing.assert_array_equal(got.hessian[:, 0, 0], -4.0)


def test_small_batches_keep_the_numpy_evaluator() -> None:
    surface = build_surface("x^2 + y^2")
    assert surface.prepare_point_kernel()
    few = _points(4)[: POINT_KERNEL_POINTS - 1]
    value = surface.evaluate(few).value
    assert value.flags.owndata  # the NumPy evaluator's fresh array of f, taken as it is
    np.testing.assert_allclose(value, few[:, 0] ** 2 + few[:, 1] ** 2)


def test_a_formula_too_large_is_not_compiled() -> None:
    import sympy

    from surfaces.parsing import X, Y

    huge = sympy.Add(*(sympy.sin(k * X + Y) for k in range(1, MAX_KERNEL_NODES // 4)))
    assert compile_point_kernel([X, Y], [huge] * 6) is None
