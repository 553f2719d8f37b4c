"""Starting Qt for a command that draws without a window (export, figure, the experiment commands).

Its own small module so that whoever writes a figure (the commands, and the experiment docks that
export one through the same writers) can start Qt without importing the clip exporter.
"""

from __future__ import annotations

import os
import sys

_application = None


def start_qt() -> None:
    """A QApplication (offscreen when there is no display), OpenGL contexts shared (gui.views)."""
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PyQt6.QtCore import qInstallMessageHandler
    from PyQt6.QtWidgets import QApplication

    import gui.views  # noqa: F401  (before the application: contexts shared)

    global _application
    if QApplication.instance() is None:
        qInstallMessageHandler(_quiet_platform_notes)
        _application = QApplication(["downhill"])  # held: a collected QApplication takes its widgets with it


def _quiet_platform_notes(kind: object, _context: object, message: str) -> None:
    """Qt's own messages: the offscreen platform's notes about window hints mean nothing for an export."""
    if "propagateSizeHints" in message:
        return
    try:
        sys.stderr.write(f"downhill: Qt: {message}\n")
    except (OSError, ValueError):
        pass
