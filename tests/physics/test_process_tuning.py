"""Process-wide tuning (the C allocator's thresholds) is the program's choice, made as it starts:
``main.py run`` and the app do it, a library constructor (Simulation) does not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys
import physics.memory
from physics.balls import BallSpec
from physics.noise import NoiseSettings
from physics.simulation import Simulation
from surfaces.presets import preset_surface

Simulation(preset_surface("rosenbrock"), [BallSpec("b", "#e69f00", "gd", (), (0.5, 0.5), NoiseSettings())], seed=0)
print(physics.memory._ALLOCATOR_TUNED)
if sys.argv[1] == "run":
    import main
    main.main(["run", "--surface", "rosenbrock", "--optimizer", "gd", "--steps", "2", "--csv", "/dev/null"])
elif sys.argv[1] == "app":
    import gui.app
    gui.app.prepare_process()
print(physics.memory._ALLOCATOR_TUNED)
"""


def _tuned(command: str) -> list[str]:
    result = subprocess.run([sys.executable, "-c", SCRIPT, command], cwd=ROOT, capture_output=True, text=True,
                            timeout=300, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_a_simulation_leaves_the_allocator_alone_and_the_programs_tune_it() -> None:
    assert _tuned("run") == ["False", "True"]
    assert _tuned("app") == ["False", "True"]
