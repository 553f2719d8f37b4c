r"""Regime diagnosis: what each particle is doing, in a word a student understands.

Seven regimes (their codes index :data:`REGIMES`):

``descending``   making progress downhill (the default).
``minimum``      settled in a minimum's bowl: the true gradient is (about) zero and H is positive
                 definite (or flat, at a loss near the lowest known).
``saddle``       the true gradient is (about) zero and H has eigenvalues of both signs.
``maximum``      the true gradient is (about) zero and both eigenvalues are negative.
``plateau``      the trap that looks like convergence: the gradient is small but the loss is still
                 high and the Hessian is nearly zero (nothing pulls the ball anywhere).
``oscillating``  the step flips direction along the steepest eigen-direction, and for methods with
                 a stability bound the rate is past it: lr * lambda_max > c (c = 2 for gradient
                 descent, 2 (1 + momentum) for heavy ball: the optimiser's ``stability_factor``).
``diverging``    the particle left every sensible bound (or f is undefined there) and was stopped.

Scales. Thresholds are relative to three scales of the surface, measured once on a 41 x 41 grid
over its domain (:class:`RegimeScales`): G, the 75th percentile of |grad f|; C, the 75th
percentile of the spectral radius max(|lambda_1|, |lambda_2|); L, the spread of f between its 5th
and 95th percentiles; D, the domain's diagonal. Percentiles make the scales robust to a cliff or
a pole on the grid; the 75th rather than the median keeps them meaningful on a surface that is
mostly plateau. The lowest loss known (the grid's minimum, lowered by every loss a particle has
seen) is the floor that "still high" is measured from.

Rules, first match wins, per particle. Notation: g is the current true gradient; ḡ the true
gradient averaged over recent steps (an exponential moving average whose newest step weighs
2 / (WINDOW + 1), the weight of a WINDOW-step mean); s the root mean square of the gradient noise
the optimiser received (sqrt(2) sigma_t for Gaussian noise; for mini-batches |estimate - g|
measured each step and averaged the same way; zero without noise); r the root mean square step
length, averaged the same way; d = |H^-1 ḡ| the distance to the critical point of the
local quadratic model (Newton's step on the averaged gradient); lambda_min <= lambda_max.

1. inactive -> diverging.
2. the last ``OSCILLATION_FLIPS`` + 1 steps alternate in sign along the top eigenvector, and
   either lr * lambda_max > c (methods with a bound), or (methods without one) the swing is not
   shrinking (|step . top| >= STEADY_SWING |previous step . top|) and the ball is not settled
   -> oscillating.
3. settled: |g| <= CRITICAL_GRADIENT G and the last step was shorter than STILL D (at a critical
   point and not merely passing through one at speed); or, under noise, at least MIN_WINDOW steps
   averaged, |ḡ| <= NOISE_RATIO s (the true gradient's pull is below the noise) and either H is
   positive definite and the ball is in the bottom of the bowl (|ḡ| <= NOISY_GRADIENT G, or
   d <= BOWL_REACH r: strong noise must not turn a ball high on a bowl's wall, whose true pull is
   large and whose minimum is hundreds of steps away, into a minimum just because the noise is
   larger still), or d <= REACH r (the saddle or flat point it
   jitters around is within a few steps: a ball drifting down a long noisy slope whose Hessian is
   indefinite has that point far away). Then, with flat = FLAT_CURVATURE C:
   lambda_min > flat -> minimum; lambda_max < -flat -> maximum; lambda_min < -flat -> saddle;
   otherwise (a zero curvature) plateau if the loss is high, else minimum.
4. not settled, |g| <= PLATEAU_GRADIENT G, max |lambda| <= PLATEAU_CURVATURE C and the loss is high
   -> plateau.
5. descending.

"The loss is high" means loss - floor > HIGH_LOSS L.

These are pure functions on arrays: the simulation keeps the windows and calls :func:`diagnose`
for all particles of all balls at once.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from physics.compiled import inlined, kernel
from physics.eigen import symmetric_eigenvalues
from surfaces.surface import Domain, Surface

REGIMES = ("descending", "minimum", "saddle", "maximum", "plateau", "oscillating", "diverging")
DESCENDING, MINIMUM, SADDLE, MAXIMUM, PLATEAU, OSCILLATING, DIVERGING = range(len(REGIMES))
CODES = {name: code for code, name in enumerate(REGIMES)}

#: Steps of the window over which the true gradient and the noise are averaged (exponentially).
WINDOW = 8
#: The weight of the newest step in those averages.
WINDOW_WEIGHT = 2.0 / (WINDOW + 1)
#: Steps averaged before the noise test may call a particle settled.
MIN_WINDOW = 4
#: |g| below this fraction of G, with a step below STILL times the domain's diagonal D: at a critical point.
CRITICAL_GRADIENT = 1e-4
STILL = 1e-3
#: Under noise: |ḡ| below NOISE_RATIO times the noise, and the model's critical point within REACH mean steps.
NOISE_RATIO = 1.0
REACH = 2.0
#: In a bowl under noise: |ḡ| below this fraction of G, or the minimum within BOWL_REACH mean steps.
NOISY_GRADIENT = 0.3
BOWL_REACH = 20.0
#: |lambda| below this fraction of C counts as zero curvature.
FLAT_CURVATURE = 1e-3
#: A plateau: |g| below this fraction of G and every |lambda| below this fraction of C ...
PLATEAU_GRADIENT = 0.05
PLATEAU_CURVATURE = 0.05
#: ... while the loss is above the floor by more than this fraction of L.
HIGH_LOSS = 0.05
#: Consecutive sign flips along the top eigenvector (so FLIPS + 1 alternating steps) that make an oscillation.
OSCILLATION_FLIPS = 2
#: Without a stability bound, the swing along the top eigenvector counts as not shrinking above this ratio.
STEADY_SWING = 0.9

_TINY = 1e-300


@dataclass(frozen=True)
class RegimeScales:
    """The surface's scales the thresholds are relative to (see the module docstring).

    Attributes:
        gradient: G, the 75th percentile of |grad f| over the grid (gradient units).
        curvature: C, the 75th percentile of the Hessian's spectral radius over the grid.
        loss: L, the 95th minus the 5th percentile of f over the grid (loss units).
        floor: the lowest f on the grid (loss units).
        length: D, the diagonal of the domain (surface units).
    """

    gradient: float
    curvature: float
    loss: float
    floor: float
    length: float = 1.0

    @classmethod
    def of_surface(cls, surface: Surface, domain: Domain | None = None, resolution: int = 41) -> RegimeScales:
        """Measure the scales of ``surface`` over ``domain`` (its own by default)."""
        domain = domain or surface.domain
        xs, ys = domain.grid(resolution)
        gx, gy = np.meshgrid(xs, ys, indexing="ij")
        evaluation = surface.evaluate(np.column_stack([gx.ravel(), gy.ravel()]))
        value = evaluation.value[np.isfinite(evaluation.value)]
        with np.errstate(over="ignore"):  # (squares beyond 1e308: the length is taken again below)
            grad = np.sqrt((evaluation.gradient ** 2).sum(axis=1))
        overflowed = np.isinf(grad)
        grad[overflowed] = np.hypot(evaluation.gradient[overflowed, 0], evaluation.gradient[overflowed, 1])
        grad = grad[np.isfinite(grad)]
        hessian = evaluation.hessian[np.isfinite(evaluation.hessian).all(axis=(1, 2))]
        radius = np.abs(symmetric_eigenvalues(hessian)).max(axis=1) if len(hessian) else np.zeros(0)
        return cls(
            gradient=_positive(np.percentile(grad, 75) if grad.size else 1.0, 1.0),
            curvature=_positive(np.percentile(radius, 75) if radius.size else 1.0, 1.0),
            loss=_positive(np.percentile(value, 95) - np.percentile(value, 5) if value.size else 1.0,
                           _positive(float(np.ptp(value)) if value.size else 1.0, 1.0)),
            floor=float(value.min()) if value.size else 0.0,
            length=domain.diameter,
        )


def take_rows(array: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Rows ``index`` (an index array or a boolean mask) of a per-particle array (n,) or (n, k).

    Column by column for (n, k): NumPy's fancy indexing of a column-major (n, k) array (the
    simulation's layout) takes a generic path, about twice as slow as gathering each column.
    """
    if array.ndim == 1:
        return array[index]
    return np.stack([array[:, column][index] for column in range(array.shape[1])], axis=1)


def _positive(value: float, fallback: float) -> float:
    value = float(value)
    return value if math.isfinite(value) and value > 0.0 else fallback


def diagnose(*, active: np.ndarray, loss: np.ndarray, gradient_norm: np.ndarray, step_size: np.ndarray,
             mean_gradient: np.ndarray, noise_power: np.ndarray | float, step_power: np.ndarray,
             window_count: np.ndarray | int, eigenvalues: np.ndarray, top: np.ndarray, flips: np.ndarray,
             swing: np.ndarray, previous_swing: np.ndarray, bound_rate: np.ndarray, scales: RegimeScales,
             floor: float) -> np.ndarray:
    """The regime code (n,) int8 of each particle (see the module docstring for the rules).

    One compiled pass over the particles (:func:`regime_of` for each): the costlier tests (the
    quadratic model's distance) only for the few particles that the cheap ones leave in doubt.

    Args:
        active: (n,) bool, False for particles stopped as diverging.
        loss: (n,) f at the particles.
        gradient_norm: (n,) |grad f| now (true gradient).
        step_size: (n,) the length of the last step.
        mean_gradient: (n, 2) ḡ, the true gradient averaged over recent steps.
        noise_power: (n,) s^2, the mean square of the gradient noise over recent steps (0 without
            noise), or one number for all particles.
        step_power: (n,) r^2, the mean square step length over recent steps.
        window_count: (n,) int, how many steps have been averaged, or one number for all particles.
        eigenvalues: (n, 2) [lambda_min, lambda_max] of H now.
        top: (n, 2) an eigenvector of lambda_max, of any length (zero where H is a multiple of I).
        flips: (n,) int, consecutive sign flips of the step along the top eigenvector.
        swing, previous_swing: (n,) step . top of the last step and of the one before (signed).
        bound_rate: (n,) lr / c for optimisers with a stability bound lr * lambda_max < c, NaN otherwise.
        scales: the surface's scales.
        floor: the lowest loss known.
    """
    return regime_codes(active=active, loss=loss, gradient_norm=gradient_norm, step_size=step_size,
                        mean_gradient=mean_gradient, noise_power=noise_power, step_power=step_power,
                        window_count=window_count, eigenvalues=eigenvalues, top=top, flips=flips, swing=swing,
                        previous_swing=previous_swing, bound_rate=bound_rate,
                        thresholds=regime_thresholds(scales, floor))


def regime_codes(*, active: np.ndarray, loss: np.ndarray, gradient_norm: np.ndarray, step_size: np.ndarray,
                 mean_gradient: np.ndarray, noise_power: np.ndarray | float, step_power: np.ndarray,
                 window_count: np.ndarray | int, eigenvalues: np.ndarray, top: np.ndarray, flips: np.ndarray,
                 swing: np.ndarray, previous_swing: np.ndarray, bound_rate: np.ndarray,
                 thresholds: tuple[float, ...], out: np.ndarray | None = None) -> np.ndarray:
    """:func:`diagnose` with the limits already scaled (:func:`regime_thresholds`), into ``out`` (n,)
    int8 if given."""
    codes = np.empty(loss.shape[0], dtype=np.int8) if out is None else out
    _diagnose_kernel(
        np.asarray(active, dtype=np.bool_), loss, gradient_norm, step_size, mean_gradient[:, 0], mean_gradient[:, 1],
        np.asarray(noise_power, dtype=np.float64).reshape(-1), step_power,
        np.asarray(window_count, dtype=np.int64).reshape(-1), eigenvalues[:, 0], eigenvalues[:, 1],
        top[:, 0], top[:, 1], np.asarray(flips), swing, previous_swing, bound_rate, thresholds, codes)
    return codes


@kernel
def _diagnose_kernel(active, loss, gradient_norm, step_size, mean_x, mean_y, noise_power, step_power,  # noqa: ANN001
                     window_count, lam_min, lam_max, top_x, top_y, flips, swing, previous_swing, bound_rate,
                     thresholds, codes) -> None:
    """:func:`regime_of` for each particle i (arguments as :func:`diagnose`'s, per component;
    ``noise_power`` and ``window_count`` (1,) or (n,)); the codes into ``codes`` (n,)."""
    shared_noise = noise_power.shape[0] == 1
    shared_window = window_count.shape[0] == 1
    for i in range(loss.shape[0]):
        codes[i] = regime_of(active[i], loss[i], gradient_norm[i], step_size[i], mean_x[i], mean_y[i],
                             noise_power[0] if shared_noise else noise_power[i], step_power[i],
                             window_count[0] if shared_window else window_count[i], lam_min[i], lam_max[i],
                             top_x[i], top_y[i], flips[i], swing[i], previous_swing[i], bound_rate[i], thresholds)


@inlined
def regime_of(active, loss, gradient_norm, step_size, mean_x, mean_y, noise_power, step_power,  # noqa: ANN001
              window_count, lam_min, lam_max, top_x, top_y, flips, swing, previous_swing, bound_rate,
              thresholds) -> int:
    """The rules of the module docstring for one particle (a compiled function for other kernels).

    Arguments are :func:`diagnose`'s for this particle, vectors by component; ``thresholds``
    holds the scaled limits in the order :func:`regime_thresholds` builds them.
    """
    if not active:
        return DIVERGING
    critical, still_step, plateau_gradient, plateau_curvature, flat, noisy_gradient, high_loss = thresholds
    # Rule 3's critical point, rule 4's plateau, rule 3's noise test: may it be anything but descending?
    # (& rather than `and`: no branch to mispredict for the many particles that are simply descending)
    still = (gradient_norm <= critical) & (step_size <= still_step)
    plateau = (gradient_norm <= plateau_gradient) & (lam_max <= plateau_curvature) & (lam_min >= -plateau_curvature)
    pull = mean_x * mean_x + mean_y * mean_y
    noisy = ((noise_power > 0.0) & (window_count >= MIN_WINDOW)
             & (pull <= (NOISE_RATIO * NOISE_RATIO) * noise_power))
    lifted = loss > high_loss
    positive = lam_min > flat
    if noisy:  # (rare: a short look at the quadratic model)
        # Noisy outside a bowl: is the critical point near? In a bowl with a large averaged pull: is
        # its minimum near, or is the ball high on the wall (descending)?
        reach = -1.0
        if not positive:
            reach = REACH
        elif np.sqrt(pull) > noisy_gradient:
            reach = BOWL_REACH
        if reach > 0.0:
            noisy = _model_distance(mean_x, mean_y, lam_min, lam_max, top_x, top_y) <= reach * np.sqrt(step_power)
    settled = still | noisy
    # Settled: classified by curvature, each test overriding the one before (as selects, not branches:
    # most particles of a swarm pass the cheap plateau test, and the outcome varies from one to the next).
    code = PLATEAU if (plateau & lifted) | (settled & (not positive) & lifted) else DESCENDING
    code = MINIMUM if settled & (positive | (not lifted)) else code
    code = SADDLE if settled & (lam_min < -flat) else code
    code = MAXIMUM if settled & (lam_max < -flat) else code
    if flips >= OSCILLATION_FLIPS:
        if bound_rate * lam_max > 1.0:  # past the stability bound (a NaN rate, no bound, compares False)
            code = OSCILLATING
        elif bound_rate != bound_rate and code == DESCENDING and abs(swing) >= STEADY_SWING * abs(previous_swing):
            code = OSCILLATING
    return code


def regime_thresholds(scales: RegimeScales, floor: float) -> tuple[float, ...]:
    """The rules' limits scaled to the surface, as :func:`regime_of` takes them: CRITICAL_GRADIENT G,
    STILL D, PLATEAU_GRADIENT G, PLATEAU_CURVATURE C, FLAT_CURVATURE C, NOISY_GRADIENT G, and the
    loss above which it is high, floor + HIGH_LOSS L (a tuple: a kernel keeps it in registers)."""
    return (float(CRITICAL_GRADIENT * scales.gradient), float(STILL * scales.length),
            float(PLATEAU_GRADIENT * scales.gradient), float(PLATEAU_CURVATURE * scales.curvature),
            float(FLAT_CURVATURE * scales.curvature), float(NOISY_GRADIENT * scales.gradient),
            float(floor + HIGH_LOSS * scales.loss))


@inlined
def _model_distance(gx: float, gy: float, low: float, high: float, top_x: float, top_y: float) -> float:
    """|H^-1 g| for one particle (see :func:`model_distance`)."""
    length = np.sqrt(top_x * top_x + top_y * top_y)
    if length > 0.0:
        ux, uy = top_x / length, top_y / length
    else:  # H a multiple of I (or NaN): any direction is an eigenvector
        ux, uy = 1.0, 0.0
    along = (ux * gx + uy * gy) / high
    across = (ux * gy - uy * gx) / low
    return np.sqrt(along * along + across * across)


@kernel
def _model_distances(gx, gy, low, high, top_x, top_y, out) -> None:  # noqa: ANN001
    for i in range(gx.shape[0]):
        out[i] = _model_distance(gx[i], gy[i], low[i], high[i], top_x[i], top_y[i])


def model_distance(gradient: np.ndarray, eigenvalues: np.ndarray, top: np.ndarray) -> np.ndarray:
    """|H^-1 g| (n,): how far the critical point of the quadratic model lies (inf where H is singular).

    With unit eigenvectors u (of lambda_max) and w (of lambda_min):
    |H^-1 g|^2 = (u.g / lambda_max)^2 + (w.g / lambda_min)^2.
    """
    out = np.empty(gradient.shape[0])
    _model_distances(gradient[:, 0], gradient[:, 1], eigenvalues[:, 0], eigenvalues[:, 1], top[:, 0], top[:, 1], out)
    return out


def format_number(value: float, signed: bool = False) -> str:
    """A number the way a student reads it: '+2.0', '0.9', '25.0', '1e-4', '3e+5'."""
    if not math.isfinite(value):
        return str(value)
    if value == 0.0:
        return "0"
    magnitude = abs(value)
    sign = "+" if signed else ""
    if 1.0 <= magnitude < 1e4:
        return f"{value:{sign}.1f}"
    if 1e-2 <= magnitude < 1.0:
        text = f"{value:{sign}.2g}"
        return text if abs(float(text)) < 1.0 else f"{value:{sign}.4g}"  # 0.9999 is not "1"
    text = f"{value:{sign}.0e}"
    return re.sub(r"e([+-])0*(\d)", r"e\1\2", text)


def describe(code: int, *, loss: float, gradient_norm: float, eigenvalues: tuple[float, float],
             lr: float = math.nan, stability: float = math.nan, stopped: str = "") -> str:
    """The short words for one particle: "saddle: curvature -1.0 and +2.0" and the like.

    Args:
        code: the regime code.
        loss, gradient_norm: f and |grad f| at the particle.
        eigenvalues: (lambda_min, lambda_max) there.
        lr, stability: the learning rate and the optimiser's stability constant c (NaN if none).
        stopped: why a diverging particle was stopped ("f is undefined here", ...).
    """
    lam_min, lam_max = eigenvalues
    curvature = f"curvature {format_number(lam_min, True)} and {format_number(lam_max, True)}"
    name = REGIMES[code]
    if code in (MINIMUM, SADDLE, MAXIMUM):
        return f"{name}: {curvature}"
    if code == PLATEAU:
        return f"plateau: gradient {format_number(gradient_norm)} but loss still {format_number(loss)}"
    if code == OSCILLATING:
        if math.isfinite(lr) and math.isfinite(stability):
            return f"oscillating: lr x lambda_max = {format_number(lr * lam_max)} > {stability:.3g}"
        return f"oscillating: steps flip along the steepest direction (curvature {format_number(lam_max, True)})"
    if code == DIVERGING:
        return f"diverging: {stopped or 'stopped'}"
    return f"descending: gradient {format_number(gradient_norm)}, loss {format_number(loss)}"


def describe_swarm(counts: np.ndarray, leading: str) -> str:
    """For a swarm: the share of each regime present, most common first, then the leading detail.

    Args:
        counts: (7,) particles per regime.
        leading: :func:`describe` of the swarm's representative particle.
    """
    total = int(counts.sum())
    order = np.argsort(-counts, kind="stable")
    shares = [f"{100.0 * counts[i] / total:.0f}% {REGIMES[i]}" for i in order if counts[i] > 0]
    return f"{', '.join(shares)} of {total} particles ({leading})"
