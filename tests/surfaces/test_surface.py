"""The Surface (surfaces.surface): exact derivatives, the compiled evaluator, values and domains.

Gradients are checked against central differences of ``Surface.value`` and Hessians against
central differences of the gradient, at random points, for formulas covering every family of
function. The evaluator's shapes, broadcasting of constants, NaN (never inf, complex or a
warning) where the formula is undefined, immutability, parameters, the terms of a finite sum,
LaTeX and Domain parsing are checked against hand-derived values.
"""

from __future__ import annotations

import dataclasses
import math
import pickle
import warnings

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surfaces.derivatives import derivative, derivative_size_estimate, node_count
from surfaces.errors import DownhillError, FormulaError
from surfaces.parsing import FUNCTIONS, X, Y
from surfaces.surface import MAX_LATEX_NODES, Domain, Evaluation, Surface, build_surface, surface_from_expression


def _points(rng: np.random.Generator, n: int, low: float, high: float) -> np.ndarray:
    return rng.uniform(low, high, size=(n, 2))


def _central_gradient(function, points: np.ndarray, step: float) -> np.ndarray:
    """(n, 2) central differences of a function (n, 2) -> (n,) (or -> (n, k) for stacked outputs)."""
    columns = []
    for axis in range(2):
        offset = np.zeros(2)
        offset[axis] = step
        columns.append((function(points + offset) - function(points - offset)) / (2 * step))
    return np.stack(columns, axis=-1)


# (formula, parameters, sampling box (low, high), extra filter on points or None)
DIFFERENTIABLE = [
    ("x^2 + 3y^2 - x y", None, (-3, 3), None),
    ("x^3 - 3x y^2", None, (-2, 2), None),
    ("(1 - x)^2 + 100(y - x^2)^2", None, (-1.5, 1.5), None),
    ("sin(x) cos(2y) + tan(x/3)", None, (-3, 3), None),
    ("x exp(-(x^2 + y^2))", None, (-2, 2), None),
    ("log(1 + x^2 + y^2) + ln(3 + sin(x y))", None, (-3, 3), None),
    ("sqrt(1 + x^2 + 2y^2) + cbrt(x + 10) + log10(y + 5) + log2(x + 5)", None, (-3, 3), None),
    ("abs(x - 5) + abs(y + 5) + 2abs(x y - 20)", None, (-3, 3), None),
    ("tanh(x y) + sigmoid(x - y) + softplus(y)", None, (-3, 3), None),
    ("a x^2 + b sin(y) + a b x y", {"a": 2.5, "b": -1.5}, (-3, 3), None),
    ("asin(x/4) + acos(y/4) + atan(x y) + atan2(y + 5, x + 5)", None, (-3, 3), None),
    ("cosh(x/2) + sinh(y/3) + asinh(x) + acosh(y^2 + 2) + atanh(x/4) + arctan(y)", None, (-3, 3), None),
    ("x^y + 2^x", None, (0.5, 2.5), None),
    ("max(x, y)^2 + relu(x) y + min(x^2, y)", None, (-2, 2),
     lambda p: (np.abs(p[:, 0] - p[:, 1]) > 0.01) & (np.abs(p[:, 0]) > 0.01) & (np.abs(p[:, 0] ** 2 - p[:, 1]) > 0.01)),
    ("sign(x - 10) x^2 + exp(x/2) y^3 - 1/(4 + x^2 + y^2)", None, (-2, 2), None),
]


@pytest.mark.parametrize(("formula", "parameters", "box", "keep"), DIFFERENTIABLE, ids=[d[0] for d in DIFFERENTIABLE])
def test_gradient_and_hessian_match_central_differences(formula, parameters, box, keep) -> None:
    surface = build_surface(formula, parameters=parameters)
    rng = np.random.default_rng(7)
    points = _points(rng, 64, *box)
    if keep is not None:
        points = points[keep(points)]
    assert len(points) >= 40
    step = 1e-5
    evaluation = surface.evaluate(points)
    assert np.isfinite(evaluation.value).all() and np.isfinite(evaluation.hessian).all()

    numeric_gradient = _central_gradient(surface.value, points, step)
    scale = 1.0 + np.abs(evaluation.value)[:, None]
    np.testing.assert_allclose(evaluation.gradient, numeric_gradient, rtol=1e-6, atol=1e-7 * scale.max())

    numeric_hessian = _central_gradient(lambda p: surface.evaluate(p).gradient, points, step)  # (n, 2, 2)
    gradient_scale = 1.0 + np.abs(evaluation.gradient).max()
    np.testing.assert_allclose(evaluation.hessian, numeric_hessian, rtol=1e-5, atol=1e-6 * gradient_scale)
    np.testing.assert_array_equal(evaluation.hessian[:, 0, 1], evaluation.hessian[:, 1, 0])


def test_gradient_of_a_known_function_is_exact() -> None:
    # f = x^2 y + sin(y): grad = (2xy, x^2 + cos y), H = [[2y, 2x], [2x, -sin y]]
    surface = build_surface("x^2 y + sin(y)")
    p = np.array([[1.5, -0.5], [0.0, 2.0]])
    ev = surface.evaluate(p)
    xs, ys = p[:, 0], p[:, 1]
    np.testing.assert_allclose(ev.value, xs**2 * ys + np.sin(ys), rtol=1e-15)
    np.testing.assert_allclose(ev.gradient, np.column_stack([2 * xs * ys, xs**2 + np.cos(ys)]), rtol=1e-15)
    expected = np.stack([np.column_stack([2 * ys, 2 * xs]), np.column_stack([2 * xs, -np.sin(ys)])], axis=1)
    np.testing.assert_allclose(ev.hessian, expected, rtol=1e-15, atol=1e-15)


# --------------------------------------------------------------------------- shapes and broadcasting

@pytest.mark.parametrize("n", [1, 1000])
@pytest.mark.parametrize(("formula", "value", "gradient", "hessian"), [
    ("3", lambda p: np.full(len(p), 3.0), lambda p: np.zeros((len(p), 2)), lambda p: np.zeros((len(p), 2, 2))),
    ("x^2 + 1", lambda p: p[:, 0] ** 2 + 1, lambda p: np.column_stack([2 * p[:, 0], np.zeros(len(p))]),
     lambda p: np.broadcast_to([[2.0, 0.0], [0.0, 0.0]], (len(p), 2, 2))),
    ("y", lambda p: p[:, 1], lambda p: np.broadcast_to([0.0, 1.0], (len(p), 2)), lambda p: np.zeros((len(p), 2, 2))),
    ("x y", lambda p: p[:, 0] * p[:, 1], lambda p: p[:, ::-1],
     lambda p: np.broadcast_to([[0.0, 1.0], [1.0, 0.0]], (len(p), 2, 2))),
    ("pi + e", lambda p: np.full(len(p), math.pi + math.e), lambda p: np.zeros((len(p), 2)),
     lambda p: np.zeros((len(p), 2, 2))),
])
def test_shapes_and_broadcast_of_constants(n, formula, value, gradient, hessian) -> None:
    surface = build_surface(formula)
    points = _points(np.random.default_rng(n), n, -2, 2)
    ev = surface.evaluate(points)
    assert isinstance(ev, Evaluation)
    assert ev.value.shape == (n,) and ev.gradient.shape == (n, 2) and ev.hessian.shape == (n, 2, 2)
    assert ev.value.dtype == ev.gradient.dtype == ev.hessian.dtype == np.float64
    np.testing.assert_allclose(ev.value, value(points), rtol=1e-15)
    np.testing.assert_allclose(ev.gradient, gradient(points), rtol=1e-15)
    np.testing.assert_allclose(ev.hessian, hessian(points), rtol=1e-15)
    assert surface.value(points).shape == (n,)
    np.testing.assert_array_equal(surface.value(points), ev.value)
    values, gradients = surface.term_evaluation(points)
    assert values.shape == (len(surface.terms), n) and gradients.shape == (len(surface.terms), n, 2)


def test_single_point_and_empty_arrays() -> None:
    surface = build_surface("x^2 + 2y")
    ev = surface.evaluate(np.array([1.0, 3.0]))
    assert ev.value.shape == (1,) and ev.value[0] == 7.0
    empty = surface.evaluate(np.zeros((0, 2)))
    assert empty.value.shape == (0,) and empty.gradient.shape == (0, 2) and empty.hessian.shape == (0, 2, 2)
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        surface.evaluate(np.zeros((4, 3)))


def test_value_grid_is_indexed_x_then_y() -> None:
    surface = build_surface("x - 2y")
    xs, ys = np.array([0.0, 1.0, 2.0]), np.array([10.0, 20.0])
    grid = surface.value_grid(xs, ys)
    assert grid.shape == (3, 2)
    np.testing.assert_array_equal(grid, xs[:, None] - 2 * ys[None, :])


# --------------------------------------------------------------------------- undefined points

UNDEFINED = [
    # (formula, parameters, point, which outputs are NaN there: value, gradient, hessian);
    # where f is undefined, so are its derivatives
    ("log(x)", None, (-1.0, 0.0), (True, True, True)),
    ("log(x)", None, (0.0, 0.0), (True, True, True)),
    ("1/x", None, (0.0, 1.0), (True, True, True)),
    ("sqrt(x)", None, (-4.0, 0.0), (True, True, True)),
    ("sqrt(x)", None, (0.0, 0.0), (False, True, True)),
    ("x^(1/3) + y", None, (-8.0, 1.0), (True, True, True)),
    ("acosh(x) + atanh(y)", None, (0.0, 2.0), (True, True, True)),
    ("asin(x)", None, (3.0, 0.0), (True, True, True)),
    ("x^y", None, (-2.0, 0.5), (True, True, True)),
    ("exp(exp(x))", None, (10.0, 0.0), (True, True, True)),
    ("x^2/a", {"a": 0.0}, (1.0, 1.0), (True, True, True)),
    ("1/a + x", {"a": 0.0}, (1.0, 1.0), (True, True, True)),
    ("a^(1/3) x", {"a": -8.0}, (1.0, 1.0), (True, True, True)),
    ("a^100 x", {"a": 1e4}, (1.0, 1.0), (True, True, True)),
    ("sqrt(a) + log(a) y", {"a": -1.0}, (1.0, 1.0), (True, True, True)),
    ("sqrt(x) + y^2", None, (0.0, 1.0), (False, True, True)),
    ("1/x^2 + y", None, (1e-200, 1.0), (True, True, True)),
]


@pytest.mark.parametrize(("formula", "parameters", "point", "nan"), UNDEFINED,
                         ids=[f"{f} {p or ''} at {q}" for f, p, q, _ in UNDEFINED])
def test_undefined_points_give_nan_without_warnings(formula, parameters, point, nan) -> None:
    surface = build_surface(formula, parameters=True)
    if parameters:
        surface = surface.with_parameters(parameters)
    points = np.array([point, [0.7, 0.3]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ev = surface.evaluate(points)
        value = surface.value(points)
        values, gradients = surface.term_evaluation(points)
    for array, expected in zip((ev.value[0], ev.gradient[0], ev.hessian[0]), nan, strict=True):
        assert not np.iscomplexobj(array)
        assert np.isnan(array).any() == expected, f"{formula} at {point}: {array}"
        assert not np.isinf(array).any()
    assert np.isnan(value[0]) == nan[0]
    assert not np.isinf(values).any() and not np.isinf(gradients).any()
    for array in (ev.value, ev.gradient, ev.hessian, value, values, gradients):
        assert array.dtype == np.float64


def test_parameter_names_that_shadow_generated_code_are_harmless() -> None:
    # lambdify's code uses names such as maximum, select, sign and x0, x1 for common subexpressions
    surface = build_surface("maximum max(x, y) + x0 exp(x) + x1 exp(x) sign(y) + select", parameters=True)
    surface = surface.with_parameters({"maximum": 2.0, "x0": 3.0, "x1": 5.0, "select": 7.0})
    p = np.array([[0.5, -1.0], [-1.0, 2.0]])
    xs, ys = p[:, 0], p[:, 1]
    expected = 2 * np.maximum(xs, ys) + 3 * np.exp(xs) + 5 * np.exp(xs) * np.sign(ys) + 7
    np.testing.assert_allclose(surface.value(p), expected, rtol=1e-14)
    np.testing.assert_allclose(surface.evaluate(p).value, expected, rtol=1e-14)


def test_heaviside_derivatives_of_max_work_for_parameter_only_arguments() -> None:
    surface = build_surface("max(a, b) x + relu(a) y", parameters=True).with_parameters({"a": 2.0, "b": -1.0})
    ev = surface.evaluate(np.array([[1.0, 1.0], [3.0, -2.0]]))
    np.testing.assert_allclose(ev.gradient, [[2.0, 2.0], [2.0, 2.0]])
    np.testing.assert_allclose(ev.hessian, 0.0)


def test_large_integer_constants_compute_in_floats() -> None:
    surface = build_surface("x * 10^30 + y * (0.1^-100)")
    ev = surface.evaluate(np.array([[2.0, 3.0]]))
    assert ev.value.dtype == np.float64
    np.testing.assert_allclose(ev.value, [2e30 + 3e100], rtol=1e-15)
    np.testing.assert_allclose(ev.gradient, [[1e30, 1e100]], rtol=1e-15)


# --------------------------------------------------------------------------- values, not objects

def test_surface_is_immutable() -> None:
    surface = build_surface("x^2 + y^2")
    with pytest.raises(dataclasses.FrozenInstanceError):
        surface.text = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        surface.parameters = (("a", 1.0),)  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        surface.domain.xmin = 0.0  # type: ignore[misc]


def test_with_parameters_makes_a_new_surface_and_keeps_the_original() -> None:
    surface = build_surface("a x^2 + b y", parameters={"a": 2.0, "b": 3.0})
    assert surface.parameters == (("a", 2.0), ("b", 3.0))
    changed = surface.with_parameters({"b": -1.0})
    p = np.array([[2.0, 5.0]])
    assert changed.parameters == (("a", 2.0), ("b", -1.0))
    assert changed.value(p)[0] == 2.0 * 4 - 5.0
    assert surface.value(p)[0] == 2.0 * 4 + 15.0
    assert surface.parameters == (("a", 2.0), ("b", 3.0))
    np.testing.assert_allclose(changed.evaluate(p).gradient, [[8.0, -1.0]])
    with pytest.raises(FormulaError, match="no parameter 'c'"):
        surface.with_parameters({"c": 1.0})
    for bad in (math.nan, math.inf, "2", None, True):
        with pytest.raises(FormulaError, match="finite number"):
            surface.with_parameters({"a": bad})


def test_parameters_default_to_one_and_take_given_values() -> None:
    assert build_surface("k x", parameters=True).parameters == (("k", 1.0),)
    assert build_surface("k x", parameters={"k": 4, "unused": 2.0}).parameters == (("k", 4.0),)
    with pytest.raises(FormulaError, match="unknown name 'k'"):
        build_surface("k x")
    with pytest.raises(FormulaError, match="finite number"):
        build_surface("k x", parameters={"k": math.nan})


def test_terms_sum_to_f_and_its_gradient() -> None:
    surface = build_surface("x^2 + 3 sin(y) + x y + 5 - exp(x/3)")
    assert surface.is_finite_sum
    assert len(surface.terms) == 5
    points = _points(np.random.default_rng(3), 50, -2, 2)
    values, gradients = surface.term_evaluation(points)
    ev = surface.evaluate(points)
    np.testing.assert_allclose(values.sum(axis=0), ev.value, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(gradients.sum(axis=0), ev.gradient, rtol=1e-13, atol=1e-13)


def test_explicit_terms_of_a_finite_sum_loss() -> None:
    data = [(0.5, 1.0), (1.5, 0.0), (-1.0, 1.0)]
    terms = [(1 / (1 + sympy.exp(-(X * u + Y))) - t) ** 2 / len(data) for u, t in data]
    surface = surface_from_expression(sympy.Add(*terms), terms=terms, text="neuron loss")
    assert surface.terms == tuple(terms) and surface.is_finite_sum
    points = _points(np.random.default_rng(5), 20, -3, 3)
    values, gradients = surface.term_evaluation(points)
    assert values.shape == (3, 20) and gradients.shape == (3, 20, 2)
    ev = surface.evaluate(points)
    np.testing.assert_allclose(values.sum(axis=0), ev.value, rtol=1e-13)
    np.testing.assert_allclose(gradients.sum(axis=0), ev.gradient, rtol=1e-12, atol=1e-15)
    # each term's gradient against central differences of that term alone
    single = surface_from_expression(terms[1])
    np.testing.assert_allclose(gradients[1], _central_gradient(single.value, points, 1e-6), rtol=1e-6, atol=1e-9)


def test_a_single_product_is_not_a_finite_sum() -> None:
    assert not build_surface("x y").is_finite_sum
    assert not build_surface("x^2 + 1").is_finite_sum  # the constant has no gradient


def test_latex_of_f_gradient_and_hessian() -> None:
    surface = build_surface("x^2 + 3y^2 + sin(x y)")
    assert "x^{2}" in surface.latex and r"\sin" in surface.latex
    assert surface.gradient_latex.startswith(r"\begin{pmatrix}") and surface.gradient_latex.endswith(r"\end{pmatrix}")
    assert "2 x" in surface.gradient_latex and "6 y" in surface.gradient_latex
    assert surface.hessian_latex.count("&") == 2 and surface.hessian_latex.count(r"\\") == 1
    assert r"\cos" in surface.hessian_latex


def test_latex_of_an_unreadably_large_entry_is_its_symbol() -> None:
    text = "sin(" * 14 + "x y" + ")" * 14
    surface = build_surface(text)
    assert len(surface.latex) > 0
    assert r"\frac{\partial^{2} f}{\partial x^{2}}" in surface.hessian_latex
    assert r"\frac{\partial^{2} f}{\partial x \partial y}" in surface.hessian_latex
    assert len(surface.hessian_latex) < 400
    assert MAX_LATEX_NODES < 10_000


def test_build_surface_defaults() -> None:
    surface = build_surface("x + y")
    assert surface.text == "x + y" and surface.name == "" and surface.parameters == ()
    assert surface.domain == Domain(-3, 3, -3, 3)
    named = build_surface("x", domain=Domain(0, 1, 2, 3), name="line")
    assert named.domain.as_tuple() == (0.0, 1.0, 2.0, 3.0) and named.name == "line"
    assert surface.gradient == (sympy.Integer(1), sympy.Integer(1))
    assert isinstance(surface, Surface)


def test_derivative_size_estimate_tracks_the_real_size() -> None:
    for text in ("x^2 + y^2", "sin(sin(sin(x y)))", "(x+1)(x+2)(x+3)(y+4)(y+5)", "exp(-(x^2+y^2)) x"):
        expression = build_surface(text).expression
        actual = node_count(sympy.diff(expression, X), 10**6)
        estimate = derivative_size_estimate(expression, X)
        assert 0.5 * actual <= estimate <= 5 * actual + 10, (text, actual, estimate)
    assert derivative_size_estimate(build_surface("y^3").expression, X) == 0


@pytest.mark.parametrize("text", ["abs(x) y + sign(x - y) x^2", "max(x, y^2, x y) + min(x, 1)", "relu(x y) sigmoid(x)",
                                  "sign(sin(x)) cos(y) + abs(abs(x) - y)"])
def test_derivative_almost_everywhere_is_sympys_without_dirac_deltas(text: str) -> None:
    expression = build_surface(text).expression
    for variable in (X, Y):
        ours = derivative(expression, variable)
        reference = sympy.diff(expression, variable).replace(
            lambda e: isinstance(e, sympy.DiracDelta), lambda e: sympy.Integer(0))
        assert not ours.has(sympy.DiracDelta)
        point = {X: sympy.Rational(3, 7), Y: sympy.Rational(-5, 11)}
        assert sympy.N(ours.subs(point) - reference.subs(point), 30) == 0


# --------------------------------------------------------------------------- Domain

def test_domain_parse_accepts_four_numbers() -> None:
    assert Domain.parse("-5,5,-5,5") == Domain(-5.0, 5.0, -5.0, 5.0)
    assert Domain.parse(" -1.5 , 2 , 0, 1e1 ").as_tuple() == (-1.5, 2.0, 0.0, 10.0)


@pytest.mark.parametrize("text", ["", "1,2,3", "1,2,3,4,5", "a,b,c,d", "5,-5,0,1", "0,1,1,1", "nan,1,0,1",
                                  "-inf,1,0,1", "0,1e7,0,1", "0;1;0;1", "0,,1,2"])
def test_domain_parse_rejects_bad_text(text: str) -> None:
    with pytest.raises(DownhillError) as caught:
        Domain.parse(text)
    assert "domain" in str(caught.value)


@pytest.mark.parametrize(("text", "narrowest"), [("-1e-300,1e-300,-1,1", "1e-06"), ("0,1,0,5e-7", "1e-06"),
                                                  ("1e5,100000.01,0,1", "0.1")])
def test_a_domain_too_narrow_to_draw_or_measure_is_refused(text: str, narrowest: str) -> None:
    with pytest.raises(DownhillError, match=f"too narrow: its width and height must be at least {narrowest}$"):
        Domain.parse(text)
    assert Domain.parse("0,2e-6,0,1").width == 2e-6  # narrow, yet enough
    assert Domain.parse("1e5,100000.2,0,1").width > 0.1


def test_domain_accepts_numpy_numbers_and_rejects_non_numbers() -> None:
    domain = Domain(np.int64(-2), np.float32(2.0), 0, np.float64(1.5))
    assert all(type(v) is float for v in domain.as_tuple())
    with pytest.raises(DownhillError):
        Domain("0", 1, 0, 1)  # type: ignore[arg-type]
    with pytest.raises(DownhillError):
        Domain(True, 2, 0, 1)


def test_domain_contains_and_grid() -> None:
    domain = Domain(-1, 1, 0, 2)
    mask = domain.contains(np.array([[0.0, 1.0], [1.5, 1.0], [0.0, -0.1], [1.0, 2.0]]))
    np.testing.assert_array_equal(mask, [True, False, False, True])
    assert domain.contains(np.array([[1.05, 1.0]]), margin=0.1)[0]
    xs, ys = domain.grid(5)
    np.testing.assert_allclose(xs, [-1, -0.5, 0, 0.5, 1])
    np.testing.assert_allclose(ys, [0, 0.5, 1, 1.5, 2])
    assert domain.width == 2 and domain.height == 2 and domain.diameter == pytest.approx(math.sqrt(8))


def test_errors_keep_their_column_through_pickling() -> None:
    with pytest.raises(FormulaError) as caught:
        build_surface("x + z")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert type(copy) is FormulaError and copy.column == 5 and str(copy) == str(caught.value)


# --------------------------------------------------------------------------- fuzzing the evaluator

_LEAVES = st.sampled_from(["x", "y", "pi", "e", "2", "0.5", "3", "1e-3", "10", "x y", "2x"])
_UNARY = sorted(name for name, function in FUNCTIONS.items() if function.min_args == 1)
_BINARY = sorted(name for name, function in FUNCTIONS.items() if function.min_args <= 2 <= function.max_args)


def _extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "*", "/", "^", " "]), children).map(
            lambda t: f"({t[0]}){t[1]}({t[2]})"),
        st.tuples(st.sampled_from(_UNARY), children).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(_BINARY), children, children).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        children.map(lambda c: f"-({c})"),
        children.map(lambda c: f"({c})^2"),
    )


GRAMMAR_FORMULAS = st.recursive(_LEAVES, _extend, max_leaves=10)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(GRAMMAR_FORMULAS, st.integers(0, 2**32 - 1))
def test_fuzz_grammar_formulas_build_and_evaluate_sanely(text: str, seed: int) -> None:
    try:
        surface = build_surface(text)
    except FormulaError:
        return
    points = _points(np.random.default_rng(seed), 7, -4, 4)
    points[0] = (0.0, 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ev = surface.evaluate(points)
        value = surface.value(points)
        values, gradients = surface.term_evaluation(points)
    assert ev.value.shape == (7,) and ev.gradient.shape == (7, 2) and ev.hessian.shape == (7, 2, 2)
    for array in (ev.value, ev.gradient, ev.hessian, value, values, gradients):
        assert array.dtype == np.float64
        assert not np.isinf(array).any()
    np.testing.assert_array_equal(value, ev.value)
    np.testing.assert_array_equal(ev.hessian[:, 0, 1], ev.hessian[:, 1, 0])
    finite = np.isfinite(values).all(axis=0) & np.isfinite(ev.value)
    np.testing.assert_allclose(values.sum(axis=0)[finite], ev.value[finite], rtol=1e-9, atol=1e-9)
