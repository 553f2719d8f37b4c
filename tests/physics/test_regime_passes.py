"""The regime kernel's two passes (physics.regime._diagnose_kernel): the particles its first,
branch-free pass decides (and whose hysteresis it computes as selects) get the labels of the
rules and of settle_label, step after step, mixed with those its second pass decides."""

from __future__ import annotations

import numpy as np

from physics.regime import DESCENDING, NO_LABEL, PLATEAU, REGIMES, regime_codes
from tests.physics.regime_reference import labels_reference


def _pool(rng: np.random.Generator, size: int) -> dict[str, np.ndarray]:
    """``size`` random particle states: descending, plateau, settled, noisy, oscillating and stopped ones."""
    def spread(scale: float = 1.0) -> np.ndarray:
        return rng.standard_normal(size) * scale * 10.0 ** rng.integers(-4, 2, size)

    low, high = spread(), spread()
    step_size = np.abs(spread())
    # (steps that alternate along the top eigenvector with a steady swing: a particle past its bound is
    # oscillating whether its label was already or not, so that its raw regime does not depend on its label)
    return dict(active=rng.random(size) > 0.1, loss=spread(), gradient=np.column_stack([spread(), spread()]),
                step_size=step_size, mean_gradient=np.column_stack([spread(), spread()]),
                mean_step=np.column_stack([spread(), spread()]), noise_power=np.where(rng.random(size) < 0.5, 0.0,
                                                                                     np.abs(spread())),
                step_power=np.abs(spread()), eigenvalues=np.column_stack([np.minimum(low, high),
                                                                          np.maximum(low, high)]),
                top=np.column_stack([spread(), spread()]), flips=rng.integers(0, 4, size).astype(np.int32),
                swing=step_size, previous_swing=np.zeros(size), earlier_swing=np.zeros(size),
                swing_top=np.tile([1.0, 0.0], (size, 1)),
                bound_rate=np.where(rng.random(size) < 0.5, np.nan, np.abs(spread())),
                bound_shift=np.zeros(size), previous_lam_max=spread())


def _codes(rows: dict[str, np.ndarray], index: np.ndarray, noise: bool, **hysteresis: np.ndarray) -> np.ndarray:
    picked = {name: np.asfortranarray(values[index]) for name, values in rows.items()}
    picked["gradient_norm"] = np.hypot(picked["gradient"][:, 0], picked["gradient"][:, 1])
    if not noise:  # one noise power and one window count for all (the first pass's other loop)
        picked["noise_power"] = 0.5
    return regime_codes(window_count=np.full(len(index), 8) if noise else 8,
                        thresholds=(0.01, 0.05, 0.05, 1.0, 0.0), **picked, **hysteresis)


def test_the_labels_of_both_passes_follow_the_rules_and_the_hysteresis() -> None:
    rng = np.random.default_rng(5)
    rows = _pool(rng, 64)
    for noise in (False, True):
        raw_codes = _codes(rows, np.arange(64), noise)
        assert {DESCENDING, PLATEAU} <= set(raw_codes) and len(set(raw_codes)) >= 5  # both passes decide some
        k, n = 80, 200
        # runs of random states of random lengths, per particle
        index = np.empty((k, n), dtype=np.int64)
        for j in range(n):
            step = 0
            while step < k:
                length = int(rng.integers(1, 12))
                index[step:step + length, j] = rng.integers(0, 64)
                step += length
        raw = np.stack([_codes(rows, index[step], noise) for step in range(k)])
        expected = labels_reference(raw)
        label = np.full(n, NO_LABEL, dtype=np.int8)
        candidate = np.full(n, NO_LABEL, dtype=np.int8)
        held = np.zeros(n, dtype=np.int32)
        for step in range(k):
            label = _codes(rows, index[step], noise, labels=label, candidate=candidate, held=held)
            np.testing.assert_array_equal(label, expected[step], err_msg=f"step {step} ({REGIMES})")
