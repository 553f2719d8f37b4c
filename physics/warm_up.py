"""Compiling (or loading from the cache) every Numba kernel a simulation uses, ahead of the first step.

A kernel first met in the middle of a run is compiled then (about half a second) or loaded from
the cache (tens of milliseconds): in the app, on the UI thread, in the middle of an animation.
The entry points call :func:`warm_up` before that can happen (the app on a background thread, see
gui.app); tests/physics/test_warm_up.py checks that a varied run compiles nothing more after it.

It lives apart from physics.compiled, the lowest module, because it runs a whole Simulation.
"""

from __future__ import annotations

import threading


def warm_up(stop: threading.Event | None = None) -> None:
    """Compile (or load from the cache) every kernel a simulation uses, by running a small one: a
    noisy swarm, a single ball with and without noise and a ball that diverges, with the array
    layouts of a real run. About 3 s the first time on a machine, a few tenths of a second once cached.

    ``stop``, when set (the app closing), ends the warm-up at the next of its stages (making the
    simulation, its steps, each ball's state), as a compilation under way cannot be interrupted.
    """
    import numpy as np

    from physics.balls import BallSpec
    from physics.noise import COMPILED_DRAW_POINTS, NoiseSettings
    from physics.optimizers.arrays import uniform
    from physics.simulation import Simulation
    from surfaces.presets import preset_surface

    for dtype in (np.float64, np.int64):  # (the optimisers' per-particle rates and step counts)
        uniform(np.zeros(2, dtype=dtype))
    balls = [BallSpec("swarm", "#1f77b4", "adam", (("lr", 0.01),), (-1.0, 1.0), NoiseSettings(sigma=0.5),
                      particles=COMPILED_DRAW_POINTS, spread=0.2),
             BallSpec("ball", "#ff7f0e", "gd", (("lr", 1e-3),), (-1.0, 1.0), NoiseSettings()),
             BallSpec("noisy", "#9467bd", "gd", (("lr", 1e-3),), (-1.0, 1.0), NoiseSettings(sigma=0.1)),
             BallSpec("away", "#2ca02c", "gd", (("lr", 10.0),), (1.5, 2.5), NoiseSettings())]
    if stop is not None and stop.is_set():
        return
    simulation = Simulation(preset_surface("rosenbrock"), balls, seed=0, capacity=16)
    if stop is not None and stop.is_set():
        return
    simulation.step(6)
    for index in range(len(balls)):
        if stop is not None and stop.is_set():
            return
        simulation.state(index)


if __name__ == "__main__":
    warm_up()
