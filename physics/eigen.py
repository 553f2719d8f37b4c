r"""Eigen-decomposition of many symmetric 2 x 2 matrices in closed form, and spectral solves.

The one home of this mathematics: the simulation and the regime diagnosis read eigenvalues and the
top eigenvector of every particle's Hessian each step; the Newton family (physics.optimizers)
applies functions of the eigenvalues to the gradient. ``numpy.linalg.eigh`` on an (n, 2, 2) stack
calls LAPACK once per matrix (about 0.7 us each) and turns a NaN into an arbitrary answer; the
closed form below is many times faster on 100 000 particles and lets NaN through as NaN.

For H = [[a, b], [b, c]] (only a = H[0, 0], b = H[0, 1], c = H[1, 1] are read), with
m = (a + c) / 2, h = (a - c) / 2 and d = sqrt(h^2 + b^2):

    the eigenvalue larger in magnitude is   big = m + sign(m) d      (no cancellation);
    the other one is                        small = det(H) / big,    det(H) = a c - b^2,

as LAPACK's dlaev2 does. The textbook m - sign(m) d loses the small eigenvalue's relative accuracy
when |lambda_small| << |lambda_big| (diag(1e-10, 1) gives 1e-10 with six wrong digits that way);
det / big keeps it whenever det is itself accurate (a nearly diagonal H, or no cancellation in
a c - b^2). lambda_min = min(big, small), lambda_max = max(big, small). The zero matrix (big = 0)
gives 0 / 0, which the NaN-ignoring minimum and maximum turn into 0, 0; a NaN entry gives NaN.
Entries beyond 2^500 (about 3e150) are scaled by a power of two first, so that the squares do
not overflow: the eigenvalues are finite whenever they are representable.

An (unnormalised) eigenvector of lambda_max is (h + d, b) when h >= 0 and (b, d - h) when h < 0:
each choice avoids the cancellation the other suffers, both are at least d long, and they vanish
only when H = m I (every direction is then an eigenvector). The eigenvector of lambda_min is the
max one turned by +90 degrees.

A function ``phi`` of the eigenvalues gives the matrix V diag(phi(lambda)) V^T; Newton-type steps
apply such a matrix to the gradient (:func:`apply_spectral`).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from physics.compiled import inlined, kernel


class Eigen(NamedTuple):
    """Eigen-decompositions of n symmetric 2 x 2 matrices.

    Attributes:
        values: (n, 2) eigenvalues, ascending (lambda_min, lambda_max).
        vectors: (n, 2, 2) unit eigenvectors as columns: vectors[:, :, k] belongs to values[:, k].
    """

    values: np.ndarray
    vectors: np.ndarray


def hessian_parts(hessian: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three independent entries (a, b, c) of symmetric matrices (n, 2, 2), as (n,) views."""
    return hessian[:, 0, 0], hessian[:, 0, 1], hessian[:, 1, 1]


def eigen_and_top(hessian: np.ndarray, values: np.ndarray, top: np.ndarray | None = None) -> None:
    """Eigenvalues (into ``values`` (n, 2), ascending) and, if ``top`` (n, 2) is given, an
    unnormalised eigenvector of lambda_max into it, of symmetric matrices (n, 2, 2).

    The formulas are the module's, one pass over the particles (:func:`_eigen_kernel`).
    """
    hessian = np.asarray(hessian, dtype=np.float64)
    a, b, c = hessian_parts(hessian)
    if top is None:
        top = np.empty((0, 2))
    _eigen_kernel(a, b, c, values[:, 0], values[:, 1], top[:, 0], top[:, 1])


#: Entries beyond this (2^500, about 3e150) are scaled before squaring (see :func:`eigen_of`).
HUGE_ENTRY = 2.0**500


@kernel
def _eigen_kernel(a: np.ndarray, b: np.ndarray, c: np.ndarray, low: np.ndarray, high: np.ndarray,
                  top_x: np.ndarray, top_y: np.ndarray) -> None:
    """:func:`eigen_of` for each particle: eigenvalues into ``low``, ``high`` (n,) and, when
    ``top_x``, ``top_y`` are (n,) rather than empty, the top eigenvector."""
    with_top = top_x.shape[0] > 0
    finite = True
    for i in range(a.shape[0]):
        lo, hi, x, y = _eigen_of_moderate(a[i], b[i], c[i])
        low[i] = lo
        high[i] = hi
        finite &= (abs(lo) < np.inf) & (abs(hi) < np.inf)  # (no branch)
        if with_top:
            top_x[i] = x
            top_y[i] = y
    # Entries beyond HUGE_ENTRY overflow the squares above, which makes an eigenvalue infinite or
    # NaN: those particles are redone, scaled, in a pass of their own (the test and the scaling
    # inside the loop above stop the compiler vectorising it: five times slower at 100 000
    # particles); the loop above notes whether there are any, so that this pass, which reads two
    # more streams, runs only then.
    if finite:
        return
    for i in range(a.shape[0]):
        if not (abs(low[i]) < np.inf and abs(high[i]) < np.inf):
            low[i], high[i], x, y = eigen_of(a[i], b[i], c[i])
            if with_top:
                top_x[i] = x
                top_y[i] = y


@inlined
def length(x: float, y: float) -> float:
    """sqrt(x^2 + y^2), as that formula computes it (to the bit) unless the squares overflow, when
    math.hypot gives the finite length (a gradient of 1e300 has the norm 1.4e300, not inf)."""
    result = np.sqrt(x * x + y * y)
    if result == np.inf:
        result = math.hypot(x, y)
    return result


@inlined
def eigen_of(a: float, b: float, c: float) -> tuple[float, float, float, float]:
    """(lambda_min, lambda_max, top_x, top_y) of [[a, b], [b, c]] by the module's formulas (a
    compiled function for other kernels). NaN-ignoring minimum and maximum, as numpy.fmin and
    fmax: the zero matrix gives 0, 0; a NaN matrix gives NaN eigenvalues and a NaN eigenvector."""
    size = max(abs(a), abs(b), abs(c))
    scale = 1.0
    if HUGE_ENTRY < size < np.inf:
        # The squares below would overflow (1e12^25 x y has the finite eigenvalues +-1e300): work on
        # H / 2^k, which is exact, and scale the eigenvalues back. Never taken for ordinary entries,
        # whose results stay the same to the bit.
        scale = math.ldexp(1.0, math.frexp(size)[1])
        a, b, c = a / scale, b / scale, c / scale
    low, high, x, y = _eigen_of_moderate(a, b, c)
    return low * scale, high * scale, x, y


@inlined
def _eigen_of_moderate(a: float, b: float, c: float) -> tuple[float, float, float, float]:
    """:func:`eigen_of` for entries whose squares do not overflow."""
    h = 0.5 * (a - c)
    square = b * b
    d = np.sqrt(h * h + square)
    m = 0.5 * (a + c)
    big = m + np.copysign(d, m)
    small = (a * c - square) / big                # 0 / 0 = NaN for H = 0
    if small != small:
        low = high = big
    elif big != big:
        low = high = small
    else:
        low, high = min(big, small), max(big, small)
    q = d + abs(h)
    if h >= 0.0:
        return low, high, q, b
    if h < 0.0:
        return low, high, b, q
    return low, high, h, h                        # h is NaN


def symmetric_eigenvalues(hessian: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Eigenvalues (n, 2) in ascending order [lambda_min, lambda_max] of symmetric matrices (n, 2, 2)."""
    hessian = np.asarray(hessian, dtype=np.float64)
    values = np.empty((hessian.shape[0], 2), order="F") if out is None else out
    eigen_and_top(hessian, values)
    return values


def top_direction(hessian: np.ndarray) -> np.ndarray:
    """An unnormalised eigenvector (n, 2) of lambda_max; the zero vector where H is a multiple of I."""
    hessian = np.asarray(hessian, dtype=np.float64)
    top = np.empty((hessian.shape[0], 2), order="F")
    eigen_and_top(hessian, np.empty((hessian.shape[0], 2), order="F"), top)
    return top


def _unit_columns(top: np.ndarray) -> np.ndarray:
    """Unit eigenvectors (n, 2, 2) as columns from an unnormalised top eigenvector (n, 2).

    A zero top vector (H a multiple of I) gives the coordinate axes; a NaN one gives NaN columns.
    """
    vectors = np.empty((top.shape[0], 2, 2), order="F")
    _unit_columns_kernel(top[:, 0], top[:, 1], vectors[:, 0, 0], vectors[:, 1, 0], vectors[:, 0, 1], vectors[:, 1, 1])
    return vectors


@kernel
def _unit_columns_kernel(top_x: np.ndarray, top_y: np.ndarray, min_x: np.ndarray, min_y: np.ndarray,
                         max_x: np.ndarray, max_y: np.ndarray) -> None:
    """The unit top eigenvector (max_x, max_y) and the one of lambda_min, it turned by +90 degrees."""
    for i in range(top_x.shape[0]):
        x, y = top_x[i], top_y[i]
        length = np.sqrt(x * x + y * y)
        if length == 0.0:
            x, y, length = 1.0, 0.0, 1.0
        x /= length
        y /= length
        max_x[i], max_y[i] = x, y
        min_x[i], min_y[i] = -y, x


def symmetric_eigenvectors(hessian: np.ndarray) -> np.ndarray:
    """Unit eigenvectors (n, 2, 2) as columns: [:, :, 0] for lambda_min, [:, :, 1] for lambda_max.

    Where H is a multiple of the identity the columns are the coordinate axes; NaN in, NaN out.
    """
    return _unit_columns(top_direction(hessian))


def symmetric_eigen(hessian: np.ndarray) -> Eigen:
    """Eigenvalues (ascending) and unit eigenvectors of symmetric matrices (n, 2, 2); NaN in, NaN out."""
    hessian = np.asarray(hessian, dtype=np.float64)
    values = np.empty((hessian.shape[0], 2), order="F")
    top = np.empty((hessian.shape[0], 2), order="F")
    eigen_and_top(hessian, values, top)
    return Eigen(values, _unit_columns(top))


def apply_spectral(eigen: Eigen, weights: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """V diag(weights) V^T v for each particle: weights (n, 2) per eigenvalue, v (n, 2) -> (n, 2)."""
    v = eigen.vectors
    along_min = (v[:, 0, 0] * vector[:, 0] + v[:, 1, 0] * vector[:, 1]) * weights[:, 0]
    along_max = (v[:, 0, 1] * vector[:, 0] + v[:, 1, 1] * vector[:, 1]) * weights[:, 1]
    result = np.empty(vector.shape, order="F")
    result[:, 0] = v[:, 0, 0] * along_min + v[:, 0, 1] * along_max
    result[:, 1] = v[:, 1, 0] * along_min + v[:, 1, 1] * along_max
    return result


def preconditioned_top(hessian: np.ndarray, rate: np.ndarray, shift: float = 0.0) -> np.ndarray:
    """The largest eigenvalue (k,) of R^1/2 (H + shift I) R^1/2 (those of R (H + shift I): similar
    matrices), for Hessians (k, 2, 2) and per-coordinate rates R = diag(rate) (k, 2): the "lr x
    lambda_max" of a method whose rate differs per coordinate (dimensionless).

    With a = r_1 (h_11 + s), c = r_2 (h_22 + s), b = sqrt(r_1 r_2) h_12:
    lambda_max = (a + c) / 2 + hypot((a - c) / 2, b) (hypot: no overflow in the squares).
    """
    with np.errstate(all="ignore"):
        r1, r2 = rate[:, 0], rate[:, 1]
        a = r1 * (hessian[:, 0, 0] + shift)
        c = r2 * (hessian[:, 1, 1] + shift)
        b = np.sqrt(r1 * r2) * hessian[:, 0, 1]
        return 0.5 * (a + c) + np.hypot(0.5 * (a - c), b)
