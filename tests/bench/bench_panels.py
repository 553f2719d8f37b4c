"""Benchmark: per-frame cost of the telemetry panels with 8 balls and 10 000 steps of history.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/bench_panels.py``

Prints the time to fetch the 8 histories from the simulation (once per frame, shared by all
panels), then, per panel, the median and fastest wall time and the median thread CPU time of its
own update after one animation frame (the simulation advanced by ``--steps-per-frame`` steps;
CPU time is the figure to trust on a busy machine), the time to draw the panel
(``QWidget.repaint``, pyqtgraph building and stroking the decimated paths) and the number of points
each curve holds. The target is "well under 1 ms" per panel update.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import pyqtgraph as pg  # noqa: E402

from gui.controller import SceneController  # noqa: E402
from gui.palette import ball_color  # noqa: E402
from gui.panels import EigenvaluePanel, GradientPanel, LossPanel, ReadoutPanel, StepPanel  # noqa: E402
from physics.balls import BallSpec  # noqa: E402
from physics.noise import NoiseSettings  # noqa: E402
from physics.scenes import Scene  # noqa: E402

OPTIMIZERS = (("gd", {"lr": 0.01}), ("gd", {"lr": 0.03}), ("momentum", {"lr": 0.005}), ("nesterov", {"lr": 0.005}),
              ("adam", {"lr": 0.02}), ("rmsprop", {"lr": 0.01}), ("adagrad", {"lr": 0.1}), ("gd", {"lr": 0.02}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", type=int, default=10_000, help="steps recorded before measuring")
    parser.add_argument("--steps-per-frame", type=int, default=1)
    parser.add_argument("--frames", type=int, default=200)
    args = parser.parse_args()

    app = pg.mkQApp()
    balls = tuple(BallSpec(name=f"{name} {i}", color=ball_color(i), optimizer=name, hyperparameters=tuple(h.items()),
                           start=(-1.5 + 0.4 * i, 1.2), noise=NoiseSettings(sigma=0.05))
                  for i, (name, h) in enumerate(OPTIMIZERS))
    controller = SceneController(Scene(formula="x^2 + y^4/4 - y^2/2 + 0.1*sin(3*x)", balls=balls, seed=1))
    panels = {"eigenvalues": EigenvaluePanel(controller), "step": StepPanel(controller), "loss": LossPanel(controller),
              "gradient": GradientPanel(controller), "readout": ReadoutPanel(controller)}
    for panel in panels.values():
        panel.resize(700, 420)
        panel.show()
    app.processEvents()

    started = time.perf_counter()
    controller.simulation.step(args.history)
    print(f"simulated {args.history} steps of 8 balls in {time.perf_counter() - started:.1f} s")
    controller.stepped.emit()
    app.processEvents()

    updates: dict[str, list[float]] = {name: [] for name in panels}
    cpu: dict[str, list[float]] = {name: [] for name in panels}
    paints: dict[str, list[float]] = {name: [] for name in panels}
    feed: list[float] = []
    for _ in range(args.frames):
        controller.simulation.step(args.steps_per_frame)
        started = time.perf_counter()
        for index in range(len(balls)):
            controller.history(index)  # kept by the controller for every panel until the simulation changes
        feed.append(time.perf_counter() - started)
        for name, panel in panels.items():
            started = time.thread_time()
            panel.refresh()  # the readout's own throttle is bypassed: this is the cost of one update
            cpu[name].append(time.thread_time() - started)
            updates[name].append(panel.last_update_seconds)
        for name, panel in panels.items():
            started = time.perf_counter()
            panel.repaint()
            paints[name].append(time.perf_counter() - started)

    print(f"history {len(controller.history(0).steps)} rows; Simulation.history() for 8 balls "
          f"(once per frame, shared by all panels): {1e3 * statistics.median(feed):.3f} ms")
    print(f"{'panel':12s} {'update ms':>10s} {'(fastest)':>10s} {'CPU ms':>7s} {'paint ms':>9s} {'points/curve':>13s}")
    for name, panel in panels.items():
        points = ""
        if hasattr(panel, "curve_keys"):
            sizes = [len(panel.curve(i, k).getData()[0]) for i, k in panel.curve_keys()]
            points = f"{max(sizes)}"
        print(f"{name:12s} {1e3 * statistics.median(updates[name]):10.3f} {1e3 * min(updates[name]):10.3f} "
              f"{1e3 * statistics.median(cpu[name]):7.3f} {1e3 * statistics.median(paints[name]):9.2f} {points:>13s}")
    print("(update: median and fastest wall time of each panel's own work per frame, the histories fetched "
          "already; CPU: median thread CPU time of the same, which other processes cannot inflate; "
          "the readout updates at most 10 times a second while running)")
    controller.wait_for_build()


if __name__ == "__main__":
    main()
