"""The common machinery of the telemetry plots: one curve per ball and series, kept in step with the controller.

A panel subclass says *what* to draw: its plots (:class:`PlotSpec`: title, axis label, linear or
log axis) and, for each ball, its traces (:class:`Trace`: which history series, which plot, which
pen). :class:`HistoryPlotPanel` does the rest, the same way for every panel:

- It observes the controller: ``ballsChanged`` re-reads the ball list (curves of balls that are
  new, changed or recoloured are set up again; hidden balls get no curve at all),
  ``sceneChanged`` re-creates every curve, ``stepped`` and ``surfaceChanged`` bring the curves up
  to date.
- While the animation plays, the curves are brought up to date by the first frame at least
  ``REFRESH_INTERVAL_S`` after the last update (every fourth frame at 60 Hz: about 15 times a
  second; they are charts, read at a glance, while the views keep the display's rate); a frame in
  between costs nothing. The update runs in the frame's own handling of ``stepped``, right after
  the views, while the histories are fresh in the processor's caches, rather than on a timer of
  its own between frames (a separate wake-up, with cold caches, costs much more; a timer only
  catches up should no frame follow). A single step, a reset, and the moment the animation stops
  (``playingChanged(False)``) refresh at once, so the last state always shows.
- ``controller.history(i)`` is asked once per ball and frame (the controller keeps each
  history until the simulation changes, so all panels share one).
- A curve is created once per ball and series and given new points at each update; the curves
  of a plot at one stacking level are drawn by one item (gui.panels.curve_set), so Qt and the
  view are told once per update of that item, not once per curve. Each series is a
  :class:`~gui.panels.series.HistorySeries`, which reads only the new steps and keeps the
  points decimated, so an update stays cheap at 10 000 steps (measured in tests/bench/bench_panels.py).
- A panel that is not visible (its dock closed or tabbed away) does no work; it catches up when
  shown.
- Curves are drawn without antialiasing. Qt paints widgets on the CPU, and an antialiased pen
  2.5 pixels wide costs milliseconds per noisy curve of a few hundred points (measured with eight
  noisy balls: 40 to 60 ms to paint one panel, 13 to 18 ms without); without it a solid curve is
  stroked as separate segments (as pyqtgraph does), which costs next to nothing, and at 2.5
  pixels the difference is hard to see.
- Non-finite values never reach a curve as numbers: they are NaN and the curves are drawn with
  ``connect='finite'`` (a gap). On a log axis zero and negative values are dropped the same way,
  and the data are handed to pyqtgraph as log10 of the values, the axis being in log mode.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QTimer
from PyQt6.QtGui import QPen
from PyQt6.QtWidgets import QVBoxLayout, QWidget

from gui.controller_link import ControllerLink
from gui.panels import plot_style
from gui.panels.axes import LogAxis
from gui.panels.curve_set import CurveSet, SetCurve, pen_reach
from gui.panels.series import Extractor, HistorySeries

#: Least seconds between two refreshes of a plot panel while the animation plays: frames come every
#: 16 ms, so every fourth frame passes it (about 15 refreshes a second, smooth for a chart read at a
#: glance; the views keep the display's rate).
REFRESH_INTERVAL_S = 0.06
#: A refresh a frame skipped is caught up by a timer this long after it was due, unless a frame
#: (which comes first at the display's rate) did it already.
CATCH_UP_DELAY_S = 0.02


@dataclass(frozen=True)
class PlotSpec:
    """One plot of a panel.

    Attributes:
        title: what the plot shows, in a sentence (the panel's tooltip; the dock names the panel).
        y_label: the quantity, e.g. "‖∇f‖".
        log_y: a log10 axis (values <= 0 dropped).
    """

    title: str
    y_label: str
    log_y: bool = False


@dataclass(frozen=True)
class Trace:
    """One curve a panel draws for one ball.

    Attributes:
        key: names the series within the ball ("loss", "lambda_min", "bound", ...).
        extract: reads the values from the ball's history (see gui.panels.series).
        pen: the pen (the ball's colour, solid or dashed).
        plot: index of the plot in the panel's ``plots``.
        z: stacking order within the plot (higher on top).
    """

    key: str
    extract: Extractor
    pen: QPen
    plot: int = 0
    z: float = 0.0


class _Curve:
    """A trace drawn: its curve, the set that draws it, and its series (and the series' extent in
    plot coordinates, kept until the extremes or the transform change: they change seldom, the
    points every frame)."""

    __slots__ = ("trace", "item", "set", "series", "extent_of", "extent")

    def __init__(self, trace: Trace, curve_set: CurveSet, series: HistorySeries):
        self.trace = trace
        self.set = curve_set
        self.item = curve_set.add(trace.pen)
        self.series = series
        self.extent_of: tuple = ()
        self.extent: tuple[float, float] | None = None


class HistoryPlotPanel(QWidget):
    """Base of the plot panels; subclasses set ``plots`` and implement :meth:`traces`.

    Attributes:
        last_update_seconds: wall time of the last curve update (for benchmarks and the status bar).
        refresh_count: how many times the curves were brought up to date (for tests and benchmarks).
    """

    plots: Sequence[PlotSpec] = ()
    #: Whether the series keep their largest |value| (a panel that chooses its scale from it).
    track_magnitude = False

    def __init__(self, controller: ControllerLink, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.last_update_seconds = 0.0
        self.refresh_count = 0
        self._last_refresh = -np.inf
        self._catch_up = QTimer(self)
        self._catch_up.setSingleShot(True)
        self._catch_up.timeout.connect(self.refresh)
        self.changed_keys: set[tuple[int, str]] = set()  # the curves the last refresh redrew
        self.legend_labels: list[str] = []  # what the legend strip lists, in order
        self._curves: dict[tuple[int, str], _Curve] = {}
        self._sets: dict[tuple[int, float, float], CurveSet] = {}   # (plot, z, pen reach) -> its curves' item
        self._specs: tuple[Any, ...] = ()  # the BallSpecs the curves were set up for
        self._stale = True

        self.legend = plot_style.new_legend_label()
        self.graphics = plot_style.new_plot_widget()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.legend)
        layout.addWidget(self.graphics, 1)
        self.plot_items: list[pg.PlotItem] = []
        for row, spec in enumerate(self.plots):
            axes = self.axis_items(row) or ({"left": LogAxis("left")} if spec.log_y else None)
            plot = self.graphics.addPlot(row=row, col=0, axisItems=axes)
            for axis in (axes or {}).values():
                # Owned by the plot, as pyqtgraph's own axes are (made with parent=plot); a layout
                # does not take ownership, which would leave the axis to Python's garbage collector.
                axis.setParentItem(plot)
            if spec.log_y:
                plot.getAxis("left").setLogMode(False, True)  # again, now that the axis knows its view
            last = row == len(self.plots) - 1
            plot_style.style_plot(plot, spec.y_label, "step" if last else None)
            if self.plot_items:
                plot.setXLink(self.plot_items[0])
            if len(self.plots) > 1:
                # One width for the stacked plots' left axes, so their step axes line up.
                plot.getAxis("left").setWidth(plot_style.left_axis_width())
            self.graphics.ci.layout.setRowStretchFactor(row, 1)  # stacked plots share the height equally
            self.plot_items.append(plot)
        self.setToolTip("\n".join(spec.title for spec in self.plots))
        self.decorate()

        controller.ballsChanged.connect(self._on_balls_changed)
        controller.sceneChanged.connect(self._on_scene_changed)
        controller.stepped.connect(self._on_stepped)
        controller.playingChanged.connect(self._on_playing_changed)
        controller.surfaceChanged.connect(self._on_surface_changed)
        self._sync_balls(rebuild=True)

    # -- what subclasses provide ---------------------------------------------------------------
    def traces(self, index: int, ball: Any) -> list[Trace]:
        """The curves to draw for ball ``index`` (a visible BallSpec)."""
        raise NotImplementedError

    def axis_items(self, plot: int) -> dict[str, pg.AxisItem] | None:
        """Custom axes of plot ``plot`` (e.g. {"left": SymlogAxis()}), or None for pyqtgraph's own."""
        return None

    def decorate(self) -> None:
        """Add fixed items (reference lines, shading) after the plots exist."""

    def legend_extras(self) -> list[tuple[str, str]]:
        """Extra legend entries (sample rich text, label), e.g. a key to line styles, shown after the balls."""
        return []

    def display_transform(self, plot: int) -> Callable[[np.ndarray], np.ndarray] | None:
        """Maps data values to plot coordinates (None: identity). Log plots use log10."""
        return np.log10 if self.plots[plot].log_y else None

    def after_refresh(self) -> None:
        """Hook run after the curves were brought up to date (e.g. to rescale an axis)."""

    # -- reading the panel (tests, read-outs) ------------------------------------------------------
    def curve(self, index: int, key: str) -> SetCurve | None:
        """The curve of ball ``index`` and series ``key`` (read like a PlotCurveItem: ``getData``,
        ``opts``, ``dataBounds``), or None (hidden ball, no such series)."""
        entry = self._curves.get((index, key))
        return entry.item if entry is not None else None

    def curve_data(self, index: int, key: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(steps, values) the curve of ball ``index`` and series ``key`` shows, in data units.

        The curve item holds plot coordinates (log10 of the value on a log axis); this undoes the
        transform. None if there is no such curve. Rows that only lengthen a gap at the end are
        not handed to the item (they draw nothing), so such a curve may be shorter than the history.
        """
        entry = self._curves.get((index, key))
        if entry is None:
            return None
        x, y = entry.item.getData()
        if x is None:
            return np.empty(0), np.empty(0)
        return np.asarray(x, dtype=float), self.inverse_display(entry.trace.plot, np.asarray(y, dtype=float))

    def inverse_display(self, plot: int, y: np.ndarray) -> np.ndarray:
        return 10.0 ** y if self.plots[plot].log_y else y

    def curve_keys(self) -> list[tuple[int, str]]:
        return sorted(self._curves)

    # -- keeping up with the controller ------------------------------------------------------------
    def _on_scene_changed(self, _scene: object) -> None:
        self._sync_balls(rebuild=True)

    def _on_balls_changed(self) -> None:
        self._sync_balls(rebuild=False)

    def _on_surface_changed(self, _surface: object) -> None:
        self.refresh()

    def _on_stepped(self) -> None:
        """A new state: refresh now, or (while playing, within REFRESH_INTERVAL_S of the last) at a later frame."""
        if not self.controller.playing:
            self.refresh()
            return
        wait = REFRESH_INTERVAL_S - (time.perf_counter() - self._last_refresh)
        if wait <= 0:
            self.refresh()
        elif not self._catch_up.isActive():
            self._catch_up.start(int((wait + CATCH_UP_DELAY_S) * 1000) + 1)

    def _on_playing_changed(self, playing: bool) -> None:
        if not playing:
            self.refresh()  # the state the animation stopped on

    def _sync_balls(self, rebuild: bool) -> None:
        """Set the curves up for the controller's balls; ``rebuild`` re-creates every one."""
        balls = tuple(self.controller.balls)
        if rebuild:
            for key in list(self._curves):
                self._remove(key)
        wanted: dict[tuple[int, str], Trace] = {}
        for index, ball in enumerate(balls):
            if ball.visible:
                for trace in self.traces(index, ball):
                    wanted[(index, trace.key)] = trace
        for key in [k for k in self._curves if k not in wanted]:
            self._remove(key)
        for key, trace in wanted.items():
            index = key[0]
            entry = self._curves.get(key)
            unchanged = entry is not None and index < len(self._specs) and self._specs[index] == balls[index]
            if entry is not None and not unchanged and self._set_for(trace) is not entry.set:
                self._remove(key)   # (its pen reaches further now: it belongs to another set)
                entry = None
            if entry is None:
                self._curves[key] = _Curve(trace, self._set_for(trace), self._new_series(trace))
            elif not unchanged:
                entry.trace = trace
                entry.set.set_pen(entry.item, trace.pen)
                entry.series = self._new_series(trace)
                entry.set.set_curve(entry.item, np.empty(0), np.empty(0), None, None)
                entry.set.changed()
        self._specs = balls
        self._fill_legend()
        self._stale = True
        self.refresh()

    def _new_series(self, trace: Trace) -> HistorySeries:
        return HistorySeries(trace.extract, positive=self.plots[trace.plot].log_y, track_magnitude=self.track_magnitude)

    def _remove(self, key: tuple[int, str]) -> None:
        entry = self._curves.pop(key)
        entry.set.remove(entry.item)

    def _set_for(self, trace: Trace) -> CurveSet:
        """The set drawing the curves of the trace's plot at its z whose pens reach as far as its pen
        (made and added to the plot when first needed; never removed, an empty set draws nothing)."""
        key = (trace.plot, trace.z, pen_reach(trace.pen))
        curve_set = self._sets.get(key)
        if curve_set is None:
            curve_set = self._sets[key] = CurveSet(trace.z, key[2])
            self.plot_items[trace.plot].addItem(curve_set)
        return curve_set

    def _fill_legend(self) -> None:
        drawn = {index for index, _key in self._curves}
        entries = [(plot_style.legend_sample(ball.color), ball.name)
                   for index, ball in enumerate(self._specs) if index in drawn]
        entries += self.legend_extras()
        self.legend_labels = [label for _sample, label in entries]
        self.legend.setText(plot_style.legend_html(entries))

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def refresh(self) -> None:
        """Bring every curve up to the controller's histories (cheap when little changed)."""
        if not self.isVisible():
            self._stale = True  # a closed dock does no work; showEvent catches up
            return
        if self.controller.balls != self._specs:
            self._sync_balls(rebuild=False)  # a change of balls came without ballsChanged: catch up
            return
        started = time.perf_counter()
        self._stale = False
        self._catch_up.stop()
        self._last_refresh = started
        self.refresh_count += 1
        transforms = [self.display_transform(p) for p in range(len(self.plots))]
        # A plot hidden by its panel (the step panel's compact mode) waits; its series catch up when shown.
        shown = [plot.isVisible() for plot in self.plot_items]
        histories: dict[int, Any] = {}
        changed = self.changed_keys = set()
        moved: dict[int, CurveSet] = {}   # the sets with a changed curve, by identity
        for key, entry in self._curves.items():
            if not shown[entry.trace.plot]:
                continue
            index = key[0]
            history = histories.get(index)
            if history is None:
                history = histories[index] = self.controller.history(index)
            if entry.series.sync(history):
                self._show(entry, transforms[entry.trace.plot])
                changed.add(key)
                moved[id(entry.set)] = entry.set
        # Qt and the views are told once per set of curves, not once per curve.
        for curve_set in moved.values():
            curve_set.changed()
        self.after_refresh()
        self.last_update_seconds = time.perf_counter() - started

    def redraw(self) -> None:
        """Hand every curve's points to its item again (after a change of display transform)."""
        transforms = [self.display_transform(p) for p in range(len(self.plots))]
        for entry in self._curves.values():
            self._show(entry, transforms[entry.trace.plot])
        for curve_set in self._sets.values():
            curve_set.changed()

    @staticmethod
    def _show(entry: _Curve, transform: Callable[[np.ndarray], np.ndarray] | None) -> None:
        """Hand the series' points to its curve (shown once its set is told: CurveSet.changed)."""
        series = entry.series
        x, y = series.data()
        if transform is not None:
            y = transform(y)  # series are sanitised: a log plot's values are positive or NaN (no warning)
        # The extent is known (steps in order; the series keeps its extremes, which the transforms,
        # all increasing, keep too): pyqtgraph need not scan the points for it.
        low, high = series.low, series.high
        if entry.extent_of != (low, high, transform):
            entry.extent_of = (low, high, transform)
            if low <= high and transform is not None:
                low, high = (float(v) for v in transform(np.array([low, high])))
            entry.extent = (low, high) if low <= high else None
        entry.set.set_curve(entry.item, x, y, (float(x[0]), float(x[-1])) if len(x) else None, entry.extent)
