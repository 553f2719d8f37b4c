"""Hostile but syntactically valid formulas: each builds or raises FormulaError, within seconds.

The rule of DESIGN.md: a hostile or huge formula gives an error, not a frozen process. Every
formula below is a valid expression built to make SymPy's differentiation, common-subexpression
elimination or printing blow up (products of hundreds of factors, towers of exponentials, sums of
hundreds of terms, huge powers, nested max/abs/sign). Each must finish within
:data:`BUDGET` seconds, print nothing, and end as a Surface whose evaluator works, or as a
FormulaError. The hard time limit itself (surfaces.deadline) is checked in the main thread and in
a worker thread, and is shown to leave no stray interruption behind.
"""

from __future__ import annotations

import threading
import time
import warnings

import numpy as np
import pytest
import sympy

from surfaces.deadline import time_limit
from surfaces.errors import FormulaError
from surfaces.parsing import MAX_DEPTH, X, Y, parse_formula
from surfaces.surface import DEFAULT_TIME_LIMIT, Surface, build_surface, surface_from_expression

#: Seconds one hostile formula may take from text to Surface or error (the parse limit, 2 s, plus
#: the build limit, 5 s, plus slack for a loaded machine; most take well under a second).
BUDGET = 9.0


def _nest(function: str, depth: int, inner: str) -> str:
    return f"{function}(" * depth + inner + ")" * depth


def _fold(template: str, depth: int, inner: str) -> str:
    """Apply ``template`` (with {} for the inside) ``depth`` times around ``inner``."""
    for _ in range(depth):
        inner = template.format(inner)
    return inner


HOSTILE: dict[str, str] = {
    "product of 150 linear factors": "*".join(f"(x+{i}y+1)" for i in range(1, 151)),
    "product of 300 implicit factors": "(x+1)" * 300,
    "product of 120 sines": "".join(f"sin({i}x+y)" for i in range(1, 121)),
    "quotient chain of 150": "/".join(f"(x+{i}y+1)" for i in range(150)),
    "exp nested 30 deep": _nest("exp", 30, "x"),
    "exp nested to the limit": _nest("exp", MAX_DEPTH - 1, "x y"),
    "sin nested to the limit": _nest("sin", MAX_DEPTH - 1, "x y"),
    "log nested 30 deep": _nest("log", 30, "x^2 + y^2 + 2"),
    "sigmoid nested to the limit": _nest("sigmoid", MAX_DEPTH - 1, "x y"),
    "softplus nested 35 deep": _nest("softplus", 35, "x - y"),
    "tanh nested 38 deep": _nest("tanh", 38, "x - y"),
    "sqrt nested to the limit": _nest("sqrt", MAX_DEPTH - 1, "x^2 + y^2 + 1"),
    "abs nested to the limit": _nest("abs", MAX_DEPTH - 1, "x - y"),
    "relu nested to the limit": _nest("relu", MAX_DEPTH - 1, "x y - 1"),
    "sum of 240 terms": "+".join(f"{i % 9 + 1}x^{i % 5}y" for i in range(240)),
    "sum of 500 terms": "+".join(["x"] * 250 + ["y"] * 250),
    "sum of 80 squared residuals": "+".join(f"(sigmoid({i % 7}x+y)-{i % 2})^2" for i in range(80)),
    "x^100 y^100": "x^100*y^100",
    "(x+y)^100": "(x+y)^100",
    "(x^2+y^2+1)^100 product": "*".join(f"(x^{i}+y^{i}+1)^100" for i in range(1, 25)),
    "power tower": "x^y^x^y^x^y^x^y^x^y^x^y",
    "power of powers": "((((((x+y)^100+1)^100+1)^100+1)^100+1)^100+1)^100",
    "polynomial tower": "((((((((((x+y)^7+x)^7+y)^7+x)^7+y)^7+x)^7+y)^7+x)^7+y)^7+x)^7",
    "max of 8 oscillations": "max(" + ",".join(f"sin({i}x)*y" for i in range(1, 9)) + ")",
    "nested max and min": _fold("max(x, min(y, {}))", 12, "x y"),
    "max of max of 8": _fold("max(sin(x), cos(y), x y, {}, x - y, 2y, y^2, -x)", 4, "x"),
    "products of signs": "*".join(_nest("sign", 3, f"x-{i}") for i in range(40)),
    "atan2 tower": _fold("atan2({}, y + 2)", 14, "x"),
    "9**9**9**9": "9**9**9**9",
    "(x+y)**10**6": "(x+y)**10**6",
    "10**10**10": "10**10**10",
    "huge constant product": "x" + "*(0.1^-100)" * 6,
    "overflowing constant": "pi^100*pi^100*pi^100*pi^100*pi^100*pi^100*pi^100*x",
    "xy run": "xy" * 400,
    "long unary chain": "-" * 119 + "x",
    "wide parentheses": "+".join("(" * 10 + "x" + ")" * 10 for _ in range(60)),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_formula_builds_or_raises_within_budget(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    text = HOSTILE[name]
    start = time.perf_counter()
    try:
        surface = build_surface(text)
    except FormulaError as error:
        surface = None
        assert str(error) and "\n" not in str(error)
    elapsed = time.perf_counter() - start
    assert elapsed < BUDGET, f"{name}: {elapsed:.1f} s"
    if surface is not None:
        assert isinstance(surface, Surface)
        points = np.random.default_rng(0).uniform(-2, 2, size=(50, 2))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            evaluation = surface.evaluate(points)
        assert evaluation.hessian.shape == (50, 2, 2) and not np.isinf(evaluation.hessian).any()
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


@pytest.mark.parametrize("text", ["9**9**9**9", "(x+y)**10**6", "10**10**10", "x" + "*(0.1^-100)" * 6,
                                  "pi^100*pi^100*pi^100*pi^100*pi^100*pi^100*pi^100*x",
                                  "*".join(f"(x+{i}y+1)" for i in range(1, 151)),
                                  "*".join(f"(x+{i}y+1)" for i in range(1, 101))])
def test_these_hostile_formulas_are_refused(text: str) -> None:
    with pytest.raises(FormulaError):
        build_surface(text)


def test_a_refused_derivative_is_refused_before_it_is_computed() -> None:
    # 100 factors: the gradient alone would have ~ 100^2 parts and the Hessian ~ 100^3.
    text = "*".join(f"(x+{i}y+1)" for i in range(1, 101))
    start = time.perf_counter()
    with pytest.raises(FormulaError, match="its gradient would have about"):
        build_surface(text)
    assert time.perf_counter() - start < 2.0


def test_the_time_limit_interrupts_a_long_build() -> None:
    text = _nest("exp", 30, "x")  # about half a second of SymPy work
    start = time.perf_counter()
    with pytest.raises(FormulaError, match=r"took longer than 0\.05 s"):
        build_surface(text, time_limit=0.05)
    assert time.perf_counter() - start < 1.0
    # nothing is left pending: ordinary work goes on undisturbed afterwards
    time.sleep(0.6)
    assert build_surface("x^2 + y^2").value(np.array([[1.0, 2.0]]))[0] == 5.0


def test_the_time_limit_works_in_a_worker_thread() -> None:
    outcome: list[str] = []

    def work() -> None:
        try:
            build_surface(_nest("exp", 30, "x"), time_limit=0.05)
            outcome.append("built")
        except FormulaError as error:
            outcome.append(str(error))
        time.sleep(0.6)  # a stray interruption would land here
        outcome.append("still running")

    worker = threading.Thread(target=work)
    worker.start()
    worker.join(10)
    assert not worker.is_alive()
    assert outcome[0].startswith("the formula is too complex") and outcome[1] == "still running"


def test_time_limit_stops_pure_python_loops_and_sympy_alike() -> None:
    start = time.perf_counter()
    with pytest.raises(FormulaError, match="spinning"):
        with time_limit(0.1, "spinning"):
            while True:
                try:
                    sum(range(100))
                except Exception:  # noqa: BLE001 - the interruption must get through this
                    pass
    assert time.perf_counter() - start < 1.0
    expression = X
    for _ in range(60):
        expression = sympy.sin(expression * Y + expression)
    with pytest.raises(FormulaError, match="differentiating"):
        with time_limit(0.1, "differentiating"):
            sympy.latex(sympy.diff(expression, X, 2))


def test_time_limit_passes_quick_work_and_its_errors_through() -> None:
    with time_limit(5.0, "nothing"):
        value = 1 + 1
    assert value == 2
    with pytest.raises(KeyError):
        with time_limit(5.0, "a lookup"):
            raise KeyError("mine")
    for _ in range(50):  # many short limits in a row leave nothing behind
        with time_limit(0.5, "short work"):
            sum(range(1000))
    time.sleep(0.6)


def test_sympy_running_out_of_recursion_is_a_formula_error() -> None:
    # sigmoid nested to the parenthesis limit: SymPy's own recursion runs out while
    # differentiating; that must come out as a FormulaError, not a RecursionError.
    with pytest.raises(FormulaError, match="nested too deeply|too complex"):
        build_surface(_nest("sigmoid", MAX_DEPTH - 1, "x y"))
    with pytest.raises(FormulaError, match="too complex"):
        expression = X + Y
        for _ in range(45):
            expression = 1 / (1 + sympy.exp(-expression))
        surface_from_expression(expression)


def test_parse_alone_is_bounded_for_every_hostile_text() -> None:
    for name, text in HOSTILE.items():
        start = time.perf_counter()
        try:
            parse_formula(text)
        except FormulaError:
            pass
        assert time.perf_counter() - start < 2.5, name


def test_default_limit_is_a_few_seconds() -> None:
    assert 1.0 <= DEFAULT_TIME_LIMIT <= 10.0
