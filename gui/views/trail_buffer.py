"""A ball's trail for drawing: extended by the new history rows each frame, thinned as it grows.

A ball's history grows by a row per step and may reach 200 000 rows. Recomputing (and, in 3D,
re-projecting) the whole path every frame would cost more and more as the run goes on; a
:class:`TrailBuffer` converts only the rows added since the last frame and keeps the history
rows 0, s, 2s, ... (s the stride) plus the newest row. When more than ``limit`` rows are kept,
every other one is dropped and s doubles, so a long run costs no more per frame than a short
one, and the drawn path is always a subset of the true one that starts at the start and ends
at the ball.

Given a box (:meth:`TrailBuffer.set_box`, in the converted coordinates), the buffer also notes
whether any point it converted lies outside it (``leaves``): only such a trail needs cutting to
the box (gui.views.off_map.clip_segments), so one that stays on the map costs nothing more.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gui.views.off_map import inside_box


class TrailBuffer:
    """The drawn points of one trail.

    Args:
        columns: width of a converted point (2 for the map's x, y; 3 for world u, v, w).
        limit: most history rows kept (the newest is added to them).
    """

    def __init__(self, columns: int, limit: int, dtype: type = np.float32):
        self.columns = columns
        self.limit = limit
        self.points = np.empty((1024, columns), dtype=dtype)
        self.box: tuple[np.ndarray, np.ndarray] | None = None
        self._box_lists: tuple[list[float], list[float]] | None = None
        self.restart()

    def restart(self) -> None:
        """Forget the trail (a new surface, a new frame of reference): the next update converts it all."""
        self.stride = 1
        self.count = 0        # kept points (rows 0, s, 2s, ... of the history)
        self.covered = 0      # history rows looked at so far
        self.first: tuple[float, ...] | None = None
        self.leaves = False   # some converted point lies outside the box

    def set_box(self, lo: np.ndarray | None, hi: np.ndarray | None = None) -> None:
        """The box (lo, hi), each (columns,), that ``leaves`` is about (None: no box); restarts the trail."""
        self.box = None if lo is None else (np.asarray(lo, dtype=float), np.asarray(hi, dtype=float))
        self._box_lists = None if lo is None else (self.box[0].tolist(), self.box[1].tolist())
        self.restart()

    def update(self, positions: np.ndarray, values: np.ndarray,
               convert: Callable[[np.ndarray, np.ndarray], np.ndarray],
               newest: np.ndarray | None = None) -> np.ndarray | None:
        """The points to draw, a view (n, columns), or None when the history has not changed.

        Args:
            positions: (k, 2) the ball's history of positions (a restart shows as a new first
                row or a shorter history).
            values: (k,) the matching values (the loss), passed to ``convert`` with the rows.
            convert: (rows (m, 2), values (m,)) -> (m, columns) points to draw.
            newest: (1, columns) the newest row already converted, or None. A view drawing
                several trails converts the newest rows of all of them at once; on a frame that
                adds one row (the common case) the buffer then converts nothing itself.
        """
        k = len(positions)
        # (Plain floats: np.array_equal costs more than the rest of a quiet frame.)
        first = tuple(positions[0].tolist()) if k else None
        restarted = self.first is None or k < self.covered or first != self.first
        if not restarted and k == self.covered:
            return None
        if restarted:
            self.restart()
            if k == 0:
                return self.points[:0]
            self.first = first
        start = -(-self.covered // self.stride) * self.stride
        if start == k - 1 and newest is not None:
            self._append(newest)
        elif start < k:
            # Every stride-th row from ``start``: a slice (a view) rather than an index array.
            self._append(convert(positions[start:k:self.stride], values[start:k:self.stride]))
        self.covered = k
        while self.count > self.limit:
            kept = self.points[: self.count : 2]
            self.count = len(kept)
            self.points[: self.count] = kept
            self.stride *= 2
        if (k - 1) % self.stride == 0:
            return self.points[: self.count]
        # The newest row is not a kept one: it goes in the spare row after them.
        self._reserve(self.count + 1)
        if newest is None:
            newest = convert(positions[-1:], values[-1:])
        self._note_leaving(newest)
        self.points[self.count] = newest[0]
        return self.points[: self.count + 1]

    def _note_leaving(self, points: np.ndarray) -> None:
        if self.box is None or self.leaves:
            return
        if len(points) == 1:
            # One new point a frame: plain comparisons, no small arrays.
            lo, hi = self._box_lists
            row = points[0].tolist()
            for axis in range(self.columns):
                if not lo[axis] <= row[axis] <= hi[axis]:
                    self.leaves = True
                    return
        else:
            self.leaves = not inside_box(points, *self.box).all()

    def _append(self, points: np.ndarray) -> None:
        self._note_leaving(points)
        self._reserve(self.count + len(points) + 1)
        self.points[self.count : self.count + len(points)] = points
        self.count += len(points)

    def _reserve(self, size: int) -> None:
        if size > len(self.points):
            grown = np.empty((max(size, 2 * len(self.points)), self.columns), dtype=self.points.dtype)
            grown[: self.count] = self.points[: self.count]
            self.points = grown
