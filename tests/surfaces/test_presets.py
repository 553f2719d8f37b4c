"""The preset catalogue: every preset builds, and each one's teaching note is true.

The notes quote numbers; each is re-derived here independently: eigenvalues from Hessians
worked by hand, gradient-descent runs written out in plain NumPy (x <- x - lr grad f), and the
critical points found by the search.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from surfaces.critical import find_critical_points
from surfaces.errors import FormulaError
from surfaces.parsing import parse_formula
from surfaces.presets import PRESETS, preset_name, preset_surface, resolve_surface
from surfaces.surface import Surface

REQUIRED = ("bowl", "ravine", "saddle", "saddle-between-minima", "monkey-saddle", "plateau", "quartic-bowl",
            "cliff", "rosenbrock", "himmelblau", "beale", "booth", "matyas", "mccormick", "six-hump-camel",
            "goldstein-price", "rastrigin", "ackley", "styblinski-tang", "sigmoid-neuron", "tiny-network")


def descend(surface: Surface, start, lr: float, steps: int, clip: float | None = None) -> np.ndarray:
    """Plain gradient descent, optionally with the gradient clipped by norm; the path (steps + 1, 2)."""
    point = np.array([start], dtype=float)
    path = [point[0].copy()]
    for _ in range(steps):
        gradient = surface.evaluate(point).gradient
        norm = np.linalg.norm(gradient)
        if clip is not None and norm > clip:
            gradient = gradient * (clip / norm)
        point = point - lr * gradient
        path.append(point[0].copy())
        if not np.all(np.isfinite(point)) or np.max(np.abs(point)) > 1e6:
            break
    return np.array(path)


def hessian_at(name: str, point) -> np.ndarray:
    return preset_surface(name).evaluate(np.array([point], dtype=float)).hessian[0]


def critical(name: str):
    return find_critical_points(preset_surface(name))


# ------------------------------------------------------------------------------------ catalogue


def test_catalogue_size_names_and_required_presets():
    assert len(PRESETS) >= 24
    for name in PRESETS:
        assert re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", name), name
    for name in REQUIRED:
        assert name in PRESETS


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_is_typeable_and_complete(name):
    preset = PRESETS[name]
    assert preset.name == name and preset.title and preset.description and preset.group
    assert preset.note and "\n" not in preset.note and len(preset.note) <= 260
    parse_formula(preset.formula, parameters=tuple(p.name for p in preset.parameters))  # the safe parser reads it
    surface = preset_surface(name)
    assert surface.name == name
    assert surface.domain == preset.domain
    assert surface.text == preset.formula
    assert dict(surface.parameters) == {p.name: p.value for p in preset.parameters}
    assert preset.starts
    starts = np.array(preset.starts, dtype=float)
    assert preset.domain.contains(starts).all()
    evaluation = surface.evaluate(starts)
    assert np.isfinite(evaluation.value).all() and np.isfinite(evaluation.gradient).all()
    for parameter in preset.parameters:
        assert parameter.minimum < parameter.value < parameter.maximum
    if preset.height_range is not None:
        low, high = preset.height_range
        assert low < high


def test_preset_surfaces_are_cached():
    assert preset_surface("himmelblau") is preset_surface("himmelblau")


def test_unknown_preset_suggests_the_closest():
    with pytest.raises(FormulaError, match="rosenbrock"):
        preset_surface("rosenbrok")


# ------------------------------------------------------------------------------- resolve_surface


def test_resolve_names_forgiving_case_spaces_and_underscores():
    assert resolve_surface("himmelblau") is preset_surface("himmelblau")
    assert resolve_surface("  Six_Hump Camel ") is preset_surface("six-hump-camel")
    assert preset_name("GOLDSTEIN-PRICE") == "goldstein-price"
    assert preset_name("x^2") is None


def test_resolve_formula_and_parameters():
    surface = resolve_surface("x^2 + 3y^2")
    assert surface.name == ""
    assert surface.value(np.array([[1.0, 1.0]]))[0] == 4.0
    scaled = resolve_surface("a x^2", parameters={"a": 3.0})
    assert scaled.value(np.array([[2.0, 0.0]]))[0] == 12.0
    tuned = resolve_surface("tunable-bowl", parameters={"a": 2.0})
    assert dict(tuned.parameters) == {"a": 2.0, "b": 10.0}
    assert tuned.value(np.array([[1.0, 1.0]]))[0] == 12.0


@pytest.mark.parametrize(("parameters", "words"), [
    ({"a": 1.0, "A": 2.0}, "no parameter 'A': it does not use that name (its parameters: a)"),
    ({"a": 1.0, "y": 2.0}, "no parameter 'y': y is one of its variables"),
    ({"a": 1.0, "e": 2.0}, "'e' is a constant"),
])
def test_resolve_refuses_a_parameter_a_typed_formula_does_not_use(parameters, words):
    """As for a preset: a given value the formula ignores is a typo or a leftover, not to be dropped silently."""
    with pytest.raises(FormulaError, match=re.escape(words)):
        resolve_surface("a x^2 + y^2", parameters=parameters)


@pytest.mark.parametrize(("text", "hint"), [("himmelblaw", "himmelblau"), ("rosenbrok", "rosenbrock"),
                                            ("six-hump-camle", "six-hump-camel"), ("Rastrigen", "rastrigin")])
def test_resolve_misspelt_name_hints_the_preset(text, hint):
    with pytest.raises(FormulaError, match=f"did you mean the preset '{hint}'"):
        resolve_surface(text)


def test_resolve_bad_formula_keeps_the_parser_message():
    with pytest.raises(FormulaError) as error:
        resolve_surface("x^2 + * y")
    assert "preset" not in str(error.value)
    assert error.value.column is not None
    with pytest.raises(FormulaError, match="no parameter 'z'"):
        resolve_surface("tunable-bowl", parameters={"z": 1.0})


# ------------------------------------------------------------------------- finite-sum losses


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_sigmoid_neuron_is_a_true_finite_sum_of_its_examples():
    surface = preset_surface("sigmoid-neuron")
    assert surface.is_finite_sum and len(surface.terms) == 6
    inputs = np.array([-3, -2, -1, 1, 2, 3.0])
    targets = np.array([0, 0, 1, 0, 1, 1.0])
    points = np.random.default_rng(0).uniform(-8, 8, size=(50, 2))
    values, gradients = surface.term_evaluation(points)
    w, b = points[:, 0], points[:, 1]
    by_hand = (sigmoid(np.outer(inputs, w) + b) - targets[:, None]) ** 2 / 6  # (examples, points)
    assert np.allclose(values, by_hand, rtol=1e-12)
    evaluation = surface.evaluate(points)
    assert np.allclose(values.sum(axis=0), evaluation.value, rtol=1e-12)
    assert np.allclose(gradients.sum(axis=0), evaluation.gradient, rtol=1e-9, atol=1e-14)


def test_sigmoid_neuron_saturation_plateau_and_minimum():
    surface = preset_surface("sigmoid-neuron")
    points = critical("sigmoid-neuron")
    minimum = [p for p in points if p.kind == "minimum"]
    assert len(minimum) == 1
    assert (minimum[0].x, minimum[0].y, minimum[0].value) == pytest.approx((0.572, 0.0, 0.163), abs=1e-3)
    start = surface.evaluate(np.array([[-6.0, 4.0]]))
    assert start.value[0] == pytest.approx(0.67, abs=0.005)
    assert np.linalg.norm(start.gradient[0]) == pytest.approx(0.006, abs=0.0005)
    stuck = descend(surface, (-6.0, 4.0), lr=1.0, steps=1000)
    assert surface.value(stuck[-1:])[0] > 0.66  # still on the plateau: 4 of 6 wrong
    found = descend(surface, (-2.0, 2.0), lr=1.0, steps=1000)
    assert found[-1] == pytest.approx([minimum[0].x, minimum[0].y], abs=1e-3)


def test_tiny_network_symmetric_minima_and_saddle():
    surface = preset_surface("tiny-network")
    assert surface.is_finite_sum and len(surface.terms) == 4
    points = np.random.default_rng(1).uniform(-3, 3, size=(20, 2))
    assert np.allclose(surface.value(points), surface.value(-points), rtol=1e-12)
    u = np.array([-2, -0.5, 1, 1.5])
    t = np.array([-0.9, -0.5, 0.8, 0.9])
    by_hand = np.mean((points[:, 1:] * np.tanh(points[:, :1] * u) - t) ** 2, axis=1)
    assert np.allclose(surface.value(points), by_hand, rtol=1e-12)
    found = critical("tiny-network")
    assert sorted(p.kind for p in found) == ["minimum", "minimum", "saddle"]
    saddle = [p for p in found if p.kind == "saddle"][0]
    assert (saddle.x, saddle.y) == pytest.approx((0.0, 0.0), abs=1e-12)
    assert saddle.eigenvalues == pytest.approx((-2.1, 2.1), abs=0.01)
    assert saddle.eigenvalues[1] == pytest.approx(2 * abs(np.mean(t * u)), abs=1e-9)  # |d2f/dw1dw2| = 2|mean(t u)|
    minima = sorted([p.x, p.y] for p in found if p.kind == "minimum")
    assert minima[1] == pytest.approx([1.243, 0.930], abs=1e-3)
    assert minima[0] == pytest.approx([-1.243, -0.930], abs=1e-3)
    assert np.all(descend(surface, (0.0, 0.0), lr=0.2, steps=50) == 0)  # never learns


# ------------------------------------------------------------------ the notes' numbers, re-derived


def test_bowl_one_step_at_half_and_divergence_above_one():
    surface = preset_surface("bowl")
    assert descend(surface, (2.5, 1.5), lr=0.5, steps=1)[-1] == pytest.approx([0, 0], abs=1e-15)
    assert np.linalg.norm(descend(surface, (2.5, 1.5), lr=1.01, steps=200)[-1]) > 2.9


@pytest.mark.parametrize("name", ["ravine", "rotated-ravine"])
def test_ravines_have_lambdas_1_and_25_and_the_2_over_lambda_edge(name):
    for point in [(0.0, 0.0), (1.0, -2.0)]:
        assert np.linalg.eigvalsh(hessian_at(name, point)) == pytest.approx([1.0, 25.0])
    start = PRESETS[name].starts[0]
    surface = preset_surface(name)
    assert np.linalg.norm(descend(surface, start, lr=0.079, steps=3000)[-1]) < 1e-6
    assert np.linalg.norm(descend(surface, start, lr=0.081, steps=3000)[-1]) > 10


def test_tunable_bowl_turns_into_a_saddle():
    surface = preset_surface("tunable-bowl")
    assert np.linalg.eigvalsh(surface.evaluate(np.zeros((1, 2))).hessian[0]) == pytest.approx([2.0, 20.0])
    point = find_critical_points(surface.with_parameters({"a": -1.0}))[0]
    assert point.kind == "saddle"


def test_saddle_stable_manifold_and_escape():
    surface = preset_surface("saddle")
    assert descend(surface, (1.5, 0.0), lr=0.1, steps=300)[-1] == pytest.approx([0, 0], abs=1e-12)
    assert abs(descend(surface, (1.5, 0.05), lr=0.1, steps=300)[-1][1]) > 1.0
    assert [p.kind for p in critical("saddle")] == ["saddle"]


def test_saddle_between_minima_kinds_and_curvature():
    points = critical("saddle-between-minima")
    assert [p.kind for p in points] == ["minimum", "minimum", "saddle"]
    assert [(p.x, p.y, p.value) for p in points[:2]] == [pytest.approx((0, -1, -0.25)), pytest.approx((0, 1, -0.25))]
    assert points[2].eigenvalues == pytest.approx((-1.0, 2.0))
    surface = preset_surface("saddle-between-minima")
    assert descend(surface, (1.5, 0.0), lr=0.1, steps=500)[-1] == pytest.approx([0, 0], abs=1e-12)


def test_monkey_saddle_degenerate_and_slow_creep():
    assert [p.kind for p in critical("monkey-saddle")] == ["degenerate"]
    lr, steps = 0.05, 1000
    end = descend(preset_surface("monkey-saddle"), (1.0, 0.0), lr=lr, steps=steps)[-1]
    assert end[0] == pytest.approx(1 / (3 * lr * steps), rel=0.02)


def test_quartic_bowl_degenerate_minimum_and_inverse_sqrt_approach():
    assert [p.kind for p in critical("quartic-bowl")] == ["degenerate"]
    lr, steps = 0.01, 2000
    end = descend(preset_surface("quartic-bowl"), (1.5, 1.0), lr=lr, steps=steps)[-1]
    assert end[0] == pytest.approx(1 / math.sqrt(8 * lr * steps), rel=0.05)


def test_tilted_double_well_catches_descent_in_the_shallow_well():
    points = critical("tilted-double-well")
    shallow = [p for p in points if p.kind == "minimum" and p.x > 0][0]
    deep = [p for p in points if p.kind == "minimum" and p.x < 0][0]
    assert (shallow.x, shallow.value, deep.x, deep.value) == pytest.approx((0.960, 0.294, -1.036, -0.305), abs=1e-3)
    end = descend(preset_surface("tilted-double-well"), (1.5, 1.0), lr=0.05, steps=400)[-1]
    assert end == pytest.approx([shallow.x, 0.0], abs=1e-6)


def test_peak_and_pit_newton_climbs_while_descent_slides_away():
    surface = preset_surface("peak-and-pit")
    point = np.array([0.9, 0.1])
    for _ in range(20):  # undamped Newton: x <- x - H^-1 grad f
        evaluation = surface.evaluate(point[None])
        point = point - np.linalg.solve(evaluation.hessian[0], evaluation.gradient[0])
    assert point == pytest.approx([1 / math.sqrt(2), 0.0], abs=1e-10)
    assert np.linalg.norm(descend(surface, (0.9, 0.1), lr=0.5, steps=500)[-1]) > 2.5
    assert descend(surface, (-0.3, 0.3), lr=0.5, steps=500)[-1] == pytest.approx([-1 / math.sqrt(2), 0], abs=1e-6)


def test_plateau_looks_converged_but_is_not():
    surface = preset_surface("plateau")
    start = surface.evaluate(np.array([[-1.0, -0.5]]))
    assert start.value[0] > 0.9999
    assert np.linalg.norm(start.gradient[0]) == pytest.approx(4.5e-4, rel=0.02)
    path = descend(surface, (-1.0, -0.5), lr=0.1, steps=1000)
    assert np.linalg.norm(path[-1] - path[0]) == pytest.approx(0.05, abs=0.005)
    assert [(p.x, p.y, p.kind) for p in critical("plateau")] == [(pytest.approx(1.5), pytest.approx(1.5), "minimum")]
    point, m, v = np.array([[-1.0, -0.5]]), 0.0, 0.0  # Adam (lr 0.01, betas 0.9, 0.999) by hand
    for t in range(1, 601):
        g = surface.evaluate(point).gradient
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
        point = point - 0.01 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    assert point[0] == pytest.approx([1.5, 1.5], abs=1e-3)


def test_cliff_catapults_and_clipping_tames_it():
    surface = preset_surface("cliff")
    start = PRESETS["cliff"].starts[0]
    thrown = descend(surface, start, lr=0.2, steps=300)
    assert np.max(np.linalg.norm(np.diff(thrown, axis=0), axis=1)) > 8
    # At lr 0.3 it is thrown far out of the view, again and again (f stays finite out there: the
    # wall's sigmoid is computed without overflow, so nothing stops it as undefined).
    catapulted = descend(surface, start, lr=0.3, steps=300)
    assert np.all(np.isfinite(catapulted)) and catapulted[:, 0].min() < -40
    assert np.sum(np.diff(catapulted[:, 0]) < -10) >= 3
    clipped = descend(surface, start, lr=0.3, steps=300, clip=1.0)
    assert np.max(np.linalg.norm(np.diff(clipped, axis=0), axis=1)) <= 0.3 + 1e-12
    base = [p for p in critical("cliff") if p.kind == "minimum" and p.x < 1][0]
    assert (base.x, base.y) == pytest.approx((0.790, 0.0), abs=1e-3)
    assert abs(clipped[-1][0] - base.x) < 0.2


@pytest.mark.parametrize(("name", "point", "hand"), [
    # Hessians worked by hand from each formula.
    ("rosenbrock", (-1.2, 1.0), [[2 - 400 * (1.0 - 3 * 1.44), 480.0], [480.0, 200.0]]),
    ("rosenbrock", (1.0, 1.0), [[802.0, -400.0], [-400.0, 200.0]]),
    ("booth", (0.0, 0.0), [[10.0, 8.0], [8.0, 10.0]]),
    ("matyas", (3.0, -2.0), [[0.52, -0.48], [-0.48, 0.52]]),
    ("winding-valley", (0.0, 0.0), [[10.1, -10.0], [-10.0, 10.0]]),
])
def test_hessians_behind_the_notes(name, point, hand):
    assert hessian_at(name, point) == pytest.approx(np.array(hand))


def test_eigenvalues_quoted_in_the_notes():
    assert np.linalg.eigvalsh(hessian_at("rosenbrock", (-1.2, 1.0)))[1] == pytest.approx(1506, abs=1)
    assert np.linalg.eigvalsh(hessian_at("rosenbrock", (1.0, 1.0))) == pytest.approx([0.40, 1001.6], abs=0.01)
    assert np.linalg.eigvalsh(hessian_at("booth", (5.0, 5.0))) == pytest.approx([2.0, 18.0])
    assert np.linalg.eigvalsh(hessian_at("matyas", (1.0, 1.0))) == pytest.approx([0.04, 1.0])
    assert np.linalg.eigvalsh(hessian_at("winding-valley", (0.0, 0.0))) == pytest.approx([0.05, 20.05], abs=0.005)
    beale = [p for p in critical("beale") if p.kind == "minimum"][0]
    assert beale.eigenvalues == pytest.approx((0.30, 49.0), abs=0.03)


@pytest.mark.parametrize(("name", "start", "lr", "where", "value"), [
    ("six-hump-camel", (1.0, 1.0), 0.02, (-0.0898, 0.7127), -1.0316),
    ("six-hump-camel", (1.5, -1.0), 0.02, (1.7036, -0.7961), -0.2155),
    ("six-hump-camel", (-1.5, -1.0), 0.02, (-1.6071, -0.5687), 2.1043),
    ("styblinski-tang", (1.0, 1.0), 0.01, (2.7468, 2.7468), -50.059),
    ("mccormick", (3.5, 3.0), 0.05, (2.5944, 1.5944), 1.2284),
    ("mccormick", (0.0, 2.0), 0.05, (-0.5472, -1.5472), -1.9132),
    ("himmelblau", (0.0, 0.0), 0.01, (3.0, 2.0), 0.0),
    ("himmelblau", (-1.0, 1.0), 0.01, (-2.8051, 3.1313), 0.0),
    ("himmelblau", (-1.0, -1.5), 0.01, (-3.7793, -3.2832), 0.0),
    ("himmelblau", (1.0, -1.5), 0.01, (3.5844, -1.8481), 0.0),
    ("goldstein-price", (0.5, -1.5), 2e-5, (0.0, -1.0), 3.0),
    ("goldstein-price", (-1.0, -1.0), 2e-5, (-0.6, -0.4), 30.0),
    ("goldstein-price", (1.5, -0.5), 2e-5, (1.8, 0.2), 84.0),
    ("goldstein-price", (1.0, 1.0), 2e-5, (1.2, 0.8), 840.0),
])
def test_starts_end_where_the_notes_say(name, start, lr, where, value):
    assert start in PRESETS[name].starts
    surface = preset_surface(name)
    end = descend(surface, start, lr=lr, steps=3000)[-1]
    assert end == pytest.approx(where, abs=2e-4)
    assert surface.value(end[None])[0] == pytest.approx(value, abs=2e-4)


def test_beale_flat_line_and_wrong_way_drift():
    surface = preset_surface("beale")
    ys = np.linspace(-4, 4, 9)
    line = surface.value(np.column_stack([np.zeros_like(ys), ys]))
    assert line == pytest.approx(np.full_like(ys, 1.5**2 + 2.25**2 + 2.625**2))
    end = descend(surface, (-1.0, 1.5), lr=0.01, steps=2000)[-1]
    assert end[0] < -1.0  # away from the minimum at x = 3


def test_rastrigin_and_ackley_counts_quoted_in_the_notes():
    rastrigin = critical("rastrigin")
    assert len(rastrigin) == 169 and sum(p.kind == "minimum" for p in rastrigin) == 49
    assert len(critical("ackley")) == 168
