"""The Surface: an immutable landscape f(x, y) with exact derivatives and one compiled evaluator.

A :class:`Surface` holds the SymPy expression, its gradient and Hessian expressions, LaTeX for
all three, a default view :class:`Domain`, the terms of a finite sum, and ONE vectorised
function (``lambdify`` with common-subexpression elimination) that returns f, grad f and the
Hessian for an ``(n, 2)`` array of points in one call.

Build one with :func:`build_surface` (from typed text; safe, bounded in size and time) or
:func:`surface_from_expression` (from an expression the program built itself, e.g. a preset).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np
import sympy
from sympy.utilities.lambdify import lambdify

from surfaces.errors import FormulaError
from surfaces.parsing import X, Y, parameter_symbol, parse_formula

#: Growth limits (expression tree nodes) for the derivative stages, and the default time limit.
MAX_GRADIENT_NODES = 40_000
MAX_HESSIAN_NODES = 120_000
DEFAULT_TIME_LIMIT = 5.0  # seconds of SymPy work per build
DEFAULT_DOMAIN_HALF_WIDTH = 3.0


@dataclass(frozen=True)
class Domain:
    """A rectangle [xmin, xmax] x [ymin, ymax] in surface coordinates."""

    xmin: float
    xmax: float
    ymin: float
    ymax: float

    def __post_init__(self) -> None:
        values = (self.xmin, self.xmax, self.ymin, self.ymax)
        if not all(isinstance(v, int | float) and math.isfinite(v) for v in values):
            raise FormulaError("the domain needs four finite numbers XMIN,XMAX,YMIN,YMAX")
        if not (self.xmin < self.xmax and self.ymin < self.ymax):
            raise FormulaError("the domain needs XMIN < XMAX and YMIN < YMAX")
        if max(abs(v) for v in values) > 1e6:
            raise FormulaError("the domain is limited to coordinates within ±1e6")

    @classmethod
    def square(cls, half_width: float, centre: tuple[float, float] = (0.0, 0.0)) -> Domain:
        cx, cy = centre
        return cls(cx - half_width, cx + half_width, cy - half_width, cy + half_width)

    @classmethod
    def parse(cls, text: str) -> Domain:
        """Parse ``"XMIN,XMAX,YMIN,YMAX"`` (as typed on the command line)."""
        parts = [p.strip() for p in str(text).split(",")]
        if len(parts) != 4:
            raise FormulaError(f"the domain '{text}' needs four numbers XMIN,XMAX,YMIN,YMAX separated by commas")
        try:
            values = [float(p) for p in parts]
        except ValueError:
            raise FormulaError(f"the domain '{text}' needs four numbers XMIN,XMAX,YMIN,YMAX") from None
        return cls(*values)

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (self.xmin, self.xmax, self.ymin, self.ymax)

    @property
    def width(self) -> float:
        return self.xmax - self.xmin

    @property
    def height(self) -> float:
        return self.ymax - self.ymin

    @property
    def diameter(self) -> float:
        return math.hypot(self.width, self.height)

    def contains(self, points: np.ndarray, margin: float = 0.0) -> np.ndarray:
        """Boolean mask (n,) of the points (n, 2) inside the rectangle grown by ``margin``."""
        p = np.asarray(points, dtype=float)
        return ((p[:, 0] >= self.xmin - margin) & (p[:, 0] <= self.xmax + margin)
                & (p[:, 1] >= self.ymin - margin) & (p[:, 1] <= self.ymax + margin))

    def grid(self, resolution: int) -> tuple[np.ndarray, np.ndarray]:
        """Axis samples (xs (resolution,), ys (resolution,)) covering the rectangle."""
        return (np.linspace(self.xmin, self.xmax, resolution), np.linspace(self.ymin, self.ymax, resolution))


class Evaluation(NamedTuple):
    """f, grad f and the Hessian at n points.

    Attributes:
        value: (n,) f(x, y).
        gradient: (n, 2) [df/dx, df/dy].
        hessian: (n, 2, 2) [[fxx, fxy], [fxy, fyy]] (symmetric).
    """

    value: np.ndarray
    gradient: np.ndarray
    hessian: np.ndarray


class _Compiled:
    """The compiled NumPy functions of a surface (shared by surfaces that differ in parameters)."""

    def __init__(self, full: Callable, value: Callable, terms: Sequence[sympy.Expr],
                 symbols: Sequence[sympy.Symbol]):
        self.full = full
        self.value = value
        self._terms = tuple(terms)
        self._symbols = tuple(symbols)
        self._term_function: Callable | None = None

    def term_function(self) -> Callable:
        """Compiled on first use: values and gradients of every term, [t_1..t_m, dt_1/dx.., dt_1/dy..]."""
        if self._term_function is None:
            outputs = list(self._terms)
            outputs += [_numeric_ready(sympy.diff(t, X)) for t in self._terms]
            outputs += [_numeric_ready(sympy.diff(t, Y)) for t in self._terms]
            self._term_function = lambdify(self._symbols, outputs, modules="numpy", cse=True)
        return self._term_function


@dataclass(frozen=True, eq=False)
class Surface:
    """An immutable landscape f(x, y) with exact derivatives and a compiled evaluator.

    Attributes:
        text: the formula as typed (or the preset's formula text).
        expression: the SymPy expression in the real symbols x, y and any parameters.
        domain: the default view rectangle.
        gradient: (df/dx, df/dy) as SymPy expressions.
        hessian: ((fxx, fxy), (fxy, fyy)) as SymPy expressions.
        terms: the summands of f (f = sum(terms)); a finite-sum loss draws mini-batches of them.
        parameters: values of the named parameters, as sorted (name, value) pairs.
        latex, gradient_latex, hessian_latex: LaTeX of f, grad f and H.
        name: the preset's name, or "" for a typed formula.
    """

    text: str
    expression: sympy.Expr
    domain: Domain
    gradient: tuple[sympy.Expr, sympy.Expr]
    hessian: tuple[tuple[sympy.Expr, sympy.Expr], tuple[sympy.Expr, sympy.Expr]]
    terms: tuple[sympy.Expr, ...]
    parameters: tuple[tuple[str, float], ...]
    latex: str
    gradient_latex: str
    hessian_latex: str
    name: str = ""
    _compiled: _Compiled = field(default=None, repr=False)  # type: ignore[assignment]

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.parameters)

    @property
    def parameter_values(self) -> dict[str, float]:
        return dict(self.parameters)

    @property
    def is_finite_sum(self) -> bool:
        """True when f has more than one term whose gradient is not identically zero."""
        return sum(1 for t in self.terms if t.has(X) or t.has(Y)) > 1

    def with_parameters(self, values: Mapping[str, float]) -> Surface:
        """The same surface with new parameter values (no recompilation)."""
        current = dict(self.parameters)
        for name, value in values.items():
            if name not in current:
                raise FormulaError(f"the formula has no parameter '{name}'")
            if not math.isfinite(float(value)):
                raise FormulaError(f"the parameter '{name}' must be a finite number")
            current[name] = float(value)
        return replace(self, parameters=tuple(sorted(current.items())))

    def with_domain(self, domain: Domain) -> Surface:
        return replace(self, domain=domain)

    def _arguments(self, points: np.ndarray) -> tuple[np.ndarray, list, int]:
        p = np.asarray(points, dtype=float)
        if p.ndim == 1:
            p = p.reshape(1, 2)
        if p.ndim != 2 or p.shape[1] != 2:
            raise ValueError(f"points must have shape (n, 2), not {p.shape}")
        return p, [p[:, 0], p[:, 1], *(value for _, value in self.parameters)], p.shape[0]

    def evaluate(self, points: np.ndarray) -> Evaluation:
        """f, grad f and H at points (n, 2); NaN wherever f or a derivative is undefined."""
        _, arguments, n = self._arguments(points)
        with np.errstate(all="ignore"):
            outputs = self._compiled.full(*arguments)
        value = np.empty(n)
        gradient = np.empty((n, 2))
        hessian = np.empty((n, 2, 2))
        value[:] = _real(outputs[0])
        gradient[:, 0] = _real(outputs[1])
        gradient[:, 1] = _real(outputs[2])
        hessian[:, 0, 0] = _real(outputs[3])
        hessian[:, 0, 1] = _real(outputs[4])
        hessian[:, 1, 0] = hessian[:, 0, 1]
        hessian[:, 1, 1] = _real(outputs[5])
        return Evaluation(value, gradient, hessian)

    def value(self, points: np.ndarray) -> np.ndarray:
        """f at points (n, 2) -> (n,), NaN where undefined."""
        _, arguments, n = self._arguments(points)
        with np.errstate(all="ignore"):
            out = self._compiled.value(*arguments)
        result = np.empty(n)
        result[:] = _real(out)
        return result

    def value_grid(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """f on the grid xs (nx,) by ys (ny,) -> (nx, ny), element [i, j] = f(xs[i], ys[j])."""
        gx, gy = np.meshgrid(np.asarray(xs, float), np.asarray(ys, float), indexing="ij")
        return self.value(np.column_stack([gx.ravel(), gy.ravel()])).reshape(gx.shape)

    def term_evaluation(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every term's value and gradient at points (n, 2).

        Returns:
            values (m, n) and gradients (m, n, 2) for the m terms; sum over axis 0 gives f, grad f.
        """
        _, arguments, n = self._arguments(points)
        m = len(self.terms)
        with np.errstate(all="ignore"):
            outputs = self._compiled.term_function()(*arguments)
        values = np.empty((m, n))
        gradients = np.empty((m, n, 2))
        for i in range(m):
            values[i] = _real(outputs[i])
            gradients[i, :, 0] = _real(outputs[m + i])
            gradients[i, :, 1] = _real(outputs[2 * m + i])
        return values, gradients


def _real(array: object) -> np.ndarray | float:
    """Discard any complex result: a value with an imaginary part is undefined here (NaN)."""
    if np.iscomplexobj(array):
        a = np.asarray(array)
        return np.where(np.abs(a.imag) > 0, np.nan, a.real)
    return array  # type: ignore[return-value]


def _numeric_ready(expression: sympy.Expr) -> sympy.Expr:
    """Drop Dirac deltas (zero almost everywhere) that derivatives of abs/sign/max produce."""
    if expression.has(sympy.DiracDelta):
        expression = expression.replace(lambda e: isinstance(e, sympy.DiracDelta), lambda e: sympy.Integer(0))
    return expression


def _node_count(expression: sympy.Expr, limit: int) -> int:
    """Number of nodes in the expression tree, stopping early once past ``limit``."""
    count = 0
    for _ in sympy.preorder_traversal(expression):
        count += 1
        if count > limit:
            break
    return count


class _Deadline:
    def __init__(self, seconds: float, text: str):
        self.end = time.monotonic() + seconds
        self.seconds = seconds
        self.text = text

    def check(self, stage: str) -> None:
        if time.monotonic() > self.end:
            raise FormulaError(f"the formula is too complex: {stage} took longer than {self.seconds:g} s", column=1)


def build_surface(text: str, *, parameters: Mapping[str, float] | bool | None = None,
                  domain: Domain | None = None, name: str = "",
                  time_limit: float = DEFAULT_TIME_LIMIT) -> Surface:
    """Parse typed text safely and build its Surface.

    Args:
        text: the formula, as a person types it.
        parameters: None/False to reject unknown names; True to accept any as a parameter
            (value 1.0 unless given); or a mapping name -> value of the accepted parameters.
        domain: the default view; a square of half-width 3 around the origin if None.
        name: a preset's name, if any.
        time_limit: seconds of SymPy work before the build is refused.

    Raises:
        FormulaError: the formula is unsafe, invalid, too large, or too slow to differentiate.
    """
    if parameters is None or parameters is False:
        accepted: bool | Mapping[str, float] = False
    else:
        accepted = parameters
    parsed = parse_formula(text, parameters=True if accepted is True else accepted)
    values = {p: 1.0 for p in parsed.parameters}
    if isinstance(accepted, Mapping):
        values.update({k: float(v) for k, v in accepted.items() if k in values})
    return surface_from_expression(parsed.expression, text=text, parameters=values, domain=domain,
                                   name=name, time_limit=time_limit)


def surface_from_expression(expression: sympy.Expr, *, text: str | None = None,
                            parameters: Mapping[str, float] | None = None, domain: Domain | None = None,
                            name: str = "", terms: Sequence[sympy.Expr] | None = None,
                            time_limit: float = DEFAULT_TIME_LIMIT) -> Surface:
    """Build a Surface from a SymPy expression in the real symbols ``X``, ``Y`` (and parameters).

    Args:
        terms: the summands of a finite-sum loss; by default the top-level terms of the sum.
    """
    deadline = _Deadline(time_limit, text or "")
    values = dict(parameters or {})
    symbols = [X, Y, *(parameter_symbol(n) for n in sorted(values))]
    gradient = tuple(_numeric_ready(sympy.diff(expression, v)) for v in (X, Y))
    if sum(_node_count(g, MAX_GRADIENT_NODES) for g in gradient) > MAX_GRADIENT_NODES:
        raise FormulaError("the formula is too complex: its gradient is too large to work with", column=1)
    deadline.check("the gradient")
    fxx = _numeric_ready(sympy.diff(gradient[0], X))
    fxy = _numeric_ready(sympy.diff(gradient[0], Y))
    fyy = _numeric_ready(sympy.diff(gradient[1], Y))
    if sum(_node_count(h, MAX_HESSIAN_NODES) for h in (fxx, fxy, fyy)) > MAX_HESSIAN_NODES:
        raise FormulaError("the formula is too complex: its Hessian is too large to work with", column=1)
    deadline.check("the Hessian")
    outputs = [expression, gradient[0], gradient[1], fxx, fxy, fyy]
    full = lambdify(symbols, outputs, modules="numpy", cse=True)
    value = lambdify(symbols, expression, modules="numpy", cse=True)
    deadline.check("compiling")
    term_list = tuple(terms) if terms is not None else tuple(sympy.Add.make_args(expression))
    latex = sympy.latex(expression)
    gradient_latex = r"\begin{pmatrix}" + sympy.latex(gradient[0]) + r"\\" + sympy.latex(gradient[1]) + r"\end{pmatrix}"
    hessian_latex = (r"\begin{pmatrix}" + sympy.latex(fxx) + "&" + sympy.latex(fxy) + r"\\"
                     + sympy.latex(fxy) + "&" + sympy.latex(fyy) + r"\end{pmatrix}")
    deadline.check("typesetting")
    return Surface(
        text=text if text is not None else str(expression),
        expression=expression,
        domain=domain or Domain.square(DEFAULT_DOMAIN_HALF_WIDTH),
        gradient=(gradient[0], gradient[1]),
        hessian=((fxx, fxy), (fxy, fyy)),
        terms=term_list,
        parameters=tuple(sorted((k, float(v)) for k, v in values.items())),
        latex=latex,
        gradient_latex=gradient_latex,
        hessian_latex=hessian_latex,
        name=name,
        _compiled=_Compiled(full, value, term_list, symbols),
    )
