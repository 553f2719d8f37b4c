"""The regime rules as vectorised NumPy code: an independent transcription of physics.regime's
docstring that the compiled per-particle rules must agree with, and the hysteresis written as a
loop over steps (vectorised over particles)."""

from __future__ import annotations

import numpy as np

from physics.regime import (
    ADAPTIVE_EDGE,
    BOWL_REACH,
    DESCENDING,
    DIVERGING,
    EDGE,
    FLAT_CURVATURE,
    HIGH_LOSS,
    HOLD,
    MAXIMUM,
    MIN_WINDOW,
    MINIMUM,
    NEAR,
    NO_LABEL,
    NOISE_RATIO,
    OSCILLATING,
    OSCILLATION_FLIPS,
    PLATEAU,
    PLATEAU_CURVATURE,
    PLATEAU_GRADIENT,
    REACH,
    SADDLE,
    STEADY_DRIFT,
    STEADY_SWING,
    SWING_SHARE,
    WINDOW,
    RegimeScales,
)


def diagnose_reference(*, active: np.ndarray, loss: np.ndarray, gradient: np.ndarray, gradient_norm: np.ndarray,
                       step_size: np.ndarray, mean_gradient: np.ndarray, mean_step: np.ndarray,
                       noise_power: np.ndarray | float, step_power: np.ndarray, window_count: np.ndarray | int,
                       eigenvalues: np.ndarray, top: np.ndarray, flips: np.ndarray, swing: np.ndarray,
                       previous_swing: np.ndarray, bound_rate: np.ndarray, scales: RegimeScales, floor: float,
                       bound_shift: np.ndarray | None = None, previous_lam_max: np.ndarray | None = None,
                       earlier_swing: np.ndarray | None = None, swing_top: np.ndarray | None = None,
                       labels: np.ndarray | None = None, positions: np.ndarray | None = None,
                       bound_kappa: np.ndarray | None = None) -> np.ndarray:
    """physics.regime.diagnose in whole-array NumPy operations, rule by rule (``labels``: the labels
    of the step before, for an oscillation that continues; none by default)."""
    n = loss.shape[0]
    bound_shift = np.zeros(n) if bound_shift is None else bound_shift
    previous_lam_max = eigenvalues[:, 1] if previous_lam_max is None else previous_lam_max
    if positions is not None:  # weight decay: the loss descended is f + (wd / 2) |p|^2
        gradient = gradient + bound_shift[:, None] * positions
        gradient_norm = np.linalg.norm(gradient, axis=1)
        mean_gradient = mean_gradient + bound_shift[:, None] * positions
        eigenvalues = eigenvalues + bound_shift[:, None]
        previous_lam_max = previous_lam_max + bound_shift
        bound_shift = np.zeros(n)
    lam_min, lam_max = eigenvalues[:, 0], eigenvalues[:, 1]
    earlier_swing = previous_swing if earlier_swing is None else earlier_swing
    swing_top = top if swing_top is None else swing_top
    noise_power = np.broadcast_to(np.asarray(noise_power, dtype=np.float64), (n,))
    window_count = np.broadcast_to(np.asarray(window_count), (n,))
    near = NEAR * scales.length
    radius = np.maximum(lam_max, -lam_min)
    flat = FLAT_CURVATURE * np.minimum(scales.curvature, radius)
    positive = lam_min > flat
    high = loss > floor + HIGH_LOSS * scales.loss

    with np.errstate(all="ignore"):
        # Rule 2: moving steadily.
        drift = np.hypot(mean_step[:, 0], mean_step[:, 1])
        moving = (WINDOW * step_size > near) & (drift * drift > STEADY_DRIFT ** 2 * step_power)
        # Rule 3: at a critical point, or jittering around one under noise.
        close = (gradient_norm <= near * radius) & (step_size <= near)
        still = close & (model_distance(gradient, eigenvalues, top) <= near)
        pull = mean_gradient[:, 0] ** 2 + mean_gradient[:, 1] ** 2
        reach = np.where(positive, BOWL_REACH, REACH) * np.sqrt(step_power)
        noisy = (noise_power > 0.0) & (window_count >= MIN_WINDOW) & (pull <= NOISE_RATIO ** 2 * noise_power)
        noisy &= model_distance(mean_gradient, eigenvalues, top) <= reach
        settled = (still | noisy) & ~moving

    codes = np.full(n, DESCENDING, dtype=np.int8)
    # Rule 4 (and a settled particle at a zero curvature with a high loss).
    plateau = (gradient_norm <= PLATEAU_GRADIENT * scales.gradient) & (radius <= PLATEAU_CURVATURE * scales.curvature)
    codes[(plateau & high) | (settled & ~positive & high)] = PLATEAU
    codes[settled & (positive | ~high)] = MINIMUM
    codes[settled & (lam_min < -flat)] = SADDLE
    codes[settled & (lam_max < -flat)] = MAXIMUM

    # Rule 6: the oscillation.
    with np.errstate(all="ignore"):
        top_length = np.hypot(swing_top[:, 0], swing_top[:, 1])
        visible = np.abs(swing) >= SWING_SHARE * step_size * top_length
        continuing = np.zeros(n, dtype=bool) if labels is None else labels == OSCILLATING
        swinging = (flips >= OSCILLATION_FLIPS) & (step_size != 0.0)
        steady = (np.abs(swing) >= STEADY_SWING * np.abs(previous_swing)) | (
            np.abs(swing) >= STEADY_SWING ** 2 * np.abs(earlier_swing))
        kappa = bound_rate * (np.maximum(lam_max, previous_lam_max) + bound_shift)
        shown = continuing | (visible & steady)
        measured = np.full(n, np.nan) if bound_kappa is None else np.broadcast_to(bound_kappa, (n,))
        fixed = np.isnan(measured)  # (κ from one lr, or no bound)
        past = visible & (kappa > 1.0 + EDGE)
        bounded = fixed & ~np.isnan(bound_rate) & ((kappa >= 1.0 - EDGE) & (continuing | past | shown))
        adaptive = fixed & np.isnan(bound_rate) & shown & (codes == DESCENDING)
        # a rate per coordinate: the swing test, started only near its edge (κ >= ADAPTIVE_EDGE)
        rated = ~fixed & (codes == DESCENDING) & (continuing | (visible & steady & (measured >= ADAPTIVE_EDGE)))
    codes[swinging & (bounded | adaptive | rated)] = OSCILLATING
    codes[~np.asarray(active, dtype=bool)] = DIVERGING
    return codes


def labels_reference(raw: np.ndarray) -> np.ndarray:
    """The labels (k, n) shown for raw regimes (k, n) of k steps: the first step's raw regime, then
    a change only once the new raw regime has held HOLD consecutive steps (diverging at once)."""
    labels = np.empty_like(raw)
    label = np.full(raw.shape[1], NO_LABEL, dtype=raw.dtype)
    run = np.zeros(raw.shape[1], dtype=np.int64)  # how long the raw regime has held unchanged
    for step, codes in enumerate(raw):
        run = np.where((step > 0) & (codes == raw[step - 1]), run + 1, 1)
        change = (label == NO_LABEL) | (codes == DIVERGING) | (run >= HOLD)
        label = np.where(change, codes, label)
        labels[step] = label
    return labels


def model_distance(gradient: np.ndarray, eigenvalues: np.ndarray, top: np.ndarray) -> np.ndarray:
    """|H^-1 g| (n,): the length of Newton's step, with a zero component along an exactly zero
    eigenvalue adding nothing and a non-zero one making it infinite.

    With unit eigenvectors u (of λ_max) and w (of λ_min):
    |H^-1 g|^2 = (u.g / λ_max)^2 + (w.g / λ_min)^2.
    """
    length = np.hypot(top[:, 0], top[:, 1])
    isotropic = ~(length > 0.0)
    length = np.where(isotropic, 1.0, length)
    ux = np.where(isotropic, 1.0, top[:, 0] / length)
    uy = np.where(isotropic, 0.0, top[:, 1] / length)
    along = ux * gradient[:, 0] + uy * gradient[:, 1]
    across = ux * gradient[:, 1] - uy * gradient[:, 0]
    with np.errstate(all="ignore"):
        along = np.where(along != 0.0, along / eigenvalues[:, 1], 0.0)
        across = np.where(across != 0.0, across / eigenvalues[:, 0], 0.0)
    return np.sqrt(along * along + across * across)
