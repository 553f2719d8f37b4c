"""The panels' data layer without Qt: peak decimation, incremental series, symlog scale, number formats.

References are independent: decimation is checked against a per-bucket Python loop written from
its definition, incremental updates against one-shot rebuilds, the asinh scale against the
formula, number formats against hand-written strings.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from gui.panels.axes import AsinhScale, choose_width
from gui.panels.decimation import RAW_TAIL, PeakDecimator, bucket_extremes, stride_for, tail_extremes
from gui.panels.numbers import format_number, format_pair
from gui.panels.series import HistorySeries, field_extractor, sanitize


def reference_decimation(x: np.ndarray, y: np.ndarray, max_buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """Peak decimation from its definition, one bucket at a time (slow, obvious)."""
    stride = 1
    while len(y) // stride > max_buckets:
        stride *= 2
    xs: list[float] = []
    ys: list[float] = []
    complete = (len(y) // stride) * stride
    for start in range(0, complete, stride):
        bucket = y[start:start + stride]
        if stride <= 2:
            picks = list(range(stride))  # every raw point is shown, gaps included
        else:
            finite = [i for i in range(stride) if math.isfinite(bucket[i])]
            if not finite:
                picks = [0, stride - 1]  # both NaN: the line breaks here
            else:
                low = min(finite, key=lambda i: (bucket[i], i))  # first lowest
                high = max(finite, key=lambda i: (bucket[i], -i))  # first highest
                picks = [low, stride - 1] if low == high else sorted((low, high))
        for i in picks:
            xs.append(x[start + i])
            ys.append(bucket[i])
    tail = list(range(complete, len(y)))
    if len(tail) > RAW_TAIL:
        finite = [i for i in tail if math.isfinite(y[i])]
        low = min(finite, key=lambda i: (y[i], i)) if finite else tail[0]
        high = max(finite, key=lambda i: (y[i], -i)) if finite else tail[0]
        tail = sorted({low, high, tail[-1]})
    if not tail and len(y) and xs[-1] != x[-1]:
        tail = [len(y) - 1]  # the curve ends on the newest point
    for i in tail:
        xs.append(x[i])
        ys.append(y[i])
    return np.array(xs), np.array(ys)


def test_stride_is_the_smallest_power_of_two_that_fits():
    assert stride_for(0, 512) == 1
    assert stride_for(512, 512) == 1
    assert stride_for(513, 512) == 2
    assert stride_for(1025, 512) == 2  # 1025 // 2 = 512 buckets
    assert stride_for(1026, 512) == 4
    assert stride_for(10_000, 512) == 32


def test_short_series_are_shown_exactly():
    rng = np.random.default_rng(0)
    for length in (1, 2, 7, 512, 1000, 1025):
        x = np.arange(length, dtype=float)
        y = rng.normal(size=length)
        decimator = PeakDecimator(512)
        decimator.rebuild(x, y)
        shown_x, shown_y = decimator.data()
        np.testing.assert_array_equal(shown_x, x)
        np.testing.assert_array_equal(shown_y, y)


@pytest.mark.parametrize("length", [1026, 3000, 10_000, 65_537])
def test_long_series_match_the_reference_and_keep_every_extreme(length):
    rng = np.random.default_rng(length)
    x = np.arange(length, dtype=float)
    y = np.cumsum(rng.normal(size=length))
    y[rng.integers(0, length, 20)] = np.nan
    y[length // 3:length // 3 + length // 20] = np.nan  # a gap longer than two buckets
    decimator = PeakDecimator(512)
    decimator.rebuild(x, y)
    shown_x, shown_y = decimator.data()
    want_x, want_y = reference_decimation(x, y, 512)
    np.testing.assert_array_equal(shown_x, want_x)
    np.testing.assert_array_equal(shown_y, want_y)
    assert len(shown_y) <= 2 * 512 + RAW_TAIL
    assert np.nanmax(shown_y) == np.nanmax(y) and np.nanmin(shown_y) == np.nanmin(y)
    assert shown_x[-1] == x[-1] and (shown_y[-1] == y[-1] or np.isnan(y[-1]))
    assert np.isnan(shown_y).any()  # the long gap still breaks the line
    assert np.all(np.diff(shown_x) >= 0)


def test_incremental_updates_equal_a_rebuild():
    rng = np.random.default_rng(7)
    x = np.arange(20_000, dtype=float)
    y = np.sin(x / 37.0) + rng.normal(scale=0.1, size=len(x))
    decimator = PeakDecimator(256)
    done = 0
    rebuilds = 0
    while done < len(x):
        chunk = int(rng.integers(1, 400)) if rng.random() < 0.5 else 1
        new = slice(done, min(done + chunk, len(x)))
        took = decimator.push(x[done], y[done]) if chunk == 1 else decimator.extend(x[new], y[new])
        if not took:
            decimator.rebuild(x[:new.stop], y[:new.stop])
            rebuilds += 1
        done = new.stop
        reference = PeakDecimator(256)
        reference.rebuild(x[:done], y[:done])
        for got, want in zip(decimator.data(), reference.data(), strict=True):
            np.testing.assert_array_equal(got, want)
    assert rebuilds == 7  # strides 2, 4, ..., 128 (20 000 // 128 <= 256): one rebuild per doubling
    # (push, one point at a time, is the per-frame path: it agrees with extend and rebuild above.)


def test_pushing_point_by_point_through_gaps_and_flat_runs_equals_a_rebuild():
    # The per-frame path (push) completes buckets itself: gaps (NaN, inf), flat stretches, ties.
    rng = np.random.default_rng(11)
    x = np.arange(3000, dtype=float)
    y = np.round(rng.normal(size=len(x)), 1)             # rounded: many equal values, first-of-ties matters
    y[rng.integers(0, len(x), 150)] = np.nan
    y[rng.integers(0, len(x), 40)] = np.inf
    y[rng.integers(0, len(x), 40)] = -np.inf
    y[1200:1300] = 0.5                                   # flat
    y[2000:2100] = np.nan                                # a long gap
    decimator = PeakDecimator(64)
    for done in range(1, len(x) + 1):
        if not decimator.push(x[done - 1], y[done - 1]):
            decimator.rebuild(x[:done], y[:done])
        if done % 97 == 0 or done == len(x):
            want_x, want_y = reference_decimation(x[:done], y[:done], 64)
            got_x, got_y = decimator.data()
            np.testing.assert_array_equal(got_x, want_x)
            np.testing.assert_array_equal(got_y, want_y)
    assert decimator.stride == 64


def test_bucket_and_tail_extremes_on_hand_made_data():
    x = np.arange(8, dtype=float)
    y = np.array([3.0, 1.0, 2.0, 5.0, 4.0, 4.0, 4.0, 4.0])
    bx, by = bucket_extremes(x, y, 4)
    np.testing.assert_array_equal(bx, [1, 3, 4, 7])  # min at 1, max at 3; a flat bucket: first and last
    np.testing.assert_array_equal(by, [1, 5, 4, 4])
    tail = np.full(RAW_TAIL + 6, 1.0)
    tail[[3, 7, 20]] = [9.0, np.nan, -1.0]
    tail[-1] = 2.5
    tx, ty = tail_extremes(np.arange(float(len(tail))), tail)
    np.testing.assert_array_equal(tx, [3, 20, len(tail) - 1])
    np.testing.assert_array_equal(ty, [9.0, -1.0, 2.5])
    short = np.array([2.0, np.nan, 1.0])
    np.testing.assert_array_equal(tail_extremes(np.arange(3.0), short)[1], short)


def test_sanitize_drops_what_a_plot_cannot_show():
    values = np.array([1.0, 0.0, -2.0, np.inf, -np.inf, np.nan, 3e-300])
    np.testing.assert_array_equal(np.isnan(sanitize(values, positive=False)),
                                  [False, False, False, True, True, True, False])
    np.testing.assert_array_equal(np.isnan(sanitize(values, positive=True)),
                                  [False, True, True, True, True, True, False])
    assert values[3] == np.inf  # the caller's array is untouched
    for positive in (False, True):  # one value at a time (the per-frame fast path) agrees with the array
        whole = sanitize(values, positive)
        one_by_one = np.concatenate([sanitize(values[i:i + 1], positive) for i in range(len(values))])
        np.testing.assert_array_equal(one_by_one, whole)


def history_of(values: np.ndarray) -> SimpleNamespace:
    return SimpleNamespace(steps=np.arange(len(values)), loss=values)


def test_series_reads_only_what_is_new_and_notices_a_restart():
    calls: list[int] = []

    def extract(history, start):
        calls.append(start)
        return history.loss[start:]

    values = np.linspace(5.0, 1.0, 50)
    series = HistorySeries(extract)
    assert series.sync(history_of(values[:10]))
    assert calls == [0]
    assert series.sync(history_of(values[:30]))
    assert calls[-1] == 9  # from the last row already seen (to check it still holds the same value)
    assert not series.sync(history_of(values[:30]))
    np.testing.assert_array_equal(series.data()[1], values[:30])
    # A reset: the history is shorter.
    assert series.sync(history_of(values[:3]))
    np.testing.assert_array_equal(series.data()[1], values[:3])
    # A restart that happens to reach the same length: the last row seen no longer matches.
    other = values[:3] + 1.0
    assert series.sync(history_of(other))
    np.testing.assert_array_equal(series.data()[1], other)
    assert series.sync(None) and series.count == 0 and len(series.data()[0]) == 0


def test_positive_series_drop_non_positive_values_and_track_magnitude():
    values = np.array([0.0, 2.0, -1.0, 0.5, np.nan, 4.0])
    series = HistorySeries(field_extractor("loss"), positive=True, track_magnitude=True)
    series.sync(history_of(values))
    x, y = series.data()
    np.testing.assert_array_equal(x, np.arange(6))
    np.testing.assert_array_equal(np.isnan(y), [True, False, True, False, True, False])
    np.testing.assert_array_equal(y[~np.isnan(y)], [2.0, 0.5, 4.0])
    assert series.magnitude == 4.0
    signed = HistorySeries(field_extractor("loss"), track_magnitude=True)
    signed.sync(history_of(np.array([1.0, -30.0, 2.0])))
    assert signed.magnitude == 30.0


def test_series_keep_the_extremes_of_what_they_show_through_updates_and_restarts():
    rng = np.random.default_rng(7)
    values = np.exp(rng.normal(0.0, 2.0, 5000)) * rng.choice([1.0, -1.0, 0.0], 5000, p=[0.8, 0.15, 0.05])
    values[rng.choice(5000, 40, replace=False)] = np.nan
    series = HistorySeries(field_extractor("loss"), positive=True, max_buckets=64)
    k = 0
    for grow in [1, 1, 3, 1, 200, 1, 7, 1000, 1, 1, 2500]:   # single rows, a few, catch-ups; decimation rebuilds
        k += grow
        series.sync(history_of(values[:k]))
        shown = values[:k][np.isfinite(values[:k]) & (values[:k] > 0)]
        assert (series.low, series.high) == (shown.min(), shown.max())
        _x, y = series.data()
        assert (np.nanmin(y), np.nanmax(y)) == (series.low, series.high)   # peak decimation keeps them
    series.sync(history_of(values[:2] * 0 + [3.0, 5.0]))                # a restart: extremes start again
    assert (series.low, series.high) == (3.0, 5.0)
    series.sync(history_of(np.array([np.nan, -1.0])))
    assert series.low > series.high                                      # nothing finite to show


def test_asinh_scale_is_linear_near_zero_logarithmic_far_and_invertible():
    scale = AsinhScale(0.1)
    values = np.array([-1e4, -3.0, -0.1, -1e-6, 0.0, 1e-6, 0.1, 3.0, 1e4])
    shown = scale.forward(values)
    np.testing.assert_allclose(shown, np.arcsinh(values / 0.1))
    np.testing.assert_allclose(scale.inverse(shown), values, rtol=1e-12, atol=1e-18)
    assert np.all(np.diff(shown) > 0) and shown[4] == 0.0
    assert shown[5] == pytest.approx(1e-5)  # linear: 1e-6 / 0.1
    assert shown[-1] - shown[-2] == pytest.approx(math.log(1e4 / 3.0), rel=1e-3)  # logarithmic far out


def test_asinh_is_chosen_only_when_values_span_decades():
    assert choose_width(25.0, 1.0) is None  # the ravine 0.5 (x^2 + 25 y^2): linear reads fine
    assert choose_width(1000.0, 0.4) == pytest.approx(0.1)  # Rosenbrock's valley
    assert choose_width(2.0, 0.0) is None
    assert choose_width(math.nan, 1.0) is None


@pytest.mark.parametrize("value, options, text", [
    (1234.4, {}, "1234"),
    (0.012345, {}, "0.0123"),
    (3.2e-7, {}, "3.2e\u22127"),
    (-1.0, {"signed": True}, "\u22121.00"),
    (2.0, {"signed": True}, "+2.00"),
    (9.996, {}, "10.0"),
    (0.0, {"signed": True}, "0"),
    (float("nan"), {}, "—"),
    (float("-inf"), {}, "\u2212∞"),
    (0.1, {"digits": 2, "trim": True}, "0.1"),
    (1e5, {"digits": 2, "trim": True}, "1e5"),
    (29315.2, {"digits": 2}, "29315"),
])
def test_numbers_read_as_a_class_reads_them(value, options, text):
    assert format_number(value, **options) == text


def test_points_are_written_as_pairs():
    assert format_pair(0.5, -2.0) == "(0.500, \u22122.00)"


def test_rows_that_only_lengthen_a_gap_ask_for_no_redraw():
    values = np.array([1.0, np.nan, np.nan, np.nan, 2.0, np.nan])
    series = HistorySeries(field_extractor("loss"))
    assert series.sync(history_of(values[:2]))  # a value, then the gap starts: drawn
    assert not series.sync(history_of(values[:3]))  # the gap grows: nothing to draw
    assert not series.sync(history_of(values[:4]))
    assert series.sync(history_of(values[:5]))  # a value again
    np.testing.assert_array_equal(series.data()[1], values[:5])
    assert series.sync(history_of(values[:6]))  # a gap after a value breaks the line: drawn


@pytest.mark.parametrize("positive", [False, True])
def test_a_series_fed_a_few_rows_a_frame_shows_what_one_fed_everything_at_once_shows(positive):
    # The per-frame path (a few rows, plain floats) against the catch-up path (arrays, a rebuild):
    # the same points, extremes, magnitude and newest value, through gaps, infinities and stride growth.
    rng = np.random.default_rng(12)
    values = np.cumsum(rng.normal(size=3000))
    values[rng.integers(0, 3000, 60)] = np.nan
    values[rng.integers(0, 3000, 20)] = np.inf
    values[rng.integers(0, 3000, 20)] = -np.inf
    values[1500:1620] = np.nan
    few = HistorySeries(field_extractor("loss"), positive=positive, max_buckets=64, track_magnitude=True)
    k = 0
    for step in [1, 2, 3, 4, 4, 5, 16, 1, 4] * 200:
        k = min(k + step, len(values))
        few.sync(history_of(values[:k]))
        if k % 37 == 0 or k == len(values):
            whole = HistorySeries(field_extractor("loss"), positive=positive, max_buckets=64, track_magnitude=True)
            whole.sync(history_of(values[:k]))
            for got, want in zip(few.data(), whole.data(), strict=True):
                np.testing.assert_array_equal(got, want)
            assert (few.low, few.high, few.magnitude) == (whole.low, whole.high, whole.magnitude)
            assert few.latest == whole.latest or (np.isnan(few.latest) and np.isnan(whole.latest))
        if k == len(values):
            break
    assert few.stride == 64
