"""The closed-form eigen-decomposition of symmetric 2 x 2 matrices (physics.eigen) against LAPACK and
against eigenvalues worked out to 50 digits."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from physics.eigen import (
    apply_spectral,
    eigen_and_top,
    symmetric_eigen,
    symmetric_eigenvalues,
    symmetric_eigenvectors,
    top_direction,
)


def random_symmetric(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, 2, 2)) * 10.0 ** rng.uniform(-3, 3, (n, 1, 1))
    h = a + a.transpose(0, 2, 1)
    h[:10] = np.eye(2) * rng.standard_normal((10, 1, 1))  # multiples of I
    h[10:20, 0, 1] = h[10:20, 1, 0] = 0.0  # diagonal
    h[20:30, 0, 0] = h[20:30, 1, 1]  # equal diagonal, off-diagonal only
    return h


def exact_eigenvalues(h: np.ndarray) -> np.ndarray:
    """The eigenvalues (n, 2) of the float matrices h, computed with 50 digits and rounded once."""
    mpmath.mp.dps = 50
    result = []
    for (a, b), (_, c) in h:
        a, b, c = mpmath.mpf(float(a)), mpmath.mpf(float(b)), mpmath.mpf(float(c))
        mean, radius = (a + c) / 2, mpmath.sqrt(((a - c) / 2) ** 2 + b * b)
        result.append([float(mean - radius), float(mean + radius)])
    return np.array(result)


def test_closed_form_eigenvalues_match_numpy_eigh() -> None:
    h = random_symmetric(2000, 0)
    expected = np.linalg.eigvalsh(h)
    scale = np.abs(expected).max(axis=1, keepdims=True)
    assert (np.abs(symmetric_eigenvalues(h) - expected) <= 1e-14 * scale + 1e-300).all()
    values, top = np.empty((2000, 2)), np.empty((2000, 2))
    eigen_and_top(h, values, top)
    assert np.array_equal(values, symmetric_eigenvalues(h))
    assert np.array_equal(values, symmetric_eigen(h).values)
    # the top direction is an eigenvector of lambda_max: H t = lambda_max t
    residual = np.einsum("nij,nj->ni", h, top) - values[:, 1:] * top
    scale = (np.abs(values).max(axis=1) * np.abs(top).max(axis=1))[:, None]
    assert (np.abs(residual) <= 1e-12 * scale + 1e-300).all()


def test_the_small_eigenvalue_keeps_its_relative_accuracy() -> None:
    # Nearly diagonal matrices whose eigenvalues differ by 4 to 12 orders of magnitude, of both signs.
    rng = np.random.default_rng(5)
    n = 300
    big = rng.choice([-1.0, 1.0], n) * 10.0 ** rng.uniform(-2, 2, n)
    small = rng.choice([-1.0, 1.0], n) * np.abs(big) * 10.0 ** rng.uniform(-12, -4, n)
    angle = 10.0 ** rng.uniform(-12, -6, n)
    cos, sin = np.cos(angle), np.sin(angle)
    h = np.empty((n, 2, 2))
    h[:, 0, 0] = cos * cos * small + sin * sin * big
    h[:, 1, 1] = sin * sin * small + cos * cos * big
    h[:, 0, 1] = h[:, 1, 0] = cos * sin * (big - small)
    h[::2] = h[::2, ::-1, ::-1]  # the small eigenvalue first or second on the diagonal
    expected = exact_eigenvalues(h)
    values = symmetric_eigenvalues(h)
    relative = np.abs(values - expected) / np.abs(expected)
    assert relative.max() < 1e-13
    # The textbook m -+ d loses those digits: the test would catch a return to it.
    mean = 0.5 * (h[:, 0, 0] + h[:, 1, 1])
    spread = np.hypot(0.5 * (h[:, 0, 0] - h[:, 1, 1]), h[:, 0, 1])
    textbook = np.sort(np.stack([mean - spread, mean + spread], axis=1), axis=1)
    assert (np.abs(textbook - expected) / np.abs(expected)).max() > 1e-6


def test_the_zero_matrix_and_multiples_of_the_identity() -> None:
    h = np.array([np.zeros((2, 2)), 3.0 * np.eye(2), -2.5 * np.eye(2)])
    np.testing.assert_array_equal(symmetric_eigenvalues(h), [[0.0, 0.0], [3.0, 3.0], [-2.5, -2.5]])
    np.testing.assert_array_equal(symmetric_eigenvectors(h), np.broadcast_to([[0.0, 1.0], [1.0, 0.0]], (3, 2, 2)))


def test_eigenvectors_are_orthonormal_and_satisfy_h_v_equals_lambda_v() -> None:
    h = random_symmetric(2000, 1)
    values = symmetric_eigenvalues(h)
    vectors = symmetric_eigenvectors(h)
    gram = np.einsum("nki,nkj->nij", vectors, vectors)
    assert np.allclose(gram, np.eye(2), atol=1e-12)
    residual = np.einsum("nij,njk->nik", h, vectors) - vectors * values[:, None, :]
    scale = np.abs(values).max(axis=1)[:, None, None]
    assert (np.abs(residual) <= 1e-12 * scale + 1e-300).all()


def test_top_direction_is_zero_only_for_multiples_of_identity() -> None:
    h = random_symmetric(100, 2)
    length = np.hypot(*top_direction(h).T)
    assert (length[:10] == 0).all()
    assert (length[10:] > 0).all()


def test_closed_form_eigen_matches_lapack() -> None:
    rng = np.random.default_rng(7)
    a = rng.normal(size=(2000, 2, 2)) * rng.lognormal(0.0, 3.0, size=(2000, 1, 1))
    hessians = a + a.transpose(0, 2, 1)
    special = np.array([np.zeros((2, 2)), 3 * np.eye(2), np.diag([1.0, 2.0]), np.diag([2.0, 1.0]),
                        np.diag([-1.0, 1.0]), [[0.0, 1.0], [1.0, 0.0]], [[1.0, -0.0], [-0.0, 2.0]],
                        [[1.0, 1.0], [1.0, 1.0 + 1e-9]], [[-4.0, 1e-9], [1e-9, -4.0]]])
    hessians = np.concatenate([hessians, special])
    eigen = symmetric_eigen(hessians)
    values, _ = np.linalg.eigh(hessians)
    scale = np.abs(values).max(axis=1, keepdims=True) + 1e-300
    np.testing.assert_array_less(np.abs(eigen.values - values) / scale, 1e-13)
    assert (eigen.values[:, 0] <= eigen.values[:, 1]).all()
    vectors = eigen.vectors
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-15)
    residual = np.einsum("nij,njk->nik", hessians, vectors) - vectors * eigen.values[:, None, :]
    np.testing.assert_array_less(np.abs(residual) / scale[:, :, None], 1e-13)
    # The small eigenvalue of a nearly singular matrix keeps its relative accuracy.
    assert eigen.values[-2, 0] == pytest.approx(5e-10, rel=1e-6)


def test_closed_form_eigen_lets_nan_through() -> None:
    eigen = symmetric_eigen(np.array([[[np.nan, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 2.0]]]))
    assert np.isnan(eigen.values[0]).all() and np.isnan(eigen.vectors[0]).all()
    np.testing.assert_array_equal(eigen.values[1], [1.0, 2.0])


def test_apply_spectral_builds_v_diag_vt() -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(size=(50, 2, 2))
    hessians = a + a.transpose(0, 2, 1) + 3 * np.eye(2)
    vectors = rng.normal(size=(50, 2))
    eigen = symmetric_eigen(hessians)
    solved = apply_spectral(eigen, 1.0 / eigen.values, vectors)
    np.testing.assert_allclose(solved, np.linalg.solve(hessians, vectors[:, :, None])[:, :, 0], rtol=1e-9,
                               atol=1e-12)
