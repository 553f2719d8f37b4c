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

import numpy as np

from surfaces.surface import Evaluation


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
        gradient_mean (N, 2), noise_power (N,), step_power (N,): the moving averages the regime reads
            (physics.regime; the number of steps averaged is the ball's, BallRuntime.started).
        bound_rate (N,): lr / stability factor of the particle's optimiser, NaN without a bound.
        codes (N,): the regime of each particle.
    """

    FIELDS = {
        "positions": ((2,), np.float64), "loss": ((), np.float64), "gradient": ((2,), np.float64),
        "hessian": ((2, 2), np.float64), "step": ((2,), np.float64), "step_size": ((), np.float64),
        "lr": ((), np.float64), "gradient_norm": ((), np.float64), "eigenvalues": ((2,), np.float64),
        "top": ((2,), np.float64), "active": ((), np.bool_), "stopped": ((), np.int8),
        "stopped_at": ((), np.int64), "flips": ((), np.int32), "swing": ((), np.float64),
        "previous_swing": ((), np.float64), "codes": ((), np.int8), "gradient_mean": ((2,), np.float64),
        "noise_power": ((), np.float64), "step_power": ((), np.float64), "bound_rate": ((), np.float64),
    }

    def __init__(self, n: int):
        self.n = n
        for name, (shape, dtype) in self.FIELDS.items():
            setattr(self, name, np.zeros((n, *shape), dtype=dtype, order="F"))

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


def all_inside_box(points: np.ndarray, centre: tuple[float, float], half_width: float) -> bool:
    """Whether every point (n, 2) is inside the box of :func:`inside_box` (NaN: False).

    First from the smallest and largest coordinate of all (two SIMD reductions of the whole
    array, several times cheaper than reducing strided columns), which settles the common case of
    a box around the origin; else column by column.
    """
    if points.shape[0] == 0:
        return True
    low, high = float(points.min()), float(points.max())
    if max(centre) - half_width <= low and high <= min(centre) + half_width:
        return True
    x, y = points[:, 0], points[:, 1]
    return bool(centre[0] - half_width <= x.min() and x.max() <= centre[0] + half_width
                and centre[1] - half_width <= y.min() and y.max() <= centre[1] + half_width)


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


def swings(step: np.ndarray, previous: np.ndarray, top: np.ndarray, flips: np.ndarray,
           scratch: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """The step and the one before projected on the same top eigenvector; the flip counts updated.

    Args:
        step, previous: (n, 2) this step and the last one.
        top: (n, 2) the eigenvector of lambda_max (any length) where this step was taken.
        flips: (n,) consecutive sign flips so far.
        scratch: (n,) float64 work space (made if None).

    Returns:
        (flips (n,) new counts: +1 where the projections have opposite signs, else 0,
         step . top (n,), previous . top (n,)): the projections, signed (new arrays).
    """
    n = step.shape[0]
    scratch = np.empty(n) if scratch is None else scratch
    with np.errstate(all="ignore"):
        along = row_dot(step, top, np.empty(n), scratch)
        before = row_dot(previous, top, np.empty(n), scratch)
        flipped = np.multiply(along, before, out=scratch)
        counts = flips + 1
        counts *= flipped < 0.0  # (a product, not a masked write: the signs are mixed in a noisy swarm)
    return counts, along, before
