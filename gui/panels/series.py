"""One telemetry series of one ball, read from its history and kept decimated, updated incrementally.

A :class:`HistorySeries` knows how to read its values out of a ``BallHistory`` (an *extractor*:
``extract(history, start) -> values[start:]``, so that a derived series such as the stability
bound is computed only for the new steps) and holds them as a :class:`~gui.panels.decimation.PeakDecimator`.
Each frame, :meth:`HistorySeries.sync` looks at the history: nothing new, nothing to do; new steps,
decimate only those; a history that no longer continues the one seen before (a reset, a ball
restarted from a new start, a new scene), start again from step 0.

Values are sanitised before decimation: non-finite values become NaN, and a series meant for a
log axis (``positive=True``) also turns zero and negative values into NaN, so they are *dropped*
(the curve has a gap there) instead of becoming -inf or garbage. Qt-free, so it is tested as data.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from gui.panels.decimation import DEFAULT_MAX_BUCKETS, PeakDecimator

#: Up to this many new rows are taken in as plain floats (HistorySeries._take_few), more as arrays.
FEW_ROWS = 16

#: ``extract(history, start)``: the series' values for steps ``start, start + 1, ..., k - 1`` as a (k - start,) array.
Extractor = Callable[[Any, int], np.ndarray]


def field_extractor(name: str) -> Extractor:
    """An extractor reading the (k,) array ``history.<name>`` (e.g. ``"lambda_min"``)."""

    def extract(history: Any, start: int) -> np.ndarray:
        return getattr(history, name)[start:]

    extract.__name__ = f"history.{name}"
    return extract


def sanitize(values: np.ndarray, positive: bool) -> np.ndarray:
    """A float copy of ``values`` with non-finite (and, if ``positive``, non-positive) entries set to NaN."""
    values = np.array(values, dtype=float)
    if len(values) == 1:
        # One new row per frame is the common case: plain floats beat three array operations.
        value = float(values[0])
        if not (abs(value) < math.inf and (value > 0.0 or not positive)):
            values[0] = np.nan
        return values
    bad = ~np.isfinite(values)
    if positive:
        bad |= values <= 0.0  # NaN compares False without a warning; it is already marked
    if bad.any():
        values[bad] = np.nan
    return values


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


class HistorySeries:
    """The decimated (step, value) points of one series of one ball's history.

    Attributes:
        count: the number of history rows processed.
        magnitude: with ``track_magnitude``, the largest |value| among the finite values
            processed (0 if none), for panels that choose a scale; else 0.
        low, high: the smallest and largest finite value processed (+inf and -inf if none):
            the curve's vertical extent, which peak decimation keeps (gui.panels.decimation).
        latest: the newest value as drawn (NaN if dropped).
    """

    def __init__(self, extract: Extractor, positive: bool = False, max_buckets: int = DEFAULT_MAX_BUCKETS,
                 track_magnitude: bool = False):
        self.extract = extract
        self.positive = positive
        self.track_magnitude = track_magnitude
        self._decimator = PeakDecimator(max_buckets)
        self.count = 0
        self.magnitude = 0.0
        self.low = math.inf
        self.high = -math.inf
        self._last_step = math.nan
        self._last_value = math.nan
        self.latest = math.nan
        self._ends_in_gap = True  # the last row seen was dropped (NaN): a new NaN row changes no pixel
        self._new_all_gap = True

    def clear(self) -> None:
        self._decimator.clear()
        self.count = 0
        self.magnitude = 0.0
        self.low = math.inf
        self.high = -math.inf
        self.latest = math.nan

    def sync(self, history: Any) -> bool:
        """Take in what is new in ``history``; True if the curve must be redrawn.

        Rows that only extend a gap (dropped values after a dropped value, such as a rate that
        stays below its bound) are taken in but report False: they would draw nothing.

        ``history`` has ``steps`` (k,) and whatever the extractor reads; it may be None (no
        simulation), which empties the series.
        """
        if history is None:
            changed = self.count > 0
            self.clear()
            return changed
        steps = history.steps
        total = len(steps)
        start = self.count
        if start and total >= start and float(steps[start - 1]) == self._last_step:
            # Read from the last row already seen: it must still hold the same value, or the run restarted.
            raw = self.extract(history, start - 1)
            if _same(float(raw[0]), self._last_value):
                if total == start:
                    return False
                was_gap = self._ends_in_gap
                if total - start <= FEW_ROWS:
                    self._take_few(steps[start:total].astype(float).tolist(), raw[1:].tolist(), history)
                else:
                    self._take(steps, raw[1:], start, history)
                # Rows that only lengthen a gap draw nothing: no need to hand the curve new points.
                return not (was_gap and self._new_all_gap)
        changed = self.count > 0 or total > 0
        self.clear()
        if total:
            self._take(steps, self.extract(history, 0), 0, history)
        return changed

    def _take_few(self, steps: list[float], raws: list[float], history: Any) -> None:
        """The common case of a few new rows (the frames since the last refresh), in plain floats:
        for so few values, array operations cost more in making small arrays than in arithmetic."""
        positive = self.positive
        values = [raw if abs(raw) < math.inf and (raw > 0.0 or not positive) else math.nan for raw in raws]
        if not self._decimator.push_many(steps, values):
            # The stride must grow: start again from the whole history (which holds these rows too).
            self._decimator.rebuild(np.asarray(history.steps, dtype=float),
                                    sanitize(self.extract(history, 0), positive))
        finite = [value for value in values if value == value]   # (NaN != NaN)
        if finite:
            low, high = min(finite), max(finite)
            if low < self.low:
                self.low = low
            if high > self.high:
                self.high = high
            if self.track_magnitude:
                self.magnitude = max(self.magnitude, abs(low), abs(high))
        value = values[-1]
        self.latest = value
        self._ends_in_gap = value != value
        self._new_all_gap = not finite
        self.count += len(steps)
        self._last_step = float(steps[-1])
        self._last_value = float(raws[-1])

    def _take(self, steps: np.ndarray, raw: np.ndarray, start: int, history: Any) -> None:
        """Decimate rows ``start`` onwards (``raw`` their values); rebuild from row 0 if the stride must grow."""
        values = sanitize(raw, self.positive)
        self.latest = float(values[-1])
        self._ends_in_gap = self.latest != self.latest  # NaN
        self._new_all_gap = bool(np.isnan(values).all())
        if not self._decimator.extend(np.asarray(steps[start:], dtype=float), values):
            everything = values if start == 0 else sanitize(self.extract(history, 0), self.positive)
            self._decimator.rebuild(np.asarray(steps, dtype=float), everything)
        if not self._new_all_gap:
            low, high = float(np.fmin.reduce(values)), float(np.fmax.reduce(values))  # (NaN ignored)
            self.low, self.high = min(self.low, low), max(self.high, high)
            if self.track_magnitude:
                self.magnitude = max(self.magnitude, abs(low), abs(high))
        self.count = len(steps)
        self._last_step = float(steps[-1])
        self._last_value = float(raw[-1])

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        """(steps, values) display arrays in data units (NaN where a value is dropped)."""
        return self._decimator.data()

    @property
    def stride(self) -> int:
        """Raw steps per display bucket: 1 or 2 means every point is shown."""
        return self._decimator.stride
