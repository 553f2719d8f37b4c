"""Safe parsing of a typed formula into a SymPy expression, without ``eval``.

The text goes through four gates, each of which can only reject:

1. a tokenizer (:mod:`surfaces.formula_tokens`) that accepts ASCII numbers, ASCII names,
   ``+ - * / ^ **`` (and the typeset ``−``, ``×``, ``·``), parentheses, commas and white space,
   and nothing else;
2. checks on the token list: every name is a variable (x, y), a constant (pi, e), a whitelisted
   function followed by ``(`` (:mod:`surfaces.vocabulary`), or an accepted parameter;
   parentheses balance and nest at most ``MAX_DEPTH`` deep; operators and commas stand where an
   expression can. Implicit multiplication is made explicit (``2x``, ``3 sin(x)``, ``x y``,
   ``xy``, ``(x+1)(y-1)``, ``2(x+y)``, ``x(y+1)``: a variable, constant or listed parameter
   before ``(`` multiplies); ``^`` becomes ``**``, as teachers type it;
3. Python's :func:`ast.parse` on the rebuilt text (``mode="eval"``), only for its grammar (and
   so Python's precedence: ``-x^2`` is ``-(x^2)``, ``2^-1`` is 1/2, ``1/2x`` is ``x/2``);
4. a walker that accepts a whitelist of node types and builds the SymPy expression itself, node
   by node, bounding the node count, the nesting, literal sizes, exponents and the size of every
   constant it computes, and refusing constants that are infinite or not real (``log(0)``,
   ``sqrt(-1)``, ``(-8)^(1/3)``).

Nothing user-typed reaches ``eval``, ``exec``, ``sympify`` or ``parse_expr``: SymPy only ever
receives SymPy objects built here (numbers as exact ``Rational`` from the digits, symbols made
with :func:`parameter_symbol`), never a string. Every rejection is a
:class:`~surfaces.errors.FormulaError` whose ``column`` is 1-based in the original text and
points at the leftmost problem; the walker runs under a hard time limit (``PARSE_TIME_LIMIT``).
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import sympy

from surfaces.deadline import time_limit
from surfaces.errors import FormulaError
from surfaces.formula_tokens import (
    MAX_DEPTH,
    check_names,
    check_structure,
    insert_implicit_multiplication,
    rebuild,
    split_variable_runs,
    tokenize,
)
from surfaces.vocabulary import CONSTANTS, FUNCTIONS, VARIABLES, X, Y, parameter_symbol

__all__ = ["ParsedFormula", "parse_formula", "parameter_symbol", "X", "Y", "VARIABLES", "FUNCTIONS", "CONSTANTS",
           "MAX_LENGTH", "MAX_DEPTH", "MAX_NESTING", "MAX_NODES"]

MAX_LENGTH = 2000          # characters of formula text
MAX_NESTING = 3 * MAX_DEPTH  # nesting of operations (unary signs, powers, calls) in the tree
MAX_NODES = 1000           # operations, numbers and names in the formula
MAX_LITERAL = 1e12         # largest number that may be typed
MIN_LITERAL = 1e-12        # smallest non-zero number that may be typed
MAX_LITERAL_DIGITS = 30    # significant digits of a typed number
MAX_EXPONENT = 100         # largest |exponent| of a power with a constant exponent
MAX_RESULT_DIGITS = 300    # constants the formula computes stay within 10^±300 (floats reach 1.8e308)
PARSE_TIME_LIMIT = 2.0     # seconds SymPy may spend building the expression

_LITERAL = re.compile(r"([0-9]*)\.?([0-9]*)(?:[eE]([+-]?[0-9]+))?")


@dataclass(frozen=True)
class ParsedFormula:
    """The result of parsing: the expression and the named parameters it uses.

    Attributes:
        text: the formula as typed.
        expression: the SymPy expression in the real symbols x and y (and parameters).
        parameters: names of the parameters the formula uses, sorted.
    """

    text: str
    expression: sympy.Expr
    parameters: tuple[str, ...]


def parse_formula(text: str, parameters: bool | Collection[str] = False) -> ParsedFormula:
    """Parse a formula typed by a person into a SymPy expression, safely.

    Args:
        text: the formula, e.g. ``"x^2 + 3y^2"`` or ``"a*x^2 + b y^2"``.
        parameters: False to reject every name beyond x, y, pi, e and the functions; True to
            accept any other plain name as a parameter; or a collection of the names accepted.
            A listed parameter before ``(`` multiplies (``a(x+1)``); with True, an unknown
            name before ``(`` is taken for a misspelt function and refused.

    Returns:
        The parsed formula.

    Raises:
        FormulaError: with a message and the 1-based column of the problem.
    """
    if not isinstance(text, str):
        raise FormulaError("the formula must be text")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"the formula is {len(text)} characters long; the limit is {MAX_LENGTH}",
                           column=MAX_LENGTH + 1)
    if not text.strip():
        raise FormulaError("the formula is empty; type an expression in x and y, such as x^2 + y^2", column=1)
    accepted: bool | frozenset[str]
    if isinstance(parameters, bool):
        accepted = parameters
    elif isinstance(parameters, str):
        accepted = frozenset([parameters])
    else:
        accepted = frozenset(parameters)
    tokens, bad_character = tokenize(text)
    problems = [check_names(tokens, accepted), check_structure(tokens, complete=bad_character is None),
                bad_character]
    found = [p for p in problems if p is not None]
    if found:
        raise min(found, key=lambda p: p.column or 0)  # the leftmost problem; ties keep this order
    tokens = split_variable_runs(tokens)
    tokens = insert_implicit_multiplication(tokens)
    source, origin, numbers = rebuild(tokens)
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as error:
        raise FormulaError(_syntax_message(source, error), column=_origin_column(origin, error.offset, text)) from None
    except (RecursionError, MemoryError, ValueError):
        raise FormulaError("the formula is nested too deeply", column=1) from None
    walker = _Walker(origin, numbers)
    try:
        with time_limit(PARSE_TIME_LIMIT, "reading the formula"):
            expression = walker.build(tree.body, depth=0)
    except RecursionError:
        raise FormulaError("the formula is nested too deeply", column=1) from None
    if not isinstance(expression, sympy.Expr):
        raise FormulaError("the formula does not give a number", column=1)
    # The walker refuses such constants where they arise; these are a last net.
    if expression.has(sympy.I):
        raise FormulaError("the formula contains an imaginary number (such as sqrt(-1) or log(-1)); "
                           "Downhill needs a real-valued surface", column=1)
    if expression.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise FormulaError("the formula is undefined everywhere (such as log(0) or 0/0)", column=1)
    _check_constants(expression)
    used = sorted(str(s) for s in expression.free_symbols if str(s) not in VARIABLES)
    return ParsedFormula(text=text, expression=expression, parameters=tuple(used))


def _origin_column(origin: list[int], offset: int | None, text: str) -> int:
    if offset is None or offset < 1:
        return len(text.rstrip()) + 1  # CPython reports an unexpected end as offset 0
    if offset - 1 < len(origin):
        return origin[offset - 1] + 1
    return len(text.rstrip()) + 1 if text.strip() else 1


def _syntax_message(source: str, error: SyntaxError) -> str:
    if error.offset is None or error.offset < 1 or error.offset - 1 >= len(source.rstrip()):
        return "the formula ends too early; something is missing at the end"
    return "this is not a valid formula here; check for a missing number or a doubled operator"


def _magnitude(value: sympy.Expr) -> float:
    """|value| as a float for a real constant (inf if it overflows or is not a real number)."""
    try:
        number = value.evalf(15)
        if not number.is_extended_real:
            return math.inf
        return abs(float(number))
    except (TypeError, ValueError, OverflowError, ArithmeticError):
        return math.inf


def _check_constants(expression: sympy.Expr) -> None:
    """Refuse a constant anywhere in the expression that no float can hold.

    The walker checks each constant it computes, but SymPy also makes constants of its own as it
    combines terms (x*10^200*10^200 is x times 10^400; 10^200*(x + 10^200) distributes), so the
    finished expression is checked once more: every rational number and every maximal constant
    subexpression must lie within 10^±MAX_RESULT_DIGITS.
    """
    limit = 10**MAX_RESULT_DIGITS
    stack = [expression]
    while stack:
        node = stack.pop()
        if node.is_Rational:
            too_large = abs(node.p) > limit or node.q > limit
        elif node.is_number:
            size = _magnitude(node)
            too_large = size > 10.0**MAX_RESULT_DIGITS or (size != 0 and size < 10.0**-MAX_RESULT_DIGITS)
        else:
            stack.extend(node.args)
            continue
        if too_large:
            raise FormulaError(f"the formula holds a constant beyond 10^±{MAX_RESULT_DIGITS}, too large or small "
                               "to compute with", column=1)


class _Walker:
    """Builds a SymPy expression from a whitelisted Python AST, refusing everything else."""

    def __init__(self, origin: list[int], numbers: Mapping[int, str]):
        self.origin = origin
        self.numbers = numbers
        self.nodes = 0

    def column(self, node: ast.AST) -> int:
        offset = getattr(node, "col_offset", 0)
        return self.origin[offset] + 1 if 0 <= offset < len(self.origin) else 1

    def fail(self, node: ast.AST, message: str) -> FormulaError:
        return FormulaError(message, column=self.column(node))

    def count(self, node: ast.AST) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail(node, f"the formula is too large (more than {MAX_NODES} numbers, names and operations)")

    def build(self, node: ast.AST, depth: int) -> sympy.Expr:
        self.count(node)
        if depth > MAX_NESTING:
            raise self.fail(node, f"the formula is nested too deeply (more than {MAX_NESTING} levels)")
        if isinstance(node, ast.Constant):
            return self.number(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp):
            operand = self.build(node.operand, depth + 1)
            if isinstance(node.op, ast.USub):
                return -operand
            if isinstance(node.op, ast.UAdd):
                return operand
            raise self.fail(node, "this operator is not allowed; use + - * / ^")
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Add | ast.Sub):
                return self.sum(node, depth)
            if isinstance(node.op, ast.Mult | ast.Div):
                return self.product(node, depth)
            if isinstance(node.op, ast.Pow):
                base = self.build(node.left, depth + 1)
                exponent = self.build(node.right, depth + 1)
                return self.power(node, base, exponent)
            raise self.fail(node, "this operator is not allowed; use + - * / ^")
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        if isinstance(node, ast.Tuple):
            if not node.elts:
                raise self.fail(node, "empty parentheses; put an expression inside them")
            raise self.fail(node, "a comma may only separate the arguments of a function, such as max(x, y)")
        raise self.fail(node, "this is not allowed in a formula")

    def number(self, node: ast.Constant) -> sympy.Expr:
        offset = node.col_offset
        written = self.numbers.get(self.origin[offset]) if 0 <= offset < len(self.origin) else None
        match = _LITERAL.fullmatch(written or "")
        if isinstance(node.value, bool) or not isinstance(node.value, int | float) or match is None:
            raise self.fail(node, "only real numbers are allowed")
        whole, fraction, exponent_text = match.groups()
        significant = (whole + fraction).lstrip("0")
        if len(significant) > MAX_LITERAL_DIGITS:
            raise self.fail(node, f"this number has more than {MAX_LITERAL_DIGITS} digits")
        if not significant:
            return sympy.Integer(0)  # whatever the exponent: 0e99999 is 0
        # The value is int(whole + fraction) * 10^power; its order of magnitude is known before
        # any power of ten is computed, so "1e999999999" costs nothing.
        if exponent_text and len(exponent_text.lstrip("+-")) > 6:
            raise self.fail(node, "this number's exponent is too large")
        power = int(exponent_text or 0) - len(fraction)
        order = len(significant) - 1 + power
        if order > 40 or order < -40:
            raise self.fail(node, f"this number is too {'large' if order > 0 else 'small'}; numbers are "
                                  f"limited to {MIN_LITERAL:.0e} ... {MAX_LITERAL:.0e}")
        value = sympy.Rational(int(whole + fraction) * 10 ** max(power, 0), 10 ** max(-power, 0))
        if value > MAX_LITERAL:
            raise self.fail(node, f"this number is too large; numbers are limited to {MAX_LITERAL:.0e}")
        if value < MIN_LITERAL:
            raise self.fail(node, f"this number is too small; non-zero numbers below {MIN_LITERAL:.0e} "
                                  "are not allowed")
        return value

    def name(self, node: ast.Name) -> sympy.Expr:
        if node.id in VARIABLES:
            return VARIABLES[node.id]
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        if node.id in FUNCTIONS:
            raise self.fail(node, f"the function '{node.id}' needs an argument in parentheses")
        # The names check already accepted it as a parameter.
        return parameter_symbol(node.id)

    def sum(self, node: ast.BinOp, depth: int) -> sympy.Expr:
        """A chain a ± b ± c ...: Python nests it to the left, one level per term; walk it flat."""
        rights: list[tuple[bool, ast.AST]] = []
        current: ast.AST = node
        while isinstance(current, ast.BinOp) and isinstance(current.op, ast.Add | ast.Sub):
            if current is not node:
                self.count(current)
            rights.append((isinstance(current.op, ast.Sub), current.right))
            current = current.left
        terms = [self.build(current, depth + 1)]
        for negative, right in reversed(rights):
            term = self.build(right, depth + 1)
            terms.append(-term if negative else term)
        return self.constant(node, sympy.Add(*terms))

    def product(self, node: ast.BinOp, depth: int) -> sympy.Expr:
        """A chain a * b / c ...: walked flat, like :meth:`sum`."""
        rights: list[tuple[bool, ast.AST]] = []
        current: ast.AST = node
        while isinstance(current, ast.BinOp) and isinstance(current.op, ast.Mult | ast.Div):
            if current is not node:
                self.count(current)
            rights.append((isinstance(current.op, ast.Div), current.right))
            current = current.left
        factors = [self.build(current, depth + 1)]
        for divide, right in reversed(rights):
            factor = self.build(right, depth + 1)
            if divide:
                if factor == 0:
                    raise self.fail(right, "division by zero")
                factor = sympy.Pow(factor, -1)
            factors.append(factor)
        return self.constant(node, sympy.Mul(*factors))

    def power(self, node: ast.BinOp, base: sympy.Expr, exponent: sympy.Expr) -> sympy.Expr:
        if exponent.is_number:
            if exponent.is_extended_real is False:
                raise self.fail(node.right, "this exponent is not a real number")
            size = _magnitude(exponent)
            if not size <= MAX_EXPONENT:
                raise self.fail(node.right, f"this exponent is too large; exponents are limited to ±{MAX_EXPONENT}")
            if base.is_number:
                if base == 0 and exponent.is_extended_negative:
                    raise self.fail(node, "zero to a negative power is a division by zero")
                base_size = _magnitude(base)
                if base_size != 0 and size * abs(math.log10(base_size)) > MAX_RESULT_DIGITS:
                    raise self.fail(node, f"this power is too large a number (more than {MAX_RESULT_DIGITS} digits)")
        # A variable exponent such as 2^x or x^y is fine: its size is bounded at evaluation (NaN).
        return self.constant(node, sympy.Pow(base, exponent))

    def call(self, node: ast.Call, depth: int) -> sympy.Expr:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise self.fail(node, "only the named maths functions may be called")
        if node.keywords:
            raise self.fail(node, "keyword arguments are not allowed")
        function = FUNCTIONS[node.func.id]
        count = len(node.args)
        if not function.min_args <= count <= function.max_args:
            expected = (str(function.min_args) if function.min_args == function.max_args
                        else f"{function.min_args} to {function.max_args}")
            plural = "" if expected == "1" else "s"
            raise self.fail(node, f"{node.func.id} takes {expected} argument{plural}, not {count}")
        arguments = []
        for argument in node.args:
            if isinstance(argument, ast.Starred):
                raise self.fail(argument, "'*' unpacking is not allowed")
            arguments.append(self.build(argument, depth + 1))
        try:
            result = function.build(*arguments)
        except (ValueError, TypeError, ArithmeticError) as error:
            raise self.fail(node, f"{node.func.id} cannot take these arguments ({error})") from None
        return self.constant(node, result)

    def constant(self, node: ast.AST, value: sympy.Expr) -> sympy.Expr:
        """Refuse a constant that is undefined, not real, or too large (or small) for a float."""
        if not isinstance(value, sympy.Expr) or not value.is_number:
            return value
        if value.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan):
            raise self.fail(node, "this is undefined (infinite or not a number), like log(0) or 0/0")
        if value.is_extended_real is False:
            raise self.fail(node, "this is not a real number (like sqrt(-1), log(-2) or (-8)^(1/3)); "
                                  "for the real cube root write cbrt(...)")
        if value.is_Rational:
            limit = 10**MAX_RESULT_DIGITS
            if abs(value.p) > limit or value.q > limit:
                raise self.fail(node, f"this gives a number with more than {MAX_RESULT_DIGITS} digits")
            return value
        size = _magnitude(value)
        if size > 10.0**MAX_RESULT_DIGITS or (size != 0 and size < 10.0**-MAX_RESULT_DIGITS):
            raise self.fail(node, f"this gives a number beyond 10^±{MAX_RESULT_DIGITS}, too large or small to compute")
        return value
