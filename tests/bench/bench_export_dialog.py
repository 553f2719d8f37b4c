"""The export dialog's responsiveness (issue 14, section 2: no event-loop stall over 100 ms); prints figures.

    xvfb-run -a .venv/bin/python tests/bench/bench_export_dialog.py [--frames 30] [--size 1280x720]
                                                                     [--scene NAME] [--layouts 2d,3d,app]

For each layout, File > Export clip... (gui.export.dialog.ExportClipDialog) exports an H.264 clip
while a 10 ms QTimer ticks on the UI thread; printed per layout:

- **longest gap**: the longest wall-clock time between two ticks, from the moment the child
  process has been started to the moment the dialog says the clip is saved;
- **longest stall**: the same less the time the UI thread was ready but had no core (the
  kernel's run-queue wait, /proc/thread-self/schedstat): what the dialog itself made the window
  wait, whatever else the machine is doing;
- **a frame here**: for comparison, what one frame of that layout costs when rendered on the UI
  thread (ClipRenderer.next_frame in this process: what the dialog did before the child process).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def _gc_timer(pauses: list[float]):
    """A gc.callbacks entry appending each collection's duration to ``pauses``."""
    began = [0.0]

    def callback(phase: str, _info: dict) -> None:
        if phase == "start":
            began[0] = time.perf_counter()
        else:
            pauses.append(time.perf_counter() - began[0])

    return callback


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scene", default="saddle-noise")
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--layouts", default="2d,3d,app")
    args = parser.parse_args()
    width, height = (int(side) for side in args.size.lower().split("x"))
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PyQt6.QtCore import QEventLoop, QTimer
    from PyQt6.QtWidgets import QApplication

    import gui.views  # noqa: F401  (before the application: OpenGL contexts shared)

    application = QApplication(["bench"])
    from gui.app import settle_heap
    from gui.export.dialog import LENGTHS, SIZE_PRESETS, ExportClipDialog
    from gui.export.options import RenderSettings, default_steps_per_frame
    from gui.export.render import ClipRenderer, gl_problem
    from physics.preset_scenes import PRESET_SCENES

    scene = PRESET_SCENES[args.scene]
    schedstat = Path(f"/proc/self/task/{threading.get_native_id()}/schedstat")
    print(f"export dialog responsiveness: {args.frames} frames at {width}x{height}, H.264, scene {args.scene}, "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    for layout in args.layouts.split(","):
        if layout != "2d" and gl_problem():
            print(f"  {layout:<4}: skipped ({gl_problem()})")
            continue
        # What a frame costs on this thread (after a first one, which builds caches).
        renderer = ClipRenderer(scene, RenderSettings(width, height, layout=layout),
                                default_steps_per_frame(scene, 30), process_events=False)
        renderer.next_frame()
        costs = []
        for _ in range(5):
            began = time.perf_counter()
            renderer.next_frame()
            costs.append(time.perf_counter() - began)
        renderer.close()

        with tempfile.TemporaryDirectory(prefix="bench-dialog-") as folder:
            dialog = ExportClipDialog(scene, directory=folder)
            dialog.format_box.setCurrentIndex(dialog.format_box.findData("mp4"))
            dialog.size_box.setCurrentIndex(len(SIZE_PRESETS))
            dialog.width_spin.setValue(width)
            dialog.height_spin.setValue(height)
            dialog.length_box.setCurrentIndex(LENGTHS.index("Frames"))
            dialog.length_spin.setValue(args.frames)
            dialog.layout_box.setCurrentIndex(dialog.layout_box.findData(layout))
            dialog.out_edit.setText(str(Path(folder) / f"{layout}.mp4"))
            dialog.show()
            application.processEvents()
            dialog._preview_timer.stop()
            settle_heap()  # as the app does after its start-up (gui.app): the renderers above are garbage now
            pauses: list[float] = []  # the garbage collector's pauses on this thread (seconds)
            gc.callbacks.append(_gc_timer(pauses))
            ticks: list[tuple[float, float]] = []

            def tick(ticks: list[tuple[float, float]] = ticks) -> None:
                ticks.append((time.perf_counter(), int(schedstat.read_text().split()[1]) / 1e9))

            timer = QTimer()
            timer.setInterval(10)
            timer.timeout.connect(tick)
            timer.start()
            loop = QEventLoop()
            dialog.start_export()
            dialog.job.finished.connect(lambda _message, loop=loop: QTimer.singleShot(0, loop.quit))
            lines: list[tuple[float, int]] = []  # when each progress line arrived, and its frame
            dialog.job.progressed.connect(lambda done, _total, lines=lines: lines.append((time.perf_counter(), done)))
            tick()
            started = time.perf_counter()
            loop.exec()
            seconds = time.perf_counter() - started
            timer.stop()
            gc.callbacks.pop()
            walls = [b[0] - a[0] for a, b in zip(ticks, ticks[1:], strict=False)]
            stalls = [(b[0] - a[0]) - (b[1] - a[1]) for a, b in zip(ticks, ticks[1:], strict=False)]
            worst = max(range(len(stalls)), key=stalls.__getitem__)
            when = ticks[worst][0] - ticks[0][0]
            near = min(lines, key=lambda line: abs(line[0] - ticks[worst + 1][0]), default=(0.0, -1))
            offset = 1000 * (near[0] - ticks[worst + 1][0])
            near_text = f"; the nearest progress line: frame {near[1]}, {offset:+.0f} ms"
            status = dialog.status.text()
            dialog.close()
            dialog.deleteLater()
            application.processEvents()
        print(f"  {layout:<4}: longest gap {max(walls) * 1000:6.1f} ms, longest stall {max(stalls) * 1000:6.1f} ms "
              f"(at {when:4.1f} s{near_text}) "
              f"({len(ticks)} ticks over {seconds:5.1f} s, child start-up included; "
              f"a frame here: {1000 * min(costs):5.0f}-{1000 * max(costs):4.0f} ms; longest garbage collection "
              f"{1000 * max(pauses, default=0):.0f} ms)  {status[:60]}")


if __name__ == "__main__":
    main()
