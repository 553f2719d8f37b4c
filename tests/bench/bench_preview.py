"""The live what-if preview's rate: previews per second for every optimiser, and redraws while dragging.

Run under a (virtual) display, from the repository root:

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python tests/bench/bench_preview.py [--quick] [--drag-only]

(a) Previews per second. For every registered optimiser (its default settings) on four surfaces
    (a preset polynomial, Rosenbrock, the tiny network's finite sum, a formula with exp and sin),
    one preview of 300 steps from the preset's start (physics.preview.run_preview: compute) and
    drawing it on a contour map (GhostPath.show and a synchronous repaint of the map: draw),
    the median of 5. "rate" = 1 / (compute + draw); "steps" is how far the ball went (a preview
    that leaves the map stops early and costs less). Wall-clock times, then the thread's CPU
    times (time.thread_time: what the same work costs on an idle machine, whatever else this
    machine runs; the X server's share of drawing is not in it). Target: >= 20 per second everywhere
    (judged on the CPU rate).

(b) Redraws while a slider is dragged in the real window (1600 x 900, every view and panel):
    the selected ball's lr slider is pressed, moved by synthetic mouse events at 60 Hz for 3 s
    (a triangle wave of +-12 px), and released. It counts the ghosts drawn (how many were a
    long preview's path so far), and the gaps of a 16 ms timer meanwhile (the longest is the
    longest the window could not react). Target: >= 20 redraws a second, no gap over 100 ms.
    The first row ("none") is the same drag with the preview switched off: what the window
    spends anyway on a slider moving and its box changing at 60 Hz.

Under Xvfb painting is done by the CPU (Mesa), on a machine shared with other work: the figures
are an upper bound of what a desktop shows.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
if "DOWNHILL_CONFIG_DIR" not in os.environ:  # never the user's settings; removed at the end
    _TEMPORARY_CONFIG = tempfile.mkdtemp(prefix="downhill-bench-")
    os.environ["DOWNHILL_CONFIG_DIR"] = _TEMPORARY_CONFIG
else:
    _TEMPORARY_CONFIG = None

from PyQt6 import QtCore, QtGui, QtWidgets  # noqa: E402
from PyQt6.QtCore import Qt  # noqa: E402
from PyQt6.QtWidgets import QApplication  # noqa: E402

#: (name, formula or preset, domain or None, start or None: the preset's first)
SURFACES = (
    ("polynomial (six-hump-camel)", "six-hump-camel", None, None),
    ("rosenbrock", "rosenbrock", None, None),
    ("tiny-network (finite sum)", "tiny-network", None, None),
    ("exp/sin formula", "sin(x)*cos(y) + 0.1*exp(0.3*x) + 0.05*(x^2 + y^2)", (-4.0, 4.0, -4.0, 4.0), (1.0, 0.5)),
)
REPEATS = 5
DRAG_SECONDS = 3.0
DRAG_HZ = 60


def _settle(milliseconds: int) -> None:
    end = time.perf_counter() + milliseconds / 1000
    while time.perf_counter() < end:
        QApplication.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 10)
        time.sleep(0.002)


def _surface(formula: str, domain: tuple | None):  # noqa: ANN202
    from surfaces.presets import PRESETS, preset_surface
    from surfaces.surface import Domain, build_surface

    if formula in PRESETS:
        return preset_surface(formula), tuple(PRESETS[formula].starts[0])
    return build_surface(formula, domain=Domain(*domain)), None


def bench_previews(quick: bool) -> list[tuple[str, str, float]]:
    """(a): print a table; return (surface, optimiser, rate) rows."""
    from dataclasses import replace

    from gui.controller import SceneController
    from gui.views.contour_map import ContourMapView
    from gui.what_if import Ghost
    from physics.balls import BallSpec
    from physics.optimizers.base import registry
    from physics.preview import run_preview, what_if
    from physics.scenes import Scene
    from physics.simulation import Simulation

    rows = []
    print(f"(a) one preview of 300 steps: compute + draw (median of {REPEATS})")
    print(f"{'surface':30s} {'optimiser':22s} {'steps':>5s} {'compute':>9s} {'draw':>7s} {'rate':>8s}"
          f" {'cpu: compute':>12s} {'draw':>7s} {'rate':>8s}")
    for label, formula, domain, start in SURFACES:
        surface, preset_start = _surface(formula, domain)
        start = start or preset_start
        controller = SceneController(Scene(formula="x^2 + y^2", balls=(BallSpec("a", "#e69f00", "gd", start=(1, 1)),)),
                                     surface=surface)
        view = ContourMapView(controller)
        view.resize(900, 760)
        view.show()
        _settle(300)
        view.reset_view()
        names = list(registry())
        if quick:
            names = ["sgd", "adam", "newton", "bfgs", "cg"]
        for name in names:
            ball = BallSpec("a", "#e69f00", name, start=start)
            simulation = Simulation(surface, [ball], seed=0)
            computes, draws, cpu_computes, cpu_draws = [], [], [], []
            preview = None
            for _ in range(REPEATS):
                began, cpu = time.perf_counter(), time.thread_time()
                preview = run_preview(what_if(simulation, 0, replace(ball)))
                computes.append(time.perf_counter() - began)
                cpu_computes.append(time.thread_time() - cpu)
                began, cpu = time.perf_counter(), time.thread_time()
                view.ghost.show(Ghost(preview, ball.color, "lr 0.001", 1))
                view.plot_widget.viewport().repaint()
                draws.append(time.perf_counter() - began)
                cpu_draws.append(time.thread_time() - cpu)
            compute, draw = statistics.median(computes), statistics.median(draws)
            cpu_compute, cpu_draw = statistics.median(cpu_computes), statistics.median(cpu_draws)
            rate, cpu_rate = 1.0 / (compute + draw), 1.0 / (cpu_compute + cpu_draw)
            rows.append((label, name, cpu_rate))
            flag = "" if cpu_rate >= 20 else "  < 20/s"
            print(f"{label:30s} {name:22s} {len(preview.path) - 1:5d} {compute * 1e3:7.1f}ms {draw * 1e3:5.1f}ms "
                  f"{rate:6.1f}/s {cpu_compute * 1e3:10.1f}ms {cpu_draw * 1e3:5.1f}ms {cpu_rate:6.1f}/s{flag}",
                  flush=True)
        view.close()
        controller.shutdown()
    return rows


def bench_drag(quick: bool) -> None:
    """(b): drag the lr slider of the real window at 60 Hz for 3 s; print redraws per second and stalls."""
    from gui.app import settle_heap
    from gui.controller import SceneController
    from gui.main_window import MainWindow
    from gui.persistence import AppSettings
    from gui.what_if import WhatIfPreview
    from physics.balls import BallSpec
    from physics.scenes import Scene
    from surfaces.presets import PRESETS

    cases = [("rosenbrock", "none"), ("rosenbrock", "adam"), ("rosenbrock", "bfgs"), ("rosenbrock", "cg"),
             ("tiny-network", "sgd"), ("tiny-network", "newton"), ("six-hump-camel", "nesterov")]
    if quick:
        cases = cases[:4]
    controller = SceneController()
    window = MainWindow(controller, AppSettings(), remember_layout=False)
    window.resize(1600, 900)
    window.show()
    _settle(1500)
    settle_heap()  # as the app does once its window exists
    what_if = WhatIfPreview.of(controller)
    print("\n(b) dragging the lr slider in the window: 60 Hz moves for 3 s")
    print(f"{'surface':16s} {'optimiser':12s} {'redraws/s':>9s} {'partial':>8s} {'longest gap':>12s} "
          f"{'gaps > 50 ms':>12s} {'median gap':>10s}")
    for formula, name in cases:
        preset = PRESETS[formula]
        baseline = name == "none"  # the same drag with the preview switched off: the window's own cost
        ball = BallSpec("a", "#e69f00", "adam" if baseline else name, start=tuple(preset.starts[0]))
        controller.load_scene(Scene(formula=formula, domain=preset.domain,
                                    balls=(ball,)))
        controller.wait_for_build()
        _settle(500)
        controller.select(0)
        _settle(200)
        slider = window.ball_list.form.hyperparameters.editors["lr"].slider
        option = QtWidgets.QStyleOptionSlider()
        slider.initStyleOption(option)
        handle = slider.style().subControlRect(QtWidgets.QStyle.ComplexControl.CC_Slider, option,
                                               QtWidgets.QStyle.SubControl.SC_SliderHandle, slider).center()

        def send(kind: QtCore.QEvent.Type, point: QtCore.QPoint, buttons: Qt.MouseButton,
                 slider: QtWidgets.QSlider = slider) -> None:
            button = Qt.MouseButton.NoButton if kind == QtCore.QEvent.Type.MouseMove else Qt.MouseButton.LeftButton
            event = QtGui.QMouseEvent(kind, QtCore.QPointF(point), QtCore.QPointF(slider.mapToGlobal(point)), button,
                                      buttons, Qt.KeyboardModifier.NoModifier)
            QApplication.sendEvent(slider, event)

        if baseline:
            window.ball_list.form.specPreviewed.disconnect()
        redraws_before = what_if.redraws
        partial: list[bool] = []

        def record(ghost: object, partial: list[bool] = partial) -> None:
            partial.append(ghost is not None and not ghost.preview.complete)

        what_if.ghostChanged.connect(record)
        gaps: list[float] = []
        last = [time.perf_counter()]

        when: list[float] = []

        def tick(gaps: list[float] = gaps, last: list[float] = last, when: list[float] = when) -> None:
            now = time.perf_counter()
            gaps.append(now - last[0])
            when.append(last[0])
            last[0] = now

        clock = QtCore.QTimer()
        clock.setInterval(16)
        clock.timeout.connect(tick)
        send(QtCore.QEvent.Type.MouseButtonPress, handle, Qt.MouseButton.LeftButton)
        began = time.perf_counter()
        last[0] = began
        clock.start()
        moves = 0
        while time.perf_counter() - began < DRAG_SECONDS:
            t = time.perf_counter() - began
            phase = (t % 1.0)
            offset = round(12 * (4 * phase - 1 if phase < 0.5 else 3 - 4 * phase))
            send(QtCore.QEvent.Type.MouseMove, handle + QtCore.QPoint(offset, 0), Qt.MouseButton.LeftButton)
            moves += 1
            next_move = began + moves / DRAG_HZ
            while time.perf_counter() < next_move:
                QApplication.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 2)
                time.sleep(0.001)
        elapsed = time.perf_counter() - began
        redraws = what_if.redraws - redraws_before
        clock.stop()
        send(QtCore.QEvent.Type.MouseButtonRelease, handle, Qt.MouseButton.NoButton)
        what_if.ghostChanged.disconnect(record)
        if baseline:
            window.ball_list.form.specPreviewed.connect(window.ball_list._on_spec_previewed)
        _settle(300)
        print(f"{formula:16s} {name:12s} {redraws / elapsed:9.1f} {sum(partial):8d} {max(gaps) * 1e3:10.0f}ms "
              f"{sum(gap > 0.05 for gap in gaps):12d} {statistics.median(gaps) * 1e3:8.0f}ms"
              f"{'' if redraws / elapsed >= 20 else '  < 20/s'}", flush=True)
        if "--gaps" in sys.argv:
            print("   gaps over 150 ms (starting at s after the press):",
                  ", ".join(f"{gap * 1e3:.0f} ms at {start - began:.2f}" for gap, start in zip(gaps, when, strict=True)
                            if gap > 0.15))
    window.close()
    controller.shutdown()


def main() -> None:
    from gui.app import prepare_process

    quick = "--quick" in sys.argv
    prepare_process()  # (as the app does: the GIL switch interval, the allocator)
    application = QApplication.instance() or QApplication(sys.argv)
    print(f"Qt platform: {application.platformName()}")
    try:
        from physics.warm_up import warm_up  # (the kernels the first step would otherwise wait for)
        warm_up()
    except ImportError:
        pass
    if "--drag-only" not in sys.argv:
        rows = bench_previews(quick)
        slow = [row for row in rows if row[2] < 20]
        print(f"\n{len(rows) - len(slow)} of {len(rows)} optimiser/surface pairs at >= 20 previews/s"
              + (": below, " + ", ".join(f"{name} on {surface} ({rate:.0f}/s)" for surface, name, rate in slow)
                 if slow else ""))
    bench_drag(quick)
    if _TEMPORARY_CONFIG:
        shutil.rmtree(_TEMPORARY_CONFIG, ignore_errors=True)


if __name__ == "__main__":
    main()
