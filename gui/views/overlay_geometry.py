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

import math
from typing import NamedTuple

import numpy as np

from gui.views.off_map import segment_parameters

DECADES = 4.0


def log_length_fraction(sizes: np.ndarray, reference: float | np.ndarray) -> np.ndarray:
    """clip(1 + log10(size / reference) / DECADES, 0, 1) for sizes of any shape (0 for 0, NaN and inf).

    ``reference`` is one number, or one per size (an array of the sizes' shape); a reference that
    is not a positive number gives 0.
    """
    sizes = np.asarray(sizes, dtype=float)
    if np.ndim(reference) == 0:
        if not 0.0 < reference < math.inf:
            return np.zeros(sizes.shape)
        log_reference = math.log10(reference)
        usable = (sizes > 0.0) & (sizes < math.inf)
    else:
        reference = np.asarray(reference, dtype=float)
        usable = (sizes > 0.0) & (sizes < math.inf) & (reference > 0.0) & (reference < math.inf)
        log_reference = np.zeros(reference.shape)
        np.log10(reference, out=log_reference, where=usable)
    # Logarithms only of sizes that have one (``where``: no warnings to silence, which an errstate
    # block would cost more than the arithmetic: this runs every frame for a few balls).
    logs = np.zeros(sizes.shape)
    np.log10(sizes, out=logs, where=usable)
    fraction = 1.0 + (logs - log_reference) / DECADES
    fraction[~usable] = 0.0
    return np.minimum(np.maximum(fraction, 0.0), 1.0)


def scaled_vectors(vectors: np.ndarray, reference: float | np.ndarray, full: float) -> np.ndarray:
    """Vectors (n, 2) rescaled to ``full * log_length_fraction(|v|, reference)``, directions kept
    (``reference``: one number, or one per vector)."""
    norms = np.hypot(vectors[:, 0], vectors[:, 1])
    factor = np.zeros(norms.shape)
    np.divide(full * log_length_fraction(norms, reference), norms, out=factor, where=norms > 0)
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
    return _segments(positions, eigenvalues, eigenvectors, full * log_length_fraction(np.abs(eigenvalues), reference))


def _segments(positions: np.ndarray, eigenvalues: np.ndarray, eigenvectors: np.ndarray,
              half_lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """eigen_segments with the half-lengths (n, 2) already known."""
    halves = (np.transpose(eigenvectors, (0, 2, 1)) * half_lengths[:, :, None]).reshape(-1, 2)   # (n * k, xy)
    centres = np.repeat(positions, 2, axis=0)
    positive = eigenvalues.reshape(-1) >= 0
    negative = eigenvalues.reshape(-1) < 0
    return (centres[positive] - halves[positive], centres[positive] + halves[positive],
            centres[negative] - halves[negative], centres[negative] + halves[negative])


class OverlayArrows(NamedTuple):
    """The map's arrows at its balls, as ends (m, 4) [tail x, tail y, tip x, tip y], only those with
    finite ends: the descent direction and the velocity from each ball, and the eigen segments through
    it of positive and of negative curvature."""

    descent: np.ndarray
    velocity: np.ndarray
    curving_up: np.ndarray
    curving_down: np.ndarray


def overlay_arrows(positions: np.ndarray, gradients: np.ndarray, velocities: np.ndarray, eigenvalues: np.ndarray,
                   eigenvectors: np.ndarray, gradient_reference: float, velocity_reference: float,
                   curvature_reference: float, full: float, eigen_full: float) -> OverlayArrows:
    """Every arrow of the map at once: what ``scaled_vectors`` gives for the descent direction -grad f
    and for the velocity (each against its reference, up to ``full``) and what ``eigen_segments``
    gives for the curvature (up to ``eigen_full``); arrows with a non-finite end are left out.

    The map draws them for each of its balls (at most physics.balls.MAX_BALLS, not a swarm's
    particles) every frame: for so few, the same formulas in plain floats cost a fraction of the
    few dozen array operations (tests/gui/test_views_scale.py holds them to the array functions).
    """
    log_g, log_v, log_c = (math.log10(r) if 0.0 < r < math.inf else None
                           for r in (gradient_reference, velocity_reference, curvature_reference))
    finite = math.isfinite
    descent, velocity, up, down = [], [], [], []
    for (x, y), (gx, gy), (vx, vy), lambdas, ((a, b), (c, d)) in zip(
            positions.tolist(), gradients.tolist(), velocities.tolist(), eigenvalues.tolist(),
            eigenvectors.tolist(), strict=True):
        if not (finite(x) and finite(y)):
            continue    # a ball off the map has no arrows
        norm = math.hypot(gx, gy)
        if finite(norm):
            k = full * _fraction(norm, log_g) / norm if norm > 0.0 else 0.0
            descent.append((x, y, x - gx * k, y - gy * k))
        norm = math.hypot(vx, vy)
        if finite(norm):
            k = full * _fraction(norm, log_v) / norm if norm > 0.0 else 0.0
            velocity.append((x, y, x + vx * k, y + vy * k))
        for value, ex, ey in ((lambdas[0], a, c), (lambdas[1], b, d)):      # column k: (v[0][k], v[1][k])
            half = eigen_full * _fraction(abs(value), log_c)
            hx, hy = ex * half, ey * half
            if not (finite(hx) and finite(hy)):
                continue
            if value >= 0.0:
                up.append((x - hx, y - hy, x + hx, y + hy))
            elif value < 0.0:
                down.append((x - hx, y - hy, x + hx, y + hy))
    return OverlayArrows(*(np.array(ends, dtype=float).reshape(-1, 4) for ends in (descent, velocity, up, down)))


def step_arrows(positions: np.ndarray, steps: np.ndarray, lo: tuple[float, float],
                hi: tuple[float, float]) -> np.ndarray:
    """The last step of each ball as arrow ends (m, 4): from where it came (``position - step``) to
    the ball, for balls with finite ends. A step that brought the ball back into the box [lo, hi]
    is drawn from where it came in, not from far outside (plain floats: a few balls, every frame)."""
    (x_lo, y_lo), (x_hi, y_hi) = lo, hi
    finite = math.isfinite
    ends = []
    for (x, y), (sx, sy) in zip(positions.tolist(), steps.tolist(), strict=True):
        tx, ty = x - sx, y - sy
        if not (finite(tx) and finite(ty) and finite(x) and finite(y)):
            continue
        if not (x_lo <= tx <= x_hi and y_lo <= ty <= y_hi):
            start, end = np.array([[tx, ty]]), np.array([[x, y]])
            t_in, _t_out = segment_parameters(start, end, np.array(lo), np.array(hi))
            tx, ty = (start[0] + t_in[0] * (end[0] - start[0])).tolist()
        ends.append((tx, ty, x, y))
    return np.array(ends, dtype=float).reshape(-1, 4)


def _fraction(size: float, log_reference: float | None) -> float:
    """log_length_fraction of one size, the reference given as its log10 (None: no reference)."""
    if log_reference is None or not 0.0 < size < math.inf:
        return 0.0
    fraction = 1.0 + (math.log10(size) - log_reference) / DECADES
    return 0.0 if fraction < 0.0 else 1.0 if fraction > 1.0 else fraction
