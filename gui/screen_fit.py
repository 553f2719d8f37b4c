"""Fitting the main window to the screen it opens on: its size, its place, and plots kept readable.

A projector or laptop may offer 1280 x 720 pixels or less; the window was made for 1600 x 900.
What this module decides, in pixels (all sizes are device-independent pixels, as Qt gives them):

- ``initial_size``: the window's size before it first shows, DEFAULT_SIZE or the screen's
  available size if that is smaller (the window frame is not known yet; ``fitted_frame``
  corrects for it once it is).
- ``fitted_frame``: a window frame moved, then shrunk, so that it lies within the screen's
  available geometry (a saved geometry from a larger screen, or a frame larger than guessed).
- ``is_short``: whether the left column's three docks must share one place as tabs, because
  stacked they would leave the plots under the views less than MIN_PLOT_HEIGHT.
- ``keep_readable``: a plot panel's plots are never squeezed below MIN_PLOT_HEIGHT and its
  word-wrapped legend never below the height its words need at its width (so the dock layout,
  which does not ask a label for its height at a given width, can never cut it off).
"""

from __future__ import annotations

from typing import Any

from PyQt6.QtCore import QEvent, QObject, QRect, QSize, QTimer
from PyQt6.QtGui import QGuiApplication
from PyQt6.QtWidgets import QLabel, QWidget

#: The window's size where the screen has room for it (pixels).
DEFAULT_SIZE = QSize(1600, 900)
#: Least height of a telemetry panel's plots, axes included (pixels).
MIN_PLOT_HEIGHT = 150
#: Below this available screen height (pixels) the Formula, Balls and Presets docks are tabs of
#: one dock: stacked, their least height (about 400 pixels) with the toolbar, status bar and a row
#: of plots MIN_PLOT_HEIGHT tall under their legends would not fit.
SHORT_SCREEN_HEIGHT = 820
#: How long after a change of balls or scene a legend's height is looked at again (milliseconds):
#: after the window has applied the scene's view (a 0 ms timer), so that the docks' resize does not
#: fall between the 3D view's framing and the scene's own camera distance (a resize in between
#: queues a refit that would override that distance).
LEGEND_CHECK_DELAY_MS = 50


def available_geometry(widget: QWidget) -> QRect:
    """The available geometry (without task bars and docks) of the screen ``widget`` is on, or of the
    primary screen before it has one; an empty rectangle without any screen."""
    screen = widget.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else QRect()


def initial_size(available: QRect) -> QSize:
    """DEFAULT_SIZE, made no larger than ``available`` (an empty ``available``: DEFAULT_SIZE)."""
    if available.isEmpty():
        return QSize(DEFAULT_SIZE)
    return DEFAULT_SIZE.boundedTo(available.size())


def is_short(available: QRect) -> bool:
    """True when ``available`` is too low for the left column's docks stacked (SHORT_SCREEN_HEIGHT)."""
    return not available.isEmpty() and available.height() < SHORT_SCREEN_HEIGHT


def fitted_frame(frame: QRect, available: QRect, minimum: QSize | None = None) -> QRect:
    """``frame`` (a window's frame geometry) shrunk to fit ``available`` and moved inside it.

    Never smaller than ``minimum`` (the frame's least size): a window that cannot be made to fit is
    placed at the available area's top-left corner. An empty ``available`` changes nothing.
    """
    if available.isEmpty():
        return QRect(frame)
    size = frame.size().boundedTo(available.size())
    if minimum is not None:
        size = size.expandedTo(minimum)
    left = max(available.left(), min(frame.left(), available.left() + available.width() - size.width()))
    top = max(available.top(), min(frame.top(), available.top() + available.height() - size.height()))
    return QRect(left, top, size.width(), size.height())


class WrappedLabelHeight(QObject):
    """Keeps a word-wrapped label's minimum height at what its text needs at its current width.

    Layouts ask a label for its minimum size without a width, and a dock squeezed to that cuts
    the last lines of a wrapped legend off. The width never depends on the height here, so
    setting the height from the width settles at once.
    """

    def __init__(self, label: QLabel):
        super().__init__(label)
        self.label = label
        label.installEventFilter(self)
        # New words (balls added, renamed) come without a resize: looked at once the labels have them.
        self._later = QTimer(self)
        self._later.setSingleShot(True)
        self._later.setInterval(LEGEND_CHECK_DELAY_MS)
        self._later.timeout.connect(self.update)

    def eventFilter(self, watched: Any, event: Any) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.label and event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            self.update()
        return False

    def update(self) -> None:
        label = self.label
        needed = label.heightForWidth(label.width()) if label.text() else 0
        if needed > 0 and label.minimumHeight() != needed:
            label.setMinimumHeight(needed)


    def update_later(self, *_ignored: Any) -> None:
        self._later.start()


def keep_readable(panel: Any) -> None:
    """Plots of ``panel`` (a HistoryPlotPanel: ``graphics``, ``legend``, ``controller``) at least
    MIN_PLOT_HEIGHT tall, its legend never cut off."""
    panel.graphics.setMinimumHeight(MIN_PLOT_HEIGHT)
    height = WrappedLabelHeight(panel.legend)
    panel.controller.ballsChanged.connect(height.update_later)
    panel.controller.sceneChanged.connect(height.update_later)
