"""The whole window on screens from 1280 x 720 to 1920 x 1080: it fits, its plots stay readable, and
every preset scene steps and plays without the event loop stalling (issue 11, items 1 and 14).

The screen is what the window reads through ``gui.main_window.available_geometry``; the tests
give it the size they sweep (the virtual display itself is 1920 x 1080). The 3D view is switched
off (DOWNHILL_NO_3D) where time is measured: in software OpenGL it costs ~70 ms a frame by itself.

The watchdog is a 10 ms timer on the event loop: the longest gap between two of its beats is the
longest time the window could not answer. The read-out's layout loop made it 8 to 44 s a step.
The gap is measured twice: in the UI thread's own processor time, held to WATCHDOG_LIMIT_MS (what
the window's work costs, whatever else the machine runs: on a shared test machine the wall-clock
gaps of the same run varied from 100 to 700 ms), and in wall-clock time less the time the thread
was ready to run but had no core (the kernel's run-queue wait, Linux's per-thread schedstat: the
machine's load, not the window's), held to WALL_CLOCK_LIMIT_MS (a wait, for a lock or a thread,
uses no processor time).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from PyQt6.QtCore import QRect, QSettings, QSize, QTimer
from PyQt6.QtWidgets import QDockWidget

from gui.controller import SceneController
from gui.main_window import NO_3D_VARIABLE, MainWindow
from gui.persistence import AppSettings
from gui.screen_fit import MIN_PLOT_HEIGHT, fitted_frame, initial_size
from physics.preset_scenes import PRESET_SCENES

#: Screens swept (available width x height, pixels).
SCREENS = ((1280, 720), (1366, 768), (1440, 900), (1536, 864), (1600, 900), (1680, 1050), (1920, 1080))
#: Longest an event-loop gap may be while a scene steps or plays (milliseconds of the UI thread's
#: processor time), and in wall-clock time.
WATCHDOG_LIMIT_MS = 250
WALL_CLOCK_LIMIT_MS = 2000
#: Steps taken one at a time, then how long each scene plays (milliseconds).
STEPS = 20
PLAY_MS = 500
BUILD_TIMEOUT = 20_000


def _run_queue_seconds(schedstat: Path | None) -> float:
    """The calling thread's total run-queue wait so far (0 where the kernel does not say)."""
    return int(schedstat.read_text().split()[1]) / 1e9 if schedstat is not None else 0.0


class Watchdog:
    """The longest gaps between beats of a 10 ms timer while it runs: (UI thread's processor seconds,
    wall-clock seconds less the thread's run-queue wait)."""

    def __init__(self) -> None:
        self.longest = (0.0, 0.0)
        self._last: tuple[float, float] | None = None
        self._timer = QTimer()
        self._timer.setInterval(10)
        self._timer.timeout.connect(self._beat)
        schedstat = Path(f"/proc/self/task/{threading.get_native_id()}/schedstat")
        self._schedstat = schedstat if schedstat.exists() else None

    def _beat(self) -> None:
        now = (time.thread_time(), time.perf_counter() - _run_queue_seconds(self._schedstat))
        if self._last is not None:
            self.longest = (max(self.longest[0], now[0] - self._last[0]), max(self.longest[1], now[1] - self._last[1]))
        self._last = now

    def start(self) -> None:
        self.longest, self._last = (0.0, 0.0), None
        self._timer.start()

    def stop(self) -> tuple[float, float]:
        self._beat()  # a stall up to the very end counts
        self._timer.stop()
        return self.longest


def on_screen(monkeypatch, width: int, height: int) -> QRect:
    """Make the window see a screen whose available geometry is ``width`` x ``height``."""
    available = QRect(0, 0, width, height)
    monkeypatch.setattr("gui.main_window.available_geometry", lambda _widget: QRect(available))
    return available


def open_window(qtbot, keep_alive, tmp_path, scene: str = "ravine-momentum", settings: str = "settings.ini"):
    controller = SceneController(scene)
    window = keep_alive(MainWindow(controller, AppSettings(QSettings(str(tmp_path / settings),
                                                                     QSettings.Format.IniFormat))))
    qtbot.addWidget(window)
    return controller, window


def show(qtbot, window: MainWindow, available: QRect) -> None:
    """Show the window and wait for the first show's fit (it runs from the event loop, and the X
    server applies the new frame asynchronously: later on a loaded machine) and its layout."""
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: assert_fits(window, available), timeout=10_000)


def shown_docks(window: MainWindow) -> list[QDockWidget]:
    """The docks a teacher sees: open, and the front tab of a group of tabs."""
    return [dock for dock in window.docks if dock.isVisible() and not dock.visibleRegion().isEmpty()]


def assert_fits(window: MainWindow, available: QRect) -> None:
    """The window within the screen, every shown dock within the window, every plot readable."""
    assert available.contains(window.frameGeometry()), (window.frameGeometry(), available)
    inside = QRect(0, 0, window.width(), window.height())
    for dock in shown_docks(window):
        assert inside.contains(dock.geometry()), (dock.objectName(), dock.geometry(), inside)
    for panel in (window.eigenvalue_panel, window.step_size_panel, window.loss_panel, window.gradient_norm_panel):
        assert panel.isVisible()
        assert panel.graphics.height() >= MIN_PLOT_HEIGHT, (type(panel).__name__, panel.graphics.height())
        legend = panel.legend
        assert legend.height() >= legend.heightForWidth(legend.width()), type(panel).__name__  # no line cut off
    views = window.centralWidget()
    assert views.width() >= 400 and views.height() >= 250, views.size()
    assert inside.contains(views.geometry())


def test_the_window_opens_fitted_to_a_1280x720_screen(qtbot, keep_alive, tmp_path, monkeypatch):
    """Issue 11 item 14: the window opened at 1600 x 900 whatever the screen, the read-outs and plots off it."""
    available = on_screen(monkeypatch, 1280, 720)
    _controller, window = open_window(qtbot, keep_alive, tmp_path)
    show(qtbot, window, available)
    qtbot.waitUntil(lambda: window.size() == QSize(1280, 720), timeout=10_000)
    # On so low a screen the editors are tabs of one dock (the formula in front).
    qtbot.waitUntil(lambda: set(window.tabifiedDockWidgets(window.formula_dock)) == {window.balls_dock,
                                                                                     window.presets_dock},
                    timeout=10_000)

    def fitted_with_the_formula_in_front() -> None:
        assert_fits(window, available)
        assert window.formula_dock in shown_docks(window)

    qtbot.waitUntil(fitted_with_the_formula_in_front, timeout=10_000)


def test_on_a_large_screen_the_window_opens_at_its_default_size(qtbot, keep_alive, tmp_path, monkeypatch):
    available = on_screen(monkeypatch, 1920, 1080)
    _controller, window = open_window(qtbot, keep_alive, tmp_path)
    show(qtbot, window, available)
    assert window.size() == QSize(1600, 900)  # (set before the window was first shown)
    assert_fits(window, available)
    assert not window.tabifiedDockWidgets(window.formula_dock)  # formula above the balls, as designed


def test_a_saved_geometry_larger_than_the_screen_is_brought_within_it(qtbot, keep_alive, tmp_path, monkeypatch):
    """A layout saved on a 1920 x 1080 screen, reopened on a 1280 x 720 one: moved and shrunk to fit."""
    large = on_screen(monkeypatch, 1920, 1080)
    _controller, big = open_window(qtbot, keep_alive, tmp_path)
    show(qtbot, big, large)
    big.resize(1900, 1000)
    big.move(15, 60)
    qtbot.waitUntil(lambda: big.size() == QSize(1900, 1000), timeout=10_000)
    big.save_layout()
    big.close()

    available = on_screen(monkeypatch, 1280, 720)
    _controller, window = open_window(qtbot, keep_alive, tmp_path)
    window.restore_layout()
    show(qtbot, window, available)


def test_fitted_frame_moves_then_shrinks_into_the_screen() -> None:
    screen = QRect(0, 30, 1280, 690)  # a task bar along the top
    assert fitted_frame(QRect(100, 100, 800, 600), screen) == QRect(100, 100, 800, 600)
    assert fitted_frame(QRect(700, 400, 800, 600), screen) == QRect(480, 120, 800, 600)
    assert fitted_frame(QRect(-50, 0, 1900, 1000), screen) == QRect(0, 30, 1280, 690)
    assert fitted_frame(QRect(0, 0, 1000, 500), screen, minimum=QSize(1000, 800)) == QRect(0, 30, 1000, 800)
    assert initial_size(QRect(0, 0, 1920, 1080)) == QSize(1600, 900)
    assert initial_size(QRect(0, 0, 1366, 728)) == QSize(1366, 728)


@pytest.fixture(scope="module")
def warm_kernels():
    """The physics kernels compiled (or loaded) once, as the app does at start-up, not in a timed step."""
    from physics.warm_up import warm_up

    warm_up()


@pytest.mark.parametrize("screen", SCREENS, ids=[f"{w}x{h}" for w, h in SCREENS])
def test_every_preset_scene_steps_and_plays_without_stalling(qtbot, keep_alive, tmp_path, monkeypatch,
                                                              warm_kernels, screen):
    """Every preset scene, stepped one step at a time and then played, at each screen size: the event
    loop never stalls longer than WATCHDOG_LIMIT_MS, and the window still fits when done."""
    monkeypatch.setenv(NO_3D_VARIABLE, "1")
    available = on_screen(monkeypatch, *screen)
    controller, window = open_window(qtbot, keep_alive, tmp_path)
    show(qtbot, window, available)
    watchdog = Watchdog()
    stalls = {}
    for name, scene in PRESET_SCENES.items():
        with qtbot.waitSignal(controller.sceneChanged, timeout=BUILD_TIMEOUT):
            controller.load_scene(scene)
        assert controller.wait_for_build(BUILD_TIMEOUT)
        qtbot.wait(150)  # the critical points and the first drawing arrive
        watchdog.start()
        for _ in range(STEPS):
            controller.step_once()
            qtbot.wait(1)
        controller.play()
        qtbot.wait(PLAY_MS)
        controller.pause()
        qtbot.wait(150)  # the panels' catch-up after the last frame
        stalls[name] = tuple(round(seconds * 1000) for seconds in watchdog.stop())
        qtbot.waitUntil(lambda: assert_fits(window, available), timeout=5000)
    print(f"{screen}: longest event-loop gap per scene (ms of processor, ms of wall clock less run-queue wait): "
          f"{stalls}")
    assert max(processor for processor, _wall in stalls.values()) <= WATCHDOG_LIMIT_MS, stalls
    assert max(wall for _processor, wall in stalls.values()) <= WALL_CLOCK_LIMIT_MS, stalls


def test_the_screenshot_size_can_be_chosen_and_a_bad_one_is_refused(monkeypatch) -> None:
    from gui.app import SCREENSHOT_SIZE, SCREENSHOT_SIZE_VARIABLE, screenshot_size
    from surfaces.errors import DownhillError

    monkeypatch.delenv(SCREENSHOT_SIZE_VARIABLE, raising=False)
    assert screenshot_size() == SCREENSHOT_SIZE
    monkeypatch.setenv(SCREENSHOT_SIZE_VARIABLE, "1280x720")
    assert screenshot_size() == (1280, 720)
    for bad in ("1280", "1280x", "x720", "-5x720", "1280x72000", "wide"):
        monkeypatch.setenv(SCREENSHOT_SIZE_VARIABLE, bad)
        with pytest.raises(DownhillError, match=SCREENSHOT_SIZE_VARIABLE):
            screenshot_size()
