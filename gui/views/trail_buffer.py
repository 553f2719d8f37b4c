"""A ball's trail for drawing: extended by the new history rows each frame, thinned as it grows.

A ball's history grows by a row per step and may reach 200 000 rows. Recomputing (and, in 3D,
re-projecting) the whole path every frame would cost more and more as the run goes on; a
:class:`TrailBuffer` converts only the rows added since the last frame and keeps the history
rows 0, s, 2s, ... (s the stride) plus the newest row. When more than ``limit`` rows are kept,
every other one is dropped and s doubles, so a long run costs no more per frame than a short
one, and the drawn path is always a subset of the true one that starts at the start and ends
at the ball.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


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
        self.restart()

    def restart(self) -> None:
        """Forget the trail (a new surface, a new frame of reference): the next update converts it all."""
        self.stride = 1
        self.count = 0        # kept points (rows 0, s, 2s, ... of the history)
        self.covered = 0      # history rows looked at so far
        self.first: np.ndarray | None = None

    def update(self, positions: np.ndarray, values: np.ndarray,
               convert: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray | None:
        """The points to draw, a view (n, columns), or None when the history has not changed.

        Args:
            positions: (k, 2) the ball's history of positions (a restart shows as a new first
                row or a shorter history).
            values: (k,) the matching values (the loss), passed to ``convert`` with the rows.
            convert: (rows (m, 2), values (m,)) -> (m, columns) points to draw.
        """
        k = len(positions)
        restarted = self.first is None or k < self.covered or not np.array_equal(positions[0], self.first)
        if not restarted and k == self.covered:
            return None
        if restarted:
            self.restart()
            if k == 0:
                return self.points[:0]
            self.first = np.array(positions[0])
        start = -(-self.covered // self.stride) * self.stride
        rows = np.arange(start, k, self.stride)
        if len(rows):
            self._append(convert(positions[rows], values[rows]))
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
        self.points[self.count] = convert(positions[-1:], values[-1:])[0]
        return self.points[: self.count + 1]

    def _append(self, points: np.ndarray) -> None:
        self._reserve(self.count + len(points) + 1)
        self.points[self.count : self.count + len(points)] = points
        self.count += len(points)

    def _reserve(self, size: int) -> None:
        if size > len(self.points):
            grown = np.empty((max(size, 2 * len(self.points)), self.columns), dtype=self.points.dtype)
            grown[: self.count] = self.points[: self.count]
            self.points = grown
