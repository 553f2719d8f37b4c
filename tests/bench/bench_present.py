"""Benchmark: what presentation mode costs on the UI thread.

Run: ``xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python tests/bench/bench_present.py [--scene NAME]``

Prints, for a preset scene shown in the main window:

- entering (F5's work: the stage's views and panels built, the window shown full screen) and
  leaving, wall time including the first paint;
- a theme switch (T: the panels built again, the kept views recoloured, all repainted);
- a scale step (Ctrl +: every font, marker and band resized, all repainted);
- per animation frame while presenting: the bands' own work on ``stepped`` (header counter,
  badges: each ball's regime and words), median and worst, and the whole frame (the simulation's
  steps and every observer, the hidden main window's included) with and without the presentation.

Painting happens as on screen (Xvfb, software OpenGL for the 3D view): the figures are for this
machine and a loaded one shows more.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PyQt6.QtCore import QSettings  # noqa: E402
from PyQt6.QtWidgets import QApplication  # noqa: E402

import gui.views  # noqa: E402,F401  (OpenGL context sharing, before the QApplication)


def settle(app: QApplication, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.005)


def timed(app: QApplication, action) -> float:
    """Milliseconds of ``action()`` and the events (paints) it queued."""
    start = time.perf_counter()
    action()
    app.processEvents()
    return 1000 * (time.perf_counter() - start)


def frames(app: QApplication, controller, count: int) -> list[float]:
    """Milliseconds of each of ``count`` frames driven by hand: one frame's steps, then the paints."""
    times = []
    for _ in range(count):
        start = time.perf_counter()
        controller.advance(max(1, controller.speed))
        app.processEvents()
        times.append(1000 * (time.perf_counter() - start))
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scene", default="ravine-momentum")
    parser.add_argument("--frames", type=int, default=120)
    args = parser.parse_args()
    app = QApplication(sys.argv[:1])
    import tempfile

    from gui.controller import SceneController
    from gui.main_window import MainWindow
    from gui.persistence import AppSettings
    from gui.present.window import toggle_presentation

    folder = tempfile.mkdtemp(prefix="bench-present-")
    controller = SceneController(args.scene)
    window = MainWindow(controller, AppSettings(QSettings(f"{folder}/s.ini", QSettings.Format.IniFormat)),
                        remember_layout=False)
    window.show()
    settle(app, 3.0)
    alone = frames(app, controller, args.frames)
    controller.reset()
    settle(app, 0.5)

    presentation = None

    def enter() -> None:
        nonlocal presentation
        presentation = toggle_presentation(window)

    print(f"scene {args.scene}, {len(controller.balls)} balls, screen "
          f"{app.primaryScreen().geometry().width()} x {app.primaryScreen().geometry().height()}")
    print(f"enter (F5):            {timed(app, enter):7.1f} ms")
    settle(app, 1.0)
    print(f"theme switch (T):      {timed(app, presentation.toggle_theme):7.1f} ms")
    print(f"theme switch back:     {timed(app, presentation.toggle_theme):7.1f} ms")
    print(f"scale step (Ctrl +):   {timed(app, lambda: presentation.set_zoom(presentation.zoom * 1.25)):7.1f} ms")
    print(f"scale back (Ctrl 0):   {timed(app, lambda: presentation.set_zoom(1.0)):7.1f} ms")
    settle(app, 0.5)

    band_times: list[float] = []
    on_stepped = presentation._on_stepped

    def measured() -> None:
        start = time.perf_counter()
        on_stepped()
        band_times.append(1000 * (time.perf_counter() - start))

    controller.stepped.disconnect(on_stepped)
    controller.stepped.connect(measured)
    shown = frames(app, controller, args.frames)
    print(f"bands per frame:       {statistics.median(band_times):7.3f} ms median, {max(band_times):.3f} ms worst")
    print(f"frame, main window:    {statistics.median(alone):7.1f} ms median")
    print(f"frame, presenting:     {statistics.median(shown):7.1f} ms median (main window's views hidden)")
    controller.stepped.disconnect(measured)
    controller.stepped.connect(on_stepped)
    print(f"leave (Esc):           {timed(app, presentation.close):7.1f} ms")
    window.close()
    controller.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
