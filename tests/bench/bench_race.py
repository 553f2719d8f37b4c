"""Benchmark: a race's lr sweep, the finish board's update, and the window's pace while the sweep runs.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/bench_race.py``

Prints
1. the sweep's wall and CPU time on Rosenbrock's valley for the dialog's default optimisers (GD,
   momentum, Nesterov, RMSProp, Adam: 65 candidates of the 13-point grid) at K = 200 steps, from
   one start and from six (390 balls in one Simulation);
2. the finish board's update (gui.race.board.FinishBoardPanel.refresh: the histories, the ranking
   and the cells) for 30 balls with 2 000 steps of history: the first (a scan of every row) and
   the following ones, each after 10 more steps (only the new rows are scanned); the target is a
   few milliseconds, four times a second;
3. the longest gap between two ticks of a 10 ms timer on the UI thread while the dialog's sweep
   runs on its worker (the UI must never stall over 100 ms).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from PyQt6.QtWidgets import QApplication  # noqa: E402
from ui_gaps import GapTimer, wait_until  # noqa: E402

from physics.balls import BallSpec, ball_color  # noqa: E402
from physics.race import DEFAULT_OPTIMIZERS, spread_starts, tune_learning_rates  # noqa: E402
from physics.scenes import Scene  # noqa: E402
from surfaces.presets import preset_surface  # noqa: E402


def sweep() -> None:
    surface = preset_surface("rosenbrock")
    tune_learning_rates(surface, ["gd"], [(-1.2, 1.0)], steps=2)  # (kernels compiled or loaded first)
    for count in (1, 6):
        starts = spread_starts(surface, (-1.2, 1.0), count, 0.3, seed=0)
        wall, cpu = time.perf_counter(), time.process_time()
        tune_learning_rates(surface, DEFAULT_OPTIMIZERS, starts, steps=200)
        print(f"sweep, {len(DEFAULT_OPTIMIZERS)} optimisers x 13 lrs x {count} start(s), K = 200: "
              f"{time.perf_counter() - wall:.2f} s wall, {time.process_time() - cpu:.2f} s CPU")



def board_and_pace(app: QApplication) -> None:
    from gui.controller import SceneController
    from gui.race.board import FinishBoardPanel
    from gui.race.dialog import RaceDialog

    balls = tuple(BallSpec(f"ball {i}", ball_color(i), "adam" if i % 2 else "momentum", (("lr", 0.002 * (1 + i)),),
                           (-1.2 + 0.01 * i, 1.0)) for i in range(30))
    controller = SceneController(Scene(formula="rosenbrock", balls=balls))
    wait_until(app, lambda: len(controller.balls) == 30)
    board = FinishBoardPanel(controller)
    board.resize(440, 900)
    board.show()
    controller.advance(2000)
    # Thread CPU time: on a busy machine the wall clock also counts other processes' turns.
    start = time.thread_time()
    board.refresh()
    first = time.thread_time() - start
    later = []
    for _ in range(40):
        controller.advance(10)
        start = time.thread_time()
        board.refresh()
        later.append(time.thread_time() - start)
    print(f"finish board, 30 balls, 2000 steps (thread CPU): first update {1e3 * first:.2f} ms; then (10 steps "
          f"apart) median {1e3 * statistics.median(later):.2f} ms, slowest {1e3 * max(later):.2f} ms")

    dialog = RaceDialog(controller)
    dialog.show()
    settle = time.monotonic() + 0.5  # (the dialog's first layout and paint are not the sweep's)
    wait_until(app, lambda: time.monotonic() > settle)
    timer = GapTimer()
    gaps = timer.gaps
    timer.start()
    dialog.start_tuning()
    wait_until(app, lambda: not dialog.tuning)
    timer.stop()
    print(f"UI timer (10 ms) during the dialog's sweep ({len(gaps)} ticks): median gap "
          f"{1e3 * statistics.median(gaps):.1f} ms, longest {1e3 * max(gaps):.1f} ms")
    controller.shutdown()


def main() -> None:
    from gui.app import prepare_process

    prepare_process()  # the app's GIL switch interval: what the UI thread meets while the worker sweeps
    sweep()
    app = QApplication.instance() or QApplication(sys.argv)
    board_and_pace(app)


if __name__ == "__main__":
    main()
