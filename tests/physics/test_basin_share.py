"""physics.experiments.basin_share: which basin each particle of a swarm is in, and the shares."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np

from physics import regime
from physics.experiments import outcomes
from physics.experiments.basin_share import basin_radii, classify_particles, share_groups, shares
from physics.preset_scenes import PRESET_SCENES
from physics.simulation import Simulation
from surfaces.critical import find_critical_points
from surfaces.presets import preset_surface

# Two minima at (-1, 0) and (1, 0), a saddle between them at the origin; the map's diagonal is 10.
POINTS = [SimpleNamespace(x=-1.0, y=0.0, kind="minimum"), SimpleNamespace(x=0.0, y=0.0, kind="saddle"),
          SimpleNamespace(x=1.0, y=0.0, kind="minimum")]
DIAMETER = 10.0
D, S, M = regime.CODES["descending"], regime.CODES["saddle"], regime.CODES["minimum"]


def test_a_minimum_reaches_half_way_to_its_nearest_neighbour_and_at_most_a_tenth_of_the_diagonal():
    np.testing.assert_allclose(basin_radii(POINTS, DIAMETER), [0.5, 0.5, 0.5])
    lone = [SimpleNamespace(x=0.0, y=0.0, kind="minimum")]
    np.testing.assert_allclose(basin_radii(lone, DIAMETER), [1.0])
    far = [SimpleNamespace(x=-30.0, y=0.0, kind="minimum"), SimpleNamespace(x=30.0, y=0.0, kind="minimum")]
    np.testing.assert_allclose(basin_radii(far, DIAMETER), [1.0, 1.0])


def test_shares_of_a_hand_built_state_equal_a_direct_count():
    # Each row: position, active, regime code, and the group it is in by the rule written out by hand.
    rows = [((-1.3, 0.1), True, D, 0),                       # 0.32 from minimum 1 (radius 0.5)
            ((0.9, -0.2), True, D, 2),                       # 0.22 from minimum 2
            ((0.6, 0.0), True, S, 2),                        # in minimum 2's ball though "saddle" by regime
            ((0.05, 0.05), True, D, outcomes.SADDLE),        # 0.07 from the saddle: within 1 % of 10
            ((0.3, 0.0), True, S, outcomes.SADDLE),          # the regime says saddle
            ((0.3, 0.0), True, D, outcomes.MOVING),          # the same place, descending: in transit
            ((-0.4, 1.0), True, D, outcomes.MOVING),
            ((3.0, 3.0), True, M, outcomes.MINIMUM),         # settled, no listed minimum near
            ((-1.0, 0.0), False, D, outcomes.DIVERGED),      # stopped, even at a minimum
            ((2.0, 0.0), True, regime.CODES["diverging"], outcomes.DIVERGED)]
    positions = np.array([r[0] for r in rows])
    active = np.array([r[1] for r in rows])
    regimes = np.array([r[2] for r in rows], dtype=np.int8)
    codes = classify_particles(positions, active, regimes, POINTS, DIAMETER)
    assert codes.tolist() == [r[3] for r in rows]
    groups = share_groups(POINTS)
    assert [g.name for g in groups] == ["minimum 1 at (-1, 0)", "minimum 3 at (1, 0)", "at another minimum",
                                        "on the saddle", "in transit", "diverged"]
    wanted = [1, 2, 1, 2, 2, 2]   # counted by hand from the table above
    np.testing.assert_allclose(shares(codes, groups), np.array(wanted) / len(rows))
    assert shares(codes, groups).sum() == 1.0


def test_the_swarm_saddle_splits_in_two_and_the_rule_agrees_with_a_particle_by_particle_count():
    scene = PRESET_SCENES["swarm-saddle"]
    surface = preset_surface(scene.formula)
    points = find_critical_points(surface)
    swarm = dataclasses.replace(scene.balls[0], particles=400)
    simulation = Simulation(surface, [swarm], seed=scene.seed)
    groups = share_groups(points)
    names = [g.name for g in groups]
    first = shares(classify_particles(*_state(simulation), points, surface.domain.diameter), groups)
    assert first[names.index("on the saddle")] == 1.0
    simulation.step(300)
    positions, active, regimes = _state(simulation)
    codes = classify_particles(positions, active, regimes, points, surface.domain.diameter)
    # Independently: each particle against each minimum, one at a time, half way to the saddle.
    minima = [(k, p) for k, p in enumerate(points) if p.kind == "minimum"]
    saddle = next(p for p in points if p.kind == "saddle")
    for (x, y), code in zip(positions, codes, strict=True):
        near = [k for k, p in minima
                if np.hypot(x - p.x, y - p.y) <= 0.5 * np.hypot(p.x - saddle.x, p.y - saddle.y)]
        assert code == (near[0] if near else outcomes.MOVING)
    now = shares(codes, groups)
    assert abs(now.sum() - 1.0) < 1e-12
    split = [now[i] for i, g in enumerate(groups) if g.code >= 0]
    assert len(split) == 2 and sum(split) == 1.0 and min(split) > 0.35   # chance decides, about half each


def _state(simulation: Simulation) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    state = simulation.state(0)
    return state.positions, state.active, state.regime_codes
