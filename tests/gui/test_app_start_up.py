"""The app's window shows without waiting for the physics kernels, and the process-wide settings of
start-up are made by the program: the garbage collector off until the first frame, then the heap
settled (collected and frozen) and the kernels loaded on a background thread (gui.app)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# python main.py, with QWidget.show wrapped to report the state of the process as the window shows
# and once the warm-up has run (then the window is closed as File > Quit would).
SCRIPT = """
import gc, sys, threading
from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QApplication, QWidget

_show = QWidget.show


def show(self):
    _show(self)
    if not self.isWindow() or getattr(show, "done", False):
        return
    show.done = True
    print("at show:", "physics.warm_up" in sys.modules, gc.isenabled(), flush=True)

    def after():
        warming = [t for t in threading.enumerate() if t.name == "warm up the physics kernels"]
        if warming:
            warming[0].join()
        print("after:", "physics.warm_up" in sys.modules, gc.isenabled(), gc.get_freeze_count() > 50_000, flush=True)
        self.close_without_asking()

    QTimer.singleShot(500, after)


QWidget.show = show
import main

sys.exit(main.main([]))
"""


def test_the_window_shows_before_the_kernels_load_and_the_heap_settles_after(tmp_path: Path) -> None:
    env = {**os.environ, "DOWNHILL_CONFIG_DIR": str(tmp_path)}
    if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        env["QT_QPA_PLATFORM"] = "offscreen"
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "at show: False False" in lines, result.stdout + result.stderr  # no kernel warm-up yet, no collection
    assert "after: True True True" in lines, result.stdout + result.stderr
