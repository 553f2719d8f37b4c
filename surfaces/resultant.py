"""Candidate critical points of a polynomial surface by exact elimination (a resultant).

For a polynomial f(x, y) the critical points solve P = df/dx = 0 and Q = df/dy = 0. The
resultant R(x) = Res_y(P, Q), the determinant of the Sylvester matrix of P and Q as polynomials
in y, vanishes at the x-coordinate of every common zero. Its real roots, with y found by
back-substitution, are therefore candidates for *every* isolated critical point, including those
that multi-start Newton could miss. The candidates are only seeds: the caller polishes and
checks each one on the compiled surface.

Bounded work, by construction rather than by hope: no SymPy solver or ``resultant`` runs here.

1. f is converted to an exact polynomial (a dict of monomial -> Fraction) by a walk over its
   expression tree that gives up as soon as the total degree exceeds :data:`MAX_DEGREE` or a
   node is not polynomial (sin, exp, a negative power of x, ...);
2. R is found by evaluation and interpolation: the Sylvester determinant is computed exactly
   (integer Bareiss elimination) at deg(R) + 1 integer abscissae, and R's coefficients follow by
   exact Newton interpolation; deg(R) <= deg(P) * deg(Q) (Bezout), so the work is bounded by
   the degree cap;
3. the real roots of R come from :func:`numpy.roots` and the y's from the roots of P(r, y) and
   Q(r, y).

Every stage checks a deadline and returns None when it passes or when the route does not apply
(not a polynomial, degree too high, or P and Q sharing a factor, i.e. a curve of critical points).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from fractions import Fraction

import numpy as np
import sympy

from surfaces.parsing import X, Y

#: Highest total degree of f for which the exact route runs (gradient degree 7, deg R <= 49).
MAX_DEGREE = 8

#: Polynomial in x and y: {(power of x, power of y): coefficient}.
Polynomial = dict[tuple[int, int], Fraction]


class _NotApplicable(Exception):
    """The exact route does not apply (not polynomial, too big, or out of time)."""


def polynomial_candidates(expression: sympy.Expr, parameters: Mapping[sympy.Symbol, float],
                          bounds: tuple[float, float, float, float], deadline: float) -> np.ndarray | None:
    """Candidate critical points of a polynomial f inside (a margin around) a rectangle.

    Args:
        expression: f in the symbols ``X``, ``Y`` and the parameter symbols.
        parameters: value of each parameter symbol.
        bounds: (xmin, xmax, ymin, ymax) of the search rectangle.
        deadline: :func:`time.monotonic` time after which the route gives up.

    Returns:
        (k, 2) candidate points (possibly k = 0: no finite critical point), or None when the route
        does not apply or ran out of time.
    """
    try:
        f = _to_polynomial(expression, parameters, deadline)
        p = _primitive(_derivative(f, 0))
        q = _primitive(_derivative(f, 1))
        if not p or not q:
            return None  # f does not depend on x (or y): critical points form lines
        resultant = _resultant_in_x(p, q, deadline)
        return _back_substitute(resultant, p, q, bounds, deadline)
    except (_NotApplicable, RecursionError, OverflowError, ZeroDivisionError):
        return None


def _check(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise _NotApplicable


def _degree(poly: Polynomial) -> int:
    return max((i + j for i, j in poly), default=0)


def _add(a: Polynomial, b: Polynomial) -> Polynomial:
    result = dict(a)
    for key, value in b.items():
        total = result.get(key, 0) + value
        if total:
            result[key] = total
        else:
            result.pop(key, None)
    return result


def _multiply(a: Polynomial, b: Polynomial) -> Polynomial:
    if _degree(a) + _degree(b) > MAX_DEGREE:
        raise _NotApplicable
    result: Polynomial = {}
    for (i1, j1), c1 in a.items():
        for (i2, j2), c2 in b.items():
            key = (i1 + i2, j1 + j2)
            result[key] = result.get(key, 0) + c1 * c2
    return {k: v for k, v in result.items() if v}


def _constant(value: Fraction) -> Polynomial:
    return {(0, 0): value} if value else {}


def _to_polynomial(expression: sympy.Expr, parameters: Mapping[sympy.Symbol, float], deadline: float) -> Polynomial:
    """Exact polynomial of an expression, or _NotApplicable past the degree cap or for non-polynomials."""
    _check(deadline)
    if expression == X:
        return {(1, 0): Fraction(1)}
    if expression == Y:
        return {(0, 1): Fraction(1)}
    variables = expression.free_symbols & {X, Y}
    if not variables:
        return _constant(_number(expression, parameters))
    if isinstance(expression, sympy.Add):
        result: Polynomial = {}
        for term in expression.args:
            result = _add(result, _to_polynomial(term, parameters, deadline))
        return result
    if isinstance(expression, sympy.Mul):
        result = {(0, 0): Fraction(1)}
        for factor in expression.args:
            result = _multiply(result, _to_polynomial(factor, parameters, deadline))
        return result
    if isinstance(expression, sympy.Pow):
        exponent = expression.exp
        if not (exponent.is_Integer and 0 <= int(exponent) <= MAX_DEGREE):
            raise _NotApplicable
        base = _to_polynomial(expression.base, parameters, deadline)
        result = {(0, 0): Fraction(1)}
        for _ in range(int(exponent)):
            result = _multiply(result, base)
        return result
    raise _NotApplicable


def _number(expression: sympy.Expr, parameters: Mapping[sympy.Symbol, float]) -> Fraction:
    """An x- and y-free subexpression as a Fraction (exact for rationals, else its float value)."""
    if expression.is_Rational:
        return Fraction(int(expression.p), int(expression.q))
    if expression.free_symbols:
        expression = expression.xreplace({s: sympy.Float(v) for s, v in parameters.items()})
    try:
        value = complex(expression)
    except (TypeError, ValueError):
        raise _NotApplicable from None
    if value.imag != 0 or not math.isfinite(value.real):
        raise _NotApplicable
    return Fraction(value.real)


def _derivative(poly: Polynomial, axis: int) -> Polynomial:
    result: Polynomial = {}
    for (i, j), c in poly.items():
        power = (i, j)[axis]
        if power:
            key = (i - 1, j) if axis == 0 else (i, j - 1)
            result[key] = c * power
    return result


def _primitive(poly: Polynomial) -> dict[tuple[int, int], int]:
    """The polynomial scaled to coprime integer coefficients (the same zeros)."""
    if not poly:
        return {}
    denominator = math.lcm(*(c.denominator for c in poly.values()))
    integers = {k: int(c * denominator) for k, c in poly.items()}
    content = math.gcd(*integers.values())
    return {k: v // content for k, v in integers.items()}


def _in_y(poly: dict[tuple[int, int], int], x: int | float) -> list:
    """Coefficients of poly(x, y) as a polynomial in y, highest power first."""
    degree = max(j for _, j in poly)
    coefficients: list = [0] * (degree + 1)
    for (i, j), c in poly.items():
        coefficients[degree - j] += c * x**i
    return coefficients


def _determinant(matrix: list[list[int]]) -> int:
    """Exact determinant of an integer matrix (fraction-free Bareiss elimination)."""
    m = [row[:] for row in matrix]
    size = len(m)
    if size == 0:
        return 1
    sign, previous = 1, 1
    for k in range(size - 1):
        if m[k][k] == 0:
            swap = next((i for i in range(k + 1, size) if m[i][k] != 0), None)
            if swap is None:
                return 0
            m[k], m[swap] = m[swap], m[k]
            sign = -sign
        pivot = m[k][k]
        for i in range(k + 1, size):
            row, factor = m[i], m[i][k]
            pivot_row = m[k]
            for j in range(k + 1, size):
                row[j] = (row[j] * pivot - factor * pivot_row[j]) // previous
        previous = pivot
    return sign * m[size - 1][size - 1]


def _sylvester_determinant(p: list[int], q: list[int]) -> int:
    """Res(p, q) for coefficient lists (highest first) of formal degrees len - 1."""
    m, n = len(p) - 1, len(q) - 1
    size = m + n
    matrix = [[0] * size for _ in range(size)]
    for r in range(n):
        matrix[r][r:r + m + 1] = p
    for r in range(m):
        matrix[n + r][r:r + n + 1] = q
    return _determinant(matrix)


def _resultant_in_x(p: dict[tuple[int, int], int], q: dict[tuple[int, int], int], deadline: float) -> list[Fraction]:
    """Coefficients (highest first) of Res_y(p, q) as a polynomial in x, by exact interpolation."""
    degree_y_p = max(j for _, j in p)
    degree_y_q = max(j for _, j in q)
    if degree_y_p == 0 and degree_y_q == 0:
        raise _NotApplicable  # neither depends on y: lines of critical points, or none
    degree_x_p = max(i for i, _ in p)
    degree_x_q = max(i for i, _ in q)
    bound = min(_degree(p) * _degree(q), degree_y_q * degree_x_p + degree_y_p * degree_x_q)
    nodes = [k - bound // 2 for k in range(bound + 1)]
    values = []
    for x in nodes:
        _check(deadline)
        values.append(_sylvester_determinant(_in_y(p, x), _in_y(q, x)))
    coefficients = _interpolate(nodes, values, deadline)
    if not any(coefficients):
        raise _NotApplicable  # P and Q share a factor: a curve of critical points
    return coefficients


def _interpolate(nodes: list[int], values: list[int], deadline: float) -> list[Fraction]:
    """Exact coefficients (highest first) of the polynomial through (nodes, values)."""
    # Newton's divided differences, then expansion of the nested form into monomials.
    table = [Fraction(v) for v in values]
    count = len(nodes)
    for level in range(1, count):
        _check(deadline)
        for i in range(count - 1, level - 1, -1):
            table[i] = (table[i] - table[i - 1]) / (nodes[i] - nodes[i - level])
    coefficients = [Fraction(0)] * count  # lowest power first while building
    coefficients[0] = table[-1]
    for k in range(count - 2, -1, -1):
        # multiply by (x - nodes[k]) and add table[k]
        shifted = [Fraction(0)] + coefficients[:-1]
        coefficients = [s - nodes[k] * c for s, c in zip(shifted, coefficients, strict=True)]
        coefficients[0] += table[k]
    return coefficients[::-1]


def _as_floats(coefficients: list) -> np.ndarray:
    """Exact coefficients as floats scaled by the largest (avoids overflow), leading zeros removed."""
    largest = max(abs(Fraction(c)) for c in coefficients)
    if largest == 0:
        return np.zeros(0)
    scaled = np.array([float(Fraction(c) / largest) for c in coefficients])
    nonzero = np.flatnonzero(scaled)
    return scaled[nonzero[0]:] if nonzero.size else np.zeros(0)


def _real_roots(coefficients: np.ndarray, low: float, high: float, tolerance: float) -> np.ndarray:
    """Real parts of the roots within [low, high] whose imaginary part is at most ``tolerance``.

    The tolerance is generous on purpose: a multiple root (the monkey saddle's x = 0 has
    multiplicity 4) comes back from the companion matrix as a cluster of complex roots of radius
    ~ eps^(1/multiplicity); the caller's polish settles the candidate.
    """
    if coefficients.size < 2:
        return np.zeros(0)
    roots = np.roots(coefficients)
    roots = roots[np.isfinite(roots)]
    keep = (np.abs(roots.imag) <= tolerance) & (roots.real >= low) & (roots.real <= high)
    return np.unique(roots.real[keep])


def _back_substitute(resultant: list[Fraction], p: dict[tuple[int, int], int], q: dict[tuple[int, int], int],
                     bounds: tuple[float, float, float, float], deadline: float) -> np.ndarray:
    xmin, xmax, ymin, ymax = bounds
    width, height = xmax - xmin, ymax - ymin
    xs = _real_roots(_as_floats(resultant), xmin - 0.05 * width, xmax + 0.05 * width, 1e-3 * width)
    candidates: list[tuple[float, float]] = []
    for x in xs:
        _check(deadline)
        for poly in (p, q):
            in_y = np.array(_in_y({k: float(v) for k, v in poly.items()}, float(x)), dtype=float)
            largest = np.max(np.abs(in_y)) if in_y.size else 0.0
            if largest == 0:
                continue  # this derivative vanishes for every y at this x; the other one decides
            in_y = in_y / largest
            nonzero = np.flatnonzero(np.abs(in_y) > 1e-12)
            ys = _real_roots(in_y[nonzero[0]:], ymin - 0.05 * height, ymax + 0.05 * height, 1e-3 * height)
            candidates.extend((float(x), float(y)) for y in ys)
    return np.array(candidates, dtype=float).reshape(-1, 2)
