r"""Eigen-decompositions of many symmetric 2 x 2 Hessians at once, in closed form, and spectral solves.

``numpy.linalg.eigh`` on an (n, 2, 2) stack calls LAPACK once per matrix (about 0.7 us each) and
turns a NaN into an arbitrary answer; the closed form below is many times faster on 100 000
particles and lets NaN through as NaN.

For H = [[a, b], [b, c]], with m = (a + c) / 2, h = (a - c) / 2 and r = sqrt(h^2 + b^2):

    the eigenvalues are m - r and m + r; the one smaller in magnitude is recomputed as
    det(H) / (the other), det(H) = a c - b^2, free of cancellation (as LAPACK's dlaev2 does);
    the eigenvector of m + r is parallel to both (h + r, b) and (b, r - h) (each fails only in one
    corner: h = -r or h = r with b = 0); their sum, with the second flipped to point the same way,
    (h + r + |b|, b + sign(b) (r - h)), is never shorter than r, so it is normalised safely;
    the eigenvector of m - r is that one turned by a right angle.

A function ``phi`` of the eigenvalues gives the matrix V diag(phi(lambda)) V^T; Newton-type steps
apply such a matrix to the gradient (``apply_spectral``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Eigen(NamedTuple):
    """Eigen-decompositions of n symmetric 2 x 2 matrices.

    Attributes:
        values: (n, 2) eigenvalues, ascending (lambda_min, lambda_max).
        vectors: (n, 2, 2) unit eigenvectors as columns: vectors[:, :, k] belongs to values[:, k].
    """

    values: np.ndarray
    vectors: np.ndarray


def symmetric_eigen(hessian: np.ndarray) -> Eigen:
    """Eigenvalues (ascending) and eigenvectors of symmetric matrices (n, 2, 2); NaN in, NaN out.

    Only the upper triangle (a = H[0, 0], b = H[0, 1], c = H[1, 1]) is read. Branch-free: NumPy's
    conditional selections cost several times an arithmetic pass, so none is used.
    """
    h = np.asarray(hessian, dtype=np.float64)
    a, b, c = h[:, 0, 0], h[:, 0, 1], h[:, 1, 1]
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        mean = 0.5 * (a + c)
        half_difference = 0.5 * (a - c)
        radius = np.sqrt(half_difference * half_difference + b * b)
        big = mean + np.copysign(radius, mean)
        # det / big, with big = 0 only for the zero matrix (where det = 0 too, and the answer 0).
        small = (a * c - b * b) / (big + (big == 0.0))
        sign_b = np.copysign(1.0, b)
        x = half_difference + radius + np.abs(b)
        y = b + sign_b * (radius - half_difference)
        length = np.sqrt(x * x + y * y)
        isotropic = length == 0.0  # a multiple of the identity: any basis will do
        x = (x + isotropic) / (length + isotropic)
        y = y / (length + isotropic)
    values = np.empty((h.shape[0], 2))
    np.minimum(big, small, out=values[:, 0])
    np.maximum(big, small, out=values[:, 1])
    vectors = np.empty((h.shape[0], 2, 2))
    vectors[:, 0, 0] = -y
    vectors[:, 1, 0] = x
    vectors[:, 0, 1] = x
    vectors[:, 1, 1] = y
    return Eigen(values, vectors)


def apply_spectral(eigen: Eigen, weights: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """V diag(weights) V^T v for each particle: weights (n, 2) per eigenvalue, v (n, 2) -> (n, 2)."""
    v = eigen.vectors
    along_min = (v[:, 0, 0] * vector[:, 0] + v[:, 1, 0] * vector[:, 1]) * weights[:, 0]
    along_max = (v[:, 0, 1] * vector[:, 0] + v[:, 1, 1] * vector[:, 1]) * weights[:, 1]
    result = np.empty_like(vector, dtype=np.float64)
    result[:, 0] = v[:, 0, 0] * along_min + v[:, 0, 1] * along_max
    result[:, 1] = v[:, 1, 0] * along_min + v[:, 1, 1] * along_max
    return result
