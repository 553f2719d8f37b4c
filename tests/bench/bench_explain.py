"""The explainer's cost: explain_next_step for every optimiser with an explainer, a ball and a swarm.

Run from the repository root:

    .venv/bin/python tests/bench/bench_explain.py [--quick]

For each optimiser in physics.explain.EXPLAINERS (settings of tests/physics/test_explain.py's
HYPER, else its defaults) on the ravine 0.5 (x^2 + 25 y^2) with Gaussian noise (sigma 0.5), after
5 steps: the time of one explanation (median of 7, after one untimed call that compiles or loads
what it uses) of a single ball and of particle 777 of a 100 000-particle swarm (10 000 with
--quick), beside the time of one simulation step of that swarm. The explanation replays the
whole ball's update (the swarm's noise draw and optimiser state rows), so for a swarm it costs
about one update of it, plus copying its generators and state. The GUI asks for it on a worker
thread (gui.explain), so these numbers are how long the card waits, not a stall of the window.

Figures on a machine shared with other work are upper bounds.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from physics.balls import BallSpec  # noqa: E402
from physics.explain import EXPLAINERS, explain_next_step  # noqa: E402
from physics.noise import NoiseSettings  # noqa: E402
from physics.optimizers.base import registry  # noqa: E402
from physics.simulation import Simulation  # noqa: E402
from surfaces.surface import build_surface  # noqa: E402

sys.path.insert(0, str(ROOT / "tests" / "physics"))
from test_explain import HYPER  # noqa: E402

REPEATS = 7


def timed(function, repeats: int = REPEATS) -> float:
    """The median wall time (ms) of ``function()`` over ``repeats`` calls, after one untimed call."""
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def main() -> None:
    swarm = 10_000 if "--quick" in sys.argv else 100_000
    surface = build_surface("0.5*(x^2 + 25*y^2)")
    noise = NoiseSettings(sigma=0.5)
    print(f"{'optimiser':22s} {'ball (ms)':>10s} {f'swarm {swarm} (ms)':>20s} {'swarm step (ms)':>16s}")
    for name in registry():
        if name not in EXPLAINERS:
            print(f"{name:22s} (no explainer)")
            continue
        hyper = tuple(HYPER.get(name, {}).items())
        one = Simulation(surface, [BallSpec("a", "#0072b2", name, hyper, (1.5, -0.8), noise=noise)], seed=1)
        one.step(5)
        many = Simulation(surface, [BallSpec("a", "#0072b2", name, hyper, (1.5, -0.8), noise=noise,
                                             particles=swarm, spread=0.3)], seed=1)
        many.step(5)
        ball_ms = timed(lambda simulation=one: explain_next_step(simulation, 0))
        swarm_ms = timed(lambda simulation=many: explain_next_step(simulation, 0, 777))
        step_ms = timed(lambda simulation=many: simulation.step(1), repeats=3)
        print(f"{name:22s} {ball_ms:10.2f} {swarm_ms:20.1f} {step_ms:16.1f}")


if __name__ == "__main__":
    main()
