"""Critical points of a surface in a rectangle: found, polished, deduplicated and classified.

A critical point is where grad f = 0. Its kind comes from the Hessian's eigenvalues
lambda_min <= lambda_max (:func:`classify`): a minimum (both > 0), a maximum (both < 0), a
saddle (one of each), or degenerate (one is about zero, so the second-order test cannot tell;
the monkey saddle's centre, where H = 0, and the flat bottom of x^4 + y^4 are degenerate).

The search (:func:`find_critical_points`), vectorised over all starts at once:

1. *Survey*: f, grad f and H on a 201 x 201 grid of the rectangle give the surface's scales and
   seeds. The typical gradient is the larger of the 90th percentile of |grad f| and the spread
   of f (1st to 99th percentile) over the diameter; the typical curvature is the median spectral
   radius of H. The seeds are every grid cell where both df/dx and df/dy change sign (a critical
   point may sit there), every grid point where |grad f| is a local minimum, and a regular
   40 x 40 grid of starts.
2. *Exact seeds*: when f is a polynomial of low degree, the real zeros of a resultant give
   seeds for every isolated critical point (:mod:`surfaces.resultant`), under a time limit.
3. *Solve*: Newton's method on grad f = 0 with the exact Hessian, safeguarded: a step is kept
   only if it lowers |grad f|; a failed Newton step falls back to Levenberg-Marquardt steps on
   |grad f|^2 (damping scaled to |H|^2); each 2 x 2 system is divided by its largest entry
   first, so that neither exp(exp(r^2)) (|H|^2 beyond 1e308) nor a far tail (|H|^2 below the
   smallest double) breaks it; steps are capped in length, NaN regions are refused,
   and starts that wander far outside the rectangle are dropped. Degenerate points, where Newton
   converges only linearly (the step ratio tends to 1 - 1/m for a zero of multiplicity m), are
   accelerated by Aitken extrapolation of successive parallel steps.
4. *Accept*: a point counts when |grad f| <= 1e-6 x the typical gradient, the Newton step left
   is below 1e-6 x the rectangle's diameter, it lies in the rectangle (to 1e-9 of its size) and
   it is not in a numerically flat region (the far plain of tanh(r^2), where the gradient has
   underflowed): there, on a circle of radius 1% of the diameter, |grad f| is negligible beside
   the typical gradient *and* the change of f it implies is lost in the rounding of f. (Either
   test alone fails: x^2 + y^2 + x^30 has a typical gradient of 1e14, beside which the honest
   slopes around its minimum are negligible.) Points closer than 1e-4 x the diameter are merged.
5. *Classify* (:func:`classify`): an eigenvalue is about zero when it is below 1e-6 x the
   curvature scale of the point, the smaller of the typical curvature and the largest spectral
   radius of H on that circle. The local scale matters on surfaces of huge range: on
   Goldstein-Price over [-10, 10]^2 the typical curvature is 9e8, and the minimum (0, -1), with
   eigenvalues 403 and 965, is no less a minimum for it.

A curve of critical points (the ring of minima of (x^2 + y^2 - 1)^2, the axes of x^2 y^2) is not
a set of isolated points: every start lands somewhere on it. Its samples are all degenerate (the
Hessian is singular along the curve), and degenerate points that fall on touching cells of a
grid of spacing 1.5% of the diameter are reported once, as one degenerate point on the curve.

Non-smooth points are not critical points in this sense: the global minimum of Ackley's
function is a cone tip where the gradient is undefined, and the search does not report it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from surfaces.parsing import parameter_symbol
from surfaces.resultant import polynomial_candidates
from surfaces.surface import Domain, Evaluation, Surface

#: The kinds of critical point, in the order the search reports them.
KINDS = ("minimum", "maximum", "saddle", "degenerate")

#: An eigenvalue is "about zero" when |lambda| <= DEGENERATE_RTOL x the surface's curvature scale.
DEGENERATE_RTOL = 1e-6

DEFAULT_TIME_LIMIT = 5.0   # seconds for the whole search
SURVEY_RESOLUTION = 201    # grid points per axis of the survey
START_RESOLUTION = 40      # regular starts per axis
MAX_SEEDS = 30_000         # beyond this the sign-change seeds are thinned
MAX_ITERATIONS = 100
GRADIENT_RTOL = 1e-6       # accept |grad f| <= this x the typical gradient
STEP_RTOL = 1e-6           # ... and a remaining Newton step <= this x the diameter
INSIDE_RTOL = 1e-9         # points this far (x the size) outside the rectangle still count
MERGE_RTOL = 1e-4          # points closer than this x the diameter are one point
CURVE_LINK_RTOL = 0.015    # degenerate points on touching cells of this size x the diameter: one curve
FLAT_RTOL = 1e-12          # |grad f| below this x the typical gradient all around: a flat region ...
ROUNDING_RTOL = 1e-13      # ... if also the change of f across the circle is below this x |f| (lost in rounding)
NEIGHBOURHOOD_RTOL = 0.01  # radius of the circle around a point (x the diameter) for the two tests above
EXACT_SHARE = 0.3          # share of the time limit the exact polynomial route may use
WANDER_MARGIN = 0.5        # a start this far outside the rectangle (x its size) is heading elsewhere: dropped


@dataclass(frozen=True)
class CriticalPoint:
    """A point where grad f = 0, with its value and kind.

    Attributes:
        x, y: the position.
        value: f(x, y).
        kind: "minimum", "maximum", "saddle" or "degenerate".
        eigenvalues: (lambda_min, lambda_max) of the Hessian there, ascending.
    """

    x: float
    y: float
    value: float
    kind: str
    eigenvalues: tuple[float, float]


def classify(eigenvalues: Sequence[float], scale: float, rtol: float = DEGENERATE_RTOL) -> str:
    """The kind of a critical point from its Hessian's eigenvalues.

    An eigenvalue is about zero when ``|lambda| <= rtol * scale``; then the point is
    "degenerate" (the second-order test cannot decide). Otherwise both positive is a "minimum",
    both negative a "maximum", mixed signs a "saddle".

    Args:
        eigenvalues: the Hessian's eigenvalues (any order).
        scale: the surface's typical curvature (> 0), e.g. the median spectral radius of H over
            the domain, as :func:`find_critical_points` uses.
        rtol: the relative tolerance for "about zero" (default :data:`DEGENERATE_RTOL`).

    Raises:
        ValueError: an eigenvalue or the scale is not finite, or the scale is not positive.
    """
    values = [float(v) for v in eigenvalues]
    if not all(math.isfinite(v) for v in values) or not math.isfinite(scale) or scale <= 0:
        raise ValueError("classify needs finite eigenvalues and a positive finite scale")
    threshold = rtol * scale
    if any(abs(v) <= threshold for v in values):
        return "degenerate"
    if all(v > 0 for v in values):
        return "minimum"
    if all(v < 0 for v in values):
        return "maximum"
    return "saddle"


@dataclass(frozen=True)
class _Scales:
    gradient: float   # typical |grad f| over the domain
    curvature: float  # typical spectral radius of H over the domain
    diameter: float


def find_critical_points(surface: Surface, domain: Domain | None = None,
                         time_limit: float = DEFAULT_TIME_LIMIT) -> list[CriticalPoint]:
    """Every isolated critical point of the surface in the rectangle, classified.

    Args:
        surface: the landscape (its parameter values are used).
        domain: the rectangle searched; the surface's default domain if None.
        time_limit: seconds the search may take; when they have passed the Newton iterations
            stop and the points already converged are returned (the exact polynomial route gets
            at most 30% of it). The survey before and the book-keeping after are not cut short:
            they are bounded by the grid and the number of starts (about 0.1 s).

    Returns:
        The critical points, sorted by kind (minimum, maximum, saddle, degenerate), then by
        value, x and y.
    """
    domain = domain or surface.domain
    deadline = time.monotonic() + time_limit
    # Overflow to inf in a norm or a product is expected on huge surfaces (exp(exp(x^2))) and
    # handled by the finiteness tests; it must not print warnings.
    with np.errstate(all="ignore"):
        survey = _survey(surface, domain)
        if survey is None:
            return []
        scales, seeds = survey
        exact = _exact_seeds(surface, domain, deadline, time_limit)
        if exact is not None and exact.size:
            seeds = np.concatenate([exact, seeds])
        points = _solve(surface, seeds, domain, scales, deadline)
        points = _accept(surface, points, domain, scales)
        points = _merge(surface, points, scales)
        return _describe(surface, points, scales)


def _survey(surface: Surface, domain: Domain) -> tuple[_Scales, np.ndarray] | None:
    """Scales of the surface and seeds for the search, from f, grad f, H on a grid."""
    resolution = SURVEY_RESOLUTION
    xs, ys = domain.grid(resolution)
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    evaluation = surface.evaluate(grid)
    gradient = evaluation.gradient
    norm = _norm(gradient)
    finite = np.isfinite(evaluation.value) & np.isfinite(norm)
    if not finite.any():
        return None
    values = evaluation.value[finite]
    low, high = np.percentile(values, [1, 99])
    slope = (high - low) / domain.diameter
    gradient_scale = max(float(np.percentile(norm[finite], 90)), float(slope))
    if not gradient_scale > 0:
        return None  # f is constant: every point is critical, none is isolated
    radius = _spectral_radius(evaluation.hessian[finite])
    radius = radius[np.isfinite(radius)]
    curvature = float(np.median(radius)) if radius.size else 0.0
    if not curvature > 0:
        curvature = float(radius.max()) if radius.size and radius.max() > 0 else 1.0
    scales = _Scales(gradient_scale, curvature, domain.diameter)

    fx = gradient[:, 0].reshape(resolution, resolution)
    fy = gradient[:, 1].reshape(resolution, resolution)
    magnitude = np.where(finite, norm, np.inf).reshape(resolution, resolution)
    seeds = [_sign_change_cells(fx, fy, gx, gy), _local_minima(magnitude, gx, gy), _regular_starts(domain)]
    return scales, np.concatenate(seeds)


def _norm(vectors: np.ndarray) -> np.ndarray:
    """Euclidean norms of vectors (n, 2) -> (n,), without the overflow of squaring (finite up to 1e308)."""
    return np.hypot(vectors[:, 0], vectors[:, 1])


def _spectral_radius(hessian: np.ndarray) -> np.ndarray:
    """max |eigenvalue| of symmetric 2x2 matrices (n, 2, 2) -> (n,)."""
    a, b, c = hessian[:, 0, 0], hessian[:, 0, 1], hessian[:, 1, 1]
    return np.abs((a + c) / 2) + np.hypot((a - c) / 2, b)


def _sign_change_cells(fx: np.ndarray, fy: np.ndarray, gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """Centres of the grid cells where both gradient components change sign (or touch zero)."""
    def changes(component: np.ndarray) -> np.ndarray:
        corners = np.stack([component[:-1, :-1], component[1:, :-1], component[:-1, 1:], component[1:, 1:]])
        with np.errstate(invalid="ignore"):
            return (corners.min(axis=0) <= 0) & (corners.max(axis=0) >= 0)

    cells = changes(fx) & changes(fy)
    centres_x = (gx[:-1, :-1] + gx[1:, 1:]) / 2
    centres_y = (gy[:-1, :-1] + gy[1:, 1:]) / 2
    seeds = np.column_stack([centres_x[cells], centres_y[cells]])
    if len(seeds) > MAX_SEEDS:
        seeds = seeds[:: math.ceil(len(seeds) / MAX_SEEDS)]
    return seeds


def _local_minima(magnitude: np.ndarray, gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """Interior grid points where |grad f| is no larger than at any of the 8 neighbours."""
    centre = magnitude[1:-1, 1:-1]
    minimum = np.isfinite(centre)
    rows, cols = magnitude.shape
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di or dj:
                minimum &= centre <= magnitude[1 + di:rows - 1 + di, 1 + dj:cols - 1 + dj]
    seeds = np.column_stack([gx[1:-1, 1:-1][minimum], gy[1:-1, 1:-1][minimum]])
    if len(seeds) > MAX_SEEDS:
        seeds = seeds[:: math.ceil(len(seeds) / MAX_SEEDS)]
    return seeds


def _regular_starts(domain: Domain) -> np.ndarray:
    n = START_RESOLUTION
    xs = domain.xmin + (np.arange(n) + 0.5) * domain.width / n
    ys = domain.ymin + (np.arange(n) + 0.5) * domain.height / n
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    return np.column_stack([gx.ravel(), gy.ravel()])


def _exact_seeds(surface: Surface, domain: Domain, deadline: float, time_limit: float) -> np.ndarray | None:
    """Seeds from the resultant of the gradient, if f is a small polynomial (else None)."""
    budget = min(deadline, time.monotonic() + EXACT_SHARE * time_limit)
    parameters = {parameter_symbol(name): value for name, value in surface.parameters}
    return polynomial_candidates(surface.expression, parameters, domain.as_tuple(), budget)


def _newton_step(gradient: np.ndarray, hessian: np.ndarray, damping: np.ndarray, floor: float) -> np.ndarray:
    """Steps d (n, 2) solving (H^2 + mu I) d = -H g with mu = damping * |H|_F^2 + floor^2.

    ``floor`` is a curvature (the units of H); its square is the damping's floor. It is passed
    unsquared because the square of a huge surface's curvature scale (1e-30 x 1e300) overflows.

    With damping 0 the pure Newton step -H^-1 g is solved directly (squaring H would square its
    condition number); a positive damping gives the Levenberg-Marquardt step on |g|^2 / 2,
    whose Jacobian is H.

    Each system is first divided by s, the largest |entry| of its H: the step is unchanged
    (H / s and g / s give the same Newton step, and mu / s^2 the same damped one), but the
    products H^2 and det H stay near 1 instead of overflowing to inf (exp(exp(r^2)), where
    |H| ~ 1e96, would otherwise get a zero step and pass for converged) or underflowing to 0.
    """
    with np.errstate(all="ignore"):
        size = np.max(np.abs(hessian.reshape(-1, 4)), axis=1)
        size = np.where((size > 0) & np.isfinite(size), size, 1.0)
        g0, g1 = gradient[:, 0] / size, gradient[:, 1] / size
        h00, h01, h11 = hessian[:, 0, 0] / size, hessian[:, 0, 1] / size, hessian[:, 1, 1] / size
        floor = (floor / size) ** 2
        determinant = h00 * h11 - h01 * h01
        newton = np.column_stack([-(h11 * g0 - h01 * g1) / determinant, -(h00 * g1 - h01 * g0) / determinant])
        a = h00 * h00 + h01 * h01
        b = h01 * (h00 + h11)
        c = h01 * h01 + h11 * h11
        mu = damping * (a + c) + floor
        r0 = -(h00 * g0 + h01 * g1)
        r1 = -(h01 * g0 + h11 * g1)
        a, c = a + mu, c + mu
        det = a * c - b * b
        damped = np.column_stack([(c * r0 - b * r1) / det, (a * r1 - b * r0) / det])
    use_newton = (damping == 0) & np.isfinite(newton).all(axis=1)
    step = np.where(use_newton[:, None], newton, damped)
    return np.where(np.isfinite(step), step, 0.0)


def _solve(surface: Surface, seeds: np.ndarray, domain: Domain, scales: _Scales, deadline: float) -> np.ndarray:
    """Safeguarded Newton / Levenberg-Marquardt on grad f = 0 from every seed; final positions (n, 2)."""
    diameter = scales.diameter
    floor = 1e-30 * scales.curvature
    max_step = 0.5 * diameter
    converged_step = 1e-13 * diameter
    points = seeds.copy()
    evaluation = surface.evaluate(points)
    residual = _norm(evaluation.gradient)  # |grad f| (not its square, which overflows beyond 1e154)
    active = np.isfinite(residual) & np.isfinite(evaluation.hessian).all(axis=(1, 2))
    gradient, hessian = evaluation.gradient, evaluation.hessian
    damping = np.zeros(len(points))
    boost = np.ones(len(points))
    previous = np.zeros_like(points)
    margin = np.array([domain.width, domain.height]) * WANDER_MARGIN
    low = np.array([domain.xmin, domain.ymin]) - margin
    high = np.array([domain.xmax, domain.ymax]) + margin
    for _ in range(MAX_ITERATIONS):
        index = np.flatnonzero(active)
        if index.size == 0 or time.monotonic() > deadline:
            break
        step = _newton_step(gradient[index], hessian[index], damping[index], floor)
        length = np.linalg.norm(step, axis=1)
        done = (length <= converged_step) | (residual[index] == 0)
        trial_step = step * boost[index, None]
        trial_length = length * boost[index]
        too_long = trial_length > max_step
        trial_step[too_long] *= (max_step / trial_length[too_long])[:, None]
        trial = points[index] + trial_step
        trial_evaluation = surface.evaluate(trial)
        trial_residual = _norm(trial_evaluation.gradient)
        finite = np.isfinite(trial_residual) & np.isfinite(trial_evaluation.hessian).all(axis=(1, 2))
        accepted = finite & (trial_residual < residual[index]) & ~done
        # Aitken: successive parallel steps shrinking by a ratio rho mean linear convergence
        # (a degenerate zero); the remaining distance is about step / (1 - rho).
        taken = step[accepted]
        before = previous[index[accepted]]
        norm_taken = np.linalg.norm(taken, axis=1)
        norm_before = np.linalg.norm(before, axis=1)
        with np.errstate(all="ignore"):
            ratio = norm_taken / norm_before
            cosine = np.sum(taken * before, axis=1) / (norm_taken * norm_before)
        linear = (cosine > 0.95) & (ratio > 0.3) & (ratio < 0.999)
        new_boost = np.where(linear, np.minimum(1.0 / (1.0 - np.where(linear, ratio, 0.0)), 50.0), 1.0)

        rows = index[accepted]
        points[rows] = trial[accepted]
        gradient[rows] = trial_evaluation.gradient[accepted]
        hessian[rows] = trial_evaluation.hessian[accepted]
        residual[rows] = trial_residual[accepted]
        previous[rows] = taken  # the plain (unboosted) step, for the next ratio
        boost[rows] = new_boost
        damping[rows] = np.where(damping[rows] < 1e-9, 0.0, damping[rows] / 10)

        rejected = index[~accepted & ~done]
        boosted = boost[rejected] > 1
        boost[rejected[boosted]] = 1.0  # retry the plain step before damping more
        plain = rejected[~boosted]
        damping[plain] = np.where(damping[plain] == 0, 1e-6, damping[plain] * 10)

        outside = np.any((points[index] < low) | (points[index] > high), axis=1)
        stuck = damping[index] > 1e12
        active[index[done | outside | stuck]] = False
    return points


def _accept(surface: Surface, points: np.ndarray, domain: Domain, scales: _Scales) -> np.ndarray:
    """The points that are critical points inside the rectangle, by the criteria of the module docstring."""
    if len(points) == 0:
        return points
    tolerance = INSIDE_RTOL * max(domain.width, domain.height)
    points = points[domain.contains(points, margin=tolerance)]
    if len(points) == 0:
        return points
    # Collapse exact and near-exact repeats first: thousands of starts share a few hundred ends.
    key = np.round(points / (MERGE_RTOL * scales.diameter / 4)).astype(np.int64)
    _, first = np.unique(key, axis=0, return_index=True)
    points = points[np.sort(first)]
    evaluation = surface.evaluate(points)
    norm = _norm(evaluation.gradient)
    step = _newton_step(evaluation.gradient, evaluation.hessian, np.full(len(points), 1e-14), 0.0)
    ok = (np.isfinite(evaluation.value) & np.isfinite(evaluation.hessian).all(axis=(1, 2))
          & (norm <= GRADIENT_RTOL * scales.gradient)
          & ((norm == 0) | (np.linalg.norm(step, axis=1) <= STEP_RTOL * scales.diameter)))
    zero = norm[ok] == 0
    points = points[ok]
    if len(points) == 0:
        return points
    keep = ~_flat(surface, points, scales)
    keep[zero] &= ~_underflowed(surface, points[zero], scales)
    return points[keep]


def _circle(points: np.ndarray, scales: _Scales) -> np.ndarray:
    """8 points on a circle of radius NEIGHBOURHOOD_RTOL x the diameter around each point: (n * 8, 2)."""
    angles = np.linspace(0, 2 * np.pi, 8, endpoint=False)
    ring = np.column_stack([np.cos(angles), np.sin(angles)]) * (NEIGHBOURHOOD_RTOL * scales.diameter)
    return (points[:, None, :] + ring[None, :, :]).reshape(-1, 2)


def _flat(surface: Surface, points: np.ndarray, scales: _Scales) -> np.ndarray:
    """True where f is numerically flat all round the point (the two tests of the module docstring)."""
    radius = NEIGHBOURHOOD_RTOL * scales.diameter
    around = surface.evaluate(_circle(points, scales))
    norm = _norm(around.gradient).reshape(len(points), -1)
    level = np.maximum(np.abs(surface.value(points)), np.max(np.abs(around.value).reshape(len(points), -1), axis=1))
    with np.errstate(invalid="ignore", over="ignore"):
        negligible = np.all(norm <= FLAT_RTOL * scales.gradient, axis=1)
        lost = np.all(norm * radius <= ROUNDING_RTOL * level[:, None], axis=1)
    return negligible & lost


def _underflowed(surface: Surface, points: np.ndarray, scales: _Scales) -> np.ndarray:
    """True (n,) for points of zero gradient (n, 2) where that zero is an underflow, not a root.

    exp(200 x) has no critical point, but for x < -3.73 its gradient underflows to exactly 0 in
    floating point: a half-plane of false zeros. Such a point is dropped when its evaluation
    underflowed and the gradient is exactly zero at some point of the circle around it too (a
    region of zeros, reached through an underflow). A true zero stays: the origin of (x^2 + y^2)^25
    (its neighbours' gradients underflow, but not on the circle) and the flat half-plane of
    relu(x) (exact zeros, no underflow; reported as one degenerate point, like any region).
    """
    if len(points) == 0:
        return np.zeros(0, dtype=bool)
    around = _norm(surface.evaluate(_circle(points, scales)).gradient).reshape(len(points), -1)
    result = np.any(around == 0, axis=1)
    if result.any():  # (the flags are found point by point: only where the circle has zeros)
        result[result] = surface.underflows(points[result])
    return result


def _merge(surface: Surface, points: np.ndarray, scales: _Scales) -> np.ndarray:
    """One representative (the smallest |grad f|) per group of points chained closer than MERGE_RTOL x diameter."""
    if len(points) == 0:
        return points
    norm = _norm(surface.evaluate(points).gradient)
    points = points[np.argsort(norm, kind="stable")]
    radius = MERGE_RTOL * scales.diameter
    cells = np.floor(points / radius).astype(np.int64)
    parent = list(range(len(points)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    occupants: dict[tuple[int, int], list[int]] = {}
    xs, ys = points[:, 0].tolist(), points[:, 1].tolist()
    for i, (cx, cy) in enumerate(cells.tolist()):
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for j in occupants.get((cx + dx, cy + dy), ()):
                    if math.hypot(xs[i] - xs[j], ys[i] - ys[j]) <= radius:
                        a, b = root(i), root(j)
                        parent[max(a, b)] = min(a, b)  # the root is the smallest index: the best point
        occupants.setdefault((cx, cy), []).append(i)
    return points[[i for i in range(len(points)) if root(i) == i]]


def _describe(surface: Surface, points: np.ndarray, scales: _Scales) -> list[CriticalPoint]:
    if len(points) == 0:
        return []
    evaluation: Evaluation = surface.evaluate(points)
    eigenvalues = np.linalg.eigvalsh(evaluation.hessian)
    curvature = _curvature_scales(surface, points, evaluation, scales)
    # Values and positions are compared on a grid far coarser than rounding noise, so that equal
    # values (four minima with f = 0 but computed as 0 and 4e-27) order by position instead. The
    # grid of values is set by the points' own values, not by f's range over the domain, which
    # can be 1e10 (Goldstein-Price on [-10, 10]^2) and would tie the minima f = 3 and f = 30.
    value_step = 1e-9 * max(float(np.max(np.abs(evaluation.value))), 1e-300)
    position_step = 1e-9 * scales.diameter
    # Adding 0.0 turns -0.0 into 0.0.
    result = sorted((
        CriticalPoint(x=float(p[0]) + 0.0, y=float(p[1]) + 0.0, value=float(v) + 0.0,
                      kind=classify(e, c), eigenvalues=(float(e[0]) + 0.0, float(e[1]) + 0.0))
        for p, v, e, c in zip(points, evaluation.value, eigenvalues, curvature, strict=True)
    ), key=lambda point: _sort_key(point, value_step, position_step))
    isolated = [p for p in result if p.kind != "degenerate"]
    degenerate = [p for p in result if p.kind == "degenerate"]
    norms = _norm(surface.evaluate(np.array([(p.x, p.y) for p in degenerate]).reshape(-1, 2)).gradient)
    return isolated + _one_per_curve(degenerate, norms, scales)


def _curvature_scales(surface: Surface, points: np.ndarray, evaluation: Evaluation, scales: _Scales) -> np.ndarray:
    """The curvature scale of each point (n,) for :func:`classify`: the typical curvature, or less.

    Less where the curvature around the point (the largest spectral radius of H at it and on the
    circle of :func:`_circle`) is smaller: the median over the domain can be larger by many
    orders of magnitude on a surface of huge range, and then a sound minimum would pass for
    degenerate.
    """
    around = _spectral_radius(surface.evaluate(_circle(points, scales)).hessian).reshape(len(points), -1)
    radii = np.column_stack([_spectral_radius(evaluation.hessian), around])
    local = np.max(radii, axis=1, initial=0.0, where=np.isfinite(radii))  # NaN where f is undefined: skipped
    return np.where(local > 0, np.minimum(local, scales.curvature), scales.curvature)


def _one_per_curve(points: list[CriticalPoint], norms: np.ndarray, scales: _Scales) -> list[CriticalPoint]:
    """One point of each group of degenerate points on touching grid cells, in sort order.

    The grid has spacing CURVE_LINK_RTOL x the diameter; cells touching by a side or a corner
    are linked, so the samples of one curve of critical points form one group. A group's point
    is its sample with the smallest |grad f| (``norms``, one per point; the first in sort order
    among equals): around an isolated but very flat point, such as the origin of
    (x^2 + y^2)^3 - x^2 (where f ~ y^6 along y), a few nearly-converged neighbours join it, and
    the best of them is the point itself.
    """
    if len(points) < 2:
        return points
    size = CURVE_LINK_RTOL * scales.diameter
    cells = [(math.floor(p.x / size), math.floor(p.y / size)) for p in points]
    occupied = set(cells)
    group: dict[tuple[int, int], int] = {}
    for label, cell in enumerate(cells):
        if cell in group:
            continue
        group[cell] = label
        frontier = [cell]
        while frontier:  # flood fill over the occupied cells
            cx, cy = frontier.pop()
            for neighbour in ((cx + dx, cy + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)):
                if neighbour not in group and neighbour in occupied:
                    group[neighbour] = label
                    frontier.append(neighbour)
    best: dict[int, int] = {}
    for index, cell in enumerate(cells):
        label = group[cell]
        if label not in best or norms[index] < norms[best[label]]:
            best[label] = index
    return [points[index] for index in sorted(best.values())]


def _sort_key(point: CriticalPoint, value_step: float, position_step: float) -> tuple:
    """Kind, then value, x and y, each rounded to its step (see :func:`_describe`)."""
    return (KINDS.index(point.kind), round(point.value / value_step), round(point.x / position_step),
            round(point.y / position_step))
