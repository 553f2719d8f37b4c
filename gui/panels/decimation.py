"""Peak (min/max) decimation of an append-only series, so a plot of 10 000 steps costs as much as one of 1 000.

A panel cannot hand every step of a long run to the screen each frame: building and stroking a
path of 10 000 points per curve, for 16 curves, takes milliseconds. It does not need to either:
the plot is a few hundred pixels wide. :class:`PeakDecimator` groups the raw points into
*buckets* of ``stride`` consecutive steps (``stride`` a power of two, the smallest for which
``count // stride <= max_buckets``) and shows each complete bucket by its lowest and its highest
point, in step order. Spikes, oscillations and sign changes therefore survive decimation (a
plain "every n-th point" would hide an oscillating learning rate). The last, incomplete bucket is
shown whole if short, else by its lowest, highest and last point; the curve always ends exactly
at the current value.

Exactness: with ``stride`` 1 or 2 every raw point is shown, so series of up to
``2 * max_buckets`` points are drawn exactly; longer ones are drawn with at most
``2 * max_buckets + RAW_TAIL`` points (an incomplete bucket of up to ``RAW_TAIL`` points is drawn
whole, a longer one by its lowest, highest and last point).

Updates are incremental: :meth:`PeakDecimator.extend` processes only the new raw points (and the
few still waiting in the incomplete bucket); when the bucket count would pass ``max_buckets`` the
stride doubles and the caller rebuilds from the whole series with :meth:`PeakDecimator.rebuild`,
which happens once per doubling of the history (amortised: nothing).

Non-finite values (NaN, inf: a diverged ball, or a value that a log axis cannot show) never
become an extreme; a bucket with no finite value is shown as one NaN point, which breaks the line
(plot with ``connect='finite'``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

#: Default number of buckets: a long curve holds at most 2 * 256 + RAW_TAIL points, two or more per pixel
#: of a panel docked beside others (stroking each point costs painting time, so no more than that).
DEFAULT_MAX_BUCKETS = 256
#: An incomplete bucket of up to this many points is drawn point for point.
RAW_TAIL = 64


def stride_for(count: int, max_buckets: int) -> int:
    """The smallest power of two ``s`` with ``count // s <= max_buckets``."""
    stride = 1
    while count // stride > max_buckets:
        stride *= 2
    return stride


def bucket_extremes(x: np.ndarray, y: np.ndarray, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """The display points of the complete buckets of ``stride`` points of (x, y).

    Args:
        x, y: (k,) raw series; only the first ``(k // stride) * stride`` points are used.
        stride: bucket length.

    Returns:
        (xd, yd): for ``stride <= 2`` the points themselves; otherwise two points per bucket, the
        positions of its finite minimum and maximum in step order (the first and last point when
        the bucket is constant, so a flat stretch is drawn exactly). A bucket without a finite
        value contributes its first and last points, both NaN, which breaks the line.
    """
    buckets = len(y) // stride
    if stride <= 2 or buckets == 0:
        # Two display points per bucket: with buckets of one or two points, those are all of them
        # (gaps included, which choosing extremes would drop).
        return x[: buckets * stride], y[: buckets * stride]
    block = y[: buckets * stride].reshape(buckets, stride)
    finite = np.isfinite(block)
    low = np.where(finite, block, np.inf).argmin(axis=1)
    high = np.where(finite, block, -np.inf).argmax(axis=1)
    first = np.minimum(low, high)
    # low == high only when the bucket holds one distinct finite value: its last point shows the flat run.
    second = np.where(low == high, stride - 1, np.maximum(low, high))
    base = np.arange(buckets) * stride
    index = np.empty(2 * buckets, dtype=np.intp)
    index[0::2] = base + first
    index[1::2] = base + second
    return x[index], y[index]


def tail_extremes(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The display points of an incomplete bucket: all of them if few (cheaper than choosing), else
    its finite minimum, maximum and last point, in order."""
    count = len(y)
    if count <= RAW_TAIL:
        return x, y
    finite = np.isfinite(y)
    low = int(np.where(finite, y, np.inf).argmin())
    high = int(np.where(finite, y, -np.inf).argmax())
    index = np.unique(np.array([low, high, count - 1]))
    return x[index], y[index]


def _bucket_picks(values: list[float]) -> tuple[int, ...]:
    """Which points of one complete bucket (its values, in order) :func:`bucket_extremes` shows."""
    if len(values) <= 2:
        return tuple(range(len(values)))
    low = high = 0
    lowest, highest = math.inf, -math.inf
    isfinite = math.isfinite
    for i, value in enumerate(values):
        if isfinite(value):
            if value < lowest:          # strictly: the first of equal lowest values, as argmin
                lowest, low = value, i
            if value > highest:
                highest, high = value, i
    if low == high:
        return (low, len(values) - 1)
    return (low, high) if low < high else (high, low)


class PeakDecimator:
    """The decimated display points of one growing series (see the module docstring).

    Usage: ``extend(x_new, y_new)`` with the points appended since the last call; if it returns
    False, the stride had to grow and the caller calls ``rebuild(x_all, y_all)``. ``data()``
    gives the display arrays.
    """

    def __init__(self, max_buckets: int = DEFAULT_MAX_BUCKETS):
        if max_buckets < 1:
            raise ValueError("max_buckets must be at least 1")
        self.max_buckets = max_buckets
        capacity = 2 * max_buckets
        self._x = np.empty(capacity)
        self._y = np.empty(capacity)
        self.clear()

    def clear(self) -> None:
        self.stride = 1
        self.count = 0  # raw points seen
        self._filled = 0  # display points of complete buckets held in _x, _y
        # The incomplete bucket: fewer than ``stride`` raw points, copied (the caller's arrays may be
        # views of buffers the simulation reuses) into buffers that only grow with the stride.
        self._tail_x = np.empty(1)
        self._tail_y = np.empty(1)
        self._tail = 0
        self._last = (np.nan, np.nan)  # the newest raw point, which the curve always ends on

    def rebuild(self, x: np.ndarray, y: np.ndarray) -> None:
        """Start again from the whole series (k,), choosing the stride for its length."""
        self.clear()
        self.stride = stride_for(len(y), self.max_buckets)
        self._append(np.asarray(x, dtype=float), np.asarray(y, dtype=float))

    def extend(self, x: np.ndarray, y: np.ndarray) -> bool:
        """Append new raw points; False (and nothing changed) if the caller must ``rebuild`` instead."""
        if (self.count + len(y)) // self.stride > self.max_buckets:
            return False
        self._append(x, y)
        return True

    def push_many(self, xs: list[float], ys: list[float]) -> bool:
        """Append a few raw points (the frames since the last refresh), as :meth:`push` one by one;
        False if the caller must ``rebuild`` instead (the points pushed so far are then dropped by it)."""
        new = len(ys)
        if not new:
            return True
        if self.stride == 1:
            end = self._filled + new
            if end <= len(self._x):
                self._x[self._filled:end] = xs
                self._y[self._filled:end] = ys
                self._filled = end
                self.count += new
                self._last = (xs[-1], ys[-1])
                return True
        elif self._tail + new < self.stride:
            self._hold(xs, ys)  # they only lengthen the incomplete bucket
            self.count += new
            self._last = (xs[-1], ys[-1])
            return True
        return all(self.push(x, y) for x, y in zip(xs, ys, strict=True))

    def push(self, x: float, y: float) -> bool:
        """Append one raw point (the common case of one step per frame); False if the caller must
        ``rebuild`` instead."""
        held = self._tail
        if self.stride == 1 and self._filled < len(self._x):
            # Every point is a bucket of its own.
            self._x[self._filled] = x
            self._y[self._filled] = y
            self._filled += 1
            self.count += 1
            self._last = (x, y)
            return True
        if held + 1 < self.stride:
            self._hold((x,), (y,))
            self.count += 1
            self._last = (x, y)
            return True
        # The point completes the incomplete bucket: its extremes, in plain floats (a bucket is
        # short, and array operations on a few values cost more than the loop).
        if (self.count + 1) // self.stride > self.max_buckets or self._filled + 2 > len(self._x):
            return False
        xs = [*self._tail_x[:held].tolist(), x]
        ys = [*self._tail_y[:held].tolist(), y]
        end = self._filled
        for i in _bucket_picks(ys):
            self._x[end] = xs[i]
            self._y[end] = ys[i]
            end += 1
        self._filled = end
        self._tail = 0
        self.count += 1
        self._last = (x, y)
        return True

    def _hold(self, xs: Sequence[float] | np.ndarray, ys: Sequence[float] | np.ndarray) -> None:
        """Add raw points to the incomplete bucket (the caller knows they do not complete it)."""
        held, new = self._tail, len(ys)
        if held + new > len(self._tail_y):
            self._tail_x = np.resize(self._tail_x, self.stride)
            self._tail_y = np.resize(self._tail_y, self.stride)
        self._tail_x[held:held + new] = xs
        self._tail_y[held:held + new] = ys
        self._tail = held + new

    def _append(self, x: np.ndarray, y: np.ndarray) -> None:
        new = len(y)
        if not new:
            return
        self.count += new
        self._last = (float(x[-1]), float(y[-1]))
        held = self._tail
        if held + new < self.stride:
            self._hold(x, y)  # the common case of a long run: the new points only lengthen the incomplete bucket
            return
        if held:
            x = np.concatenate((self._tail_x[:held], x))
            y = np.concatenate((self._tail_y[:held], y))
        bx, by = bucket_extremes(x, y, self.stride)
        end = self._filled + len(bx)
        self._x[self._filled:end] = bx
        self._y[self._filled:end] = by
        self._filled = end
        done = (len(y) // self.stride) * self.stride
        rest = len(y) - done
        if rest > len(self._tail_y):
            self._tail_x = np.empty(self.stride)
            self._tail_y = np.empty(self.stride)
        self._tail_x[:rest] = x[done:]
        self._tail_y[:rest] = y[done:]
        self._tail = rest

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) display arrays: complete buckets, then the incomplete one (new arrays).

        The last point is always the newest raw point, also when the buckets came out even.
        """
        held, filled = self._tail, self._filled
        if held > RAW_TAIL:
            tx, ty = tail_extremes(self._tail_x[:held], self._tail_y[:held])
        elif held:
            tx, ty = self._tail_x[:held], self._tail_y[:held]   # a short tail is shown whole (tail_extremes)
        elif filled and self._x[filled - 1] != self._last[0]:
            tx, ty = np.array([self._last[0]]), np.array([self._last[1]])
        else:
            return self._x[:filled].copy(), self._y[:filled].copy()
        return (np.concatenate((self._x[:filled], tx)), np.concatenate((self._y[:filled], ty)))
