"""Start-up times (issue 13 item 4); prints figures.

    .venv/bin/python tests/bench/bench_startup.py [--repeat N]

1. The app (``python main.py``): seconds from launching the process until the main window is on
   screen (shown, and the event loop has turned once, so its first frame is painted), warm (the
   Numba cache filled by an earlier process), on the first launch after an install (a fresh cache
   folder, XDG_CACHE_HOME, filled only by the install's ``python -m physics.warm_up``, as
   scripts/setup.sh runs it) and with an empty cache folder (nothing compiled yet). Settings and autosave go
   to a temporary folder (DOWNHILL_CONFIG_DIR), so no saved layout or recovery offer plays a part.
2. ``python main.py run`` with 100 000 particles: seconds from launching the process until its
   first simulation step, and until the process has ended after 300 steps.

Each figure is the fastest of ``--repeat`` launches (the machine's other work only adds time) and
the median beside it. Targets on the development machine: window within 2 s warm and 4 s on a
first launch; ``run`` before its first step under 1 s. Needs a display: run it on a desktop or
under ``xvfb-run -a``; without DISPLAY it starts itself under xvfb-run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The child of "window": main.py as a user starts it, with QWidget.show wrapped to print the moment
# the first window is shown and the event loop next turns (then the process ends at once).
WINDOW_PROBE = """
import os, sys, time
from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QWidget

started = float(os.environ["BENCH_STARTED"])
_show = QWidget.show


def show(self):
    _show(self)
    if self.isWindow() and not getattr(show, "done", False):
        show.done = True

        def shown():
            print(f"shown {time.time() - started:.4f}", flush=True)
            print(f"shown cpu {time.process_time():.4f}", flush=True)
            os._exit(0)

        QTimer.singleShot(0, shown)


QWidget.show = show
sys.argv = ["main.py"]
import main

sys.exit(main.main())
"""

# The child of "run": main.py run, with Simulation.step wrapped to print when the first step begins.
RUN_PROBE = """
import os, sys, time

started = float(os.environ["BENCH_STARTED"])
sys.argv = ["main.py", *sys.argv[1:]]
import main
import physics.simulation

_step = physics.simulation.Simulation.step


def step(self, *args, **kwargs):
    if not getattr(step, "done", False):
        step.done = True
        sys.stderr.write(f"first step {time.time() - started:.4f}\\n")
        sys.stderr.write(f"first step cpu {time.process_time():.4f}\\n")
    return _step(self, *args, **kwargs)


physics.simulation.Simulation.step = step
sys.exit(main.main())
"""

RUN_ARGUMENTS = ("run", "--surface", "rosenbrock", "--optimizer", "adam", "--particles", "100000",
                 "--spread", "0.3", "--steps", "300", "--csv", os.devnull)


def _launch(probe: str, arguments: tuple[str, ...], environment: dict[str, str]) -> tuple[dict[str, float], float]:
    """Run a probe in a fresh interpreter; (the times it printed by label, the whole process's seconds)."""
    started = time.time()
    result = subprocess.run([sys.executable, "-c", probe, *arguments], cwd=ROOT, capture_output=True, text=True,
                            env={**environment, "BENCH_STARTED": repr(started)}, timeout=300)
    total = time.time() - started
    if result.returncode != 0:
        raise SystemExit(f"the probe failed ({result.returncode}):\n{result.stderr[-2000:]}")
    times = {}
    for line in (result.stdout + result.stderr).splitlines():
        label, _, value = line.rpartition(" ")
        if label in ("shown", "shown cpu", "first step", "first step cpu"):
            times[label] = float(value)
    return times, total


def _figure(values: list[float], processor: list[float] | None = None) -> str:
    text = f"{min(values):6.2f} s (median {statistics.median(values):5.2f} s)"
    if processor:  # (the processor time the process used by then: what the machine's other work does not add to)
        text += f" [processor {min(processor):5.2f} s]"
    return text


def _column(launches: list[dict[str, float]], label: str) -> tuple[list[float], list[float]]:
    """The wall-clock seconds and the processor seconds of ``label`` in each launch."""
    return [times[label] for times in launches], [times[f"{label} cpu"] for times in launches]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="launches per figure (the fastest is shown)")
    args = parser.parse_args()
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY") and shutil.which("xvfb-run"):
        os.execvp("xvfb-run", ["xvfb-run", "-a", "-s", "-screen 0 1920x1080x24", sys.executable, *sys.argv])
    print(f"Downhill start-up benchmark ({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f})")
    with tempfile.TemporaryDirectory(prefix="downhill-bench-startup-") as scratch:
        environment = {**os.environ, "DOWNHILL_CONFIG_DIR": str(Path(scratch) / "config")}
        _launch(WINDOW_PROBE, (), environment)  # fills the user's Numba cache (and the OS's file cache)
        warm = [_launch(WINDOW_PROBE, (), environment)[0] for _ in range(args.repeat)]
        first = []
        for attempt in range(args.repeat):
            cache = Path(scratch) / f"cache-{attempt}"
            first.append(_launch(WINDOW_PROBE, (), {**environment, "XDG_CACHE_HOME": str(cache)})[0])
        installed = []  # (scripts/setup.sh compiles the kernels at install: python -m physics.warm_up)
        for attempt in range(args.repeat):
            cache = Path(scratch) / f"installed-{attempt}"
            subprocess.run([sys.executable, "-m", "physics.warm_up"], cwd=ROOT, check=True, timeout=600,
                           env={**environment, "XDG_CACHE_HOME": str(cache)})
            installed.append(_launch(WINDOW_PROBE, (), {**environment, "XDG_CACHE_HOME": str(cache)})[0])
        print(f"1. window shown, warm:          {_figure(*_column(warm, 'shown'))}   (target 2 s)")
        print(f"   window shown, first launch after install: {_figure(*_column(installed, 'shown'))}   "
              "(target 4 s; the cache as scripts/setup.sh leaves it)")
        print(f"   window shown, empty cache:   {_figure(*_column(first, 'shown'))}   "
              "(no kernel compiled yet: the install's pre-compilation failed or was skipped)")
        runs = [_launch(RUN_PROBE, RUN_ARGUMENTS, environment) for _ in range(args.repeat)]
        before = _figure(*_column([times for times, _ in runs], "first step"))
        print(f"2. run, 100 000 particles: before the first step {before}   (target 1 s)")
        print(f"   run, 100 000 particles: 300 steps, whole process {_figure([total for _, total in runs])}")
    print(f"(load average at the end {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
