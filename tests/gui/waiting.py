"""Waiting for Qt to settle, for the GUI tests: on a condition, never on a fixed time."""

from __future__ import annotations

import time
from collections.abc import Callable

from PyQt6.QtWidgets import QApplication


def settle(probe: Callable[[], object], rounds: int = 50) -> None:
    """Process events until ``probe()`` gives the same value three rounds in a row (at most ``rounds``).

    Layouts follow one another on later events, and how many rounds that takes depends on the
    machine's load: a fixed wait may read a layout half done.
    """
    last, still = None, 0
    for _ in range(rounds):
        QApplication.processEvents()
        now = probe()
        still = still + 1 if now == last else 0
        if still >= 3:
            return
        last = now
        time.sleep(0.002)
