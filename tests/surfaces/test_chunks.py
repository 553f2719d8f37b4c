"""Bounded memory of evaluation: large batches of points go through the compiled evaluator in
chunks whose temporaries stay within surfaces.chunks.EVALUATION_BUDGET, with the same numbers as
one call (references: the unchunked evaluator, bit for bit, NaN for NaN)."""

from __future__ import annotations

import numpy as np
import pytest

import surfaces.chunks
from surfaces.chunks import CHUNK_ALIGNMENT, EXPRESSION_SLACK, chunk_points
from surfaces.critical import find_critical_points
from surfaces.presets import preset_surface
from surfaces.surface import Domain, Surface, build_surface


def relu_sum(count: int) -> str:
    """A long sum like relu(x-0.1)+relu(y+0.2)*relu(x*y-1)+...: hundreds of subexpressions."""
    return "+".join(f"relu(x-{(k % 7 + 1) / 10:g})+relu(y+{(k % 5 + 2) / 10:g})*relu(x*y-{k % 3 + 1})"
                    for k in range(count))


class CallSizes:
    """Wraps a compiled evaluator and records how many points each call got."""

    def __init__(self, function):
        self.function = function
        self.temporaries = function.temporaries
        self.sizes: list[int] = []

    def __call__(self, *arguments):
        self.sizes.append(np.size(arguments[0]))
        return self.function(*arguments)


def record_calls(surface: Surface, monkeypatch: pytest.MonkeyPatch) -> dict[str, CallSizes]:
    compiled = surface._compiled
    calls = {"full": CallSizes(compiled.full), "value": CallSizes(compiled.value),
             "terms": CallSizes(compiled.term_function())}
    monkeypatch.setattr(compiled, "full", calls["full"])
    monkeypatch.setattr(compiled, "value", calls["value"])
    monkeypatch.setattr(compiled, "_term_function", calls["terms"])
    return calls


def test_chunk_sizes_keep_the_temporaries_within_the_budget() -> None:
    for temporaries in (1, 12, 300, 5_000, 200_000):
        points = chunk_points(temporaries)
        assert points % CHUNK_ALIGNMENT == 0 and points >= CHUNK_ALIGNMENT
        if points > CHUNK_ALIGNMENT:
            assert points * 8 * (temporaries + EXPRESSION_SLACK) <= surfaces.chunks.EVALUATION_BUDGET


def test_a_long_formula_at_400_000_points_is_evaluated_within_the_budget(monkeypatch) -> None:
    surface = build_surface(relu_sum(30))
    calls = record_calls(surface, monkeypatch)
    temporaries = calls["full"].temporaries
    # one call for all the points would keep far more than the budget alive
    assert 400_000 * 8 * temporaries > 2 * surfaces.chunks.EVALUATION_BUDGET
    points = np.random.default_rng(1).uniform(-3, 3, (400_000, 2))
    surface.evaluate(points)
    surface.value(points)
    for name in ("full", "value"):
        sizes = calls[name].sizes
        assert sum(sizes) == 400_000
        assert max(sizes) * 8 * (calls[name].temporaries + EXPRESSION_SLACK) <= surfaces.chunks.EVALUATION_BUDGET


def test_the_critical_point_search_evaluates_within_the_budget(monkeypatch) -> None:
    surface = build_surface(relu_sum(20) + " + (x^2 + y^2)/10")
    monkeypatch.setattr(surfaces.chunks, "EVALUATION_BUDGET", 2 * 2**20)  # (the survey alone has 40 401 points)
    calls = record_calls(surface, monkeypatch)
    find_critical_points(surface, Domain.square(3), time_limit=2.0)
    largest = max(calls["full"].sizes)
    assert largest * 8 * (calls["full"].temporaries + EXPRESSION_SLACK) <= 2 * 2**20


@pytest.mark.parametrize("formula", [relu_sum(12), "(1 - x)^2 + 100 (y - x^2)^2", "log(x) + sqrt(y) + exp(40 x y)",
                                     "sigmoid(3x - y) softplus(x y) + atan2(y, x)", "sigmoid-neuron", "a x^2 + b y"])
def test_chunked_evaluation_gives_exactly_the_numbers_of_one_call(formula: str, monkeypatch) -> None:
    surface = (preset_surface(formula) if formula == "sigmoid-neuron"
               else build_surface(formula, parameters={"a": 2.0, "b": -1.0} if "a x" in formula else None))
    rng = np.random.default_rng(7)
    points = np.concatenate([rng.uniform(-4, 4, (5_000, 2)), rng.normal(0, 1e-3, (999, 2)), [[0.0, 0.0]]])
    whole = surface.evaluate_checked(points), surface.value(points), surface.term_evaluation(points)
    monkeypatch.setattr(surfaces.chunks, "EVALUATION_BUDGET", 1)  # every chunk CHUNK_ALIGNMENT points
    calls = record_calls(surface, monkeypatch)
    chunked = surface.evaluate_checked(points), surface.value(points), surface.term_evaluation(points)
    assert max(calls["full"].sizes) == CHUNK_ALIGNMENT and max(calls["terms"].sizes) == CHUNK_ALIGNMENT
    (evaluation, finite), value, (term_values, term_gradients) = whole
    (evaluation_c, finite_c), value_c, (term_values_c, term_gradients_c) = chunked
    assert finite == finite_c
    for a, b in ((evaluation.value, evaluation_c.value), (evaluation.gradient, evaluation_c.gradient),
                 (evaluation.hessian, evaluation_c.hessian), (value, value_c), (term_values, term_values_c),
                 (term_gradients, term_gradients_c)):
        assert np.array_equal(a, b, equal_nan=True)
