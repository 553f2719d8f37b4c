"""A plain, noise-free optimisation loop: the reference run of an optimiser on a surface.

The simulation (physics.simulation) adds noise, clipping, swarms and telemetry; this loop only
feeds an optimiser the exact gradient and applies its steps, which is what a check of an update
rule against its published formula needs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from physics.optimizers.arrays import as_points
from physics.optimizers.base import Optimizer
from physics.oracle import SurfaceOracle
from surfaces.surface import Surface


def trajectory(optimizer: Optimizer, surface: Surface, starts: np.ndarray, steps: int) -> tuple[np.ndarray, Any]:
    """Run an optimiser noise-free from starts (n, 2) for a number of steps.

    Returns:
        positions (steps + 1, n, 2), row 0 the starts and row k the positions after k updates
        (params_k = params_{k-1} + step_k), and the optimiser's final state.
    """
    oracle = SurfaceOracle(surface)
    params = as_points(starts).copy()
    state = optimizer.init(params)
    positions = np.empty((steps + 1, *params.shape))
    positions[0] = params
    for k in range(1, steps + 1):
        step, state = optimizer.update(oracle.gradient(params), state, params, oracle)
        params = params + step
        positions[k] = params
    return positions, state
