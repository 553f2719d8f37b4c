"""Safe formula parsing (surfaces.parsing): what is accepted, what is refused, and that nothing runs.

The accepted table compares each parse with an expression built directly with SymPy objects
(never from a string). The rejected table pins the exception type, a phrase of the message and
the 1-based column for every kind of hostile or broken input, each within a second. A spy on
``eval``, ``exec`` and SymPy's string parser proves no input reaches them, and formulas that
would leave a trace if executed leave none. Hypothesis feeds random text (formula characters,
Python syntax, arbitrary unicode) and checks the only outcomes are a ParsedFormula or a
FormulaError, quickly.
"""

from __future__ import annotations

import builtins
import time

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sympy import Abs, E, Integer, Max, Min, Rational, exp, log, pi, sign, sqrt

from surfaces.errors import DownhillError, FormulaError
from surfaces.parsing import FUNCTIONS, MAX_DEPTH, MAX_LENGTH, ParsedFormula, X, Y, parameter_symbol, parse_formula
from surfaces.stable_functions import Sigmoid, Softplus

x, y = X, Y
a, b = parameter_symbol("a"), parameter_symbol("b")
TIME_LIMIT = 1.0  # seconds any single parse may take, accepted or refused


def _same(parsed: sympy.Expr, expected: sympy.Expr) -> bool:
    # sigmoid and softplus are functions of their own (computed without overflow): written out to compare.
    parsed = parsed.rewrite(sympy.exp) if parsed.has(Sigmoid, Softplus) else parsed
    return parsed == expected or sympy.simplify(parsed - expected) == 0


def _parse_timed(text: str, **kwargs: object) -> ParsedFormula:
    start = time.perf_counter()
    try:
        return parse_formula(text, **kwargs)
    finally:
        elapsed = time.perf_counter() - start
        assert elapsed < TIME_LIMIT, f"parsing {text[:60]!r} took {elapsed:.2f} s"


# --------------------------------------------------------------------------- accepted inputs

ACCEPTED: list[tuple[str, sympy.Expr]] = [
    # numbers, exactly
    ("3", Integer(3)),
    ("2.5", Rational(5, 2)),
    (".5", Rational(1, 2)),
    ("1.", Integer(1)),
    ("1e3", Integer(1000)),
    ("1.5e-3", Rational(3, 2000)),
    ("2E+2", Integer(200)),
    ("007", Integer(7)),
    ("0.1", Rational(1, 10)),
    ("1000000000000", Integer(10**12)),
    ("0.000000000001", Rational(1, 10**12)),
    ("0e999999999 + x", x),
    # variables and operators
    ("x", x),
    ("y", y),
    ("x + y", x + y),
    ("x - y", x - y),
    ("x * y", x * y),
    ("x / y", x / y),
    ("x ** 2", x**2),
    ("x ^ 2", x**2),
    ("x^y^2", x ** (y**2)),
    ("2^3^2", Integer(512)),
    ("x/2/4", x / 8),
    ("2/x*y", 2 * y / x),
    # unary signs and precedence (Python's)
    ("-x", -x),
    ("--x", x),
    ("+x", x),
    ("-x^2", -(x**2)),
    ("2^-1", Rational(1, 2)),
    ("x^-y", x ** (-y)),
    ("x - -y", x + y),
    ("-" * 100 + "x", x),
    # parentheses
    ("(x + 1) * (y - 1)", (x + 1) * (y - 1)),
    ("((((x))))", x),
    ("(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH, x),
    # implicit multiplication
    ("2x", 2 * x),
    ("3 sin(x)", 3 * sympy.sin(x)),
    ("x y", x * y),
    ("xy", x * y),
    ("xxy", x**2 * y),
    ("(x+1)(y-1)", (x + 1) * (y - 1)),
    ("2(x+y)", 2 * (x + y)),
    ("x(y+1)", x * (y + 1)),
    ("sin(x)cos(y)", sympy.sin(x) * sympy.cos(y)),
    ("(x)2", 2 * x),
    ("x^2y", x**2 * y),
    ("2x^2", 2 * x**2),
    ("1/2x", x / 2),
    ("pi x", pi * x),
    ("pi(x+1)", pi * (x + 1)),
    ("e(x)", E * x),
    (".5x", x / 2),
    ("0.5e3x", 500 * x),
    # constants
    ("pi", pi),
    ("e", E),
    ("e^x", exp(x)),
    ("2e^x", 2 * exp(x)),
    ("e^-x^2", exp(-(x**2))),
    # white space and typeset operators pasted from a document
    ("  x\t+\ny ", x + y),
    ("x\u00a0+\u00a0y", x + y),
    ("x \u2212 y", x - y),
    ("2 \u00d7 x \u00b7 y \u22c5 y", 2 * x * y**2),
    # every whitelisted function
    ("sin(x)", sympy.sin(x)),
    ("cos(x)", sympy.cos(x)),
    ("tan(x)", sympy.tan(x)),
    ("asin(x)", sympy.asin(x)),
    ("acos(x)", sympy.acos(x)),
    ("atan(x)", sympy.atan(x)),
    ("arcsin(x)", sympy.asin(x)),
    ("arccos(x)", sympy.acos(x)),
    ("arctan(x)", sympy.atan(x)),
    ("atan2(y, x)", sympy.atan2(y, x)),
    ("sinh(x)", sympy.sinh(x)),
    ("cosh(x)", sympy.cosh(x)),
    ("tanh(x)", sympy.tanh(x)),
    ("asinh(x)", sympy.asinh(x)),
    ("acosh(x)", sympy.acosh(x)),
    ("atanh(x)", sympy.atanh(x)),
    ("exp(x)", exp(x)),
    ("log(x)", log(x)),
    ("ln(x)", log(x)),
    ("log10(x)", log(x) / log(10)),
    ("log2(x)", log(x) / log(2)),
    ("sqrt(x)", sqrt(x)),
    ("cbrt(-8)", Integer(-2)),
    ("abs(x)", Abs(x)),
    ("sign(x)", sign(x)),
    ("min(x, y)", Min(x, y)),
    ("max(x, y, 1)", Max(x, y, 1)),
    ("sigmoid(x)", 1 / (1 + exp(-x))),
    ("softplus(x)", log(1 + exp(x))),
    ("relu(x)", Max(x, 0)),
    ("max(x, 2y)^2", Max(x, 2 * y) ** 2),
    ("sqrt(x^2 + y^2)", sqrt(x**2 + y**2)),
]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED, ids=[repr(t[:30]) for t, _ in ACCEPTED])
def test_accepted_formula_gives_the_expected_expression(text: str, expected: sympy.Expr) -> None:
    parsed = _parse_timed(text)
    assert isinstance(parsed, ParsedFormula)
    assert parsed.text == text
    assert parsed.parameters == ()
    assert _same(parsed.expression, expected), f"{text!r} gave {parsed.expression}, expected {expected}"


def test_the_table_covers_every_whitelisted_function() -> None:
    called = {name for text, _ in ACCEPTED for name in FUNCTIONS if text.startswith(name + "(")}
    assert called == set(FUNCTIONS)
    required = {"sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "exp", "log", "sqrt", "abs",
                "sign", "min", "max"}
    assert required <= set(FUNCTIONS)


@pytest.mark.parametrize("value", [-27.0, -8.0, -0.125, 0.0, 0.001, 2.0, 64.0])
def test_cbrt_is_the_real_cube_root(value: float) -> None:
    expression = parse_formula("cbrt(x)").expression
    computed = float(expression.subs(x, sympy.Float(value)))
    assert computed == pytest.approx(np.cbrt(value), rel=1e-12, abs=1e-15)


def test_variables_are_the_real_symbols() -> None:
    parsed = parse_formula("x + y")
    assert parsed.expression.free_symbols == {X, Y}
    assert X.is_real and Y.is_real
    # real symbols are what make d|x|/dx = sign(x)
    assert sympy.diff(parse_formula("abs(x)").expression, X) == sign(X)


# --------------------------------------------------------------------------- named parameters

def test_parameters_are_accepted_when_asked_for() -> None:
    parsed = parse_formula("a*x^2 + b y^2", parameters=True)
    assert parsed.parameters == ("a", "b")
    assert _same(parsed.expression, a * x**2 + b * y**2)
    assert all(symbol.is_real for symbol in parsed.expression.free_symbols)


def test_listed_parameters_are_accepted_and_others_refused() -> None:
    assert parse_formula("a x + 1", parameters=["a", "b"]).parameters == ("a",)
    with pytest.raises(FormulaError) as caught:
        parse_formula("a x + b + k", parameters=["a", "b"])
    assert caught.value.column == 11
    assert "unknown name 'k' at column 11" in str(caught.value)
    assert "the parameters are a, b" in str(caught.value)


def test_a_single_parameter_name_is_not_read_as_its_letters() -> None:
    assert parse_formula("ab x", parameters="ab").parameters == ("ab",)
    with pytest.raises(FormulaError, match="unknown name 'a'"):
        parse_formula("a x", parameters="ab")


def test_unknown_name_message_names_it_and_its_column() -> None:
    with pytest.raises(FormulaError) as caught:
        parse_formula("x + z")
    assert str(caught.value) == "unknown name 'z' at column 5; the variables are x and y"
    assert caught.value.column == 5
    assert isinstance(caught.value, DownhillError)


def test_parameters_are_refused_unless_asked_for() -> None:
    for refused in (False, [], ["b"]):
        with pytest.raises(FormulaError, match="unknown name 'a' at column 1"):
            parse_formula("a x^2", parameters=refused)


def test_a_listed_parameter_before_a_parenthesis_multiplies() -> None:
    assert _same(parse_formula("a(x+1)", parameters=["a"]).expression, a * (x + 1))
    # with any name accepted, a name before '(' is taken for a misspelt function
    with pytest.raises(FormulaError, match=r"unknown function 'a'.*a\*\(\.\.\.\)") as caught:
        parse_formula("a(x+1)", parameters=True)
    assert caught.value.column == 1


def test_reserved_names_are_never_parameters() -> None:
    parsed = parse_formula("e x + pi y + sin(x)", parameters=True)
    assert parsed.parameters == ()
    assert _same(parsed.expression, E * x + pi * y + sympy.sin(x))


# --------------------------------------------------------------------------- rejected inputs

HUGE = "x+" * 150_000  # 300 000 characters
REJECTED: list[tuple[str, int, str]] = [
    # (text, column, a phrase the message must contain)
    # attribute access, subscripts, containers
    ("x.real", 2, "attribute access"),
    ("(1).__class__", 4, "attribute access"),
    ("x[0]", 2, "square brackets"),
    ("[x for x in y]", 1, "square brackets"),
    ("{x: 1}", 1, "braces"),
    # lambdas, comprehensions, keywords
    ("lambda: x", 1, "reserved word"),
    ("(lambda t: t)(x)", 2, "reserved word"),
    ("max(x for x in y)", 7, "reserved word"),
    ("x if y else 1", 3, "reserved word"),
    ("if", 1, "reserved word"),
    ("import os", 1, "reserved word"),
    ("not x", 1, "reserved word"),
    ("x and y", 3, "reserved word"),
    ("x or y", 3, "reserved word"),
    ("None", 1, "reserved word"),
    ("True + x", 1, "reserved word"),
    ("yield", 1, "reserved word"),
    ("match", 1, "reserved word"),
    # strings
    ("'x'", 1, "quotes"),
    ('x + "y"', 5, "quotes"),
    # dunder and underscore names
    ("__import__('os')", 1, "'__import__' is not allowed"),
    ("x + __builtins__", 5, "not allowed"),
    ("_", 1, "not allowed"),
    ("_x", 1, "not allowed"),
    ("x__y", 1, "not allowed"),
    # unknown names and functions
    ("x + z", 5, "unknown name 'z' at column 5"),
    ("foo", 1, "unknown name 'foo'"),
    ("x y z", 5, "unknown name 'z'"),
    ("x2", 1, "x^2 for a power"),
    ("sinx", 1, "did you mean 'sin'"),
    ("foo(x)", 1, "unknown function 'foo'"),
    ("eval(x)", 1, "unknown function 'eval'"),
    ("exec(x)", 1, "unknown function 'exec'"),
    ("open(x)", 1, "unknown function 'open'"),
    ("getattr(x, y)", 1, "unknown function 'getattr'"),
    ("x + sine(y)", 5, "did you mean 'sin'"),
    ("sin", 1, "needs an argument in parentheses"),
    ("sin x", 1, "needs an argument in parentheses"),
    ("sin^2(x)", 1, "sin(x)^2"),
    # assignment, comparisons, walrus, statements
    ("x = 1", 3, "'='"),
    ("x += 1", 4, "'='"),
    ("x < y", 3, "comparisons"),
    ("x == y", 3, "'='"),
    ("x >= y", 3, "comparisons"),
    ("(x := 1)", 4, "':'"),
    ("x; y", 2, "';'"),
    ("x \\ y", 3, "backslash"),
    ("x +\\\n y", 4, "backslash"),
    ("x # comment", 3, "'#'"),
    ("x % y", 3, "'%'"),
    ("x // y", 3, "'//'"),
    ("x @ y", 3, "'@'"),
    ("~x", 1, "'~'"),
    ("x | y", 3, "abs(x)"),
    ("$x^2$", 1, "LaTeX"),
    # unicode tricks
    ("\uff58 + y", 1, "U+FF58"),
    ("x\u200b+ y", 2, "invisible"),
    ("x + \u03b1", 5, "U+03B1"),
    ("\u0663x", 1, "U+0663"),
    ("\uff13x", 1, "digits 0-9"),
    ("x\u0301", 2, "U+0301"),
    ("x\x00", 2, "U+0000"),
    # literal sizes
    ("1" * 40, 1, "more than 30 digits"),
    ("x + 1e400", 5, "too large"),
    ("1e13", 1, "too large"),
    ("1000000000001", 1, "too large"),
    ("1e-13", 1, "too small"),
    ("1e-999 x", 1, "too small"),
    ("1e999999999999 x", 1, "exponent is too large"),
    ("x + 0." + "0" * 600 + "1", 5, "too small"),
    # exponents and the numbers they make
    ("9**9**9**9", 7, "exponent is too large"),
    ("(x+y)**10**6", 8, "exponent is too large"),
    ("10**10**10", 5, "exponent is too large"),
    ("2^1000", 3, "exponent is too large"),
    ("x^101", 3, "exponent is too large"),
    ("x^1e3", 3, "exponent is too large"),
    ("(10^100)^10", 1, "too large a number"),
    ("x*(0.1^-100)^4", 3, "too large a number"),
    ("x*(0.1^-100)*(0.1^-100)*(0.1^-100)*(0.1^-100)", 1, "beyond 10^"),
    ("exp(1000)", 1, "beyond 10^"),
    ("exp(exp(exp(10)))", 5, "beyond 10^"),
    ("x^sqrt(-1)", 3, "not a real number"),
    # undefined and non-real constants
    ("x/0", 3, "division by zero"),
    ("x/(1-1)", 4, "division by zero"),
    ("0^-1", 1, "division by zero"),
    ("log(0)", 1, "undefined"),
    ("x + log(0)", 5, "undefined"),
    ("sqrt(-1)", 1, "not a real number"),
    ("y + log(-2)", 5, "not a real number"),
    ("(-8)^(1/3)", 1, "not a real number"),
    ("asin(2) + x", 1, "not a real number"),
    # size and nesting
    (HUGE, MAX_LENGTH + 1, "300000 characters long"),
    ("(" * 10_000 + "x" + ")" * 10_000, MAX_LENGTH + 1, "characters long"),
    ("(" * 10_000, MAX_LENGTH + 1, "characters long"),
    ("(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1), MAX_DEPTH + 1, f"more than {MAX_DEPTH} deep"),
    ("-" * 1999 + "x", 122, "nested too deeply"),
    ("x" + "^x" * 200, 241, "nested too deeply"),
    ("+".join(["x"] * 600), 803, "too large"),
    ("xy" * 999, 1, "too large"),
    # empty, incomplete, unbalanced
    ("", 1, "empty"),
    ("   ", 1, "empty"),
    ("\t\n", 1, "empty"),
    ("x +", 3, "ends with '+'"),
    ("x^", 2, "ends with '^'"),
    ("x**", 2, "ends with '**'"),
    ("*x", 1, "cannot stand at the start"),
    ("x*/y", 3, "needs something on its left"),
    ("(x + y", 1, "never closed"),
    ("x + y)", 6, "no matching '('"),
    ("sin(x", 4, "never closed"),
    ("((x)", 1, "never closed"),
    ("x + ()", 5, "empty parentheses"),
    ("(x +)", 4, "needs something after it"),
    # misplaced numbers, commas and arguments
    ("2 3", 3, "two numbers in a row"),
    ("1.2.3", 4, "second decimal point"),
    ("x, y", 2, "comma"),
    ("(x, y)", 3, "comma"),
    ("max(,x)", 5, "nothing before this comma"),
    ("max(x,)", 6, "needs something after it"),
    ("max(*x, y)", 5, "needs something on its left"),
    ("max(**x)", 5, "needs something on its left"),
    ("atan2(x)", 1, "takes 2 arguments, not 1"),
    ("sin(x, y)", 1, "takes 1 argument, not 2"),
    ("max(x)", 1, "takes 2 to 8 arguments, not 1"),
    ("sin()", 1, "takes 1 argument, not 0"),
]


@pytest.mark.parametrize(("text", "column", "phrase"), REJECTED, ids=[repr(t[:30]) for t, _, _ in REJECTED])
def test_rejected_formula_raises_formula_error_at_its_column(text: str, column: int, phrase: str) -> None:
    with pytest.raises(FormulaError) as caught:
        _parse_timed(text)
    error = caught.value
    assert phrase in str(error), f"{text[:40]!r}: message {str(error)!r} lacks {phrase!r}"
    assert error.column == column, f"{text[:40]!r}: column {error.column}, expected {column} ({error})"
    assert "\n" not in str(error)
    assert len(str(error)) < 400


@pytest.mark.parametrize("text", [None, 3, b"x + y", ["x"]])
def test_non_text_is_refused(text: object) -> None:
    with pytest.raises(FormulaError, match="must be text"):
        parse_formula(text)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- nothing runs

@pytest.fixture()
def no_evaluation(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make eval, exec and SymPy's string parser record any call (and fail it)."""
    calls: list[str] = []

    def spy(name: str):
        def refuse(*args: object, **kwargs: object) -> object:
            calls.append(f"{name}{args[:1]!r}")
            raise AssertionError(f"{name} was called")
        return refuse

    import sympy.parsing.sympy_parser as sympy_parser

    monkeypatch.setattr(builtins, "eval", spy("eval"))
    monkeypatch.setattr(builtins, "exec", spy("exec"))
    monkeypatch.setattr(sympy_parser, "parse_expr", spy("parse_expr"))
    monkeypatch.setattr(sympy_parser, "eval_expr", spy("eval_expr"))
    return calls


def test_no_input_reaches_eval_exec_or_the_sympy_string_parser(no_evaluation: list[str]) -> None:
    for text, _ in ACCEPTED:
        parse_formula(text)
    parse_formula("a x + b", parameters=True)
    for text, _, _ in REJECTED:
        with pytest.raises(FormulaError):
            parse_formula(text)
    assert no_evaluation == []


def test_building_a_surface_never_reaches_the_sympy_string_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    # sympify(text) always goes through parse_expr (imported when called), whatever the caller;
    # lambdify's own exec of generated code is allowed here, so only the string parser is spied.
    import sympy.parsing.sympy_parser as sympy_parser

    calls: list[object] = []
    monkeypatch.setattr(sympy_parser, "parse_expr", lambda *args, **kwargs: calls.append(args))
    from surfaces.surface import build_surface

    for text in ("x^2 + 3y^2", "a sin(x) + b y", "max(x, y) + relu(x y) + sigmoid(x)", "cbrt(x) + log10(y^2 + 1)"):
        surface = build_surface(text, parameters=True)
        surface.evaluate(np.array([[0.5, -0.5]]))
        surface.term_evaluation(np.array([[0.5, -0.5]]))
    assert calls == []


def test_formulas_that_would_leave_a_trace_leave_none(tmp_path) -> None:
    marker = tmp_path / "ran"
    hostile = [
        f"__import__('os').system('touch {marker}')",
        f"open('{marker}', 'w').write('x')",
        "exec('import builtins; builtins.DOWNHILL_RAN = 1')",
        "globals().update(DOWNHILL_RAN=1)",
        "setattr(__builtins__, 'DOWNHILL_RAN', 1)",
        f"(lambda: __import__('pathlib').Path('{marker}').touch())()",
        "x + [c for c in ().__class__.__base__.__subclasses__()]",
        f"sympify('__import__(\"os\").system(\"touch {marker}\")')",
        "Symbol('x')",
        f"x + sin(__import__('os').system('touch {marker}'))",
    ]
    for text in hostile:
        with pytest.raises(FormulaError):
            parse_formula(text, parameters=True)
    assert not marker.exists()
    assert not hasattr(builtins, "DOWNHILL_RAN")


# --------------------------------------------------------------------------- fuzzing

FORMULA_CHARACTERS = list("xyabzek0123456789.+-*/^(),  _eEpisncoqrtlgmh") + [
    "**", "sin", "max(", "sqrt(", "pi", "lambda", "__", "[", "]", "{", "}", "'", '"', "=", ":", ";", "\\", "<",
    "!", "@", "%", "&", "|", "~", "#", "\n", "\t", "\u00a0", "\u200b", "\u2212", "\u00d7", "\uff58", "\u03b1",
    "\u0663", "if", "for", "import", "not", "1e999", "0e9999", "9**9**9", "((((((((((", "))))))))))", "-----",
]


def _expect_parsed_or_formula_error(text: str) -> None:
    start = time.perf_counter()
    try:
        result = parse_formula(text, parameters=True)
    except FormulaError as error:
        assert error.column is None or 1 <= error.column <= max(len(text), MAX_LENGTH) + 1
        assert str(error)
    else:
        assert isinstance(result, ParsedFormula)
        assert isinstance(result.expression, sympy.Expr)
    assert time.perf_counter() - start < TIME_LIMIT


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FORMULA_CHARACTERS), max_size=40).map("".join))
def test_fuzz_formula_like_text_parses_or_raises_formula_error(text: str) -> None:
    _expect_parsed_or_formula_error(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=40))
def test_fuzz_arbitrary_unicode_parses_or_raises_formula_error(text: str) -> None:
    _expect_parsed_or_formula_error(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("x y+-*/^().,0123456789e")), min_size=1, max_size=300))
def test_fuzz_long_operator_soup_parses_or_raises_formula_error(text: str) -> None:
    _expect_parsed_or_formula_error(text)
