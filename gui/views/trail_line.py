"""A 3D line whose points change every frame: pyqtgraph's GLLinePlotItem, fed without its option parsing.

Each frame the 3D view hands every moving ball's trail its points. ``GLLinePlotItem.setData``
checks its keyword arguments, converts them and merges "what changed" flags (a Python ``enum``
operation) before it schedules a repaint; for eight trails a frame that is a good share of the
view's work. :meth:`TrailLine.set_points` does the same for the one case the view needs, new
positions and a line mode, and the upload to the GPU still happens once, at the next paint
(tests/gui/test_views_gl.py holds it to ``setData``'s result).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph.opengl as gl
from pyqtgraph.opengl.items.GLLinePlotItem import DirtyFlag

_POSITION = DirtyFlag.POSITION
_EVERYTHING = DirtyFlag.POSITION | DirtyFlag.COLOR
_NOTHING = DirtyFlag(0)


class TrailLine(gl.GLLinePlotItem):
    """A GLLinePlotItem with a cheap per-frame update of its points (see the module docstring)."""

    def set_points(self, positions: np.ndarray, mode: str) -> None:
        """``setData(pos=positions, mode=mode)``: positions (n, 3) world points; mode "line_strip" or "lines"."""
        if mode not in ("line_strip", "lines"):
            raise ValueError(f"Unknown line mode {mode!r} (must be 'lines' or 'line_strip')")
        self.pos = np.ascontiguousarray(positions, dtype=np.float32)
        self.mode = mode
        # The points must be uploaded at the next paint; "already flagged" is the common case
        # while no paint came in between (the flags are enum members, singletons).
        bits = self.dirty_bits
        if bits is _NOTHING:
            self.dirty_bits = _POSITION
        elif bits is not _POSITION and bits is not _EVERYTHING:
            self.dirty_bits = bits | _POSITION
        self.update()
