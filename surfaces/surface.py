"""The Surface: an immutable landscape f(x, y) with exact derivatives and one compiled evaluator.

A :class:`Surface` holds the SymPy expression, its gradient and Hessian expressions, LaTeX for
all three, a default view :class:`Domain`, the terms of a finite sum, and ONE vectorised
function (``lambdify`` with common-subexpression elimination) that returns f, grad f and the
Hessian for an ``(n, 2)`` array of points in one call. Constants and terms free of a variable
broadcast to shape (n,); wherever f or a derivative is undefined or overflows the result is NaN
(never inf, a complex number, a warning or an exception).

Build one with :func:`build_surface` (from typed text; safe, bounded in size and time) or
:func:`surface_from_expression` (from an expression the program built itself, e.g. a preset).
Both refuse, with a :class:`~surfaces.errors.FormulaError`, a formula whose derivatives would be
too large (:mod:`surfaces.derivatives`) or whose SymPy work outlasts a hard time limit
(:mod:`surfaces.deadline`): a hostile formula gives an error, not a frozen process.
"""

from __future__ import annotations

import math
import numbers
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np
import sympy

from surfaces.chunks import chunk_points, chunk_slices, sliced
from surfaces.deadline import time_limit as hard_time_limit
from surfaces.derivatives import (
    Gradient,
    Hessian,
    compile_outputs,
    compile_with_first,
    derivative,
    gradient_and_hessian,
    node_count,
    numeric_ready,
)
from surfaces.errors import DownhillError, FormulaError
from surfaces.floating_point import UNDERFLOW, flags_by_point, not_finite_words
from surfaces.parsing import X, Y, parameter_symbol, parse_formula
from surfaces.point_kernel import PointKernel, compile_point_kernel

#: A gradient or Hessian entry larger than this (nodes) is shown in LaTeX by its symbol, such as
#: \partial^2 f / \partial x^2: printed out it would be thousands of characters no one can read.
MAX_LATEX_NODES = 1_500
DEFAULT_TIME_LIMIT = 5.0  # seconds of SymPy work per build
#: Batches of at least this many points use the per-point kernel once it is prepared.
POINT_KERNEL_POINTS = 1024
DEFAULT_DOMAIN_HALF_WIDTH = 3.0
#: The largest |coordinate| of a domain.
MAX_DOMAIN_COORDINATE = 1e6
#: A domain's width and height are at least this, times max(1, its largest |coordinate|): a
#: narrower one leaves the grids, the plots' axes and the regime's scales (all measured on the
#: domain) too few distinct numbers to work with.
MIN_DOMAIN_SIZE = 1e-6


@dataclass(frozen=True)
class Domain:
    """A rectangle [xmin, xmax] x [ymin, ymax] in surface coordinates.

    The four bounds are stored as floats; any real numbers (int, float, NumPy scalars) are
    accepted. A bad rectangle raises :class:`~surfaces.errors.DownhillError`.
    """

    xmin: float
    xmax: float
    ymin: float
    ymax: float

    def __post_init__(self) -> None:
        values = (self.xmin, self.xmax, self.ymin, self.ymax)
        if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v) for v in values):
            raise DownhillError("the domain needs four finite numbers XMIN,XMAX,YMIN,YMAX")
        for name, value in zip(("xmin", "xmax", "ymin", "ymax"), values, strict=True):
            object.__setattr__(self, name, float(value))
        if not (self.xmin < self.xmax and self.ymin < self.ymax):
            raise DownhillError("the domain needs XMIN < XMAX and YMIN < YMAX")
        largest = max(abs(v) for v in values)
        if largest > MAX_DOMAIN_COORDINATE:
            raise DownhillError(f"the domain is limited to coordinates within ±{MAX_DOMAIN_COORDINATE:g}")
        narrowest = MIN_DOMAIN_SIZE * max(1.0, largest)
        if self.xmax - self.xmin < narrowest or self.ymax - self.ymin < narrowest:
            raise DownhillError(f"the domain is too narrow: its width and height must be at least {narrowest:g}")

    @classmethod
    def square(cls, half_width: float, centre: tuple[float, float] = (0.0, 0.0)) -> Domain:
        cx, cy = centre
        return cls(cx - half_width, cx + half_width, cy - half_width, cy + half_width)

    @classmethod
    def parse(cls, text: str) -> Domain:
        """Parse ``"XMIN,XMAX,YMIN,YMAX"`` (as typed on the command line).

        Raises:
            DownhillError: not four finite numbers, or not XMIN < XMAX and YMIN < YMAX.
        """
        parts = [p.strip() for p in str(text).split(",")]
        if len(parts) != 4:
            raise DownhillError(f"the domain '{text}' needs four numbers XMIN,XMAX,YMIN,YMAX separated by commas")
        try:
            values = [float(p) for p in parts]
        except ValueError:
            raise DownhillError(f"the domain '{text}' needs four numbers XMIN,XMAX,YMIN,YMAX") from None
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

    :meth:`Surface.evaluate` stores the gradient and the Hessian column by column (Fortran order:
    ``gradient[:, 0]`` is one contiguous block): the evaluator computes each component separately,
    and the per-component arithmetic that follows (norms, eigenvalues) reads it without striding.
    """

    value: np.ndarray
    gradient: np.ndarray
    hessian: np.ndarray


class _Compiled:
    """The compiled NumPy functions of a surface (shared by surfaces that differ in parameters)."""

    def __init__(self, full: Callable, value: Callable, terms: Sequence[sympy.Expr],
                 symbols: Sequence[sympy.Symbol], outputs: Sequence[sympy.Expr] = ()):
        self.full = full
        self.value = value
        self._terms = tuple(terms)
        self._symbols = tuple(symbols)
        self._outputs = tuple(outputs)
        self._term_function: Callable | None = None
        self.point_kernel: PointKernel | None = None  # once prepared (see prepare_point_kernel)
        self._kernel_tried = False
        self._kernel_lock = threading.Lock()

    def prepare_point_kernel(self) -> bool:
        """Compile the per-point evaluator once (surfaces.point_kernel); True when it is in use."""
        with self._kernel_lock:
            if not self._kernel_tried and len(self._outputs) == 6:
                self.point_kernel = compile_point_kernel(self._symbols, self._outputs)
            self._kernel_tried = True
        return self.point_kernel is not None

    def term_function(self) -> Callable:
        """Compiled on first use: values and gradients of every term, [t_1..t_m, dt_1/dx.., dt_1/dy..].

        The terms' derivatives are, summed, the gradient already built within the limits, so this
        costs about what compiling the gradient did.
        """
        if self._term_function is None:
            outputs = list(self._terms)
            outputs += [derivative(t, X) for t in self._terms]
            outputs += [derivative(t, Y) for t in self._terms]
            self._term_function = compile_outputs(self._symbols, [numeric_ready(o) for o in outputs])
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
        latex, gradient_latex, hessian_latex: LaTeX of f, grad f and H (the last two as
            ``\\begin{pmatrix}...\\end{pmatrix}``; an entry too large to read, beyond
            :data:`MAX_LATEX_NODES`, is written as its symbol, such as ``\\frac{\\partial^{2} f}{\\partial x^{2}}``).
        name: the preset's name, or "" for a typed formula.

    Evaluation (:meth:`evaluate`, :meth:`value`, :meth:`term_evaluation`) is vectorised over
    points, never warns or raises for a point, and returns real float64 arrays that hold NaN
    wherever the formula or a derivative is undefined or overflows (log of a negative, 1/0,
    sqrt of a negative, exp(1000)); where f is NaN, so are its gradient and Hessian
    (:meth:`why_not_finite` tells which). Its memory is bounded: beyond the results (7 doubles a
    point for :meth:`evaluate`), the compiled evaluator's temporaries take at most
    :data:`surfaces.chunks.EVALUATION_BUDGET` bytes (64 MiB) whatever the formula and the number
    of points, which are evaluated in chunks when needed (the same numbers as in one call).
    """

    text: str
    expression: sympy.Expr
    domain: Domain
    gradient: Gradient
    hessian: Hessian
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
        """The same surface with new parameter values (no recompilation; the original is unchanged).

        Raises:
            FormulaError: a name the formula does not have, or a value that is not a finite number.
        """
        current = dict(self.parameters)
        for name, value in values.items():
            if name not in current:
                known = ", ".join(current) or "none"
                raise FormulaError(f"the formula has no parameter '{name}' (its parameters: {known})")
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
                raise FormulaError(f"the parameter '{name}' must be a finite number, not {value!r}")
            current[name] = float(value)
        return replace(self, parameters=tuple(sorted(current.items())))

    def with_domain(self, domain: Domain) -> Surface:
        return replace(self, domain=domain)

    def _arguments(self, points: np.ndarray) -> tuple[list, int]:
        p = np.asarray(points, dtype=float)
        if p.ndim == 1 and p.shape == (2,):
            p = p.reshape(1, 2)
        if p.ndim != 2 or p.shape[1] != 2:
            raise ValueError(f"points must have shape (n, 2), not {p.shape}")
        # Parameters go in as NumPy scalars: arithmetic on them then follows NumPy's rules (1/0 is
        # inf, 3.0**700 is inf, (-1)**0.5 is nan) instead of Python's (ZeroDivisionError,
        # OverflowError, a complex number).
        return [p[:, 0], p[:, 1], *(np.float64(value) for _, value in self.parameters)], p.shape[0]

    def evaluate(self, points: np.ndarray) -> Evaluation:
        """f, grad f and H at points (n, 2): value (n,), gradient (n, 2), hessian (n, 2, 2).

        NaN wherever f or a derivative is undefined or not finite.
        """
        return self.evaluate_checked(points)[0]

    def evaluate_checked(self, points: np.ndarray) -> tuple[Evaluation, bool]:
        """:meth:`evaluate`, and True when every number of it is finite.

        The evaluator learns that anyway (it is how it knows that nothing needs marking NaN), so a
        caller that must stop particles at undefined points needs no pass of its own when all is
        well, which is almost always. False means: some number is NaN, or (rarely) a sum of huge
        finite numbers overflowed; look row by row.
        """
        arguments, n = self._arguments(points)
        kernel = self._compiled.point_kernel if n >= POINT_KERNEL_POINTS else None
        with np.errstate(all="ignore"):
            if kernel is not None:
                value, gradient, hessian = np.empty(n), np.empty((n, 2), order="F"), np.empty((n, 2, 2), order="F")
                finite = kernel(arguments[0], arguments[1], tuple(float(a) for a in arguments[2:]), value,
                                gradient[:, 0], gradient[:, 1], hessian[:, 0, 0], hessian[:, 0, 1], hessian[:, 1, 1])
                # (copied here: writing it from the kernel, a seventh array streamed out of one loop,
                # measured slower inside a swarm's step, though faster alone)
                hessian[:, 1, 0] = hessian[:, 0, 1]
            else:
                value, gradient, hessian, finite = self._evaluate_numpy(arguments, n)
            if not finite:
                for array in (value, gradient, hessian):
                    _undefined_to_nan(array)
                # Where f itself is undefined its derivatives are too (1/x is no slope for log(x) at x < 0).
                undefined = np.isnan(value)
                if undefined.any():
                    gradient[undefined] = np.nan
                    hessian[undefined] = np.nan
        return Evaluation(value, gradient, hessian), finite

    def _evaluate_numpy(self, arguments: list, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
        """f, grad f, H by the NumPy evaluator, and whether every number is finite (see evaluate_checked).

        In chunks of points when the evaluator's temporaries for all n would pass EVALUATION_BUDGET
        bytes (surfaces.chunks): the same numbers, in bounded memory.
        """
        size = _chunk(self._compiled.full)
        if n <= size:
            return self._evaluate_numpy_once(arguments, n)
        value, gradient, hessian = np.empty(n), np.empty((n, 2), order="F"), np.empty((n, 2, 2), order="F")
        finite = True
        for part in chunk_slices(n, size):
            v, g, h, ok = self._evaluate_numpy_once(sliced(arguments, part), part.stop - part.start)
            value[part], gradient[part], hessian[part] = v, g, h
            finite &= ok
        return value, gradient, hessian, finite

    def _evaluate_numpy_once(self, arguments: list, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
        """:meth:`_evaluate_numpy` in one call of the evaluator."""
        outputs = [_real(output) for output in self._compiled.full(*arguments)]
        value = outputs[0]
        if not (isinstance(value, np.ndarray) and value.shape == (n,) and value.dtype == np.float64
                and value.flags.owndata and value.flags.writeable):
            value = np.empty(n)  # (a fresh array of f is taken as it is: no copy)
            value[:] = outputs[0]
        gradient = np.empty((n, 2), order="F")
        hessian = np.empty((n, 2, 2), order="F")
        gradient[:, 0] = outputs[1]
        gradient[:, 1] = outputs[2]
        hessian[:, 0, 0] = outputs[3]
        hessian[:, 0, 1] = outputs[4]
        hessian[:, 1, 0] = outputs[4]
        hessian[:, 1, 1] = outputs[5]
        # One cheap test first: a sum of finite numbers is finite (or overflows, a false alarm that
        # only costs the full check). Sums of the compiled outputs, which are contiguous (or scalars).
        finite = all(math.isfinite(np.add.reduce(output, axis=None)) for output in outputs)
        return value, gradient, hessian, finite

    def prepare_point_kernel(self) -> bool:
        """Compile (once per formula, about half a second, holding the GIL) the per-point evaluator
        that :meth:`evaluate_checked` then uses for batches of POINT_KERNEL_POINTS points or more
        (surfaces.point_kernel); True when it is in use, False when the formula is too large or Numba
        cannot compile it (the NumPy evaluator then stays in charge)."""
        return self._compiled.prepare_point_kernel()

    def floating_point_flags(self, points: np.ndarray) -> np.ndarray:
        """The IEEE flags (n,) raised while computing f, grad f and H at each point (n, 2).

        Bits of :mod:`surfaces.floating_point` (DIVIDE, OVERFLOW, UNDERFLOW, INVALID); 0 where all
        went well. Point by point for the first MAX_POINTS_ONE_BY_ONE points (the rest share one
        joint verdict): meant for the few points that need explaining, not for a swarm.
        """
        arguments, n = self._arguments(points)
        return flags_by_point(self._compiled.full, arguments, n, _chunk(self._compiled.full))

    def underflows(self, points: np.ndarray) -> np.ndarray:
        """Boolean (n,): True where computing f, grad f and H at the point underflowed somewhere.

        A zero that comes out of an underflow (exp(-800) is 0 in floating point) is not a true
        zero of the mathematics; the critical-point search asks here to tell the two apart.
        """
        return (self.floating_point_flags(points) & UNDERFLOW) != 0

    def why_not_finite(self, point: Sequence[float], where: str = "here") -> str:
        """Why f or its derivatives are not finite at one point (x, y), in words (no full stop); "" if they are.

        Overflow ("f overflows the floating-point range (about 1.8e308) here": exp(800) is a
        number, only not a double) is told apart from a true singularity ("f is undefined here
        (a division by zero or the log of zero)").
        """
        points = np.asarray(point, dtype=float).reshape(1, 2)
        evaluation, finite = self.evaluate_checked(points)
        if finite:
            return ""
        flags = int(self.floating_point_flags(points)[0])
        return not_finite_words(flags, bool(np.isfinite(evaluation.value[0])), where)

    def value(self, points: np.ndarray) -> np.ndarray:
        """f at points (n, 2) -> (n,), NaN where undefined or not finite."""
        arguments, n = self._arguments(points)
        result = np.empty(n)
        with np.errstate(all="ignore"):
            for part in chunk_slices(n, _chunk(self._compiled.value)):
                result[part] = _real(self._compiled.value(*sliced(arguments, part)))
            _undefined_to_nan(result)
        return result

    def value_grid(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """f on the grid xs (nx,) by ys (ny,) -> (nx, ny), element [i, j] = f(xs[i], ys[j])."""
        gx, gy = np.meshgrid(np.asarray(xs, float), np.asarray(ys, float), indexing="ij")
        return self.value(np.column_stack([gx.ravel(), gy.ravel()])).reshape(gx.shape)

    def term_evaluation(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every term's value and gradient at points (n, 2).

        Returns:
            values (m, n) and gradients (m, n, 2) for the m terms; summed over axis 0 they give
            f and grad f (NaN where a term is undefined or not finite).
        """
        arguments, n = self._arguments(points)
        m = len(self.terms)
        function = self._compiled.term_function()
        values = np.empty((m, n))
        gradients = np.empty((m, n, 2))
        with np.errstate(all="ignore"):
            for part in chunk_slices(n, _chunk(function)):  # (bounded memory: surfaces.chunks)
                outputs = function(*sliced(arguments, part))
                for i in range(m):
                    values[i, part] = _real(outputs[i])
                    gradients[i, part, 0] = _real(outputs[m + i])
                    gradients[i, part, 1] = _real(outputs[2 * m + i])
            _undefined_to_nan(values)
            _undefined_to_nan(gradients)
            gradients[np.isnan(values)] = np.nan
        return values, gradients


def _chunk(function: Callable) -> int:
    """Points per call of a compiled evaluator within the memory budget (surfaces.chunks)."""
    return chunk_points(getattr(function, "temporaries", 1))


def _real(array: object) -> np.ndarray | float:
    """Discard any complex result: a value with an imaginary part is undefined here (NaN)."""
    if np.iscomplexobj(array):
        a = np.asarray(array)
        return np.where(a.imag != 0, np.nan, a.real)
    return array  # type: ignore[return-value]


def _undefined_to_nan(array: np.ndarray) -> None:
    """In place: ±inf (1/0, log(0), an overflow) becomes NaN, the one mark of 'undefined'."""
    np.copyto(array, np.nan, where=np.isinf(array))


def _latex_entry(expression: sympy.Expr, symbol: str) -> str:
    if node_count(expression, MAX_LATEX_NODES) > MAX_LATEX_NODES:
        return symbol
    return sympy.latex(expression)


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
        time_limit: seconds of SymPy work (derivatives, compiling, LaTeX) before the build is
            refused; a hard limit, enforced inside each stage.

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
        for key, value in accepted.items():
            if key in values:
                if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
                    raise FormulaError(f"the parameter '{key}' must be a finite number, not {value!r}")
                values[key] = float(value)
    return surface_from_expression(parsed.expression, text=text, parameters=values, domain=domain,
                                   name=name, time_limit=time_limit)


def surface_from_expression(expression: sympy.Expr, *, text: str | None = None,
                            parameters: Mapping[str, float] | None = None, domain: Domain | None = None,
                            name: str = "", terms: Sequence[sympy.Expr] | None = None,
                            time_limit: float = DEFAULT_TIME_LIMIT) -> Surface:
    """Build a Surface from a SymPy expression in the real symbols ``X``, ``Y`` (and parameters).

    The work is bounded: estimated and actual sizes of the gradient and the Hessian are checked
    before and after each differentiation (:func:`surfaces.derivatives.gradient_and_hessian`),
    and all SymPy work runs under a hard ``time_limit`` (seconds). The compiled evaluator is
    tried once at the domain's centre, so a constant that cannot be computed in floating point
    is refused here rather than failing at every evaluation.

    Args:
        terms: the summands of a finite-sum loss; by default the top-level terms of the sum.

    Raises:
        FormulaError: the formula is too large, too deeply nested or too slow to build.
    """
    values = dict(parameters or {})
    symbols = [X, Y, *(parameter_symbol(n) for n in sorted(values))]
    try:
        with hard_time_limit(time_limit, "building the surface"):
            gradient, hessian = gradient_and_hessian(expression)
            outputs = [expression, gradient[0], gradient[1], hessian[0][0], hessian[0][1], hessian[1][1]]
            # f computed alone by exactly the operations of the full evaluator: the same number.
            ready = [numeric_ready(o) for o in outputs]
            full, value = compile_with_first(symbols, ready)
            term_list = tuple(terms) if terms is not None else tuple(sympy.Add.make_args(expression))
            latex, gradient_latex, hessian_latex = _latex(expression, gradient, hessian)
    except RecursionError:
        raise FormulaError("the formula is nested too deeply to differentiate", column=1) from None
    surface = Surface(
        text=text if text is not None else str(expression),
        expression=expression,
        domain=domain or Domain.square(DEFAULT_DOMAIN_HALF_WIDTH),
        gradient=gradient,
        hessian=hessian,
        terms=term_list,
        parameters=tuple(sorted((k, float(v)) for k, v in values.items())),
        latex=latex,
        gradient_latex=gradient_latex,
        hessian_latex=hessian_latex,
        name=name,
        _compiled=_Compiled(full, value, term_list, symbols, ready),
    )
    _try_once(surface)
    return surface


def _latex(expression: sympy.Expr, gradient: Gradient, hessian: Hessian) -> tuple[str, str, str]:
    """LaTeX of f, grad f (a column pmatrix) and H (a 2 x 2 pmatrix)."""
    latex = sympy.latex(expression)
    gx = _latex_entry(gradient[0], r"\frac{\partial f}{\partial x}")
    gy = _latex_entry(gradient[1], r"\frac{\partial f}{\partial y}")
    fxx = _latex_entry(hessian[0][0], r"\frac{\partial^{2} f}{\partial x^{2}}")
    fxy = _latex_entry(hessian[0][1], r"\frac{\partial^{2} f}{\partial x \partial y}")
    fyy = _latex_entry(hessian[1][1], r"\frac{\partial^{2} f}{\partial y^{2}}")
    gradient_latex = r"\begin{pmatrix}" + gx + r"\\" + gy + r"\end{pmatrix}"
    hessian_latex = r"\begin{pmatrix}" + fxx + "&" + fxy + r"\\" + fxy + "&" + fyy + r"\end{pmatrix}"
    return latex, gradient_latex, hessian_latex


def _try_once(surface: Surface) -> None:
    """Evaluate once at the domain's centre; refuse a formula whose evaluator raises.

    Points and parameters reach the evaluator as NumPy values, so only constants computed in
    plain Python (such as pi**700 in a program-built expression, which overflows) can raise, and
    they raise at every point alike.
    """
    centre = np.array([[0.5 * (surface.domain.xmin + surface.domain.xmax),
                        0.5 * (surface.domain.ymin + surface.domain.ymax)]])
    try:
        surface.evaluate(centre)
        surface.value(centre)
    except (ArithmeticError, ValueError, TypeError) as error:
        raise FormulaError(f"the formula cannot be computed in floating point ({error}); "
                           "a constant in it is probably too large", column=1) from None
