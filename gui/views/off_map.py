"""Balls that leave the map: trails cut at the edge of the drawn box, and where a ball last left it.

A ball whose learning rate is too large zig-zags out of the domain, further each step, until the
simulation stops it a thousand domain-widths away. Drawn as it is, its trail fills the map with
lines to far away, and in 3D shoots out of the box. The views therefore draw only what lies in
the box they show:

- :func:`clip_segments` cuts a polyline (a trail) to an axis-aligned box, in any dimension
  (the map's domain in x, y; the 3D view's box in world u, v, w). A segment with both ends inside
  is kept whole; one that leaves the box is cut where it crosses the boundary (the Liang-Barsky
  parameters t at which p0 + t (p1 - p0) meets each face); one that comes back is drawn from where
  it re-enters. A segment with both ends outside is dropped, even if it passes through the box:
  it is a single jump between two places off the map, not a path the ball took over the map.
- :class:`ExitTracker` follows one ball's history incrementally and knows whether its latest
  position is off the map and where its path last crossed the domain's edge outwards, which is
  where the views put the "left the map" / "diverged" marker.

Plain NumPy, vectorised over the segments of a trail.
"""

from __future__ import annotations

import numpy as np

#: The words both views write beside a ball off the map: still running out there, or stopped as diverging.
LEFT_THE_MAP = "left the map"
DIVERGED = "diverged"


def inside_box(points: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """(n,) bool: which of the points (n, d) lie in the closed box [lo, hi] (each (d,))."""
    return ((points >= lo) & (points <= hi)).all(axis=1)


def segment_parameters(starts: np.ndarray, ends: np.ndarray, lo: np.ndarray,
                       hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Liang-Barsky: the parameters (t_in, t_out) (m,) of the part of each segment inside the box.

    Segment i is p(t) = starts[i] + t (ends[i] - starts[i]) for t in [0, 1]; it lies in the box
    [lo, hi] for t_in <= t <= t_out, and misses it where t_in > t_out. Along an axis where the
    segment does not move, it is inside for every t or for none.
    """
    delta = ends - starts
    with np.errstate(divide="ignore", invalid="ignore"):
        t_lo = (lo - starts) / delta
        t_hi = (hi - starts) / delta
    still = delta == 0
    inside_axis = (starts >= lo) & (starts <= hi)
    entering = np.where(still, np.where(inside_axis, -np.inf, np.inf), np.minimum(t_lo, t_hi))
    leaving = np.where(still, np.where(inside_axis, np.inf, -np.inf), np.maximum(t_lo, t_hi))
    t_in = np.maximum(entering.max(axis=1), 0.0)
    t_out = np.minimum(leaving.min(axis=1), 1.0)
    return t_in, t_out


def clip_segments(points: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The parts of the polyline ``points`` (n, d) inside the box [lo, hi], as segment end pairs (2m, d).

    Rows 2j and 2j + 1 are the ends of the j-th kept segment (pyqtgraph's ``connect="pairs"``,
    OpenGL's ``GL_LINES``), in the polyline's order. See the module docstring for which segments
    are kept and where they are cut; a kept end inside the box is the original point, bit for bit.
    """
    points = np.asarray(points)
    if len(points) < 2:
        return points[:0].reshape(0, points.shape[1] if points.ndim == 2 else 2)
    lo = np.asarray(lo, dtype=points.dtype)
    hi = np.asarray(hi, dtype=points.dtype)
    inside = inside_box(points, lo, hi)
    starts, ends = points[:-1], points[1:]
    keep = inside[:-1] | inside[1:]
    if not keep.any():
        return points[:0]
    starts, ends = starts[keep], ends[keep]
    start_in, end_in = inside[:-1][keep], inside[1:][keep]
    t_in, t_out = segment_parameters(starts.astype(float), ends.astype(float), lo, hi)
    delta = ends - starts
    pairs = np.empty((2 * len(starts), points.shape[1]), dtype=points.dtype)
    pairs[0::2] = np.where(start_in[:, None], starts, starts + t_in[:, None] * delta)
    pairs[1::2] = np.where(end_in[:, None], ends, starts + t_out[:, None] * delta)
    return pairs


def outward_direction(point: np.ndarray, lo: np.ndarray, hi: np.ndarray, tolerance: float = 1e-9) -> np.ndarray:
    """(2,) unit vector pointing out of the box through the edge (or corner) ``point`` lies on; zero inside.

    ``tolerance`` is relative to the box's size: a point that close to a side counts as on it.
    """
    span = np.maximum(np.asarray(hi, dtype=float) - np.asarray(lo, dtype=float), 1e-300)
    p = np.asarray(point, dtype=float)
    direction = (p >= hi - tolerance * span).astype(float) - (p <= lo + tolerance * span).astype(float)
    norm = np.linalg.norm(direction)
    return direction / norm if norm > 0 else direction


class ExitTracker:
    """Whether a ball is off the map, and where it last left it, read from its history a few rows at a time.

    ``update(positions)`` takes the ball's whole history of positions (k, 2) each frame and looks
    only at the rows added since the last call (a history that no longer continues the one seen,
    a reset or a new start, is read again from its first row). Then:

    - ``outside``: the latest position lies outside the domain box;
    - ``exit_point``: where the path last crossed the box's boundary going out (the Liang-Barsky
      point of that segment), or None if it never did (it is inside, or it started outside: then
      the views use the point of the box nearest to the ball, :meth:`marker_point`).
    """

    def __init__(self, lo: np.ndarray, hi: np.ndarray):
        self.lo = np.asarray(lo, dtype=float)
        self.hi = np.asarray(hi, dtype=float)
        self._box = (*self.lo.tolist(), *self.hi.tolist())   # (x lo, y lo, x hi, y hi) as plain floats
        self.restart()

    def restart(self) -> None:
        self.covered = 0
        self.first: tuple[float, float] | None = None
        self.outside = False
        self.exit_point: np.ndarray | None = None
        self._last = (0.0, 0.0)   # the latest position seen

    def update(self, positions: np.ndarray) -> bool:
        """Read the new rows of ``positions`` (k, 2); True if ``outside`` or ``exit_point`` changed."""
        k = len(positions)
        if k == 0:
            changed = self.outside or self.exit_point is not None
            self.restart()
            return changed
        first = tuple(positions[0].tolist())
        before = (self.outside, self.exit_point)
        if k < self.covered or first != self.first:
            self.restart()
            self.first = first
        if k == self.covered:
            return False
        if k == self.covered + 1 and self.covered:
            # One new row, the common frame: plain floats, no small arrays to make.
            x, y = positions[-1].tolist()
            x_lo, y_lo, x_hi, y_hi = self._box
            inside = x_lo <= x <= x_hi and y_lo <= y <= y_hi
            self.covered = k
            previous, self._last = self._last, (x, y)
            if inside == (not self.outside):
                return False  # still on the map, or still off it since the same exit
            self.outside = not inside
            if inside:
                self.exit_point = None
            else:
                start, end = np.array(previous), np.array(self._last)
                _t_in, t_out = segment_parameters(start[None], end[None], self.lo, self.hi)
                self.exit_point = start + t_out[0] * (end - start)
            return True
        # From the last row already seen, so a crossing between it and the first new row counts.
        start = max(self.covered - 1, 0)
        rows = np.asarray(positions[start:k], dtype=float)
        inside = inside_box(rows, self.lo, self.hi)
        leaving = np.flatnonzero(inside[:-1] & ~inside[1:])
        if len(leaving):
            j = int(leaving[-1])
            _t_in, t_out = segment_parameters(rows[j:j + 1], rows[j + 1:j + 2], self.lo, self.hi)
            self.exit_point = rows[j] + t_out[0] * (rows[j + 1] - rows[j])
        elif inside[-1]:
            self.exit_point = None
        self.outside = not bool(inside[-1])
        self._last = tuple(rows[-1].tolist())
        self.covered = k
        return self.outside != before[0] or not _same_point(self.exit_point, before[1])

    def marker_point(self) -> np.ndarray:
        """Where to mark a ball that is off the map: its exit point, else the nearest point of the box."""
        if self.exit_point is not None:
            return self.exit_point.copy()
        return np.clip(np.array(self._last), self.lo, self.hi)


def _same_point(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and bool(np.array_equal(a, b)))
