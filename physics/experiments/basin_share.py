"""Which basin each particle of a live swarm is in now, and each basin's share of the swarm.

The rule is cheap (a few distances per particle, no extra simulation) and is stated here so the
panel can say it. Codes are the shared outcome vocabulary (physics.experiments.outcomes):

- ``k >= 0``, listed minimum k (``surfaces.critical`` order, so the basin map's identity and
  colour): the particle is active and within ``r_k`` of it, the nearest such minimum, where
  ``r_k = min(HALF_WAY x the distance from minimum k to the nearest other listed critical point,
  BASIN_RTOL x the domain's diagonal)``. Closer than half way to the next critical point, a
  descending particle has as good as chosen this minimum (on the tiny network, all 100 000
  particles of the swarm-saddle scene are within it by step 75 and never leave).
- ``SADDLE`` ("on the saddle"): not in a minimum's ball, and within ``outcomes.match_tolerance``
  (1 % of the diagonal) of a listed saddle, or labelled "saddle" by the simulation's regime.
- ``MINIMUM`` ("at another minimum"): labelled "minimum" by the regime away from every listed
  minimum (a point of a curve of minima, which the critical-point list holds only once).
- ``DIVERGED``: stopped by the simulation (not active) or labelled "diverging".
- ``MOVING`` ("in transit"): everything else (descending, crawling on a plateau, oscillating).

Shares are fractions of every particle of the swarm, diverged ones included, so they sum to 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from physics import regime as _regime
from physics.experiments import outcomes

#: A minimum's ball reaches this fraction of the way to the nearest other critical point ...
HALF_WAY = 0.5
#: ... and at most this fraction of the domain's diagonal (a lone minimum gets this).
BASIN_RTOL = 0.1


@dataclass(frozen=True)
class ShareGroup:
    """One band of the basin-share plot: an outcome ``code`` and its ``name`` in words."""

    code: int
    name: str


def share_groups(points: Sequence) -> tuple[ShareGroup, ...]:
    """The groups a swarm is split into, in stacking order (bottom first): each listed minimum,
    "at another minimum", "on the saddle" ("on a saddle" when there are several), "in transit",
    "diverged". ``points`` are critical points (objects with .x, .y, .kind)."""
    minima = [ShareGroup(k, outcomes.outcome_name(k, points)) for k, p in enumerate(points) if p.kind == "minimum"]
    saddles = sum(p.kind == "saddle" for p in points)
    return (*minima, ShareGroup(outcomes.MINIMUM, "at another minimum"),
            ShareGroup(outcomes.SADDLE, "on a saddle" if saddles > 1 else "on the saddle"),
            ShareGroup(outcomes.MOVING, "in transit"), ShareGroup(outcomes.DIVERGED, "diverged"))


def basin_radii(points: Sequence, diameter: float) -> np.ndarray:
    """(m,) the radius of each listed point's ball (module docstring's ``r_k``; used for minima)."""
    centres = np.array([(p.x, p.y) for p in points], dtype=np.float64).reshape(-1, 2)
    cap = BASIN_RTOL * float(diameter)
    if len(centres) < 2:
        return np.full(len(centres), cap)
    apart = np.hypot(*(centres[:, None, :] - centres[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(apart, np.inf)
    return np.minimum(HALF_WAY * apart.min(axis=1), cap)


def classify_particles(positions: np.ndarray, active: np.ndarray, regimes: np.ndarray, points: Sequence,
                       diameter: float) -> np.ndarray:
    """Codes (n,) int16 of particles at ``positions`` (n, 2), ``active`` (n,) bool, regime codes
    ``regimes`` (n,) (physics.regime), against critical ``points`` and the domain's ``diameter``."""
    positions = np.asarray(positions, dtype=np.float64).reshape(-1, 2)
    active = np.asarray(active, dtype=bool)
    regimes = np.asarray(regimes)
    n = len(positions)
    codes = np.full(n, outcomes.MOVING, dtype=np.int16)
    codes[regimes == _regime.SADDLE] = outcomes.SADDLE
    codes[regimes == _regime.MINIMUM] = outcomes.MINIMUM
    radii = basin_radii(points, diameter)
    x, y = np.ascontiguousarray(positions[:, 0]), np.ascontiguousarray(positions[:, 1])
    near_saddle = np.zeros(n, dtype=bool)
    best = np.full(n, np.inf)    # (distance / radius)^2 to the nearest minimum whose ball holds the particle
    tolerance = outcomes.match_tolerance(diameter)
    dx, dy = np.empty(n), np.empty(n)
    for index, point in enumerate(points):   # (a loop over the few points, not the particles)
        # Squared distances, in place: the swarm is 100 000 particles classified every frame.
        np.subtract(x, point.x, out=dx)
        np.subtract(y, point.y, out=dy)
        np.multiply(dx, dx, out=dx)
        np.multiply(dy, dy, out=dy)
        np.add(dx, dy, out=dx)
        if point.kind == "saddle":
            near_saddle |= dx <= tolerance * tolerance
        elif point.kind == "minimum":
            dx *= 1.0 / (radii[index] * radii[index])
            inside = (dx <= 1.0) & (dx < best)
            best[inside] = dx[inside]
            codes[inside] = index
    codes[near_saddle & ~np.isfinite(best)] = outcomes.SADDLE
    codes[(regimes == _regime.DIVERGING) | ~active] = outcomes.DIVERGED
    return codes


def shares(codes: np.ndarray, groups: Sequence[ShareGroup]) -> np.ndarray:
    """(len(groups),) the fraction of ``codes`` in each group (every code is in one; sums to 1)."""
    codes = np.asarray(codes)
    if len(codes) == 0:
        return np.zeros(len(groups))
    wanted = np.array([g.code for g in groups], dtype=np.int64)
    low = min(int(codes.min()), int(wanted.min(initial=0)))
    counts = np.bincount(codes.astype(np.int64) - low, minlength=int(wanted.max(initial=0)) - low + 1)
    return counts[wanted - low] / len(codes)
