"""Safe parsing of a typed formula into a SymPy expression, without ``eval``.

The text goes through three gates, each of which can only reject:

1. a tokenizer that accepts numbers, names, ``+ - * / ^ **``, parentheses and commas and
   nothing else, and inserts the ``*`` of implicit multiplication (``2x``, ``3 sin(x)``,
   ``x y``, ``(x+1)(y-1)``); ``^`` becomes ``**`` as teachers type it;
2. Python's :func:`ast.parse` on the rebuilt text (``mode="eval"``), only for its grammar;
3. a walker that accepts a whitelist of node types and names and builds the SymPy
   expression itself, node by node, checking literal sizes and exponents as it goes.

Nothing user-typed reaches ``eval``, ``exec``, ``sympify`` or ``parse_expr``. Every rejection
is a :class:`~surfaces.errors.FormulaError` whose ``column`` is 1-based in the original text.
"""

from __future__ import annotations

import ast
import keyword
import math
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from fractions import Fraction

import sympy

from surfaces.errors import FormulaError

#: The two coordinates, as real SymPy symbols (real=True makes d|x|/dx = sign(x)).
X = sympy.Symbol("x", real=True)
Y = sympy.Symbol("y", real=True)
VARIABLES = {"x": X, "y": Y}

MAX_LENGTH = 2000
MAX_DEPTH = 40
MAX_NODES = 600
MAX_LITERAL = 1e12
MAX_LITERAL_DIGITS = 30
MAX_EXPONENT = 100
MAX_RESULT_DIGITS = 300


def _min(*args: sympy.Expr) -> sympy.Expr:
    return sympy.Min(*args)


def _max(*args: sympy.Expr) -> sympy.Expr:
    return sympy.Max(*args)


@dataclass(frozen=True)
class _Function:
    build: Callable[..., sympy.Expr]
    min_args: int
    max_args: int


def _fn(build: Callable[..., sympy.Expr], min_args: int = 1, max_args: int | None = None) -> _Function:
    return _Function(build, min_args, min_args if max_args is None else max_args)


#: The named maths functions a formula may call, with their arities.
FUNCTIONS: Mapping[str, _Function] = {
    "sin": _fn(sympy.sin), "cos": _fn(sympy.cos), "tan": _fn(sympy.tan),
    "asin": _fn(sympy.asin), "acos": _fn(sympy.acos), "atan": _fn(sympy.atan),
    "arcsin": _fn(sympy.asin), "arccos": _fn(sympy.acos), "arctan": _fn(sympy.atan),
    "atan2": _fn(sympy.atan2, 2),
    "sinh": _fn(sympy.sinh), "cosh": _fn(sympy.cosh), "tanh": _fn(sympy.tanh),
    "asinh": _fn(sympy.asinh), "acosh": _fn(sympy.acosh), "atanh": _fn(sympy.atanh),
    "exp": _fn(sympy.exp), "log": _fn(sympy.log), "ln": _fn(sympy.log),
    "log10": _fn(lambda a: sympy.log(a, 10)), "log2": _fn(lambda a: sympy.log(a, 2)),
    "sqrt": _fn(sympy.sqrt), "cbrt": _fn(sympy.cbrt), "abs": _fn(sympy.Abs),
    "sign": _fn(sympy.sign),
    "min": _fn(_min, 2, 8), "max": _fn(_max, 2, 8),
    "sigmoid": _fn(lambda a: 1 / (1 + sympy.exp(-a))),
    "softplus": _fn(lambda a: sympy.log(1 + sympy.exp(a))),
    "relu": _fn(lambda a: sympy.Max(a, 0)),
}

#: Named constants.
CONSTANTS: Mapping[str, sympy.Expr] = {"pi": sympy.pi, "e": sympy.E}

_RESERVED = set(FUNCTIONS) | set(CONSTANTS) | set(VARIABLES)

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<power>\*\*|\^)
  | (?P<operator>[-+*/])
  | (?P<open>\()
  | (?P<close>\))
  | (?P<comma>,)
    """,
    re.VERBOSE,
)


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


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    column: int  # 0-based in the original text


def parameter_symbol(name: str) -> sympy.Symbol:
    """The SymPy symbol used for a named parameter (real, like the variables)."""
    return sympy.Symbol(name, real=True)


def parse_formula(text: str, parameters: bool | Collection[str] = False) -> ParsedFormula:
    """Parse a formula typed by a person into a SymPy expression, safely.

    Args:
        text: the formula, e.g. ``"x^2 + 3y^2"`` or ``"a*x^2 + b y^2"``.
        parameters: False to reject every name beyond x, y, pi, e and the functions; True to
            accept any other plain name as a parameter; or a collection of the names accepted.

    Returns:
        The parsed formula.

    Raises:
        FormulaError: with a message and the 1-based column of the problem.
    """
    if not isinstance(text, str):
        raise FormulaError("the formula must be text")
    if len(text) > MAX_LENGTH:
        raise FormulaError(
            f"the formula is {len(text)} characters long; the limit is {MAX_LENGTH}",
            column=MAX_LENGTH + 1,
        )
    if not text.strip():
        raise FormulaError("the formula is empty; type an expression in x and y, such as x^2 + y^2", column=1)
    tokens = _tokenize(text)
    _check_names(tokens, parameters)
    tokens = _split_variable_runs(tokens)
    tokens = _insert_implicit_multiplication(tokens)
    source, origin = _rebuild(tokens)
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as error:
        raise FormulaError(_syntax_message(source, error), column=_origin_column(origin, error.offset, text)) from None
    except (RecursionError, MemoryError, ValueError):
        raise FormulaError("the formula is nested too deeply", column=1) from None
    walker = _Walker(text, origin)
    expression = walker.build(tree.body, depth=0)
    if not isinstance(expression, sympy.Expr):
        raise FormulaError("the formula does not give a number", column=1)
    if expression.has(sympy.I):
        raise FormulaError("the formula contains an imaginary number (such as sqrt(-1) or log(-1)); "
                           "Downhill needs a real-valued surface", column=1)
    if expression.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise FormulaError("the formula is undefined everywhere (such as log(0) or 0/0)", column=1)
    used = sorted(str(s) for s in expression.free_symbols if str(s) not in VARIABLES)
    return ParsedFormula(text=text, expression=expression, parameters=tuple(used))


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    depth = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            character = text[position]
            raise FormulaError(_bad_character_message(character), column=position + 1)
        kind = match.lastgroup or ""
        if kind != "space":
            token = _Token(kind, match.group(), position)
            if kind == "open":
                depth += 1
                if depth > MAX_DEPTH:
                    raise FormulaError(f"the formula nests parentheses more than {MAX_DEPTH} deep", column=position + 1)
            elif kind == "close":
                depth -= 1
                if depth < 0:
                    raise FormulaError("this ')' has no matching '('", column=position + 1)
            tokens.append(token)
        position = match.end()
    if depth > 0:
        opening = [t for t in tokens if t.kind in ("open", "close")]
        balance, column = 0, len(text)
        for token in reversed(opening):
            balance += 1 if token.kind == "open" else -1
            if balance > 0:
                column = token.column + 1
                break
        raise FormulaError("this '(' is never closed", column=column)
    return tokens


def _bad_character_message(character: str) -> str:
    explanations = {
        ".": "a '.' may only appear inside a number (attribute access is not allowed)",
        "[": "square brackets are not allowed; use parentheses",
        "]": "square brackets are not allowed; use parentheses",
        "{": "braces are not allowed; use parentheses",
        "}": "braces are not allowed; use parentheses",
        "'": "text in quotes is not allowed",
        '"': "text in quotes is not allowed",
        "=": "'=' is not allowed; type only the right-hand side, such as x^2 + y^2",
        "<": "comparisons are not allowed",
        ">": "comparisons are not allowed",
        "%": "'%' is not allowed",
        "!": "'!' is not allowed",
    }
    if character in explanations:
        return explanations[character]
    shown = repr(character) if character.isprintable() else f"U+{ord(character):04X}"
    return f"the character {shown} is not allowed; use numbers, x, y, + - * / ^ and parentheses"


def _check_names(tokens: list[_Token], parameters: bool | Collection[str]) -> None:
    for index, token in enumerate(tokens):
        if token.kind != "name":
            continue
        name = token.text
        followed_by_call = index + 1 < len(tokens) and tokens[index + 1].kind == "open"
        if name in FUNCTIONS:
            if not followed_by_call:
                raise FormulaError(f"the function '{name}' needs an argument in parentheses, such as {name}(x)",
                                   column=token.column + 1)
            continue
        if name in VARIABLES or name in CONSTANTS:
            continue
        if set(name) <= set("xy") and len(name) > 1:
            continue  # 'xy' is x*y, split later
        if name.startswith("_") or "__" in name:
            raise FormulaError(f"the name '{name}' is not allowed (names may not start with '_')",
                               column=token.column + 1)
        if keyword.iskeyword(name) or keyword.issoftkeyword(name):
            raise FormulaError(f"'{name}' is a Python keyword and is not allowed in a formula",
                               column=token.column + 1)
        if followed_by_call:
            raise FormulaError(f"unknown function '{name}' at column {token.column + 1}; known functions are "
                               + ", ".join(sorted(FUNCTIONS)), column=token.column + 1)
        accepted = parameters is True or (not isinstance(parameters, bool) and name in parameters)
        if not accepted:
            if parameters is False:
                hint = "the variables are x and y"
            else:
                hint = "the variables are x and y and the parameters are " + (", ".join(sorted(parameters)) or "none")
            raise FormulaError(f"unknown name '{name}' at column {token.column + 1}; {hint}",
                               column=token.column + 1)


def _split_variable_runs(tokens: list[_Token]) -> list[_Token]:
    """Turn a name such as 'xy' or 'xxy' into separate variable tokens (implicit product)."""
    result: list[_Token] = []
    for token in tokens:
        if token.kind == "name" and len(token.text) > 1 and set(token.text) <= set("xy"):
            result.extend(_Token("name", letter, token.column + offset) for offset, letter in enumerate(token.text))
        else:
            result.append(token)
    return result


def _insert_implicit_multiplication(tokens: list[_Token]) -> list[_Token]:
    result: list[_Token] = []
    for token in tokens:
        if result:
            previous = result[-1]
            ends_operand = previous.kind in ("number", "close") or (
                previous.kind == "name" and previous.text not in FUNCTIONS)
            starts_operand = token.kind in ("number", "name", "open")
            if ends_operand and starts_operand:
                if previous.kind == "number" and token.kind == "number":
                    raise FormulaError("two numbers in a row; put an operator between them", column=token.column + 1)
                result.append(_Token("operator", "*", token.column))
        result.append(token)
    return result


def _rebuild(tokens: list[_Token]) -> tuple[str, list[int]]:
    """Join tokens into Python source; origin[i] is the original column of source char i."""
    parts: list[str] = []
    origin: list[int] = []
    for token in tokens:
        text = "**" if token.kind == "power" else token.text
        parts.append(text)
        origin.extend([token.column] * len(text))
        parts.append(" ")
        origin.append(token.column)
    return "".join(parts), origin


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


class _Walker:
    """Builds a SymPy expression from a whitelisted Python AST, refusing everything else."""

    def __init__(self, text: str, origin: list[int]):
        self.text = text
        self.origin = origin
        self.nodes = 0

    def column(self, node: ast.AST) -> int:
        offset = getattr(node, "col_offset", 0)
        return self.origin[offset] + 1 if offset < len(self.origin) else 1

    def fail(self, node: ast.AST, message: str) -> FormulaError:
        return FormulaError(message, column=self.column(node))

    def build(self, node: ast.AST, depth: int) -> sympy.Expr:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail(node, f"the formula is too large (more than {MAX_NODES} parts)")
        if depth > 3 * MAX_DEPTH:
            raise self.fail(node, "the formula is nested too deeply")
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
            return self.binary(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        if isinstance(node, ast.Tuple):
            if not node.elts:
                raise self.fail(node, "empty parentheses; put an expression inside them")
            raise self.fail(node, "a comma may only separate the arguments of a function such as max(x, y)")
        raise self.fail(node, "this is not allowed in a formula")

    def number(self, node: ast.Constant) -> sympy.Expr:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(node, "only real numbers are allowed")
        start = self.origin[node.col_offset] if node.col_offset < len(self.origin) else 0
        literal = re.match(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", self.text[start:])
        written = literal.group() if literal else str(value)
        mantissa = re.split(r"[eE]", written)[0]
        if len(mantissa.replace(".", "").lstrip("0")) > MAX_LITERAL_DIGITS:
            raise self.fail(node, f"this number has more than {MAX_LITERAL_DIGITS} digits")
        magnitude = abs(float(value)) if not isinstance(value, int) or value < 10**16 else math.inf
        if not magnitude <= MAX_LITERAL:
            raise self.fail(node, f"this number is too large; numbers are limited to {MAX_LITERAL:.0e}")
        if magnitude != 0 and magnitude < 1e-12:
            raise self.fail(node, "this number is too small; numbers below 1e-12 are not allowed")
        exact = Fraction(written)
        return sympy.Rational(exact.numerator, exact.denominator)

    def name(self, node: ast.Name) -> sympy.Expr:
        if node.id in VARIABLES:
            return VARIABLES[node.id]
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        # _check_names already accepted it as a parameter (functions never reach here bare).
        if node.id in FUNCTIONS:
            raise self.fail(node, f"the function '{node.id}' needs an argument in parentheses")
        return parameter_symbol(node.id)

    def binary(self, node: ast.BinOp, depth: int) -> sympy.Expr:
        left = self.build(node.left, depth + 1)
        right = self.build(node.right, depth + 1)
        operator = node.op
        if isinstance(operator, ast.Add):
            return left + right
        if isinstance(operator, ast.Sub):
            return left - right
        if isinstance(operator, ast.Mult):
            return left * right
        if isinstance(operator, ast.Div):
            if right == 0:
                raise self.fail(node.right, "division by zero")
            return left / right
        if isinstance(operator, ast.Pow):
            return self.power(node, left, right)
        raise self.fail(node, "this operator is not allowed; use + - * / ^")

    def power(self, node: ast.BinOp, base: sympy.Expr, exponent: sympy.Expr) -> sympy.Expr:
        if exponent.is_number:
            size = abs(float(exponent)) if exponent.is_real else math.inf
            if not size <= MAX_EXPONENT:
                raise self.fail(node.right, f"this exponent is too large; exponents are limited to {MAX_EXPONENT}")
            if base.is_number:
                base_size = abs(float(base)) if base.is_real else math.inf
                if base_size > 1 and size * math.log10(base_size) > MAX_RESULT_DIGITS:
                    raise self.fail(node, "this power is too large a number")
                if base == 0 and exponent.is_negative:
                    raise self.fail(node, "zero to a negative power is a division by zero")
        elif exponent.has(X, Y) or exponent.free_symbols:
            pass  # a variable exponent such as 2^x is fine; its size is bounded at evaluation
        return sympy.Pow(base, exponent)

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
            return function.build(*arguments)
        except (ValueError, TypeError, ZeroDivisionError) as error:
            raise self.fail(node, f"{node.func.id} cannot take these arguments ({error})") from None
