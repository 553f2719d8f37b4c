"""The explainer on screen: what showing a part costs the UI thread.

Run from the repository root (under Xvfb, or offscreen without the 3D view):

    xvfb-run -a .venv/bin/python tests/bench/bench_explain_gui.py
    QT_QPA_PLATFORM=offscreen DOWNHILL_NO_3D=1 .venv/bin/python tests/bench/bench_explain_gui.py

Opens the main window (1600 x 900) on ravine-momentum, steps 10 times, selects the momentum ball,
opens the explainer and waits for its explanation (worked out on a worker thread: not timed here,
see tests/bench/bench_explain.py), then walks every part three times and prints, per part shown,
the median and largest wall and thread-CPU time of ``_show`` (the overlay's items and the card's
text, size and place) and of the repaint that follows (``processEvents``: the window's own paint,
which with a 3D view beside the map costs most). Then the same for newton-saddle's Newton ball
(eigen-directions, a target marker). The target: the explainer's own work well under the 100 ms a
UI-thread stall may take; figures on a machine shared with other work are upper bounds.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PyQt6.QtCore import QSettings  # noqa: E402
from PyQt6.QtWidgets import QApplication  # noqa: E402

import gui.views  # noqa: E402,F401  (before the QApplication: OpenGL context sharing)

ROUNDS = 3


def measure(app: QApplication, scene: str, ball: int, steps: int, settings_path: Path) -> None:
    from gui.controller import SceneController
    from gui.main_window import MainWindow
    from gui.persistence import AppSettings

    controller = SceneController(scene)
    window = MainWindow(controller, AppSettings(QSettings(str(settings_path), QSettings.Format.IniFormat)),
                        remember_layout=False)
    window.resize(1600, 900)
    window.show()
    controller.wait_for_build()
    for _ in range(20):
        app.processEvents()
    controller.advance(steps)
    controller.select(ball)
    explainer = window.explainer
    wall, cpu = time.perf_counter(), time.thread_time()
    explainer.open()
    opened = (time.perf_counter() - wall, time.thread_time() - cpu)
    deadline = time.monotonic() + 30
    while explainer.busy and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.002)
    show, paint = [], []
    for _ in range(ROUNDS):
        for index in range(len(explainer.parts)):
            wall, cpu = time.perf_counter(), time.thread_time()
            explainer._show(index)
            show.append((time.perf_counter() - wall, time.thread_time() - cpu))
            wall, cpu = time.perf_counter(), time.thread_time()
            app.processEvents()
            paint.append((time.perf_counter() - wall, time.thread_time() - cpu))
    print(f"{scene}, ball {ball + 1} at step {steps}: {len(explainer.parts)} parts; open() "
          f"{opened[0] * 1e3:.1f} ms wall, {opened[1] * 1e3:.1f} ms CPU")
    for name, samples in (("show a part", show), ("repaint after it", paint)):
        walls, cpus = [s[0] * 1e3 for s in samples], [s[1] * 1e3 for s in samples]
        print(f"  {name:17s} wall median {statistics.median(walls):6.1f} ms, max {max(walls):6.1f} ms; "
              f"CPU median {statistics.median(cpus):6.1f} ms, max {max(cpus):6.1f} ms")
    explainer.close()
    window.close()
    controller.shutdown()


def main() -> None:
    import tempfile

    app = QApplication(sys.argv)
    with tempfile.TemporaryDirectory() as directory:
        settings = Path(directory) / "settings.ini"
        measure(app, "ravine-momentum", 1, 10, settings)
        measure(app, "newton-saddle", 0, 0, settings)


if __name__ == "__main__":
    main()
