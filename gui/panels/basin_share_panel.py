"""The "Basin share" panel: how a swarm splits between the basins, step by step.

For the selected ball when it is a swarm (else the scene's first swarm), a stacked area over the
steps: the share of its particles in each minimum's basin, on the saddle, in transit and
diverged, in that order from the bottom, up to 100 %. Which group a particle is in is
physics.experiments.basin_share's rule, written under the plot. A minimum's band has its basin
map colour and name (gui.experiments.basin_colors, physics.experiments.outcomes: "minimum 1 at
(-1.24, -0.93)"), the same as the Basins experiment's; every band is also separated by a dark line
and named with its share now in the rows under the plot (colour is never the only carrier).

A share is taken at every ``stepped`` (each animation frame; at a speed of k steps per frame, every
k-th step): it is one pass over the particles (a few milliseconds at 100 000). The plot is redrawn
at most every ``REDRAW_INTERVAL_MS`` and only while shown. New critical points, another swarm, a
reset or a new scene start the record again (past states are not kept by the simulation).

When a scene with a swarm opens, the panel shows its dock (and brings it to the front); if it did
so and the next scene has no swarm, it hides it again.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainter, QPixmap
from PyQt6.QtWidgets import QDockWidget, QGridLayout, QLabel, QMainWindow, QVBoxLayout, QWidget

from gui.controller_link import ControllerLink
from gui.experiments.basin_colors import outcome_color
from gui.panels import plot_style
from physics.experiments import outcomes
from physics.experiments.basin_share import BASIN_RTOL, HALF_WAY, ShareGroup, classify_particles, share_groups, shares

#: Least milliseconds between two redraws of the plot while the swarm runs.
REDRAW_INTERVAL_MS = 100
#: The step axis spans at least this many steps.
MIN_STEPS_SHOWN = 10
#: "diverged" in a grey that shows on the dark plot (the basin map's near black would not).
DIVERGED_COLOR = "#7a7a7a"
#: The dock's width when the panel shows it (pixels): the rows' names and shares whole.
DOCK_WIDTH = 330
#: The saddle band's hatching (a translucent dark line pattern over its colour).
HATCH_RGBA = "#90000000"
#: Groups shown in the rows only once some particle is in them (rare on most surfaces).
RARE = (outcomes.MINIMUM, outcomes.DIVERGED)
RULE = (f"Basin of a minimum: within {HALF_WAY:g} of the way to the nearest other critical point "
        f"(at most {BASIN_RTOL:.0%} of the map's diagonal). On the saddle: within "
        f"{outcomes.MATCH_RTOL:.0%} of the diagonal, or settled at one.")
NO_SWARM = "No swarm: give a ball more than one particle (Balls > Particles)."


def swatch_pixmap(color: str, hatched: bool, size: int = 14) -> QPixmap:
    """A row's colour sample: ``color`` with a dark frame, hatched like its band when ``hatched``."""
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(color))
    painter = QPainter(pixmap)
    if hatched:
        painter.fillRect(0, 0, size, size, QBrush(QColor(HATCH_RGBA), Qt.BrushStyle.BDiagPattern))
    painter.setPen(QColor("#101010"))
    painter.drawRect(0, 0, size - 1, size - 1)
    painter.end()
    return pixmap


def group_color(group: ShareGroup) -> str:
    """A band's colour: the basin map's for the group's outcome (a visible grey for "diverged")."""
    return DIVERGED_COLOR if group.code == outcomes.DIVERGED else outcome_color(group.code)


class BasinSharePanel(QWidget):
    """The basin shares of the live scene's swarm (module docstring).

    Attributes:
        ball: the index of the swarm shown, or -1.
        groups: the bands, bottom first (physics.experiments.basin_share.ShareGroup).
        steps: (m,) the steps recorded; ``history``: (m, len(groups)) the shares at them.
    """

    def __init__(self, controller: ControllerLink, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.ball = -1
        self.groups: tuple[ShareGroup, ...] = ()
        self._steps = np.empty(256)
        self._shares = np.empty((256, 0))
        self._count = 0
        self._ever = np.zeros(0, dtype=bool)   # each group's share was ever above 0
        self._shown_dock = False               # the panel showed its dock for a swarm scene
        self._last_redraw = 0.0
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.timeout.connect(self.redraw)
        self._build()
        controller.criticalPointsChanged.connect(self._restart)
        controller.ballsChanged.connect(self._restart)
        controller.selectionChanged.connect(self._on_selection_changed)
        controller.sceneChanged.connect(self._on_scene_changed)
        controller.stepped.connect(self._on_stepped)
        self._restart()
        QTimer.singleShot(0, self._show_for_swarm)   # (once the panel sits in its dock)

    # -- construction --------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.caption = QLabel()
        self.caption.setStyleSheet(f"QLabel {{ background: {plot_style.BACKGROUND}; color: {plot_style.FOREGROUND};"
                                   " padding: 4px 10px; }")
        font = QFont()
        font.setPointSize(plot_style.LEGEND_POINT_SIZE + 1)
        self.caption.setFont(font)
        self.caption.setTextFormat(Qt.TextFormat.PlainText)
        self.caption.setMinimumWidth(10)   # elided, never wider than the dock
        layout.addWidget(self.caption)
        self.plot_widget = plot_style.new_plot_widget()
        self.plot = self.plot_widget.addPlot(row=0, col=0)
        plot_style.style_plot(self.plot, "share of the swarm (%)")
        self.plot.setYRange(0, 100, padding=0.03)   # (room for the 100 on the axis)
        self.plot.setLimits(yMin=-5, yMax=105)
        self.plot.getViewBox().setMouseEnabled(x=True, y=False)
        layout.addWidget(self.plot_widget, 1)
        self.rows_widget = QWidget()
        self.rows_widget.setStyleSheet(f"background: {plot_style.BACKGROUND}; color: {plot_style.FOREGROUND};")
        self.rows = QGridLayout(self.rows_widget)
        self.rows.setContentsMargins(10, 4, 10, 4)
        self.rows.setHorizontalSpacing(8)
        self.rows.setVerticalSpacing(2)
        self.rows.setColumnStretch(1, 1)
        layout.addWidget(self.rows_widget)
        self.rule = QLabel(RULE)
        self.rule.setWordWrap(True)
        small = QFont()
        small.setPointSize(plot_style.LEGEND_POINT_SIZE - 1)
        self.rule.setFont(small)
        self.rule.setStyleSheet(f"QLabel {{ background: {plot_style.BACKGROUND}; color: #b8b8b8;"
                                " padding: 2px 10px 6px; }")
        layout.addWidget(self.rule)
        self._curves: list[pg.PlotCurveItem] = []
        self._hatches: dict[int, pg.PlotCurveItem] = {}   # band index -> its hatching (the saddle's)
        self._row_labels: list[tuple[QLabel, QLabel, QLabel]] = []

    def _make_bands(self) -> None:
        for curve in (*self._curves, *self._hatches.values()):
            self.plot.removeItem(curve)
        self._hatches = {}
        while self.rows.count():
            item = self.rows.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self._curves, self._row_labels = [], []
        font = QFont()
        font.setPointSize(plot_style.LEGEND_POINT_SIZE)
        share_width = QFontMetrics(font).horizontalAdvance("100.0 %") + 4
        # Stacked by painting: band i is the area under the sum of bands 0..i, filled opaque, and the
        # lower bands are painted over it (a lower band has a higher z).
        for index, group in enumerate(self.groups):
            color = group_color(group)
            curve = pg.PlotCurveItem(pen=pg.mkPen(plot_style.BACKGROUND, width=1.5), brush=pg.mkBrush(color),
                                     fillLevel=0.0)
            curve.setZValue(len(self.groups) - index)
            self.plot.addItem(curve)
            self._curves.append(curve)
            if group.code == outcomes.SADDLE:
                # Hatched as well: apricot is the colour nearest a minimum's orange for a red-green
                # colour-blind viewer, and the map's saddle is a cross.
                hatch = pg.PlotCurveItem(pen=None, brush=QBrush(QColor(HATCH_RGBA), Qt.BrushStyle.BDiagPattern),
                                         fillLevel=0.0)
                hatch.setZValue(len(self.groups) - index + 0.5)
                self.plot.addItem(hatch)
                self._hatches[index] = hatch
            swatch, name, share = QLabel(), QLabel(), QLabel()
            swatch.setPixmap(swatch_pixmap(color, index in self._hatches))
            for label in (name, share):
                label.setFont(font)
            name.setText(group.name)
            name.setToolTip(group.name)
            name.setMinimumWidth(10)
            share.setFixedWidth(share_width)
            share.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            # Top row = top band: the rows read in the plot's order.
            row = len(self.groups) - 1 - index
            self.rows.addWidget(swatch, row, 0)
            self.rows.addWidget(name, row, 1)
            self.rows.addWidget(share, row, 2)
            self._row_labels.append((swatch, name, share))

    # -- the record ----------------------------------------------------------------------------
    def _swarm(self) -> int:
        balls = tuple(getattr(self.controller, "balls", ()) or ())
        selected = getattr(self.controller, "selected", -1)
        if 0 <= selected < len(balls) and balls[selected].particles > 1:
            return selected
        return next((i for i, ball in enumerate(balls) if ball.particles > 1), -1)

    def _restart(self, *_args: Any) -> None:
        """Start the record again from the current state (new points, balls or swarm)."""
        self.ball = self._swarm()
        points = list(getattr(self.controller, "critical_points", None) or [])
        groups = share_groups(points) if self.ball >= 0 else ()
        if groups != self.groups or not self._curves and groups:
            self.groups = groups
            self._make_bands()
        self._points = points
        self._count = 0
        self._shares = np.empty((len(self._steps), len(self.groups)))
        self._ever = np.zeros(len(self.groups), dtype=bool)
        self._set_caption()
        self.rule.setVisible(self.ball >= 0)
        self.rows_widget.setVisible(self.ball >= 0)
        self._on_stepped()

    def _set_caption(self) -> None:
        balls = tuple(getattr(self.controller, "balls", ()) or ())
        if self.ball < 0:
            text = NO_SWARM
        else:
            ball = balls[self.ball]
            text = f"{ball.name}: {ball.particles:,} particles".replace(",", "\u2009")
        self.caption.setToolTip(text)
        metrics = QFontMetrics(self.caption.font())
        self.caption.setText(metrics.elidedText(text, Qt.TextElideMode.ElideRight, max(40, self.caption.width() - 20)))
        self._caption_text = text

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if hasattr(self, "_caption_text"):
            metrics = QFontMetrics(self.caption.font())
            self.caption.setText(metrics.elidedText(self._caption_text, Qt.TextElideMode.ElideRight,
                                                    max(40, self.caption.width() - 20)))

    def _on_selection_changed(self, _index: int = -1) -> None:
        if self._swarm() != self.ball:
            self._restart()

    def _on_stepped(self) -> None:
        """Take the swarm's shares now (once per step index), and redraw soon."""
        if self.ball < 0 or not self.groups:
            return
        try:
            state = self.controller.state(self.ball)
        except (IndexError, KeyError):
            return  # the simulation has not caught up with the ball list yet
        step = int(state.step_index)
        if self._count and step < self._steps[self._count - 1]:
            self._count = 0   # reset: the record starts again
        if self._count and step == self._steps[self._count - 1]:
            return
        surface = getattr(self.controller, "surface", None)
        diameter = surface.domain.diameter if surface is not None else 1.0
        codes = classify_particles(state.positions, state.active, state.regime_codes, self._points, diameter)
        now = shares(codes, self.groups)
        if self._count == len(self._steps):
            self._steps = np.concatenate([self._steps, np.empty_like(self._steps)])
            self._shares = np.concatenate([self._shares, np.empty_like(self._shares)])
        self._steps[self._count] = step
        self._shares[self._count] = now
        self._count += 1
        self._ever |= now > 0
        self._schedule_redraw()

    @property
    def steps(self) -> np.ndarray:
        return self._steps[: self._count]

    @property
    def history(self) -> np.ndarray:
        return self._shares[: self._count]

    @property
    def latest(self) -> np.ndarray:
        """(len(groups),) the shares at the last step recorded (empty without one)."""
        return self._shares[self._count - 1].copy() if self._count else np.zeros(0)

    # -- drawing -------------------------------------------------------------------------------
    def _schedule_redraw(self) -> None:
        if not self.isVisible():
            return   # showEvent draws
        wait = REDRAW_INTERVAL_MS - 1000.0 * (time.perf_counter() - self._last_redraw)
        if wait <= 0:
            self.redraw()
        elif not self._redraw_timer.isActive():
            self._redraw_timer.start(int(wait) + 1)

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self.redraw()

    def redraw(self) -> None:
        """Draw the bands and the rows from the record."""
        self._last_redraw = time.perf_counter()
        steps, history = self.steps, self.history
        if len(steps) == 1:   # one state: a band across one step is still a band
            steps, history = np.array([steps[0], steps[0] + 1.0]), np.repeat(history, 2, axis=0)
        tops = 100.0 * np.cumsum(history, axis=1) if len(history) else history
        if len(steps) and steps[-1] - steps[0] < MIN_STEPS_SHOWN:
            # A few steps span whole numbers of steps (not ticks at step 0.2, 0.4, ...).
            self.plot.setXRange(steps[0], steps[0] + MIN_STEPS_SHOWN, padding=0.02)
        else:
            self.plot.enableAutoRange(x=True)
        for index, curve in enumerate(self._curves):
            for item in (curve, self._hatches.get(index)):
                if item is None:
                    continue
                if len(steps):
                    item.setData(steps, tops[:, index])
                else:
                    item.setData([], [])
        latest = self.latest
        for index, (group, (swatch, name, share)) in enumerate(zip(self.groups, self._row_labels, strict=True)):
            shown = group.code not in RARE or bool(self._ever[index])
            for label in (swatch, name, share):
                label.setVisible(shown)
            share.setText(f"{100.0 * latest[index]:.1f} %" if len(latest) else "–")

    # -- the dock ------------------------------------------------------------------------------
    def _on_scene_changed(self, _scene: object) -> None:
        self._restart()
        self._show_for_swarm()

    def _show_for_swarm(self) -> None:
        """Show the dock for a scene with a swarm; hide it again after one the panel showed it for."""
        dock = self.parentWidget()
        if not isinstance(dock, QDockWidget):
            return   # not in a window's dock (a test, the presentation)
        if self.ball >= 0:
            if not dock.isVisible():
                dock.show()
                self._shown_dock = True
                window = dock.parentWidget()
                if isinstance(window, QMainWindow) and not dock.isFloating():
                    window.resizeDocks([dock], [DOCK_WIDTH], Qt.Orientation.Horizontal)
            dock.raise_()
        elif self._shown_dock:
            dock.hide()
            self._shown_dock = False
