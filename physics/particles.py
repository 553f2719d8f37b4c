"""The per-particle arrays of a simulation, and the vectorised checks a step makes on them.

All balls' particles live side by side in (N, ...) arrays; a ball owns a contiguous slice.
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
        gradient_mean (N, 2), noise_power (N,), step_power (N,), window_count (N,): the moving
            averages the regime reads (physics.regime).
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
        "noise_power": ((), np.float64), "step_power": ((), np.float64), "window_count": ((), np.int32),
        "bound_rate": ((), np.float64),
    }

    def __init__(self, n: int):
        self.n = n
        for name, (shape, dtype) in self.FIELDS.items():
            setattr(self, name, np.zeros((n, *shape), dtype=dtype))

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


def swings(step: np.ndarray, previous: np.ndarray, top: np.ndarray, flips: np.ndarray) -> tuple[np.ndarray, ...]:
    """The step and the one before projected on the same top eigenvector; the flip counts updated.

    Args:
        step, previous: (n, 2) this step and the last one.
        top: (n, 2) the eigenvector of lambda_max (any length) where this step was taken.
        flips: (n,) consecutive sign flips so far.

    Returns:
        (flips (n,) new counts: +1 where the projections have opposite signs, else 0,
         step . top (n,), previous . top (n,)): the projections, signed.
    """
    with np.errstate(all="ignore"):
        along = step[:, 0] * top[:, 0]
        along += step[:, 1] * top[:, 1]
        before = previous[:, 0] * top[:, 0]
        before += previous[:, 1] * top[:, 1]
        flipped = along * before
        counts = flips + 1
        counts *= flipped < 0.0  # (a product, not a masked write: the signs are mixed in a noisy swarm)
    return counts, along, before
