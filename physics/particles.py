"""The per-particle arrays of a simulation, and the vectorised checks a step makes on them.

All balls' particles live side by side in (N, ...) arrays; a ball owns a contiguous slice. Arrays
of vectors and matrices, (N, 2) and (N, 2, 2), are stored column by column (Fortran order, as
Surface.evaluate returns them): the step works on components (x[:, 0], H[:, 0, 1]), and reading one
from an interleaved array would drag the whole array through the memory bus (a large swarm's step
is bound by memory traffic, not arithmetic).
Arrays that telemetry reads (positions, loss, gradient, Hessian, step, eigenvalues, ...) are
*replaced* by new arrays each step, never written in place, so a reader that took them (an
optimiser's state, a summary computed on a helper thread) keeps consistent values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from physics.compiled import kernel
from physics.eigen import eigen_and_top, length
from physics.regime import OSCILLATING, OSCILLATION_FLIPS, regime_codes, steady_swing, visible_swing
from surfaces.surface import Evaluation

#: The bound_kappa of a step with no method whose rate is per coordinate: NaN for every particle.
NO_BOUND_KAPPA = np.full(1, np.nan)


class ParticleArrays:
    """The per-particle arrays of all balls, (N, ...) each (see the module docstring).

    Attributes (N = particle count of all balls):
        positions (N, 2), loss (N,), gradient (N, 2) true, hessian (N, 2, 2): the surface there.
        step (N, 2), step_size (N,), lr (N,): the last step, its length, the effective rate.
        gradient_norm (N,), eigenvalues (N, 2) ascending, top (N, 2) unnormalised eigenvector of
            lambda_max.
        active (N,): False once stopped; stopped (N,) why (Simulation's codes), stopped_at (N,) when.
        flips (N,): consecutive sign flips of the step along the top eigenvector; swing (N,) and
            previous_swing (N,): step . top for this step and the one before (the same top).
        gradient_mean (N, 2), step_mean (N, 2), noise_power (N,), step_power (N,): the moving
            averages the regime reads (physics.regime; the number of steps averaged is the ball's,
            BallRuntime.started).
        bound_rate (N,): lr / stability factor of the particle's optimiser, NaN without a bound;
            bound_shift (N,): what the bound adds to λ_max (the weight decay).
        codes (N,): the regime label of each particle (after the hysteresis); candidate (N,) and
            held (N,): the hysteresis state (physics.regime.settle_label); previous_lam_max (N,):
            λ_max where the last step was taken; bound_kappa (N,) or (1,): StepTelemetry's, of the
            last step.
    """

    FIELDS = {
        "positions": ((2,), np.float64), "loss": ((), np.float64), "gradient": ((2,), np.float64),
        "hessian": ((2, 2), np.float64), "step": ((2,), np.float64), "step_size": ((), np.float64),
        "lr": ((), np.float64), "gradient_norm": ((), np.float64), "eigenvalues": ((2,), np.float64),
        "top": ((2,), np.float64), "active": ((), np.bool_), "stopped": ((), np.int8),
        "stopped_at": ((), np.int64), "flips": ((), np.int32), "swing": ((), np.float64),
        "previous_swing": ((), np.float64), "codes": ((), np.int8), "gradient_mean": ((2,), np.float64),
        "noise_power": ((), np.float64), "step_power": ((), np.float64), "bound_rate": ((), np.float64),
        "step_mean": ((2,), np.float64), "bound_shift": ((), np.float64), "candidate": ((), np.int8),
        "held": ((), np.int32), "previous_lam_max": ((), np.float64),
    }

    def __init__(self, n: int):
        self.n = n
        for name, (shape, dtype) in self.FIELDS.items():
            setattr(self, name, np.zeros((n, *shape), dtype=dtype, order="F"))
        self.bound_kappa = NO_BOUND_KAPPA  # (telemetry of the last step: StepTelemetry.bound_kappa)

    def copy_slice(self, other: ParticleArrays, source: slice, target: slice) -> None:
        """Copy one ball's rows from another set of arrays (when the balls are laid out anew)."""
        for name in self.FIELDS:
            getattr(self, name)[target] = getattr(other, name)[source]


def finite_rows(evaluation: Evaluation) -> np.ndarray:
    """(n,) True where f, grad f and H are all finite.

    The sum of the six numbers is finite when they all are (NaN or inf otherwise); only where the
    sum is not (or overflowed) are they checked one by one.
    """
    value, gradient, hessian = evaluation
    total = gradient[:, 0] + gradient[:, 1]
    total += value
    total += hessian[:, 0, 0]
    total += hessian[:, 0, 1]
    total += hessian[:, 1, 1]
    ok = np.isfinite(total)
    if not ok.all():
        suspects = np.flatnonzero(~ok)
        ok[suspects] = (np.isfinite(value[suspects]) & np.isfinite(gradient[suspects]).all(axis=1)
                        & np.isfinite(hessian[suspects]).all(axis=(1, 2)))
    return ok


def move(positions: np.ndarray, step: np.ndarray, centre: tuple[float, float],
         half_width: float) -> tuple[np.ndarray, bool]:
    """positions + step (n, 2) as a new column-major array, and whether every moved point is inside
    the box of :func:`inside_box` (NaN: outside), in one compiled pass."""
    moved = np.empty(positions.shape, order="F")
    inside = _move_kernel(positions[:, 0], positions[:, 1], step[:, 0], step[:, 1], moved[:, 0], moved[:, 1],
                          float(centre[0]), float(centre[1]), float(half_width))
    return moved, inside


@kernel
def _move_kernel(x, y, step_x, step_y, moved_x, moved_y, centre_x, centre_y, half_width) -> bool:  # noqa: ANN001
    inside = True
    for i in range(x.shape[0]):
        mx = x[i] + step_x[i]
        my = y[i] + step_y[i]
        moved_x[i] = mx
        moved_y[i] = my
        inside &= (abs(mx - centre_x) <= half_width) & (abs(my - centre_y) <= half_width)  # (no branch)
    return inside


def inside_box(points: np.ndarray, centre: tuple[float, float], half_width: float) -> np.ndarray:
    """(n,) True for points (n, 2) with |x - cx| <= half_width and |y - cy| <= half_width (NaN: False)."""
    with np.errstate(invalid="ignore"):
        distance = np.subtract(points[:, 0], centre[0])
        np.abs(distance, out=distance)
        inside = distance <= half_width
        np.subtract(points[:, 1], centre[1], out=distance)
        np.abs(distance, out=distance)
        inside &= distance <= half_width
    return inside


def row_dot(a: np.ndarray, b: np.ndarray, out: np.ndarray, scratch: np.ndarray) -> np.ndarray:
    """Row-wise dot products of (n, 2) arrays into ``out`` (n,), with ``scratch`` (n,) for the second term.

    Column by column: for two components this beats einsum and vecdot several times over.
    """
    np.multiply(a[:, 0], b[:, 0], out=out)
    np.multiply(a[:, 1], b[:, 1], out=scratch)
    out += scratch
    return out


class StepTelemetry(NamedTuple):
    """What :func:`step_telemetry` measures of one step: new (n, ...) arrays."""

    eigenvalues: np.ndarray     # (n, 2) [lambda_min, lambda_max] of H at the new position
    top: np.ndarray             # (n, 2) an unnormalised eigenvector of lambda_max there
    flips: np.ndarray           # (n,) consecutive sign flips of the step along the top eigenvector
    swing: np.ndarray           # (n,) step . top, top where the step was taken
    previous_swing: np.ndarray  # (n,) previous step . the same top
    step_size: np.ndarray       # (n,) |step|
    lr: np.ndarray              # (n,) |step| / |estimated gradient| (NaN where the estimate was zero or
                                #   the particle is stopped: no step was taken)
    gradient_norm: np.ndarray   # (n,) |grad f| at the new position
    codes: np.ndarray           # (n,) int8 regime labels (physics.regime, after the hysteresis)
    bound_kappa: np.ndarray     # (n,) or (1,) kappa = lambda_max(R (H + shift I)) / c of methods whose rate
                                #   is per coordinate, where the oscillation test ran; NaN elsewhere


def step_telemetry(*, step: np.ndarray, previous_step: np.ndarray, old_top: np.ndarray, old_flips: np.ndarray,
                   old_eigenvalues: np.ndarray, old_previous_swing: np.ndarray, hessian: np.ndarray,
                   gradient: np.ndarray, loss: np.ndarray, active: np.ndarray, estimate_square: np.ndarray,
                   gradient_mean: np.ndarray,
                   step_mean: np.ndarray, step_power: np.ndarray, noise_power: np.ndarray | float,
                   window_count: np.ndarray | int, bound_rate: np.ndarray, bound_shift: np.ndarray,
                   old_codes: np.ndarray, candidate: np.ndarray, held: np.ndarray, weight: float,
                   thresholds: tuple[float, ...], positions: np.ndarray | None = None,
                   bound_kappa_of: Callable[[np.ndarray], np.ndarray] | None = None) -> StepTelemetry:
    """The telemetry of one step of every particle.

    Per particle: the step and the one before projected on the top eigenvector where the step was
    taken, and the flip count (+1 where the projections have opposite signs, else 0); the
    eigen-decomposition of the new Hessian (physics.eigen); the step size, the effective rate and
    the gradient norm; the moving averages; the regime and its label (physics.regime, with the
    hysteresis). Four compiled passes: each
    of the first three is simple enough for the compiler to vectorise (one pass doing it all cannot
    be, and measured 1.7 times slower), the regime's rules branch.

    Args:
        step, previous_step: (n, 2) this step and the last one.
        old_top: (n, 2) the top eigenvector where this step was taken; old_flips: (n,) flips so far;
            old_eigenvalues: (n, 2) the eigenvalues there; old_previous_swing: (n,) the swing of the
            step before the last one.
        hessian: (n, 2, 2), gradient: (n, 2), loss: (n,): the surface at the new positions.
        active: (n,) bool. estimate_square: (n,) |estimated gradient|^2 the optimiser was given.
        gradient_mean: (n, 2), step_mean: (n, 2) and step_power: (n,) the moving averages of the
            true gradient, the step and |step|^2, updated in place: (1 - w) average + w new, w = ``weight``.
        noise_power, window_count: one number for all particles or (n,) (see physics.regime.diagnose).
        bound_rate: (n,) lr / stability factor, NaN without a bound; bound_shift: (n,) what the
            bound adds to λ_max (the weight decay).
        old_codes: (n,) the labels of the step before; candidate, held: (n,) the hysteresis state,
            updated in place (physics.regime.settle_label).
        thresholds: physics.regime.regime_thresholds(scales, floor), the floor counting this step's losses.
        positions: (n, 2) the new positions (for the weight decay's share of the gradient; see
            physics.regime.regime_codes).
        bound_kappa_of: for optimisers whose rate is per coordinate, a function of particle
            indices (k,) giving their kappa = lambda_max(R (H + shift I)) / c (k,) (NaN for the
            others; see physics.regime.regime_codes); asked only for the particles whose
            oscillation test is due (enough flips).
    """
    n = step.shape[0]
    out = StepTelemetry(np.empty((n, 2), order="F"), np.empty((n, 2), order="F"), np.empty(n, dtype=old_flips.dtype),
                        np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n, dtype=np.int8),
                        NO_BOUND_KAPPA)
    _swings_kernel(step[:, 0], step[:, 1], previous_step[:, 0], previous_step[:, 1], old_top[:, 0], old_top[:, 1],
                   old_flips, out.flips, out.swing, out.previous_swing)
    eigen_and_top(hessian, out.eigenvalues, out.top)
    _measures_kernel(step[:, 0], step[:, 1], gradient[:, 0], gradient[:, 1], estimate_square, weight,
                     out.step_size, out.lr, out.gradient_norm, gradient_mean[:, 0], gradient_mean[:, 1],
                     step_power)
    _drift_kernel(step[:, 0], step[:, 1], weight, step_mean[:, 0], step_mean[:, 1])
    if not active.all():
        out.lr[~active] = np.nan  # a stopped particle took no step: it has no rate (not a rate of 0)
    bound_kappa = NO_BOUND_KAPPA
    if bound_kappa_of is not None:
        due = _kappa_read(out, old_top, old_previous_swing, old_codes)
        if due.size:
            bound_kappa = np.full(n, np.nan)
            bound_kappa[due] = bound_kappa_of(due)
    regime_codes(active=active, loss=loss, gradient=gradient, gradient_norm=out.gradient_norm,
                 step_size=out.step_size, mean_gradient=gradient_mean, mean_step=step_mean, noise_power=noise_power,
                 step_power=step_power, window_count=window_count, eigenvalues=out.eigenvalues, top=out.top,
                 flips=out.flips, swing=out.swing, previous_swing=out.previous_swing, bound_rate=bound_rate,
                 bound_shift=bound_shift, previous_lam_max=old_eigenvalues[:, 1],
                 earlier_swing=old_previous_swing, swing_top=old_top, thresholds=thresholds,
                 out=out.codes, labels=old_codes, candidate=candidate, held=held, positions=positions,
                 bound_kappa=bound_kappa)
    return out._replace(bound_kappa=bound_kappa)


def _kappa_read(out: StepTelemetry, old_top: np.ndarray, old_previous_swing: np.ndarray,
                old_codes: np.ndarray) -> np.ndarray:
    """The particles (indices) whose oscillation test reads κ: those of physics.regime.oscillation_of
    that are due a test (enough flips, a step taken) and not oscillating already, with a visible
    swing that does not shrink. Elsewhere the test decides without κ (a NaN κ gives the same
    answer there), and measuring κ costs a gather of the optimiser's state: in a noisy swarm of
    100 000 some 4 000 particles have the flips, and a handful the swing. The flips by a vectorised
    comparison, the rest compiled over those few (the test in NumPy gathers, 0.35 ms a step, was a
    tenth of the step; one compiled loop over every particle, branching, 0.2 ms; this, 0.05 ms)."""
    due = np.flatnonzero(out.flips >= OSCILLATION_FLIPS)
    count = _kappa_read_kernel(due, out.swing, out.previous_swing, old_previous_swing, out.step_size,
                               old_top[:, 0], old_top[:, 1], old_codes)
    return due[:count]


@kernel
def _kappa_read_kernel(due, swing, previous_swing, earlier_swing, step_size, top_x, top_y,  # noqa: ANN001
                       codes) -> int:
    """:func:`_kappa_read`'s test for the particles ``due`` (indices, enough flips): those that pass
    are moved to the front of ``due`` (in order), their count returned."""
    count = 0
    for k in range(due.shape[0]):
        i = due[k]
        if codes[i] == OSCILLATING or step_size[i] == 0.0:
            continue
        if visible_swing(step_size[i], swing[i], top_x[i], top_y[i]) & steady_swing(
                swing[i], previous_swing[i], earlier_swing[i]):
            due[count] = i
            count += 1
    return count


@kernel
def _swings_kernel(step_x, step_y, previous_x, previous_y, top_x, top_y, flips, counts, along,  # noqa: ANN001
                   before) -> None:
    """Projections of this step and the last on the top eigenvector, and the flip counts (a NaN
    projection counts as no flip; a step of zero, a step an optimiser rejected, neither flips nor
    breaks the count: traingda's rejected trial steps punctuate one oscillation)."""
    for i in range(step_x.shape[0]):
        now = step_x[i] * top_x[i] + step_y[i] * top_y[i]
        then = previous_x[i] * top_x[i] + previous_y[i] * top_y[i]
        along[i] = now
        before[i] = then
        product = now * then
        counts[i] = flips[i] + 1 if product < 0.0 else (flips[i] if product == 0.0 else 0)


@kernel
def _measures_kernel(step_x, step_y, gradient_x, gradient_y, estimate_square, weight,  # noqa: ANN001
                     step_size, lr, gradient_norm, mean_x, mean_y, step_power) -> None:
    """Step size, effective rate (NaN where the estimate was zero or beyond 1e154), gradient norm; the
    averages updated."""
    keep = 1.0 - weight
    overflowed = False
    for i in range(step_x.shape[0]):
        sx, sy = step_x[i], step_y[i]
        square = sx * sx + sy * sy
        size = np.sqrt(square)
        step_size[i] = size
        estimate = np.sqrt(estimate_square[i])
        # (NaN, not measured, where the estimate is zero or its square overflowed)
        lr[i] = size / estimate if 0.0 < estimate < np.inf else np.nan
        gx, gy = gradient_x[i], gradient_y[i]
        norm = np.sqrt(gx * gx + gy * gy)
        gradient_norm[i] = norm
        mean_x[i] = mean_x[i] * keep + gx * weight
        mean_y[i] = mean_y[i] * keep + gy * weight
        step_power[i] = step_power[i] * keep + square * weight
        overflowed |= (size == np.inf) | (norm == np.inf)  # (no branch)
    # Lengths whose squares overflowed (beyond 1e154) are made finite in a pass of their own: a
    # call to hypot inside the loop above stops the compiler vectorising it (0.2 -> 0.85 ms a step
    # at 100 000 particles), and the pass below, which reads two more streams, runs only when the
    # loop above met such a length (0.28 -> 0.2 ms).
    if not overflowed:
        return
    for i in range(step_x.shape[0]):
        if step_size[i] == np.inf:
            step_size[i] = length(step_x[i], step_y[i])
            estimate = np.sqrt(estimate_square[i])
            lr[i] = step_size[i] / estimate if 0.0 < estimate < np.inf else np.nan
        if gradient_norm[i] == np.inf:
            gradient_norm[i] = length(gradient_x[i], gradient_y[i])


@kernel
def _drift_kernel(step_x, step_y, weight, mean_x, mean_y) -> None:  # noqa: ANN001
    """The moving average of the step, updated in place (a loop of its own: folded into
    :func:`_measures_kernel`, two more streams stopped the compiler vectorising it, five times slower)."""
    keep = 1.0 - weight
    for i in range(step_x.shape[0]):
        mean_x[i] = mean_x[i] * keep + step_x[i] * weight
        mean_y[i] = mean_y[i] * keep + step_y[i] * weight
