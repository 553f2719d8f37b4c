"""sigmoid and softplus as SymPy functions that compute without overflow.

Written out, sigmoid(z) = 1 / (1 + exp(-z)) and softplus(z) = log(1 + exp(z)) overflow in
floating point long before their values do: exp(-z) passes 1.8e308 at z = -709.8, and the
derivatives SymPy takes of the written-out forms, such as exp(-z) / (1 + exp(-z))^2, square it
already at z = -355. The cliff preset, 20 sigmoid(30 (x - 1)), had NaN slopes from x = -10.8
although f there is a perfectly ordinary 20 e^(30 x - 30) + (x - 3)^2 / 4.

So both are SymPy functions of their own, with derivatives in terms of themselves
(sigmoid' (z) = sigmoid(z) sigmoid(-z), softplus' = sigmoid) and numerical versions that never
form a number larger than their result:

    sigmoid(z)  = 1 / (1 + e)  for z >= 0,  e / (1 + e)  for z < 0,  where e = exp(-|z|) <= 1
    softplus(z) = max(z, 0) + log1p(exp(-|z|))

For z >= 0 the sigmoid is computed by exactly the written-out operations (the same bits); for
z < 0 the two forms agree to rounding. sigmoid(z) sigmoid(-z) keeps the slope's full relative
accuracy in the saturated tails (1 - sigmoid(z) would round to 0 from z = 37 on and flatten
every plateau).

:data:`NUMPY_FUNCTIONS` and :data:`SCALAR_FUNCTIONS` are the namespaces lambdify is given for the
vectorised evaluator and for the per-point kernel (plain ``math``, which Numba compiles).
"""

from __future__ import annotations

import math

import numpy as np
import sympy


class Sigmoid(sympy.Function):
    """sigmoid(z) = 1 / (1 + exp(-z)), the logistic function; LaTeX and rewrite(exp) give that form."""

    nargs = 1

    @classmethod
    def eval(cls, z: sympy.Expr) -> sympy.Expr | None:  # safe: SymPy's hook, not Python's eval
        if z.is_Number:  # a constant: SymPy's exact value (sigmoid(0) = 1/2)
            return 1 / (1 + sympy.exp(-z))
        return None

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        z = self.args[0]
        return Sigmoid(z) * Sigmoid(-z)

    def _eval_is_extended_real(self) -> bool | None:
        return self.args[0].is_extended_real

    def _eval_is_positive(self) -> bool | None:
        return True if self.args[0].is_extended_real else None

    def _eval_rewrite_as_exp(self, z: sympy.Expr, **kwargs: object) -> sympy.Expr:
        return 1 / (1 + sympy.exp(-z))

    def _latex(self, printer: sympy.printing.latex.LatexPrinter, exp: str | None = None) -> str:
        return _written_out_latex(self, printer, exp)

    def _sympystr(self, printer: sympy.printing.str.StrPrinter) -> str:
        return f"sigmoid({printer._print(self.args[0])})"  # (as typed)


class Softplus(sympy.Function):
    """softplus(z) = log(1 + exp(z)); LaTeX and rewrite(exp) give that form."""

    nargs = 1

    @classmethod
    def eval(cls, z: sympy.Expr) -> sympy.Expr | None:  # safe: SymPy's hook, not Python's eval
        if z.is_Number:
            return sympy.log(1 + sympy.exp(z))
        return None

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return Sigmoid(self.args[0])

    def _eval_is_extended_real(self) -> bool | None:
        return self.args[0].is_extended_real

    def _eval_is_positive(self) -> bool | None:
        return True if self.args[0].is_extended_real else None

    def _eval_rewrite_as_exp(self, z: sympy.Expr, **kwargs: object) -> sympy.Expr:
        return sympy.log(1 + sympy.exp(z))

    def _latex(self, printer: sympy.printing.latex.LatexPrinter, exp: str | None = None) -> str:
        return _written_out_latex(self, printer, exp)

    def _sympystr(self, printer: sympy.printing.str.StrPrinter) -> str:
        return f"softplus({printer._print(self.args[0])})"


def _written_out_latex(function: sympy.Function, printer: sympy.printing.latex.LatexPrinter,
                       exp: str | None) -> str:
    """LaTeX of the written-out form (as before these were functions of their own), to the power ``exp``."""
    tex = printer._print(function.rewrite(sympy.exp))
    return tex if exp is None else rf"\left({tex}\right)^{{{exp}}}"


def numpy_sigmoid(z: np.ndarray | float) -> np.ndarray:
    """sigmoid of an array (or scalar) of float64, elementwise, finite everywhere (NaN stays NaN)."""
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


def numpy_softplus(z: np.ndarray | float) -> np.ndarray:
    """softplus of an array (or scalar) of float64, elementwise; inf only where z itself is beyond 1.8e308."""
    z = np.asarray(z, dtype=float)
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def scalar_sigmoid(z: float) -> float:
    """sigmoid of one float (the per-point kernel's version; same operations as :func:`numpy_sigmoid`)."""
    e = math.exp(-abs(z))
    return (1.0 if z >= 0 else e) / (1.0 + e)


def scalar_softplus(z: float) -> float:
    """softplus of one float (the per-point kernel's version)."""
    return max(z, 0.0) + math.log1p(math.exp(-abs(z)))


#: lambdify's namespace additions (names as SymPy prints the functions), vectorised and per point.
NUMPY_FUNCTIONS = {"Sigmoid": numpy_sigmoid, "Softplus": numpy_softplus}
SCALAR_FUNCTIONS = {"Sigmoid": scalar_sigmoid, "Softplus": scalar_softplus}
