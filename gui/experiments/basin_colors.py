"""Colours of basin outcomes, and the basin map as an RGBA image (plain NumPy, no widgets).

Each listed critical point's basin gets a colour of Paul Tol's "light" scheme (made for filled
areas under dark labels and distinct for colour-blind viewers), in the order of the critical
points' list (surfaces.critical), so the same point has the same colour in every basin map of a
surface. The named outcomes have fixed colours: diverged near black, still moving pale grey,
plateau the map's flat-earth brown, the others their regime colours (gui.palette). Colour is
never the only carrier: the legend names every outcome with its share, and the points carry their
number and their kind's marker shape.

With noise, a cell is drawn in its most likely outcome's colour with opacity = that outcome's
probability (times the layer's opacity): a sure basin is solid, a split cell fades.
"""

from __future__ import annotations

import numpy as np

from gui import palette
from physics.experiments import outcomes

#: Paul Tol's "light" scheme: light blue, orange, light yellow, pink, light cyan, mint, pear, olive.
POINT_COLORS: tuple[str, ...] = ("#77aadd", "#ee8866", "#eedd88", "#ffaabb", "#99ddff", "#44bb99", "#bbcc33",
                                 "#aaaa00")
NAMED_COLORS: dict[int, str] = {
    outcomes.MOVING: "#dddddd",
    outcomes.DIVERGED: "#202020",
    outcomes.PLATEAU: palette.FLAT_COLOR,
    outcomes.SADDLE: palette.SADDLE_COLOR,
    outcomes.OSCILLATING: "#e7298a",
    outcomes.MINIMUM: palette.CURVES_UP_COLOR,
    outcomes.MAXIMUM: palette.CURVES_DOWN_COLOR,
}


def outcome_color(code: int) -> str:
    """"#rrggbb" of an outcome code (a listed point's by its index, cycling; a named outcome's own)."""
    code = int(code)
    return POINT_COLORS[code % len(POINT_COLORS)] if code >= 0 else NAMED_COLORS[code]


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def basin_rgba(result: object, opacity: float = 1.0) -> np.ndarray:
    """(ny, nx, 4) uint8 RGBA of a BasinMap, row 0 at the bottom (y = ys[0]), column 0 at xs[0]:
    the most likely outcome's colour, alpha = ``opacity`` x its probability."""
    codes = list(result.outcomes)
    table = np.array([_rgb(outcome_color(code)) for code in codes], dtype=np.uint8)
    index = np.argmax(result.probabilities, axis=2)            # (nx, ny)
    alpha = np.clip(result.confidence * float(opacity) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    rgba = np.empty(index.shape + (4,), dtype=np.uint8)
    rgba[..., :3] = table[index]
    rgba[..., 3] = alpha
    return np.ascontiguousarray(rgba.transpose(1, 0, 2))      # (ny, nx, 4)
