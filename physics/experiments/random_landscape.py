"""Critical points of a random Gaussian landscape in n dimensions: their loss and their index.

The landscape (random Fourier features, Rahimi and Recht, NIPS 2007): with K features,

    f(x) = sqrt(2/K) * sum_k a_k cos(w_k . x + b_k),   a_k ~ N(0, 1), w_k ~ N(0, I_n / l^2), b_k ~ U(0, 2 pi),

a Gaussian field of mean 0, variance 1 (exactly, over the draw of a) whose covariance tends to
exp(-|x - y|^2 / (2 l^2)) as K grows: the isotropic smooth random field of Bray and Dean (A. J. Bray
and D. S. Dean, "Statistics of critical points of Gaussian fields on large-dimensional spaces",
Phys. Rev. Lett. 98, 150201, 2007). Its gradient is -sqrt(2/K) sum_k a_k sin(.) w_k and its Hessian
-sqrt(2/K) sum_k a_k cos(.) w_k w_k^T (exact, no finite differences).

The solver (:func:`find_critical_points`): Newton's method on grad f = 0 from S uniform starts in
the box [-box, box]^n, all starts at once (batched eigen-decompositions, no loop over starts).
Newton's step -H^-1 g goes to the nearest critical point of any index (it does not descend), which
is what a census of critical points needs (and why Dauphin et al. 2014 note that Newton is attracted
to saddles). Each step uses H's eigen-decomposition with |lambda| floored at ``FLOOR`` and is
capped at ``MAX_STEP`` * l. A start counts when |grad f| < ``TOLERANCE`` after the last
iteration; a point found twice (closer than ``SAME`` * l to one found before) is kept once.
The index of a critical point is the fraction of its Hessian's eigenvalues below zero.

The theory line (:func:`bray_dean_index`): for this covariance, Cov(f, H_ij) = -delta_ij, and given
f = e (the gradient is independent of f and H at a point) H = -e I + W with W a GOE matrix of
off-diagonal variance 1 and diagonal variance 3 - 1 = 2. The index is the share of W's eigenvalues
below e; for large n they fill Wigner's semicircle of radius 2 sqrt(n), so the index at loss e is
the semicircle's share below e / (2 sqrt n): F(t) = 1/2 + (t sqrt(1 - t^2) + arcsin t) / pi (Bray and
Dean's large-n result; the |det H| weight of the Kac-Rice count is lower order). Close to linear in
e: the index rises with the loss.

Bray and Dean's picture (and Dauphin et al., "Identifying and attacking the saddle point problem
in high-dimensional non-convex optimization", NIPS 2014, fig. 1): the index rises with the loss,
close to linearly, and minima (index 0) are found only near the bottom of the loss range.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: A start is a critical point when |grad f| falls below this (f has variance 1, l = 1).
TOLERANCE = 1e-9
#: The longest Newton step, in correlation lengths l (Newton's step is wild where H is near singular).
MAX_STEP = 0.5
#: |eigenvalue| floor in Newton's step (keeps H^-1 finite).
FLOOR = 1e-8
#: Two critical points closer than this (in l) are the same point.
SAME = 1e-5


@dataclass(frozen=True)
class RandomField:
    """f(x) = scale * sum_k a_k cos(w_k . x + b_k) (module docstring); x (S, n) -> values (S,).

    Attributes:
        weights: (K, n) the w_k (1 / length units); phases: (K,) b_k; amplitudes: (K,) a_k.
        scale: sqrt(2 / K).
    """

    weights: np.ndarray
    phases: np.ndarray
    amplitudes: np.ndarray
    scale: float

    @property
    def dim(self) -> int:
        return int(self.weights.shape[1])

    def value(self, x: np.ndarray) -> np.ndarray:
        return self.scale * np.cos(x @ self.weights.T + self.phases) @ self.amplitudes

    def gradient(self, x: np.ndarray) -> np.ndarray:
        """(S, n) grad f."""
        sines = np.sin(x @ self.weights.T + self.phases) * self.amplitudes
        return -self.scale * sines @ self.weights

    def hessian(self, x: np.ndarray) -> np.ndarray:
        """(S, n, n) the Hessian: -scale * sum_k a_k cos(.) w_k w_k^T."""
        return self.derivatives(x)[1]

    def derivatives(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(grad (S, n), Hessian (S, n, n)) from one evaluation of the phases."""
        phase = x @ self.weights.T + self.phases
        sines = np.sin(phase) * self.amplitudes
        cosines = np.cos(phase) * self.amplitudes
        outer = np.einsum("ki,kj->kij", self.weights, self.weights).reshape(len(self.phases), -1)
        n = self.dim
        return -self.scale * sines @ self.weights, (-self.scale * cosines @ outer).reshape(-1, n, n)


def random_field(dim: int, features: int, rng: np.random.Generator, length: float = 1.0) -> RandomField:
    """A random field in ``dim`` dimensions with ``features`` Fourier features, correlation length ``length``."""
    weights = rng.standard_normal((features, dim)) / length
    phases = rng.uniform(0.0, 2.0 * math.pi, features)
    amplitudes = rng.standard_normal(features)
    return RandomField(weights=weights, phases=phases, amplitudes=amplitudes, scale=math.sqrt(2.0 / features))


def bray_dean_index(losses: np.ndarray, dim: int) -> np.ndarray:
    """The large-n index at loss e (module docstring): the share of the semicircle of radius 2 sqrt(dim)
    below e, F(e / (2 sqrt dim)) with F(t) = 1/2 + (t sqrt(1 - t^2) + arcsin t) / pi (0 below -1, 1 above 1)."""
    t = np.clip(np.asarray(losses, dtype=float) / (2.0 * math.sqrt(dim)), -1.0, 1.0)
    return 0.5 + (t * np.sqrt(1.0 - t * t) + np.arcsin(t)) / math.pi


@dataclass(frozen=True)
class CriticalCensus:
    """The distinct critical points found.

    Attributes:
        points: (P, n) positions; losses: (P,) f there; indices: (P,) fraction of negative Hessian
            eigenvalues (0 = minimum, 1 = maximum); eigenvalues: (P, n) ascending;
            gradient_norms: (P,) |grad f| there (all < TOLERANCE).
        starts: S, the Newton runs; converged: how many ended on a critical point; duplicates:
            converged runs that found a point already counted.
    """

    points: np.ndarray
    losses: np.ndarray
    indices: np.ndarray
    eigenvalues: np.ndarray
    gradient_norms: np.ndarray
    starts: int
    converged: int
    duplicates: int

    @property
    def correlation(self) -> float:
        """Pearson's correlation of index and loss over the points (NaN with fewer than 3)."""
        if len(self.losses) < 3 or np.ptp(self.indices) == 0 or np.ptp(self.losses) == 0:
            return math.nan
        return float(np.corrcoef(self.losses, self.indices)[0, 1])


def find_critical_points(field: RandomField, starts: int, rng: np.random.Generator, box: float = 2.0,
                         iterations: int = 60, progress: Callable[[int, int], None] | None = None) -> CriticalCensus:
    """Newton's method on grad f = 0 from ``starts`` uniform starts in [-box, box]^n (module docstring).

    ``progress(iteration, iterations)`` after each batched Newton step (it may raise to cancel).
    """
    x = rng.uniform(-box, box, (starts, field.dim))
    active = np.arange(starts)  # the runs still moving (a settled run costs nothing more)
    for iteration in range(iterations):
        if active.size == 0:
            break
        g, hessian = field.derivatives(x[active])
        settled = np.linalg.norm(g, axis=1) < TOLERANCE * 1e-3
        active, g, hessian = active[~settled], g[~settled], hessian[~settled]
        values, vectors = np.linalg.eigh(hessian)
        safe = np.where(np.abs(values) < FLOOR, np.copysign(FLOOR, values), values)
        step = -np.einsum("sij,sj->si", vectors, np.einsum("sji,sj->si", vectors, g) / safe)
        length = np.linalg.norm(step, axis=1, keepdims=True)
        x[active] += step * np.minimum(1.0, MAX_STEP / np.maximum(length, 1e-300))
        if progress is not None:
            progress(iteration + 1, iterations)
    norms = np.linalg.norm(field.gradient(x), axis=1)
    good = np.isfinite(norms) & (norms < TOLERANCE)
    found = x[good]
    keep = _first_of_each(found, SAME)
    points = found[keep]
    eigenvalues = np.linalg.eigvalsh(field.hessian(points)) if len(points) else np.zeros((0, field.dim))
    return CriticalCensus(points=points, losses=field.value(points), indices=(eigenvalues < 0).mean(axis=1),
                          eigenvalues=eigenvalues, gradient_norms=norms[good][keep], starts=starts,
                          converged=int(good.sum()), duplicates=int(good.sum() - keep.sum()))


def _first_of_each(points: np.ndarray, tolerance: float) -> np.ndarray:
    """(P,) bool: True for each point with no earlier point within ``tolerance`` (blocks of rows)."""
    count = len(points)
    keep = np.ones(count, dtype=bool)
    squares = np.einsum("si,si->s", points, points)
    for start in range(0, count, 512):
        block = points[start:start + 512]
        distances = squares[start:start + 512, None] + squares[None, :] - 2.0 * block @ points.T
        close = distances < tolerance * tolerance
        rows = np.arange(start, start + len(block))
        close &= np.arange(count)[None, :] < rows[:, None]  # only earlier points
        keep[rows] = ~close.any(axis=1)
    return keep
