"""physics.warm_up.warm_up compiles every kernel a run of the app or the command line needs.

A kernel first met after the warm-up is compiled (half a second) or loaded from the cache (tens
of milliseconds) right then: in the app, on the UI thread, in the middle of an animation.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# In a process of its own: kernels this test run has compiled already would hide a missing one.
SCRIPT = """
import gc
from numba.core.registry import CPUDispatcher
from physics.warm_up import warm_up

warm_up()


def signatures():
    return {f"{o.py_func.__module__}.{o.py_func.__qualname__}": len(o.signatures)
            for o in gc.get_objects() if isinstance(o, CPUDispatcher)}


before = signatures()
from physics.balls import BallSpec
from physics.noise import NoiseSettings
from physics.optimizers.base import registry
from physics.simulation import Simulation
from surfaces.presets import preset_surface

balls = [BallSpec(name, "#1f77b4", name, (), (-1.0, 1.0), NoiseSettings(sigma=0.1 * (i % 2)))
         for i, name in enumerate(registry())]
balls += [BallSpec("swarm", "#1f77b4", "rmsprop", (), (0.5, 0.5), NoiseSettings(sigma=0.1), particles=5000,
                   spread=0.3, clip=1.0),
          BallSpec("small swarm", "#1f77b4", "adam", (), (0.5, 0.5), NoiseSettings(sigma=0.1), particles=300,
                   spread=0.3),
          BallSpec("away", "#1f77b4", "gd", (("lr", 10.0),), (1.5, 2.5), NoiseSettings())]
for surface in ("rosenbrock", "sigmoid-neuron"):
    mini = [BallSpec("batch", "#1f77b4", "adam", (), (0.5, 0.5), NoiseSettings(batch_size=1))]
    simulation = Simulation(preset_surface(surface), balls + (mini if surface == "sigmoid-neuron" else []), seed=0)
    simulation.step(8)
    for index in range(len(simulation.balls)):
        simulation.state(index)
        simulation.history(index)
after = signatures()
print(sorted(name for name, count in after.items() if count != before.get(name, 0)))
"""


def test_a_varied_run_after_the_warm_up_compiles_nothing_more() -> None:
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"kernels first compiled after the warm-up: {result.stdout.strip()}"
