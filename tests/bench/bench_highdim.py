"""Benchmark: the High-dimensional dock's default picture (physics.experiments.landscape_stats).

Prints the time of each part of the default computation (direct GOE sampling, the splitting
estimate, the landscape's Newton census) and of the whole, then, in the main window under the
display (run with xvfb-run), the longest gap of the event loop while the dock computes it on the
runner's thread (the window must not stall over 100 ms).

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python tests/bench/bench_highdim.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402

from physics.experiments import landscape_stats as stats  # noqa: E402
from physics.experiments.goe_minima import positive_definite_counts, splitting_estimate  # noqa: E402
from physics.experiments.random_landscape import find_critical_points, random_field  # noqa: E402


def _timed(label: str, work) -> float:
    start, cpu = time.perf_counter(), time.process_time()
    work()
    wall, used = time.perf_counter() - start, time.process_time() - cpu
    print(f"{label:58s} {wall:6.2f} s wall, {used:6.2f} s CPU")
    return wall


def physics_parts() -> None:
    defaults = stats.validate({}, "bench")
    rng = np.random.default_rng(0)
    _timed(f"direct sampling: {defaults['samples']:,} matrices, n <= {defaults['n_max']}",
           lambda: positive_definite_counts(defaults["n_max"], defaults["samples"], rng))
    _timed(f"splitting: {defaults['population']:,} per level x {stats.REPLICATES} runs",
           lambda: splitting_estimate(defaults["n_max"], defaults["population"], stats.REPLICATES, rng))
    field = random_field(defaults["dim"], defaults["features"], rng)
    _timed(f"Newton census: {defaults['starts']} starts in {defaults['dim']} dimensions",
           lambda: find_critical_points(field, defaults["starts"], rng, iterations=stats.ITERATIONS))
    wall = _timed("the whole default picture (landscape_stats.run)",
                  lambda: stats.run(None, None, {}, 0, lambda done, total: True))
    print(f"default picture: {wall:.2f} s (target: under about 5 s)")


def window_gaps() -> None:
    from PyQt6.QtCore import QSettings
    from PyQt6.QtWidgets import QApplication

    import gui.views  # noqa: F401
    from physics.experiments.base import CACHE

    app = QApplication.instance() or QApplication(sys.argv)
    from gui.controller import SceneController
    from gui.main_window import MainWindow
    from gui.persistence import AppSettings
    from physics.preset_scenes import PRESET_SCENES

    controller = SceneController(next(iter(PRESET_SCENES)))
    settings = AppSettings(QSettings(str(Path("/tmp") / "bench_highdim.ini"), QSettings.Format.IniFormat))
    window = MainWindow(controller, settings)
    window.resize(1600, 900)
    window.show()
    deadline = time.monotonic() + 30
    while controller.surface is None and time.monotonic() < deadline:
        app.processEvents()
    window.highdim_dock.show()  # laid out and painted first: the gaps below are the computation's
    settle = time.monotonic() + 2
    while time.monotonic() < settle:
        app.processEvents()
        time.sleep(0.005)
    CACHE.clear()
    panel = window.highdim_panel
    gaps = []
    start = last = time.monotonic()
    panel.start()
    while panel.result is None and time.monotonic() - start < 120:
        app.processEvents()
        now = time.monotonic()
        gaps.append(now - last)
        last = now
        time.sleep(0.002)
    total = time.monotonic() - start
    gaps.sort()
    print(f"in the window: computed in {total:.2f} s; event-loop gaps: median {1000 * gaps[len(gaps) // 2]:.0f} ms, "
          f"99th percentile {1000 * gaps[int(len(gaps) * 0.99)]:.0f} ms, longest {1000 * gaps[-1]:.0f} ms")
    controller.shutdown()


if __name__ == "__main__":
    physics_parts()
    window_gaps()
