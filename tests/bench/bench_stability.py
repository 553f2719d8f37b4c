"""Benchmark: the stability map's time, and the window's pace while it runs.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/bench_stability.py``

Prints
1. the wall and CPU time of a 60 x 60 stability map (lr x momentum, heavy ball, the ravine from
   (-4, 1.5), 500 steps: 3 600 settings as one swarm with per-particle hyper-parameters; target
   <= 3 s on this machine), and of the same for Adam (lr x beta1: its NumPy rule, as betas vary);
2. the longest gap between two ticks of a 10 ms timer on the UI thread while the Stability dock
   computes the momentum map on its worker (Experiments > Stability map in the main window;
   target < 100 ms).
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

START = [-4.0, 1.5]


def stability_map(optimizer: str) -> None:
    from physics.experiments.base import make_spec, run_experiment
    from physics.experiments.stability import OUTCOMES
    from physics.memory import keep_freed_memory
    from physics.warm_up import warm_up
    from surfaces.presets import preset_surface

    keep_freed_memory()
    warm_up()
    surface = preset_surface("ravine")
    settings = {"optimizer": optimizer, "start": START, "grid": 60, "steps": 500}
    run_experiment(make_spec("stability", {**settings, "grid": 6, "steps": 40}), surface, cache=None)  # kernels
    wall, cpu = time.perf_counter(), time.process_time()
    result = run_experiment(make_spec("stability", settings), surface, cache=None)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    shares = ", ".join(f"{word} {100 * s:.1f} %" for word, s in zip(OUTCOMES, result.shares, strict=True) if s)
    print(f"stability 60 x 60 ravine {optimizer} {result.x_param} x {result.y_param}, 500 steps: {wall:.2f} s wall, "
          f"{cpu:.2f} s CPU (target <= 3 s): {shares}")


#: The scene the window opens on (its map the dock computes).
SCENE = ('{"version": 1, "formula": "ravine", "balls": [{"name": "momentum", "optimizer": '
         '"momentum", "hyperparameters": {"lr": 0.01}, "start": [-4, 1.5]}]}')


def pace() -> None:
    from physics.experiments.base import CACHE

    app, controller, window = open_main_window(SCENE, "bench_stability.ini")
    CACHE.clear()
    window.stability_dock.show()  # (its first showing re-lays out the views: not the run's pace)
    settle(app)
    timer = GapTimer()
    gaps = timer.gaps
    panel = window.stability_panel
    started = time.perf_counter()
    timer.start()
    next(a for a in window.experiments_menu.actions() if a.text().replace("&", "") == "Stability map").trigger()
    end = time.monotonic() + 300
    while panel.result is None and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.001)
    settle(app, 20)  # the map drawn
    timer.stop()
    took = time.perf_counter() - started
    print(f"in the app: the 60 x 60 map in {took:.2f} s; longest event-loop gap {1000 * max(gaps[1:]):.0f} ms "
          f"over {len(gaps)} ticks of 10 ms (target < 100 ms)")
    controller.shutdown()
    window.close()


if __name__ == "__main__":
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    stability_map("momentum")
    stability_map("adam")
    pace()
