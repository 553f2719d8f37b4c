"""Responsiveness of the Downhill window: event-loop stalls during builds, and the cost of a frame.

Run under a (virtual) display, from the repository root:

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python tests/bench/bench_gui.py
    DOWNHILL_NO_3D=1 xvfb-run ... tests/bench/bench_gui.py     (the same without the 3D view)

Under Xvfb, OpenGL is Mesa's software renderer, and a window holding an OpenGL widget is
composited through it on every repaint, so repaint times there are many times what a real GPU
gives; the app's own work per frame does not depend on it.

(a) Stalls. A 5 ms QTimer records the gaps between its ticks while the window (1600 x 900,
    every view and panel shown) rebuilds the heaviest preset surface (its cache cleared, so
    SymPy really works), rejects a deliberately huge formula (SymPy finds its Hessian too
    large), works for seconds on a long formula, and opens a scene. The longest gap while the
    work runs in the background is the longest time the window could not react because of it.
    Target: under 100 ms. The UI's own reaction to a new surface (the views resample and redraw
    it, on the UI thread by nature) is reported apart.

(b) Frame time with 8 balls on a cheap polynomial (so the views sample it on a 200 x 200 grid).
    It reports one animation tick with every view and panel brought up to date (what a step by
    hand costs: the worst case, as the panels refresh only a few times a second while playing),
    where that time goes, and the app's own work per frame while the animation really plays at
    60 Hz (the time the UI thread is awake per frame, with painting switched off); then the
    repaint (Qt painting, the 3D view's OpenGL drawing measured apart, composition and flush),
    and the frame interval the real timer achieved. Target for the app's own work while playing:
    under 4 ms.
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

from PyQt6.QtCore import QEventLoop, Qt, QTimer  # noqa: E402
from PyQt6.QtWidgets import QApplication  # noqa: E402

HEAVY_PRESET = "sigmoid-neuron"


#: A product of 15 sigmoids: it parses, but its Hessian would have hundreds of thousands of
#: parts, which SymPy finds out by differentiating; the build refuses it.
HUGE_FORMULA = "/".join(f"(1+exp(-{k}*x*y+sin({k}*y-x)))" for k in range(1, 16))
#: A long sum to a power: SymPy differentiates and compiles it for seconds (on this kind of
#: machine close to the 5 s limit; accepted or refused, the window must stay responsive).
LONG_FORMULA = "(" + "+".join(f"sin({k}*x+{k + 1}*y)*cos({k + 2}*x*y)" for k in range(1, 40)) + ")^5"

STALL_TARGET_MS = 100.0
FRAME_WORK_TARGET_MS = 4.0
MEASURED_FRAMES = 120


class StallMeter:
    """Gaps between the ticks of a 5 ms timer: how long the event loop was blocked, and when."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.gaps: list[tuple[float, float]] = []  # (start, end) in perf_counter seconds
        self._last = 0.0

    def start(self) -> None:
        self.gaps.clear()
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append((self._last, now))
        self._last = now

    def worst(self, keep=lambda start, end: True) -> float:
        lengths = [(end - start) * 1e3 for start, end in self.gaps if keep(start, end)]
        return max(lengths) if lengths else 0.0


def wait_until(predicate, timeout_s: float) -> bool:
    """Run the event loop until ``predicate()`` holds (True) or the timeout passes (False)."""
    deadline = time.perf_counter() + timeout_s
    loop = QEventLoop()
    while time.perf_counter() < deadline:
        if predicate():
            return True
        QTimer.singleShot(5, loop.quit)
        loop.exec()
    return predicate()


def settle(milliseconds: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(milliseconds, loop.quit)
    loop.exec()


class ApplyClock:
    """Records when the controller applied a build's result on the UI thread (start, end)."""

    def __init__(self, controller) -> None:
        self.spans: list[tuple[float, float]] = []
        original = controller._on_built

        def timed(*arguments) -> None:
            started = time.perf_counter()
            original(*arguments)
            self.spans.append((started, time.perf_counter()))

        controller._builder.succeeded.disconnect(original)
        controller._builder.succeeded.connect(timed)


def stall_during(action, done, label: str, applied: ApplyClock, timeout_s: float = 30.0) -> None:
    """Run ``action`` and report the longest stalls while the work ran in the background, and after.

    Gaps that begin before the result is applied (SymPy busy on its thread) measure what the
    background work costs the UI; the UI's own reaction to the result (the views resampling and
    redrawing a new surface, which must happen on the UI thread) is reported apart.
    """
    meter = StallMeter()
    applied.spans.clear()
    meter.start()
    started = time.perf_counter()
    action()
    finished = wait_until(done, timeout_s)
    settle(300)
    meter.stop()
    elapsed = time.perf_counter() - started
    first_apply = applied.spans[0][0] if applied.spans else float("inf")
    during = meter.worst(lambda start, end: end <= first_apply)
    reaction = meter.worst(lambda start, end: end > first_apply)
    apply_ms = sum((end - start) * 1e3 for start, end in applied.spans)
    median_tick = statistics.median((end - start) * 1e3 for start, end in meter.gaps)
    verdict = "ok" if during < STALL_TARGET_MS else "OVER TARGET"
    print(f"  {label}: {'done' if finished else 'TIMED OUT'} in {elapsed:.2f} s (median tick {median_tick:.1f} ms)")
    print(f"      longest stall while it worked in the background: {during:7.1f} ms [{verdict}]")
    if applied.spans:
        print(f"      the UI's reaction to the result: controller + views + panels {apply_ms:6.1f} ms; "
              f"longest stall from then on (incl. repainting) {reaction:6.1f} ms")


def bench_stalls(window, controller) -> None:
    from surfaces.presets import preset_surface

    print(f"(a) event-loop stalls (5 ms timer; target < {STALL_TARGET_MS:.0f} ms)")
    settle(500)
    preset_surface.cache_clear()
    events: list[str] = []
    controller.surfaceChanged.connect(lambda _s: events.append("surface"))
    controller.formulaError.connect(lambda _e: events.append("error"))
    controller.formulaError.connect(lambda e: print(f"      formula error: {e}"))
    controller.criticalPointsChanged.connect(lambda points: events.append("critical") if points else None)

    applied = ApplyClock(controller)
    events.clear()
    stall_during(lambda: controller.set_formula(HEAVY_PRESET),
                 lambda: "critical" in events and not controller.activity,
                 f"rebuild the heaviest preset ({HEAVY_PRESET}) and find its critical points", applied)
    events.clear()
    stall_during(lambda: window.use_formula(HUGE_FORMULA),
                 lambda: ("error" in events or "surface" in events) and not controller.activity,
                 f"reject a huge formula ({len(HUGE_FORMULA)} characters; its Hessian is too large)", applied)
    print(f"      outcome: {'rejected' if 'error' in events else 'ACCEPTED'}")
    events.clear()
    stall_during(lambda: window.use_formula(LONG_FORMULA),
                 lambda: ("error" in events or "surface" in events) and not controller.activity,
                 f"a long formula ({len(LONG_FORMULA)} characters) SymPy works on for seconds", applied)
    print(f"      outcome: {'rejected' if 'error' in events else 'accepted'}")
    events.clear()
    stall_during(lambda: controller.load_scene(_eight_ball_scene()),
                 lambda: "critical" in events and not controller.activity,
                 "open a scene (8 balls on six-hump-camel)", applied)


def _eight_ball_scene():
    from gui.palette import ball_color
    from physics.balls import BallSpec
    from physics.noise import NoiseSettings
    from physics.scenes import Scene
    from surfaces.surface import Domain

    methods = [("gd", {"lr": 0.02}), ("momentum", {"lr": 0.02, "momentum": 0.9}),
               ("nesterov", {"lr": 0.02, "momentum": 0.9}), ("adam", {"lr": 0.05}), ("rmsprop", {"lr": 0.01}),
               ("adagrad", {"lr": 0.3}), ("damped-newton", {}), ("gd", {"lr": 0.02})]
    starts = [(-1.8, 0.9), (1.8, -0.9), (-1.5, -0.8), (1.5, 0.8), (0.2, 0.9), (-0.2, -0.9), (1.0, 0.0), (-1.0, 0.2)]
    balls = tuple(
        BallSpec(name=f"{name} {i + 1}", color=ball_color(i), optimizer=name,
                 hyperparameters=tuple(hyper.items()), start=start,
                 noise=NoiseSettings(sigma=0.05 if i == 7 else 0.0))
        for i, ((name, hyper), start) in enumerate(zip(methods, starts, strict=True)))
    # A square domain, so the views sample the cheap polynomial on the full 200 x 200 grid.
    return Scene(title="8 balls", formula="six-hump-camel", domain=Domain(-2.0, 2.0, -2.0, 2.0), balls=balls, seed=1)


def bench_playing_work(window, controller, seconds: float = 4.0) -> None:
    """The app's own work per frame while playing at the display's rate, drawing switched off.

    The animation runs on its real 16 ms clock, with every timer of the views and panels (panels
    refresh a few times a second while playing, not every frame); the window's updates are off,
    so nothing is painted, and the CPU time of the UI thread (``time.thread_time``: work, not
    waiting, and not the time other processes take the CPU away) per animation frame is the
    app's own work: what a 60 Hz display leaves the GPU and the compositor the rest of.
    """
    controller.reset()
    controller.set_speed(1)
    frames = [0]
    count = lambda: frames.__setitem__(0, frames[0] + 1)  # noqa: E731
    controller.stepped.connect(count)
    window.setUpdatesEnabled(False)
    try:
        controller.play()
        settle(300)
        frames[0] = 0
        started = time.thread_time()
        settle(int(seconds * 1000))
        busy = time.thread_time() - started
        controller.pause()
    finally:
        window.setUpdatesEnabled(True)
        controller.stepped.disconnect(count)
    per_frame = busy / max(frames[0], 1) * 1e3
    verdict = "ok" if per_frame < FRAME_WORK_TARGET_MS else "OVER TARGET"
    print(f"  playing at 60 Hz, drawing off: {frames[0]} frames in {seconds:.0f} s; the UI thread worked "
          f"{per_frame:5.2f} ms of CPU per frame (steps, views, panels, timers, Qt's event handling) [{verdict}]")


def bench_frames(window, controller) -> None:
    print(f"(b) frame cost, 8 balls, {MEASURED_FRAMES} frames (target for the app's own work < "
          f"{FRAME_WORK_TARGET_MS:.0f} ms)")
    controller.load_scene(_eight_ball_scene())
    wait_until(lambda: len(controller.balls) == 8 and not controller.activity, 30.0)
    settle(500)
    sample = window.map_view.sample
    print(f"  surface grid {sample.resolution[0]} x {sample.resolution[1]}; window "
          f"{window.width()} x {window.height()}; 3D view {'on' if window.view3d is not None else 'OFF'}")
    gl_paint: list[float] = []
    if window.view3d is not None:
        widget = window.view3d.gl_widget
        original = widget.paintGL

        def timed_paint() -> None:
            started = time.perf_counter()
            original()
            gl_paint.append(time.perf_counter() - started)

        widget.paintGL = timed_paint
    controller.set_speed(1)
    work: list[float] = []
    paint: list[float] = []
    for _ in range(MEASURED_FRAMES):
        started = time.perf_counter()
        controller._tick()  # the animation timer's slot: steps + every observer's update
        work.append(time.perf_counter() - started)
        started = time.perf_counter()
        QApplication.processEvents()  # the repaint the updates asked for: one paint and flush
        paint.append(time.perf_counter() - started)

    def describe(values: list[float]) -> str:
        ms = sorted(v * 1e3 for v in values)
        return f"median {statistics.median(ms):6.2f} ms, 90th percentile {ms[int(0.9 * len(ms))]:6.2f} ms"

    print(f"  one tick with every view and panel updated (a step by hand, the worst case): {describe(work)}")
    _print_breakdown(controller)
    bench_playing_work(window, controller)
    total = [w + p for w, p in zip(work, paint, strict=True)]
    print(f"  repaint of the window (Qt painting, composition, flush):          {describe(paint)}")
    if gl_paint:
        print(f"    of which the 3D view's OpenGL drawing (paintGL):                {describe(gl_paint)}")
    print(f"  total frame time (work + repaint):                                 {describe(total)}")

    controller.reset()
    ticks: list[float] = []
    controller.stepped.connect(lambda: ticks.append(time.perf_counter()))
    controller.play()
    settle(4000)
    controller.pause()
    if len(ticks) > 2:
        intervals = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
        print(f"  real animation: {len(ticks)} frames in 4 s; frame interval {describe(intervals)} "
              f"(the timer asks for 16 ms)")


#: Where the app's own work per frame goes: the first matching path fragment names the part.
_PARTS = (("physics/", "simulation (physics)"), ("gui/views/contour_map", "contour map"),
          ("gui/views/landscape3d", "3D view (updates, not drawing)"), ("gui/views/", "views (shared)"),
          ("gui/panels/readout", "read-outs"), ("gui/panels/", "plot panels"), ("gui/editors/", "editors"),
          ("gui/controller", "controller"), ("gui/", "other gui"))


def _print_breakdown(controller, frames: int = 60) -> None:
    """Profile some ticks and attribute each function's own time to the part of the app that called it.

    A function of a library (pyqtgraph, NumPy) counts for the app module nearest it on the stack.
    cProfile slows everything down, so only the shares are printed.
    """
    import cProfile
    import pstats

    profile = cProfile.Profile()
    profile.enable()
    for _ in range(frames):
        controller._tick()
    profile.disable()
    stats = pstats.Stats(profile).stats  # (file, line, name) -> (cc, nc, tt, ct, callers)
    owner: dict[tuple, str] = {}

    def part_of(key: tuple, depth: int = 0) -> str:
        if key in owner:
            return owner[key]
        path = key[0].replace("\\", "/")
        for fragment, name in _PARTS:
            if fragment in path and "site-packages" not in path:
                owner[key] = name
                return name
        owner[key] = "other"
        if depth < 30:
            callers = stats.get(key, (0, 0, 0, 0, {}))[4]
            if callers:
                heaviest = max(callers.items(), key=lambda item: item[1][3])[0]
                owner[key] = part_of(heaviest, depth + 1)
        return owner[key]

    totals: dict[str, float] = {}
    for key, (_cc, _nc, own, _cumulative, _callers) in stats.items():
        name = part_of(key)
        totals[name] = totals.get(name, 0.0) + own
    whole = sum(totals.values()) or 1.0
    shares = ", ".join(f"{name} {100 * t / whole:.0f}%" for name, t in sorted(totals.items(), key=lambda i: -i[1])
                       if t / whole >= 0.02)
    print(f"    where it goes (profiled): {shares}")


def main() -> int:
    from gui.app import prepare_process, settle_heap

    prepare_process()  # as the app does: shared GL contexts, short GIL switch interval
    application = QApplication(sys.argv[:1])
    from gui.persistence import AppSettings, configure_settings

    configure_settings()
    from gui.controller import SceneController
    from gui.main_window import MainWindow

    controller = SceneController()
    window = MainWindow(controller, AppSettings(), remember_layout=False)
    settle_heap()  # as the app does once its window exists
    window.resize(1600, 900)
    window.show()
    settle(1500)
    print(f"Qt platform: {application.platformName()}")
    bench_stalls(window, controller)
    settle(300)
    bench_frames(window, controller)
    window.close()
    controller.shutdown()
    if _TEMPORARY_CONFIG is not None:
        shutil.rmtree(_TEMPORARY_CONFIG, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
