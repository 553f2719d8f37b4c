r"""Eigen-decomposition of many symmetric 2 x 2 matrices in closed form (faster than numpy.linalg.eigh).

For H = [[a, b], [b, c]], with m = (a + c) / 2, h = (a - c) / 2 and d = sqrt(h^2 + b^2):

    lambda_min = m - d,   lambda_max = m + d.

An (unnormalised) eigenvector of lambda_max is (h + d, b) when h >= 0 and (b, d - h) when h < 0:
each choice avoids the cancellation the other suffers, and both vanish only when H = m I (every
direction is then an eigenvector). The eigenvector of lambda_min is the max one turned by +90°.
"""

from __future__ import annotations

import numpy as np


def hessian_parts(hessian: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three independent entries (a, b, c) of symmetric matrices (n, 2, 2), as (n,) views."""
    return hessian[:, 0, 0], hessian[:, 0, 1], hessian[:, 1, 1]


def symmetric_eigenvalues(hessian: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Eigenvalues (n, 2) in ascending order [lambda_min, lambda_max] of symmetric matrices (n, 2, 2)."""
    a, b, c = hessian_parts(hessian)
    n = hessian.shape[0]
    result = np.empty((n, 2)) if out is None else out
    half_gap = np.subtract(a, c)
    half_gap *= 0.5
    spread = np.multiply(half_gap, half_gap)
    spread += b * b
    np.sqrt(spread, out=spread)
    mean = np.add(a, c)
    mean *= 0.5
    np.subtract(mean, spread, out=result[:, 0])
    np.add(mean, spread, out=result[:, 1])
    return result


def eigen_and_top(hessian: np.ndarray, values: np.ndarray, top: np.ndarray) -> None:
    """Eigenvalues (into ``values`` (n, 2), ascending) and an unnormalised top eigenvector (into
    ``top`` (n, 2)) of symmetric matrices (n, 2, 2), sharing the work.

    The eigenvector is :func:`top_direction`'s, written without a masked select (which costs more
    than the rest when the signs of a - c are mixed): with q = d + |h| >= 0 it is (q, b) where
    h >= 0 and (b, q) where h < 0, blended arithmetically. The blend may round the last bit of a
    component; it is a direction, compared by sign and used for distances only.
    """
    a, b, c = hessian_parts(hessian)
    half_gap = np.subtract(a, c)
    half_gap *= 0.5
    spread = np.multiply(half_gap, half_gap)
    square = np.multiply(b, b)
    spread += square
    np.sqrt(spread, out=spread)
    mean = np.add(a, c, out=square)
    mean *= 0.5
    np.subtract(mean, spread, out=values[:, 0])
    np.add(mean, spread, out=values[:, 1])
    upper = np.greater_equal(half_gap, 0.0).astype(np.float64)
    np.abs(half_gap, out=half_gap)
    long_side = np.add(spread, half_gap, out=spread)  # q = d + |h|
    difference = np.subtract(long_side, b, out=half_gap)  # q - b
    difference *= upper
    np.add(b, difference, out=top[:, 0])  # q where h >= 0, else b
    np.subtract(long_side, difference, out=top[:, 1])  # b where h >= 0, else q


def top_direction(hessian: np.ndarray) -> np.ndarray:
    """An unnormalised eigenvector (n, 2) of lambda_max; the zero vector where H is a multiple of I."""
    top = np.empty((hessian.shape[0], 2))
    eigen_and_top(hessian, np.empty((hessian.shape[0], 2)), top)
    return top


def symmetric_eigenvectors(hessian: np.ndarray) -> np.ndarray:
    """Unit eigenvectors (n, 2, 2) as columns: [:, :, 0] for lambda_min, [:, :, 1] for lambda_max.

    Where H is a multiple of the identity the columns are the coordinate axes.
    """
    top = top_direction(hessian)
    length = np.sqrt(top[:, 0] * top[:, 0] + top[:, 1] * top[:, 1])
    degenerate = ~(length > 0.0)
    length[degenerate] = 1.0
    top /= length[:, None]
    top[degenerate] = (1.0, 0.0)
    vectors = np.empty((hessian.shape[0], 2, 2))
    vectors[:, 0, 1] = top[:, 0]
    vectors[:, 1, 1] = top[:, 1]
    vectors[:, 0, 0] = -top[:, 1]
    vectors[:, 1, 0] = top[:, 0]
    return vectors
