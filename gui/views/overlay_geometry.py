"""Where the contour map's overlay arrows go: their lengths and ends, in plain NumPy.

Every quantity drawn at a ball has its own units (a gradient, a curvature), so its arrow's
length follows one rule that reads the same on every surface: the surface's largest value
(``reference``, the 99th percentile over the drawn grid) gets the full length, and each factor
of ten below it a quarter less,

    length = full * clip(1 + log10(size / reference) / DECADES, 0, 1),   DECADES = 4,

so the crawl on a plateau (1e-4 of the steepest slope) is a stub, a flat direction has no
segment, and a wall does not draw across the map.
"""

from __future__ import annotations

import numpy as np

DECADES = 4.0


def log_length_fraction(sizes: np.ndarray, reference: float) -> np.ndarray:
    """clip(1 + log10(size / reference) / DECADES, 0, 1) for sizes of any shape (0 for 0 and NaN)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = 1.0 + np.log10(np.asarray(sizes, dtype=float) / reference) / DECADES
    # (np.where, not np.nan_to_num: that one looks up float limits on every call, 0.2 ms.)
    return np.clip(np.where(np.isfinite(fraction), fraction, 0.0), 0.0, 1.0)


def scaled_vectors(vectors: np.ndarray, reference: float, full: float) -> np.ndarray:
    """Vectors (n, 2) rescaled to ``full * log_length_fraction(|v|, reference)``, directions kept."""
    norms = np.hypot(vectors[:, 0], vectors[:, 1])
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(norms > 0, full * log_length_fraction(norms, reference) / norms, 0.0)
    return vectors * factor[:, None]


def eigen_segments(positions: np.ndarray, eigenvalues: np.ndarray, eigenvectors: np.ndarray,
                   reference: float, full: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Segments through each ball along the Hessian's eigenvectors, by the sign of the curvature.

    Args:
        positions: (n, 2) the balls.
        eigenvalues: (n, 2) ascending; eigenvectors: (n, 2, 2) with column k for eigenvalue k.
        reference, full: the length rule (half-length ``full * log_length_fraction(|lambda|, reference)``).

    Returns:
        (tails, tips) of the segments with lambda >= 0, then (tails, tips) of those with lambda < 0,
        each (m, 2).
    """
    halves = np.transpose(eigenvectors, (0, 2, 1)) * (full * log_length_fraction(np.abs(eigenvalues), reference))[
        :, :, None]                                     # (n, eigen k, xy)
    centres = np.repeat(positions, 2, axis=0)
    halves = halves.reshape(-1, 2)
    positive = eigenvalues.reshape(-1) >= 0
    negative = eigenvalues.reshape(-1) < 0
    return (centres[positive] - halves[positive], centres[positive] + halves[positive],
            centres[negative] - halves[negative], centres[negative] + halves[negative])
