"""What the benchmark scripts share for measuring the UI thread's pace: a 10 ms timer whose tick
gaps show any stall, a wait that keeps the event loop turning, and a main window opened on a scene.

Not a benchmark itself (no ``bench_`` prefix): bench_experiments, bench_stability and bench_race import it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path


class GapTimer:
    """A QTimer ticking every ``interval_ms`` on the UI thread; ``gaps`` holds the seconds between
    successive ticks (a stall of the event loop shows as one long gap)."""

    def __init__(self, interval_ms: int = 10) -> None:
        from PyQt6.QtCore import QTimer

        self.gaps: list[float] = []
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self._last)
        self._last = now

    def start(self) -> None:
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()


def wait_until(app: object, condition: Callable[[], bool], seconds: float = 120.0, pause: float = 0.002) -> None:
    """Turn the event loop until ``condition()`` holds; TimeoutError after ``seconds``."""
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("gave up waiting")
        app.processEvents()
        time.sleep(pause)


def settle(app: object, turns: int = 50, pause: float = 0.01) -> None:
    """Turn the event loop ``turns`` times, ``pause`` seconds apart (layouts and paints done)."""
    for _ in range(turns):
        app.processEvents()
        time.sleep(pause)


def open_main_window(scene_json: str, ini_name: str) -> tuple[object, object, object]:
    """(app, controller, window): the main window at 1600 x 900 on the scene ``scene_json``, its
    settings in $TMPDIR/``ini_name``, once the surface's critical points are found (at most 30 s)."""
    from PyQt6.QtCore import QSettings
    from PyQt6.QtWidgets import QApplication

    from gui.app import prepare_process

    prepare_process()
    app = QApplication.instance() or QApplication(["bench"])
    from gui.controller import SceneController
    from gui.main_window import MainWindow
    from gui.persistence import AppSettings
    from physics.scene_reader import scene_from_json

    controller = SceneController(scene_from_json(scene_json))
    settings = QSettings(str(Path(os.environ.get("TMPDIR", "/tmp")) / ini_name), QSettings.Format.IniFormat)
    window = MainWindow(controller, AppSettings(settings))
    window.resize(1600, 900)
    window.show()
    try:
        wait_until(app, lambda: bool(controller.critical_points), seconds=30, pause=0.005)
    except TimeoutError:
        pass  # (as before: the benchmark goes on without them)
    return app, controller, window
