"""Benchmark: the experiments (basins part): a 200 x 200 basin map's time, and the window's pace while it runs.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/bench_experiments.py``

Prints
1. the wall and CPU time of the 200 x 200 Himmelblau basin map, GD lr 0.01, 500 steps (40 000
   starts as one swarm; target <= 3 s on this machine), and of one 40 000-particle step;
2. the longest gap between two ticks of a 10 ms timer on the UI thread while the Basins dock computes
   that map on its worker (Experiments > Basins of attraction in the main window; target < 100 ms),
   and, apart, the time the dock's first showing takes (the views shrink and re-render).
The machine's load average is printed too: on a shared machine wall times stretch with it, CPU times do not.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ui_gaps import GapTimer, open_main_window, settle  # noqa: E402

SETTINGS = {"optimizer": "gd", "hyperparameters": {"lr": 0.01}, "grid": 200, "steps": 500}


def basin_map() -> None:
    from physics.experiments.base import make_spec, run_experiment
    from physics.memory import keep_freed_memory
    from physics.warm_up import warm_up
    from surfaces.presets import preset_surface

    keep_freed_memory()
    warm_up()
    surface = preset_surface("himmelblau")
    run_experiment(make_spec("basins", {"grid": 20, "steps": 10}), surface, cache=None)  # kernels loaded
    spec = make_spec("basins", SETTINGS)
    wall, cpu = time.perf_counter(), time.process_time()
    result = run_experiment(spec, surface, cache=None)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    shares = ", ".join(f"{result.name(c)} {100 * s:.1f} %" for c, s in zip(result.outcomes, result.shares,
                                                                          strict=True))
    print(f"basins 200 x 200 Himmelblau GD lr 0.01, 500 steps: {wall:.2f} s wall, {cpu:.2f} s CPU "
          f"(target <= 3 s): {shares}")
    print(f"  per step of 40 000 particles: {1000 * wall / 500:.1f} ms wall, {1000 * cpu / 500:.1f} ms CPU")


#: The scene the window opens on (its map the dock computes).
SCENE = ('{"version": 1, "formula": "himmelblau", "balls": [{"name": "GD", "optimizer": "gd", '
         '"hyperparameters": {"lr": 0.01}, "start": [0.5, -0.5]}]}')


def pace() -> None:
    from physics.experiments.base import CACHE

    app, controller, window = open_main_window(SCENE, "bench_experiments.ini")
    CACHE.clear()
    # Opening the dock shrinks the views (the map and the 3D view re-render at their new size): timed
    # on its own, as any dock's first showing; the run's pace is measured with the dock open.
    opened = time.perf_counter()
    window.basins_dock.show()
    app.processEvents()
    opened = time.perf_counter() - opened
    settle(app)
    timer = GapTimer()
    gaps = timer.gaps
    panel = window.basins_panel
    panel.compare_box.setCurrentIndex(0)
    started = time.perf_counter()
    timer.start()
    next(a for a in window.experiments_menu.actions() if "Basins" in a.text()).trigger()
    end = time.monotonic() + 300
    while panel.result is None and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.001)
    settle(app, 20)  # the layer drawn
    timer.stop()
    took = time.perf_counter() - started
    print(f"in the app: the map in {took:.2f} s; longest event-loop gap {1000 * max(gaps[1:]):.0f} ms "
          f"over {len(gaps)} ticks of 10 ms (target < 100 ms); opening the Basins dock first: "
          f"{1000 * opened:.0f} ms (the views re-laid out)")
    controller.shutdown()
    window.close()


if __name__ == "__main__":
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    basin_map()
    pace()
