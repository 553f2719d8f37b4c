r"""A line search for the strong Wolfe conditions, run for every particle at once.

Along a descent direction d from x, with phi(alpha) = f(x + alpha d) and phi'(alpha) = grad f . d,
the search looks for a step length alpha > 0 with

    phi(alpha) <= phi(0) + c1 * alpha * phi'(0)          (sufficient decrease, Armijo)
    |phi'(alpha)| <= c2 * |phi'(0)|                       (curvature, strong form)

following Nocedal and Wright's Algorithm 3.5 (bracketing: try alpha_0, then double it until the
trial fails Armijo, stops decreasing, or has a non-negative slope) and Algorithm 3.6 (zoom: shrink
the bracket [lo, hi] with the minimiser of the cubic that matches phi and phi' at its ends,
safeguarded to the middle 80 % of the bracket, else bisection). Each particle runs its own state
machine; each round evaluates the oracle once, only at the particles still searching.

If a particle's budget of evaluations runs out, it takes the best step found that satisfies the
Armijo condition (the bracket's ``lo``), which may be 0: no step. Non-finite f or slopes at a
trial count as a failed Armijo test, so the search backs away from undefined regions.

A step is never longer than MAX_STEP_RATIO * max(1, |x|) (alpha is capped at that over |d|): along
a direction unbounded below (the downhill side of a saddle) the doubling would otherwise reach
alpha_max in one step and throw the ball a million domain sizes away; capped, it heads off
geometrically, step after step, as a student can watch.

Reference:
    J. Nocedal, S. J. Wright, Numerical Optimization, 2nd ed., Springer 2006, section 3.5,
    algorithms 3.5 and 3.6, and equation 3.59 (cubic interpolation).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from physics.optimizers.arrays import dot
from physics.optimizers.base import Oracle

#: The longest step, as a multiple of max(1, |x|) (see the module docstring).
MAX_STEP_RATIO = 10.0
#: Searching particles (state machine phases).
_BRACKET, _ZOOM, _DONE = 0, 1, 2


class LineSearchResult(NamedTuple):
    """The outcome of a line search for n particles.

    Attributes:
        alpha: (n,) the accepted step length (0 where no acceptable step was found).
        value: (n,) f at x + alpha d.
        gradient: (n, 2) the true gradient at x + alpha d.
        converged: (n,) bool, True where alpha satisfies both strong Wolfe conditions.
        evaluations: (n,) int, the number of oracle evaluations spent on each particle.
    """

    alpha: np.ndarray
    value: np.ndarray
    gradient: np.ndarray
    converged: np.ndarray
    evaluations: np.ndarray


class LineSearchTrial(NamedTuple):
    """One round of the search: the trials of the particles still searching (k of them).

    Attributes:
        rows: (k,) the particles' indices; alpha: (k,) the trial step lengths.
        value: (k,) phi(alpha) = f(x + alpha d) (inf where undefined); slope: (k,) phi'(alpha).
        armijo: (k,) whether the trial met the sufficient-decrease condition;
        curvature: (k,) whether it met the strong curvature condition; accepted: (k,) both, and
            lower than the bracket's best point: the search ends there.
    """

    rows: np.ndarray
    alpha: np.ndarray
    value: np.ndarray
    slope: np.ndarray
    armijo: np.ndarray
    curvature: np.ndarray
    accepted: np.ndarray


def _cubic_minimiser(lo: np.ndarray, f_lo: np.ndarray, s_lo: np.ndarray,
                     hi: np.ndarray, f_hi: np.ndarray, s_hi: np.ndarray) -> np.ndarray:
    """The minimiser of the cubic matching values and slopes at lo and hi (NaN if it has none)."""
    with np.errstate(all="ignore"):
        d1 = s_lo + s_hi - 3.0 * (f_lo - f_hi) / (lo - hi)
        d2 = np.sign(hi - lo) * np.sqrt(d1 * d1 - s_lo * s_hi)
        return hi - (hi - lo) * (s_hi + d2 - d1) / (s_hi - s_lo + 2.0 * d2)


def _zoom_trial(lo: np.ndarray, f_lo: np.ndarray, s_lo: np.ndarray,
                hi: np.ndarray, f_hi: np.ndarray, s_hi: np.ndarray) -> np.ndarray:
    """The next trial inside the bracket: the safeguarded cubic minimiser, else the midpoint."""
    cubic = _cubic_minimiser(lo, f_lo, s_lo, hi, f_hi, s_hi)
    left, right = np.minimum(lo, hi), np.maximum(lo, hi)
    margin = 0.1 * (right - left)
    with np.errstate(invalid="ignore"):
        inside = (cubic >= left + margin) & (cubic <= right - margin)
    return np.where(inside, cubic, 0.5 * (lo + hi))


def _scatter(target: np.ndarray, rows: np.ndarray, mask: np.ndarray, values: np.ndarray) -> None:
    """target[rows[mask]] = values[mask]: write the results of the searched rows that ``mask`` selects."""
    target[rows[mask]] = values[mask]


def strong_wolfe(oracle: Oracle, points: np.ndarray, direction: np.ndarray, value: np.ndarray,
                 gradient: np.ndarray, alpha0: np.ndarray, c1: float = 1e-4, c2: float = 0.9,
                 max_evaluations: int = 25, alpha_max: float = 1e10,
                 trials: list[LineSearchTrial] | None = None) -> LineSearchResult:
    """Search each row's direction for a step length satisfying the strong Wolfe conditions.

    Args:
        oracle: gives f and its true gradient at trial points.
        points: (n, 2) the starting points x.
        direction: (n, 2) the search directions d (descent directions: grad f(x) . d < 0).
        value: (n,) f(x).
        gradient: (n, 2) the true gradient at x.
        alpha0: (n,) the first trial step lengths (> 0).
        c1, c2: the Wolfe constants, 0 < c1 < c2 < 1 (0.9 suits quasi-Newton, 0.1 conjugate gradient).
        max_evaluations: the budget of oracle evaluations per particle.
        alpha_max: the longest step length tried (further capped so that |alpha d| <= MAX_STEP_RATIO max(1, |x|)).
        trials: a list to append each round's trials to (the explainer's record), or None.

    Rows whose direction is not a descent direction (or whose data are not finite) are not
    searched: their alpha is 0.
    """
    x = np.asarray(points, dtype=np.float64)
    d = np.asarray(direction, dtype=np.float64)
    f0 = np.asarray(value, dtype=np.float64)
    g0 = np.asarray(gradient, dtype=np.float64)
    n = x.shape[0]
    s0 = dot(g0, d)
    with np.errstate(invalid="ignore", divide="ignore"):
        reach = MAX_STEP_RATIO * np.maximum(1.0, np.sqrt(dot(x, x)))
        alpha_max = np.minimum(alpha_max, reach / np.sqrt(dot(d, d)))
        start = np.minimum(np.asarray(alpha0, dtype=np.float64) * np.ones(n), alpha_max)
        active = np.isfinite(f0) & np.isfinite(s0) & (s0 < 0.0) & np.isfinite(start) & (start > 0.0)

    phase = np.where(active, _BRACKET, _DONE)
    trial = np.where(active, start, 0.0)
    evaluations = np.zeros(n, dtype=np.int64)
    converged = np.zeros(n, dtype=bool)
    # The bracketing phase's previous point, which becomes the zoom's "lo" (the best point
    # satisfying Armijo so far); both start at alpha = 0.
    lo, f_lo, s_lo, g_lo = np.zeros(n), f0.copy(), s0.copy(), g0.copy()
    hi, f_hi, s_hi = np.zeros(n), f0.copy(), s0.copy()
    result_alpha, result_value, result_gradient = np.zeros(n), f0.copy(), g0.copy()

    for _ in range(max_evaluations):
        searching = np.flatnonzero(phase != _DONE)
        if searching.size == 0:
            break
        zooming = searching[phase[searching] == _ZOOM]
        trial[zooming] = _zoom_trial(lo[zooming], f_lo[zooming], s_lo[zooming],
                                     hi[zooming], f_hi[zooming], s_hi[zooming])
        a = trial[searching]
        evaluation = oracle.evaluate(x[searching] + a[:, None] * d[searching])
        f = np.asarray(evaluation.value, dtype=np.float64)
        g = np.asarray(evaluation.gradient, dtype=np.float64)
        s = dot(g, d[searching])
        evaluations[searching] += 1
        with np.errstate(invalid="ignore"):
            undefined = ~(np.isfinite(f) & np.isfinite(s))
            f = np.where(undefined, np.inf, f)
            armijo = ~undefined & (f <= f0[searching] + c1 * a * s0[searching])
            curvature = ~undefined & (np.abs(s) <= -c2 * s0[searching])
            bracketing = phase[searching] == _BRACKET
            not_lower = f >= f_lo[searching]
            # A trial that fails Armijo (or is no lower than lo) becomes hi; lo stays.
            to_hi = ~armijo | not_lower
            accept = ~to_hi & curvature
            uphill = ~to_hi & ~accept & (s * np.where(bracketing, 1.0, hi[searching] - lo[searching]) >= 0.0)
            expand = bracketing & ~to_hi & ~accept & ~uphill
        if trials is not None:
            trials.append(LineSearchTrial(searching, a.copy(), f, s, armijo, curvature, accept))

        # Accepted: done, converged.
        _scatter(result_alpha, searching, accept, a)
        _scatter(result_value, searching, accept, f)
        _scatter(result_gradient, searching, accept, g)
        converged[searching[accept]] = True
        phase[searching[accept]] = _DONE
        # A failed trial caps the bracket from above: [lo, trial].
        _scatter(hi, searching, to_hi, a)
        _scatter(f_hi, searching, to_hi, f)
        _scatter(s_hi, searching, to_hi, s)
        phase[searching[to_hi]] = _ZOOM
        # A lower trial with a non-negative slope (bracketing) or a slope pointing away from hi
        # (zoom): the minimum lies between the trial and lo, so the old lo becomes hi.
        old_lo = searching[uphill]
        hi[old_lo], f_hi[old_lo], s_hi[old_lo] = lo[old_lo], f_lo[old_lo], s_lo[old_lo]
        # The trial is the new lo wherever it satisfied Armijo and went lower without being accepted.
        lower = ~to_hi & ~accept
        _scatter(lo, searching, lower, a)
        _scatter(f_lo, searching, lower, f)
        _scatter(s_lo, searching, lower, s)
        _scatter(g_lo, searching, lower, g)
        phase[searching[uphill]] = _ZOOM
        # Still bracketing with a steep descent: try twice as far (up to alpha_max).
        growing = searching[expand]
        trial[growing] = np.minimum(2.0 * a[expand], alpha_max[growing])
        capped = growing[a[expand] >= alpha_max[growing]]
        phase[capped] = _DONE
        # A bracket that has shrunk to rounding cannot improve on lo.
        zoom_now = searching[phase[searching] == _ZOOM]
        collapsed = zoom_now[np.abs(hi[zoom_now] - lo[zoom_now]) <= 1e-14 * np.maximum(lo[zoom_now], 1.0)]
        phase[collapsed] = _DONE

    # Unfinished (or capped, or collapsed) searches take lo: the lowest Armijo point, perhaps 0.
    unfinished = active & ~converged
    result_alpha[unfinished] = lo[unfinished]
    result_value[unfinished] = f_lo[unfinished]
    result_gradient[unfinished] = g_lo[unfinished]
    return LineSearchResult(result_alpha, result_value, result_gradient, converged, evaluations)
