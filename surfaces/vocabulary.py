"""The words a formula may use: the variables, the named constants and the maths functions.

Everything here is a SymPy object or a function that builds one from SymPy objects; the parser
(:mod:`surfaces.parsing`) looks names up in these tables and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sympy

from surfaces.stable_functions import Sigmoid, Softplus

#: The two coordinates, as real SymPy symbols (real=True makes d|x|/dx = sign(x)).
X = sympy.Symbol("x", real=True)
Y = sympy.Symbol("y", real=True)
VARIABLES = {"x": X, "y": Y}


def _nested(kind: type[sympy.Min] | type[sympy.Max], args: tuple[sympy.Expr, ...]) -> sympy.Expr:
    """min or max of several arguments as nested pairs: max(a, b, c) = max(a, max(b, c)).

    SymPy's n-ary Max differentiates argument i into Heaviside(a_i - Max(the others)), and every
    such Max compares all pairs of its arguments: max of 8 terms took SymPy over 5 s to
    differentiate twice. A pair differentiates without building a new Max, so the nesting is
    kept (evaluate=False); the value and the LaTeX (max(a, max(b, c))) are the same.
    """
    if len(args) <= 2 or all(a.is_number for a in args):
        return kind(*args)
    result = kind(args[-2], args[-1])
    for argument in reversed(args[:-2]):
        result = kind(argument, result, evaluate=False)
    return result


def _min(*args: sympy.Expr) -> sympy.Expr:
    return _nested(sympy.Min, args)


def _max(*args: sympy.Expr) -> sympy.Expr:
    return _nested(sympy.Max, args)


def _real_cube_root(a: sympy.Expr) -> sympy.Expr:
    # sympy.cbrt is the principal root, complex (here: NaN) for a < 0; a teacher means the real one.
    if a.is_number and a.is_extended_real:
        return sympy.real_root(a, 3)
    return sympy.sign(a) * sympy.Abs(a) ** sympy.Rational(1, 3)


@dataclass(frozen=True)
class MathFunction:
    """A function a formula may call: how to build it from SymPy arguments, and its arity."""

    build: Callable[..., sympy.Expr]
    min_args: int
    max_args: int


def _fn(build: Callable[..., sympy.Expr], min_args: int = 1, max_args: int | None = None) -> MathFunction:
    return MathFunction(build, min_args, min_args if max_args is None else max_args)


#: The named maths functions a formula may call, with their arities.
FUNCTIONS: Mapping[str, MathFunction] = {
    "sin": _fn(sympy.sin), "cos": _fn(sympy.cos), "tan": _fn(sympy.tan),
    "asin": _fn(sympy.asin), "acos": _fn(sympy.acos), "atan": _fn(sympy.atan),
    "arcsin": _fn(sympy.asin), "arccos": _fn(sympy.acos), "arctan": _fn(sympy.atan),
    "atan2": _fn(sympy.atan2, 2),
    "sinh": _fn(sympy.sinh), "cosh": _fn(sympy.cosh), "tanh": _fn(sympy.tanh),
    "asinh": _fn(sympy.asinh), "acosh": _fn(sympy.acosh), "atanh": _fn(sympy.atanh),
    "exp": _fn(sympy.exp), "log": _fn(sympy.log), "ln": _fn(sympy.log),
    "log10": _fn(lambda a: sympy.log(a, 10)), "log2": _fn(lambda a: sympy.log(a, 2)),
    "sqrt": _fn(sympy.sqrt), "cbrt": _fn(_real_cube_root), "abs": _fn(sympy.Abs),
    "sign": _fn(sympy.sign),
    "min": _fn(_min, 2, 8), "max": _fn(_max, 2, 8),
    # Functions of their own, computed without overflow (surfaces.stable_functions).
    "sigmoid": _fn(Sigmoid), "softplus": _fn(Softplus),
    "relu": _fn(lambda a: sympy.Max(a, 0)),
}

#: Named constants.
CONSTANTS: Mapping[str, sympy.Expr] = {"pi": sympy.pi, "e": sympy.E}


def parameter_symbol(name: str) -> sympy.Symbol:
    """The SymPy symbol used for a named parameter (real, like the variables)."""
    return sympy.Symbol(name, real=True)
