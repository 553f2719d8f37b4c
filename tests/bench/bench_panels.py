"""Benchmark: per-frame cost of the telemetry panels with 8 balls and 10 000 steps of history.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/bench_panels.py``

Prints the time to fetch the 8 histories from the simulation (once per frame, shared by all
panels), then, per panel, the median and fastest wall time and the median thread CPU time of its
own update after one animation frame (the simulation advanced by ``--steps-per-frame`` steps;
CPU time is the figure to trust on a busy machine), the time to draw the panel
(``QWidget.grab``: every child painted into a pixmap, pyqtgraph building and stroking the decimated
paths; ``repaint`` may leave the graphics view's viewport to later) and the number of points
each curve holds. The target is "well under 1 ms" per panel update.

Then it plays the scene for ``--play-seconds`` through the controller's own animation clock (16 ms
frames; painting is switched off meanwhile, so the clock keeps its pace) and prints what the
panels' own work costs per animation frame, all updates included (those made on
``stepped`` and those the panels' catch-up timers make between frames): while playing, the plot
panels refresh at most every gui.panels.history_plot.REFRESH_INTERVAL_S and the read-outs every
gui.panels.readout_panel.UPDATE_INTERVAL_S, so this is what the throttling saves.
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
from gui.panels.history_plot import HistoryPlotPanel  # noqa: E402
from physics.balls import BallSpec  # noqa: E402
from physics.memory import keep_freed_memory  # noqa: E402
from physics.noise import NoiseSettings  # noqa: E402
from physics.scenes import Scene  # noqa: E402

OPTIMIZERS = (("gd", {"lr": 0.01}), ("gd", {"lr": 0.03}), ("momentum", {"lr": 0.005}), ("nesterov", {"lr": 0.005}),
              ("adam", {"lr": 0.02}), ("rmsprop", {"lr": 0.01}), ("adagrad", {"lr": 0.1}), ("gd", {"lr": 0.02}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", type=int, default=10_000, help="steps recorded before measuring")
    parser.add_argument("--steps-per-frame", type=int, default=1)
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--play-seconds", type=float, default=4.0)
    args = parser.parse_args()
    keep_freed_memory()  # as the app does at start (physics.memory)

    app = pg.mkQApp()
    meter = RefreshMeter()
    balls = tuple(BallSpec(name=f"{name} {i}", color=ball_color(i), optimizer=name, hyperparameters=tuple(h.items()),
                           start=(-1.5 + 0.4 * i, 1.2), noise=NoiseSettings(sigma=0.05))
                  for i, (name, h) in enumerate(OPTIMIZERS))
    controller = SceneController(Scene(formula="x^2 + y^4/4 - y^2/2 + 0.1*sin(3*x)", balls=balls, seed=1))
    controller.wait_for_build()  # the critical points, found on a worker thread, would compete for the GIL
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
            panel.grab()
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
    play(app, controller, panels, meter, args.play_seconds)
    controller.wait_for_build()


class RefreshMeter:
    """Thread CPU time and count of every refresh of each panel, however it is called (stepped, a
    catch-up timer, playingChanged): the panels' classes get a timing wrapper before any panel exists."""

    def __init__(self) -> None:
        self.spent: dict[int, float] = {}
        self.count: dict[int, int] = {}
        for cls in (HistoryPlotPanel, ReadoutPanel):
            cls.refresh = self._timed(cls.refresh)

    def _timed(self, refresh):
        meter = self

        def timed(panel) -> None:
            started = time.thread_time()
            refresh(panel)
            key = id(panel)
            meter.spent[key] = meter.spent.get(key, 0.0) + time.thread_time() - started
            meter.count[key] = meter.count.get(key, 0) + 1

        return timed

    def reset(self) -> None:
        self.spent.clear()
        self.count.clear()


def play(app, controller, panels: dict, meter: RefreshMeter, seconds: float) -> None:
    """Play the scene through the controller's clock; print each panel's CPU time per animation frame."""
    from PyQt6.QtCore import QEventLoop, QTimer

    frames = [0]
    controller.stepped.connect(lambda: frames.__setitem__(0, frames[0] + 1))
    controller.set_speed(1)
    # Painting (measured above) is left out, so the clock keeps its 60 Hz pace as on a real display:
    # the panels stay shown (they do their work) but do not repaint.
    for panel in panels.values():
        panel.setUpdatesEnabled(False)
    meter.reset()
    controller.play()
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    controller.pause()
    app.processEvents()
    for panel in panels.values():
        panel.setUpdatesEnabled(True)
    count = max(frames[0], 1)
    print(f"played {seconds:.0f} s through the animation clock: {frames[0]} frames "
          f"({frames[0] / seconds:.0f} a second)")
    print(f"{'panel':12s} {'updates':>8s} {'CPU ms/frame':>13s}   (every update, divided by the frames shown)")
    for name, panel in panels.items():
        print(f"{name:12s} {meter.count.get(id(panel), 0):8d} {1e3 * meter.spent.get(id(panel), 0.0) / count:13.3f}")
    print(f"{'all panels':12s} {sum(meter.count.values()):8d} {1e3 * sum(meter.spent.values()) / count:13.3f}")
    print("(here the first panel to refresh after a step also fetches the histories from the simulation, "
          "which in the app the views do first)")


if __name__ == "__main__":
    main()
