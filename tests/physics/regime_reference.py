"""The regime rules as the vectorised NumPy code of an earlier version wrote them: an independent
transcription of physics.regime's docstring that the compiled per-particle rules must agree with."""

from __future__ import annotations

import numpy as np

from physics.regime import (
    BOWL_REACH,
    CRITICAL_GRADIENT,
    DESCENDING,
    DIVERGING,
    FLAT_CURVATURE,
    HIGH_LOSS,
    MAXIMUM,
    MIN_WINDOW,
    MINIMUM,
    NOISE_RATIO,
    NOISY_GRADIENT,
    OSCILLATING,
    OSCILLATION_FLIPS,
    PLATEAU,
    PLATEAU_CURVATURE,
    PLATEAU_GRADIENT,
    REACH,
    SADDLE,
    STEADY_SWING,
    STILL,
    RegimeScales,
    take_rows,
)


def diagnose_reference(*, active: np.ndarray, loss: np.ndarray, gradient_norm: np.ndarray, step_size: np.ndarray,
             mean_gradient: np.ndarray, noise_power: np.ndarray | float, step_power: np.ndarray,
             window_count: np.ndarray | int, eigenvalues: np.ndarray, top: np.ndarray, flips: np.ndarray,
             swing: np.ndarray, previous_swing: np.ndarray, bound_rate: np.ndarray, scales: RegimeScales,
             floor: float) -> np.ndarray:
    """physics.regime.diagnose as an earlier version computed it: a few vectorised passes pick the
    particles that may be other than descending, and only those are classified further."""
    codes = np.zeros(loss.shape[0], dtype=np.int8)  # descending
    flat = PLATEAU_CURVATURE * scales.curvature
    candidates = gradient_norm <= CRITICAL_GRADIENT * scales.gradient
    curved = eigenvalues[:, 1] <= flat
    curved &= eigenvalues[:, 0] >= -flat
    candidates |= curved
    noise_power = np.asarray(noise_power, dtype=np.float64)
    window_count = np.asarray(window_count)
    pull = None
    if (noise_power > 0.0).any():
        pull = mean_gradient[:, 0] * mean_gradient[:, 0]
        pull += mean_gradient[:, 1] * mean_gradient[:, 1]
        candidates |= pull <= (NOISE_RATIO * NOISE_RATIO) * noise_power
    chosen = np.flatnonzero(candidates)
    if chosen.size:
        def pick(values: np.ndarray) -> np.ndarray:
            return values[chosen] if values.ndim else values

        grad, step, lam = gradient_norm[chosen], step_size[chosen], take_rows(eigenvalues, chosen)
        # Rule 3's critical point, rule 4's plateau, and the noise test of rule 3.
        still = grad <= CRITICAL_GRADIENT * scales.gradient
        still &= step <= STILL * scales.length
        plateau = grad <= PLATEAU_GRADIENT * scales.gradient
        plateau &= lam[:, 1] <= flat
        plateau &= lam[:, 0] >= -flat
        if pull is not None:
            power = pick(noise_power)
            noisy = (power > 0.0) & (pick(window_count) >= MIN_WINDOW)
            noisy &= pull[chosen] <= (NOISE_RATIO * NOISE_RATIO) * power
            noisy = np.broadcast_to(noisy, grad.shape)
        else:
            noisy = np.zeros(chosen.size, dtype=np.bool_)
        keep = np.flatnonzero(still | plateau | noisy)
        if keep.size:
            chosen = chosen[keep]
            codes[chosen] = _classify(
                loss[chosen], grad[keep], step[keep], take_rows(mean_gradient, chosen), np.sqrt(step_power[chosen]),
                lam[keep], take_rows(top, chosen), noisy[keep], scales, floor)

    swinging = np.flatnonzero(flips >= OSCILLATION_FLIPS)
    if swinging.size:
        rate = bound_rate[swinging]
        bounded = rate * eigenvalues[:, 1][swinging] > 1.0  # NaN (no bound) compares False
        unbounded = np.isnan(rate)
        unbounded &= np.abs(swing[swinging]) >= STEADY_SWING * np.abs(previous_swing[swinging])
        unbounded &= codes[swinging] == DESCENDING
        codes[swinging[bounded | unbounded]] = OSCILLATING
    if not active.all():
        codes[~active] = DIVERGING
    return codes


def _classify(loss: np.ndarray, gradient_norm: np.ndarray, step_size: np.ndarray, mean_gradient: np.ndarray,
              step_level: np.ndarray, eigenvalues: np.ndarray, top: np.ndarray, noisy: np.ndarray,
              scales: RegimeScales, floor: float) -> np.ndarray:
    """Rules 3 and 4 for the particles that may be settled or on a plateau (arrays of those only)."""
    lam_min = eigenvalues[:, 0]
    lam_max = eigenvalues[:, 1]
    flat = FLAT_CURVATURE * scales.curvature
    high = loss > floor + HIGH_LOSS * scales.loss
    positive = lam_min > flat

    settled = gradient_norm <= CRITICAL_GRADIENT * scales.gradient
    settled &= step_size <= STILL * scales.length
    doubtful = np.flatnonzero(noisy & ~positive)  # noisy outside a bowl: is the critical point near?
    if doubtful.size:
        near = model_distance(mean_gradient[doubtful], eigenvalues[doubtful], top[doubtful])
        noisy = noisy.copy()
        noisy[doubtful] = near <= REACH * step_level[doubtful]
    # In a bowl, a large averaged pull whose minimum is many steps away: high on the wall, descending.
    wall = np.flatnonzero(noisy & positive & (_norm(mean_gradient) > NOISY_GRADIENT * scales.gradient))
    if wall.size:
        near = model_distance(mean_gradient[wall], eigenvalues[wall], top[wall])
        noisy = noisy.copy()
        noisy[wall] = near <= BOWL_REACH * step_level[wall]
    settled |= noisy

    codes = np.zeros(loss.shape[0], dtype=np.int8)
    # max |lambda| = max(lambda_max, -lambda_min), as lambda_min <= lambda_max
    plateau = np.maximum(lam_max, -lam_min) <= PLATEAU_CURVATURE * scales.curvature
    plateau &= gradient_norm <= PLATEAU_GRADIENT * scales.gradient
    plateau &= high
    codes[plateau] = PLATEAU
    # Settled: classify by curvature, each assignment overriding the one before.
    codes[settled & ~positive & high] = PLATEAU
    codes[settled & (positive | ~high)] = MINIMUM
    codes[settled & (lam_min < -flat)] = SADDLE
    codes[settled & (lam_max < -flat)] = MAXIMUM
    return codes


def _norm(vectors: np.ndarray) -> np.ndarray:
    return np.sqrt(vectors[:, 0] * vectors[:, 0] + vectors[:, 1] * vectors[:, 1])


def model_distance(gradient: np.ndarray, eigenvalues: np.ndarray, top: np.ndarray) -> np.ndarray:
    """|H^-1 g| (n,): how far the critical point of the quadratic model lies (inf where H is singular).

    With unit eigenvectors u (of lambda_max) and w (of lambda_min):
    |H^-1 g|^2 = (u.g / lambda_max)^2 + (w.g / lambda_min)^2.
    """
    length = _norm(top)
    isotropic = ~(length > 0.0)
    length[isotropic] = 1.0
    ux = top[:, 0] / length
    uy = top[:, 1] / length
    ux[isotropic] = 1.0
    uy[isotropic] = 0.0
    along = (ux * gradient[:, 0] + uy * gradient[:, 1]) / eigenvalues[:, 1]
    across = (ux * gradient[:, 1] - uy * gradient[:, 0]) / eigenvalues[:, 0]
    return np.sqrt(along * along + across * across)
