"""Where a particle ended, in one shared vocabulary for every experiment.

An outcome is an integer code (:func:`classify_outcomes`):

- ``k >= 0``: the particle ended at critical point k of the list the experiment was given
  (``surfaces.critical.find_critical_points``' order, so its identity and colour are the map
  markers'): within ``MATCH_RTOL`` x the domain's diagonal of it, the nearest one, and not stopped.
- a negative code, one of :data:`NAMED` (its name is ``NAMED[-code - 1]``), from the simulation's
  own regime (physics.regime) where it says it: ``MOVING`` (still descending: not settled after
  the steps given), ``DIVERGED`` (stopped: left every sensible bound or met an undefined f),
  ``PLATEAU``, ``SADDLE`` (settled at a saddle not in the list), ``OSCILLATING``, ``MINIMUM``
  (settled at a minimum not in the list, such as a point of a curve of minima) and ``MAXIMUM``.

:func:`outcome_name(code, points)` says it in words ("minimum 2 (3.00, 2.00)", "diverged").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from physics import regime as _regime

#: The named outcomes (code -1 is NAMED[0], -2 NAMED[1], ...).
NAMED = ("still moving", "diverged", "plateau", "saddle", "oscillating", "minimum", "maximum")
MOVING, DIVERGED, PLATEAU, SADDLE, OSCILLATING, MINIMUM, MAXIMUM = (-(i + 1) for i in range(len(NAMED)))
#: A particle this close to a critical point (x the domain's diagonal) ended there.
MATCH_RTOL = 0.01
#: The regime codes (physics.regime.REGIMES) that map to a named outcome when no listed point is near.
_FROM_REGIME = {_regime.DIVERGING: DIVERGED, _regime.PLATEAU: PLATEAU, _regime.SADDLE: SADDLE,
                _regime.OSCILLATING: OSCILLATING, _regime.MINIMUM: MINIMUM, _regime.MAXIMUM: MAXIMUM}


def match_tolerance(diameter: float) -> float:
    """The distance (surface units) within which a particle is at a critical point."""
    return MATCH_RTOL * float(diameter)


def classify_outcomes(positions: np.ndarray, active: np.ndarray, regimes: np.ndarray,
                      points: Sequence, diameter: float) -> np.ndarray:
    """Outcome codes (n,) int16 of particles at ``positions`` (n, 2) with ``active`` (n,) bool and
    regime codes ``regimes`` (n,) (physics.regime), against critical ``points`` (objects with .x, .y)
    and the domain's ``diameter`` (the tolerance's scale)."""
    positions = np.asarray(positions, dtype=np.float64)
    n = len(positions)
    codes = np.full(n, MOVING, dtype=np.int16)
    regimes = np.asarray(regimes)
    for code, outcome in _FROM_REGIME.items():
        codes[regimes == code] = outcome
    if len(points):
        centres = np.array([(p.x, p.y) for p in points], dtype=np.float64)
        nearest = np.empty(n, dtype=np.int64)
        best = np.full(n, np.inf)
        for index, (cx, cy) in enumerate(centres):  # (a loop over the few points, not the particles)
            distance = np.hypot(positions[:, 0] - cx, positions[:, 1] - cy)
            closer = distance < best
            best[closer] = distance[closer]
            nearest[closer] = index
        at = (best <= match_tolerance(diameter)) & np.asarray(active, dtype=bool)
        codes[at] = nearest[at]
    codes[~np.asarray(active, dtype=bool)] = DIVERGED
    return codes


def outcome_name(code: int, points: Sequence = ()) -> str:
    """Words for an outcome code: "minimum 1 at (3, 2)" for a listed point, else its NAMED word."""
    code = int(code)
    if code >= 0:
        if code < len(points):
            point = points[code]
            return f"{point.kind} {code + 1} at ({point.x:.3g}, {point.y:.3g})"
        return f"critical point {code + 1}"
    return NAMED[-code - 1]


def outcome_label(code: int) -> str:
    """A short stable label for CSV columns: "cp1", "cp2", ... or the NAMED word with underscores."""
    code = int(code)
    return f"cp{code + 1}" if code >= 0 else NAMED[-code - 1].replace(" ", "_")
