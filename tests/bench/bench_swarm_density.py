"""Benchmark: a frame of a 100 000-particle swarm in the main window at 1600 x 900, dots before, density after.

Run: ``xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python tests/bench/bench_swarm_density.py``

The swarm-saddle scene with its swarm made 100 000 particles, in the main window at 1600 x 900.
For each way of drawing the swarm on the map (``dots``: gui.views.point_cloud, at most 20 000
of them drawn; ``density``: gui.views.swarm_density), it steps the swarm ``--frames`` times and
prints the median, per frame, of: the map's update (``ContourMapView._on_stepped``: the swarm's
item takes the state; thread CPU time), the map's paint (``plot_widget.grab()``: everything on the
map painted into a pixmap; wall time), and their sum; then the whole window's frame (a step through
the controller, every view and panel updated, the window painted: wall time, 3D view included).
Then the density's own parts (counting the bins, colouring them) and the Basin share panel's
per-frame sample (classifying the particles) and its redraw. The simulation's step is printed for
scale: it is the same in both.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DOWNHILL_CONFIG_DIR", tempfile.mkdtemp(prefix="downhill-bench-"))

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402

import gui.views  # noqa: E402,F401  (before the QApplication: the GL context group)
from gui.views import contour_map  # noqa: E402
from gui.views.swarm_density import density_counts, density_rgba  # noqa: E402
from physics.balls import MAX_PARTICLES  # noqa: E402
from physics.experiments.basin_share import classify_particles, share_groups, shares  # noqa: E402
from physics.preset_scenes import PRESET_SCENES  # noqa: E402


def median_ms(values: list[float]) -> float:
    return 1e3 * statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--particles", type=int, default=MAX_PARTICLES)
    args = parser.parse_args()
    app = pg.mkQApp()
    from gui.controller import SceneController
    from gui.main_window import MainWindow
    from gui.persistence import AppSettings, configure_settings

    configure_settings()
    scene = PRESET_SCENES["swarm-saddle"]
    scene = dataclasses.replace(scene, balls=(dataclasses.replace(scene.balls[0], particles=args.particles),))
    controller = SceneController(scene)
    controller.wait_for_build()
    window = MainWindow(controller, AppSettings(), remember_layout=False)
    window.resize(1600, 900)
    window.show()
    deadline = time.time() + 30
    while not controller.critical_points and time.time() < deadline:
        app.processEvents()
        time.sleep(0.01)
    for _ in range(10):
        app.processEvents()
    view = window.map_view
    print(f"swarm-saddle, {args.particles} particles; window 1600 x 900, map {view.width()} x {view.height()} px")
    controller.advance(40)   # the swarm spread along its way to the minima
    app.processEvents()

    steps: list[float] = []
    for mode, threshold in (("dots", 10 ** 9), ("density", contour_map.DENSITY_FROM)):
        contour_map.DENSITY_FROM = threshold
        view._on_balls_changed()   # the swarm's item made again, as for a new ball list
        app.processEvents()
        update, paint = [], []
        for _ in range(args.frames):
            started = time.perf_counter()
            controller.simulation.step(1)
            steps.append(time.perf_counter() - started)
            started = time.thread_time()
            view._on_stepped()
            update.append(time.thread_time() - started)
            started = time.perf_counter()
            view.plot_widget.grab()
            paint.append(time.perf_counter() - started)
        total = [a + b for a, b in zip(update, paint, strict=True)]
        print(f"{mode:8s} map update {median_ms(update):7.2f} ms CPU   paint {median_ms(paint):7.2f} ms   "
              f"frame (update + paint) {median_ms(total):7.2f} ms  (fastest {1e3 * min(total):.2f})")
        whole = []
        for _ in range(max(3, args.frames // 3)):
            started = time.perf_counter()
            controller.advance(1)      # a step and every view's and panel's update on stepped
            window.grab()              # every widget of the window painted
            whole.append(time.perf_counter() - started)
        print(f"{'':8s} whole window: step + updates + paint {median_ms(whole):7.1f} ms (wall)")
    print(f"(the simulation's step, the same for both: {median_ms(steps):.1f} ms)")

    item = view._swarms[0]
    state = controller.state(0)
    counting, colouring = [], []
    for _ in range(args.frames):
        started = time.thread_time()
        counts = density_counts(state.positions, state.active, *item.ranges, item.counts.shape)
        counting.append(time.thread_time() - started)
        started = time.thread_time()
        density_rgba(counts, controller.balls[0].color)
        colouring.append(time.thread_time() - started)
    print(f"density: {item.counts.shape[0]} x {item.counts.shape[1]} bins; counting {median_ms(counting):.2f} ms, "
          f"colouring {median_ms(colouring):.2f} ms CPU")

    panel = window.basin_share_panel
    points = controller.critical_points
    groups = share_groups(points)
    sampling, redraws = [], []
    for _ in range(args.frames):
        started = time.thread_time()
        shares(classify_particles(state.positions, state.active, state.regime_codes, points,
                                  controller.surface.domain.diameter), groups)
        sampling.append(time.thread_time() - started)
        started = time.thread_time()
        panel.redraw()
        redraws.append(time.thread_time() - started)
    print(f"basin share: sample (classify {len(state.positions)} particles) {median_ms(sampling):.2f} ms CPU, "
          f"redraw {median_ms(redraws):.2f} ms CPU ({len(panel.steps)} samples)")
    print(f"shares now: {dict(zip([g.name for g in groups], np.round(panel.latest, 4).tolist(), strict=True))}")
    controller.shutdown()


if __name__ == "__main__":
    main()
