"""Telemetry helpers: the bracketed median equals numpy.median exactly, regime counts, lazy regime names."""

from __future__ import annotations

import math

import numpy as np
import pytest

from physics import telemetry
from physics.regime import REGIMES, take_rows
from physics.telemetry import BRACKET_MEDIAN_MIN, RegimeNames, median, swarm_statistics


@pytest.mark.parametrize("n", [BRACKET_MEDIAN_MIN, BRACKET_MEDIAN_MIN + 1, 50_000, 50_001])
def test_the_bracketed_median_is_numpys_to_the_last_bit(n: int) -> None:
    rng = np.random.default_rng(n)
    values = rng.lognormal(0.0, 2.0, n)
    bracket = None
    hits = 0
    for step in range(60):
        # a swarm's losses: drifting slowly, with now and then a jump that leaves the bracket behind
        values = values * (1.0 - 0.01 * rng.random(n)) + (5.0 if step % 20 == 19 else 0.0)
        expected = np.median(values)
        value, next_bracket = median(values, bracket)
        assert value == expected and isinstance(value, float)
        if bracket is not None and bracket[0] - bracket[1] <= expected <= bracket[0] + bracket[1]:
            hits += 1
        bracket = next_bracket
    assert hits > 40  # the bracket did the work most of the time (the fallback alone would also be exact)


def test_the_median_of_ties_and_of_small_arrays() -> None:
    tied = np.full(10_000, 2.5)
    tied[:4000] = 1.0
    value, bracket = median(tied)
    assert value == 2.5 and median(tied, bracket)[0] == 2.5
    even = np.concatenate([np.zeros(5000), np.ones(5000)])
    assert median(even, (0.5, 0.1))[0] == np.median(even) == 0.5
    small = np.array([3.0, 1.0, 2.0, 10.0])
    assert median(small) == (2.5, None)


def test_regime_names_read_the_codes_lazily() -> None:
    codes = np.array([0, 2, 2, 1], dtype=np.int8)
    names = RegimeNames(codes)
    assert names == ["descending", "saddle", "saddle", "minimum"] and names != ["descending"]
    assert names[1] == "saddle" and names[-1] == "minimum" and names[1:3] == ["saddle", "saddle"]
    assert len(names) == 4 and names.count("saddle") == 2 and names.count("nonsense") == 0
    assert list(reversed(names))[0] == "minimum" and "minimum" in names and names.index("saddle") == 1
    codes[0] = 6  # a view: a record written later shows through
    assert names[0] == "diverging"


def test_take_rows_gathers_rows_of_either_layout() -> None:
    data = np.arange(20.0).reshape(10, 2)
    for array in (data, np.asfortranarray(data)):
        np.testing.assert_array_equal(take_rows(array, np.array([7, 1, 1])), data[[7, 1, 1]])
        mask = data[:, 0] > 9
        np.testing.assert_array_equal(take_rows(array, mask), data[mask])
        np.testing.assert_array_equal(take_rows(array[:, 0], mask), data[mask, 0])
    assert take_rows(data, np.array([], dtype=np.intp)).shape == (0, 2)


@pytest.mark.parametrize("stopped", [0, 1234])
def test_swarm_statistics_match_numpy_over_the_active_particles_step_after_step(
        stopped: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # The one compiled pass (sums, regime counts, the median's bracket) against NumPy's own
    # reductions, over drifting losses so the bracket is used, missed and measured anew.
    partitions = []
    whole = telemetry._partitioned_median
    monkeypatch.setattr(telemetry, "_partitioned_median", lambda values: partitions.append(1) or whole(values))
    rng = np.random.default_rng(stopped)
    n = 20_000
    active = np.ones(n, dtype=bool)
    active[rng.choice(n, stopped, replace=False)] = False
    positions, gradient, eigenvalues = (np.asfortranarray(rng.normal(size=(n, 2))) for _ in range(3))
    norm, size = rng.random(n), rng.random(n)
    lr = np.where(rng.random(n) < 0.1, np.nan, rng.random(n))
    codes = rng.integers(0, len(REGIMES), n).astype(np.int8)
    loss = rng.lognormal(0.0, 1.0, n)
    bracket = None
    for step in range(12):
        loss = loss * 0.995 + (3.0 if step == 6 else 0.0)
        row = swarm_statistics(positions, gradient, eigenvalues, loss, norm, size, lr, codes,
                               None if stopped == 0 else active, bracket)
        alive = active if stopped else np.ones(n, dtype=bool)
        assert row.median_loss == np.median(loss[alive])
        assert row.min_loss == loss[alive].min() and row.max_loss == loss[alive].max()
        np.testing.assert_allclose(row.mean_loss, loss[alive].mean(), rtol=1e-12)
        np.testing.assert_allclose(row.mean_position, positions[alive].mean(axis=0), rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(row.mean_eigenvalues, eigenvalues[alive].mean(axis=0), rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(row.mean_lr, np.nanmean(lr[alive]), rtol=1e-12)
        np.testing.assert_array_equal(row.regime_counts, np.bincount(codes, minlength=len(REGIMES)))
        assert row.regime == int(np.argmax(np.bincount(codes, minlength=len(REGIMES))))
        assert row.fraction_active == alive.mean()
        bracket = row.median_bracket
        assert bracket is not None
    assert len(partitions) <= 3  # the first step, the jump, and perhaps one more: else the bracket did it


def test_swarm_means_are_exact_for_equal_values_and_accurate_for_a_tight_swarm_far_out() -> None:
    # Reference: math.fsum (correctly rounded sums). A sum in order of 100 000 numbers would
    # round about n eps of their size: -1.2 everywhere would average to -1.1999999999980246.
    n = 100_000
    same = np.full((n, 2), [-1.2, 1.0], order="F")
    column = np.full(n, 0.1)
    row = swarm_statistics(same, same, same, column, column, column, column, np.zeros(n, dtype=np.int8), None)
    assert row.mean_position == (-1.2, 1.0) and row.mean_lr == 0.1 and row.mean_loss == 0.1
    rng = np.random.default_rng(9)
    tight = np.asfortranarray(1e4 + 1e-3 * rng.standard_normal((n, 2)))
    row = swarm_statistics(tight, tight, tight, tight[:, 0].copy(), column, column, column,
                           np.zeros(n, dtype=np.int8), None)
    for got, k in zip(row.mean_position, (0, 1), strict=True):
        assert abs(got - math.fsum(tight[:, k]) / n) <= 4e-16 * 1e4
