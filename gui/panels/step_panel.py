"""Step size and effective learning rate against step, on log axes, with the 2/λ_max stability bound.

Top plot: the length ‖Δx‖ of each step. Bottom plot: the effective learning rate ‖Δx‖ / ‖g̃‖
(g̃ the gradient estimate the optimiser stepped on), both from the ball's history.

For methods with a stability bound (gradient descent and its momentum variants: the optimiser
spec's ``stability_factor``, see physics.optimizers.base), the bottom plot also draws the bound
``c / λ_max`` of each step, the largest stable learning rate, as a dashed line in the ball's
colour, labelled at the right edge of the plot ("2/λmax" for plain gradient descent, c = 2; heavy
ball's c = 2(1 + momentum) shows as its number). The legend says what the dashed line is
("c/λmax: largest stable lr"), the panel's tooltip what c is. The constant c is physics' one
formula, asked of the registry; the panel only divides it by the history's λ_max. Where
λ_max <= 0 there is no bound (every rate is stable along a direction that does not curve up), so
that part of the line is absent.

Labels never overlap: from the top down, a label that would overlap the one above joins it, and
the two read "(3.6, 2)/λmax", each number in its ball's colour.

Where the ball's learning rate is above the bound, lr · λ_max > c (the rate the bound is about is
the ``lr`` hyper-parameter, the same test physics.regime makes for "oscillating"), a wide band in
the "oscillating" regime colour is drawn under the curve, so a rate past the bound glows.

Zero, negative and non-finite values (no step yet at step 0, a stopped ball) are dropped from
these log plots, leaving gaps. In a dock lower than ``COMPACT_HEIGHT`` the panel shows one plot at
a time (the learning rate first) with a switch between them.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pyqtgraph as pg
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import QButtonGroup, QHBoxLayout, QToolButton, QWidget

from gui.controller_link import ControllerLink
from gui.palette import regime_color
from gui.panels import plot_style
from gui.panels.history_plot import HistoryPlotPanel, PlotSpec, Trace
from gui.panels.numbers import format_number
from gui.panels.series import field_extractor
from surfaces.errors import DownhillError

#: Below this height (pixels) the panel shows one plot at a time, with a switch: two stacked plots
#: in a low dock would each be too short to read.
COMPACT_HEIGHT = 380
#: Qt's "no maximum" for a widget's size.
QWIDGETSIZE_MAX = (1 << 24) - 1
#: Width in pixels and opacity (0..255) of the band marking a rate above the bound.
UNSTABLE_WIDTH = 11.0
UNSTABLE_ALPHA = 160
#: Bound labels whose log10 positions agree to this many decimals (within ~2 %) are drawn once.
LABEL_MERGE_DECIMALS = 2
#: Least vertical room (pixels) of one bound label (its drawn height is used when larger).
LABEL_LINE_PIXELS = 20
#: What the dashed line is, in the legend.
BOUND_LEGEND = "c/λmax: largest stable lr"


def stability_factor(ball: Any) -> float | None:
    """c of the ball's optimiser for its hyper-parameters (stable while lr · λ_max < c), or None.

    None when the method has no such bound on one lr (second-order methods; adaptive rates, whose
    bound is on each coordinate's own rate: the regime's read-out cites that one), when c is not
    finite, or when the ball's settings cannot be read (the ball list reports that error).
    """
    try:
        spec = ball.optimizer_spec()
        if spec.stability_factor is None or spec.effective_rate is not None:
            return None
        factor = float(spec.stability_factor(ball.settings()))
    except DownhillError:
        return None
    return factor if math.isfinite(factor) and factor > 0 else None


def learning_rate(ball: Any) -> float | None:
    """The ball's ``lr`` hyper-parameter (its default if not overridden), or None if it has none."""
    try:
        lr = ball.settings().get("lr")
    except DownhillError:
        return None
    return float(lr) if isinstance(lr, int | float) and not isinstance(lr, bool) else None


def bound_extractor(factor: float) -> Callable[[Any, int], np.ndarray]:
    """c / λ_max per step, NaN where λ_max <= 0 (no bound there)."""

    def extract(history: Any, start: int) -> np.ndarray:
        lam = np.asarray(history.lambda_max[start:], dtype=float)
        bound = np.full(len(lam), np.nan)
        return np.divide(factor, lam, out=bound, where=lam > 0)  # no division where there is no bound

    return extract


def unstable_extractor(factor: float, lr: float) -> Callable[[Any, int], np.ndarray]:
    """The ball's lr at the steps where it moved and lr · λ_max > c, NaN elsewhere.

    "Moved": a positive effective rate; a ball stopped after diverging still sits where the bound
    is exceeded, but nothing is drawn for it there.
    """

    def extract(history: Any, start: int) -> np.ndarray:
        lam = np.asarray(history.lambda_max[start:], dtype=float)
        moved = np.asarray(history.lr[start:], dtype=float) > 0  # NaN (no step) compares False
        return np.where(moved & (lr * lam > factor), lr, np.nan)

    return extract


def bound_label(factor: float) -> str:
    return f"{format_number(factor, digits=3, trim=True)}/λmax"


class StepPanel(HistoryPlotPanel):
    """‖step‖ (top) and effective learning rate with its stability bound (bottom), log axes."""

    plots = (
        PlotSpec("Step size ‖Δx‖ (log axis)", "‖Δx‖", log_y=True),
        PlotSpec("Effective learning rate ‖Δx‖ / ‖g‖ (log axis). Dashed: c/λmax, the largest stable learning "
                 "rate (c = 2 for gradient descent, 2(1 + momentum) for heavy ball, 2(1 + momentum)/(1 + 2 momentum) "
                 "for Nesterov); a band marks a learning rate above it", "lr", log_y=True),
    )

    def __init__(self, controller: ControllerLink, parent: Any = None):
        self._bound_labels: dict[int, pg.TextItem] = {}
        self._label_texts: dict[int, tuple[str, str]] = {}  # ball: (its c as shown, its colour)
        self._label_state: tuple = ()
        self.compact = False
        self.shown_plot = 1  # in compact mode: the learning rate (the plot with the bound) first
        super().__init__(controller, parent)

    # -- compact mode: one plot at a time when the panel is too low for two --------------------------
    def _build_switch(self) -> None:
        """Two buttons choosing the plot shown in compact mode, under the legend."""
        self.switch = QWidget(self)
        row = QHBoxLayout(self.switch)
        row.setContentsMargins(10, 2, 10, 2)
        row.setSpacing(4)
        group = QButtonGroup(self.switch)
        self.switch_buttons: list[QToolButton] = []
        for plot, text in ((0, "step size ‖Δx‖"), (1, "learning rate")):
            button = QToolButton(self.switch)
            button.setText(text)
            button.setCheckable(True)
            button.setChecked(plot == self.shown_plot)
            button.setAutoRaise(True)
            button.setFont(plot_style.tick_font())
            button.setStyleSheet(f"QToolButton {{ color: {plot_style.FOREGROUND}; padding: 1px 8px; }}"
                                 " QToolButton:checked { background: #3a4150; border-radius: 4px; }")
            button.clicked.connect(lambda _checked, chosen=plot: self.show_plot(chosen))
            group.addButton(button)
            row.addWidget(button)
            self.switch_buttons.append(button)
        row.addStretch(1)
        self.switch.setStyleSheet(f"background: {plot_style.BACKGROUND};")
        self.layout().insertWidget(1, self.switch)
        self.switch.hide()

    def show_plot(self, plot: int) -> None:
        """In compact mode, show plot 0 (step size) or 1 (learning rate)."""
        self.shown_plot = plot
        self.switch_buttons[plot].setChecked(True)
        self._arrange()

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        compact = self.height() < COMPACT_HEIGHT
        if compact != self.compact:
            self.compact = compact
            self._arrange()

    def _arrange(self) -> None:
        """Both plots stacked, or (compact) the chosen one alone with its own step axis."""
        # A plot with no height has no sensible range to share: link the step axes only when both show.
        self.plot_items[1].setXLink(None if self.compact else self.plot_items[0])
        for plot, item in enumerate(self.plot_items):
            visible = not self.compact or plot == self.shown_plot
            item.setVisible(visible)
            item.setMaximumHeight(QWIDGETSIZE_MAX if visible else 0)  # a hidden plot gives up its space
            if visible:
                item.enableAutoRange()
        top = self.plot_items[0].getAxis("bottom")
        alone = self.compact and self.shown_plot == 0
        top.setStyle(showValues=alone)
        top.setHeight(None if alone else 6)
        if alone:
            self.plot_items[0].setLabel("bottom", "step", color=plot_style.FOREGROUND,
                                        **{"font-size": f"{plot_style.LABEL_POINT_SIZE}pt"})
        else:
            top.setLabel(None)
        self.switch.setVisible(self.compact)
        self.refresh()  # a plot just shown catches up

    def traces(self, index: int, ball: Any) -> list[Trace]:
        traces = [
            Trace("step_size", field_extractor("step_size"), plot_style.ball_pen(ball.color), plot=0, z=2),
            Trace("lr", field_extractor("lr"), plot_style.ball_pen(ball.color), plot=1, z=2),
        ]
        factor = stability_factor(ball)
        if factor is not None:
            traces.append(Trace("bound", bound_extractor(factor), plot_style.ball_pen(ball.color, dashed=True),
                                plot=1, z=1))
            lr = learning_rate(ball)
            if lr is not None:
                traces.append(Trace("unstable", unstable_extractor(factor, lr), _unstable_pen(), plot=1, z=0))
        return traces

    def legend_extras(self) -> list[tuple[str, str]]:
        if not any(key == "bound" for _index, key in self._curves):
            return []
        return [(plot_style.legend_sample("#c8c8c8", dashed=True), BOUND_LEGEND),
                (plot_style.legend_sample(regime_color("oscillating"), band=True), "lr above it")]

    def decorate(self) -> None:
        # Stacking depends on pixels per unit, so labels move again when the view's range changes.
        self.plot_items[1].getViewBox().sigRangeChanged.connect(self._place_labels)
        self._build_switch()

    def _sync_balls(self, rebuild: bool) -> None:
        super()._sync_balls(rebuild)
        self._sync_labels()

    def _sync_labels(self) -> None:
        """One "2/λmax" text per drawn bound, in the ball's colour."""
        balls = self.controller.balls
        wanted = {index for index, key in self._curves if key == "bound"}
        for index in [i for i in self._bound_labels if i not in wanted]:
            self.plot_items[1].removeItem(self._bound_labels.pop(index))
            self._label_texts.pop(index, None)
        for index in wanted:
            ball = balls[index]
            label = self._bound_labels.get(index)
            if label is None:
                backing = QColor(plot_style.BACKGROUND)
                backing.setAlpha(215)  # readable where a curve passes behind
                label = pg.TextItem(anchor=(1.0, 1.0), fill=pg.mkBrush(backing))
                label.setFont(plot_style.tick_font())
                label.setZValue(10)  # over the curves
                self.plot_items[1].addItem(label, ignoreBounds=True)
                self._bound_labels[index] = label
            factor = stability_factor(ball)
            number = format_number(factor, digits=3, trim=True) if factor is not None else ""
            self._label_texts[index] = (number, ball.color)
            label.setText(bound_label(factor) if factor is not None else "", color=QColor(ball.color))
        self._label_state = ()
        self._place_labels()

    def after_refresh(self) -> None:
        # The labels follow the bounds' latest values (a change of view moves them by itself).
        if any(key == "bound" for _index, key in self.changed_keys):
            self._place_labels()

    def _place_labels(self, *_ignored: Any) -> None:
        """Each label at the right edge of the view, on its bound's latest value; labels that would
        overlap are merged into one (module docstring).

        Several balls with the same bound text at the same place (gradient descent balls on one
        quadratic) share one label. Nothing is done while neither the bounds nor the view moved.
        """
        view = self.plot_items[1].getViewBox()
        (_, right), (bottom, top) = view.viewRange()  # (bottom: a change of range moves the labels too)
        pixel_height = view.viewPixelSize()[1]
        latest = {}
        for index in self._bound_labels:
            entry = self._curves.get((index, "bound"))
            value = entry.series.latest if entry is not None else np.nan
            if not np.isfinite(value) and entry is not None:
                value = _last_finite(entry.series.data()[1])  # the ball stopped: its last bound
            latest[index] = float(np.log10(value)) if value > 0 else np.nan  # plot coordinates
        # Positions rounded to half a pixel: a bound that wobbles with noise does not move its label.
        step = pixel_height / 2 if np.isfinite(pixel_height) and pixel_height > 0 else 1e-9
        state = (right, bottom, top, pixel_height, tuple((i, round(v / step) if np.isfinite(v) else None)
                                                         for i, v in sorted(latest.items())))
        if state == self._label_state:
            return
        self._label_state = state
        wanted: list[tuple[float, int]] = []
        seen: set[tuple[str, float]] = set()
        for index, label in sorted(self._bound_labels.items()):
            y = latest[index]
            place = (self._label_texts.get(index, ("", ""))[0], round(y, LABEL_MERGE_DECIMALS))
            if not np.isfinite(y) or place in seen:
                label.hide()
                continue
            seen.add(place)
            wanted.append((y, index))
        if not wanted:
            return
        line = self._label_line_pixels() * (pixel_height if np.isfinite(pixel_height) else 0.0)
        # From the top down: a label that would reach into the one above joins it instead.
        groups: list[list[int]] = []
        floor = np.inf  # the lowest plot coordinate the labels placed so far take up
        for y, index in sorted(wanted, key=lambda item: -item[0]):
            if y + line > floor:
                groups[-1].append(index)
                continue
            groups.append([index])
            # Above its line, unless that is off the top of the view: then below it.
            above = y + line <= top
            label = self._bound_labels[index]
            anchor = (1.0, 1.0) if above else (1.0, 0.0)
            if tuple(label.anchor) != anchor:
                label.setAnchor(anchor)
            label.setPos(right, y)
            floor = y if above else y - line
        for group in groups:
            leader = self._bound_labels[group[0]]
            leader.setHtml(self._label_html(group))
            leader.show()
            for index in group[1:]:
                self._bound_labels[index].hide()

    def _label_html(self, group: list[int]) -> str:
        """"2/λmax" in the ball's colour; for several balls "(3.6, 2)/λmax", each c in its ball's colour
        (several balls with the same c, as gradient descent's 2 on different λmax: "2/λmax" once)."""
        def colored(text: str, color: str) -> str:
            return f'<span style="color: {html.escape(color)}">{html.escape(text)}</span>'

        # Each c once, top down, in its ball's colour; a c that several balls share in the neutral colour.
        colors: dict[str, list[str]] = {}
        for index in group:
            number, color = self._label_texts.get(index, ("", plot_style.FOREGROUND))
            colors.setdefault(number, []).append(color)
        entries = [(number, shared[0] if len(shared) == 1 else plot_style.FOREGROUND)
                   for number, shared in colors.items()]
        if len(entries) == 1:
            number, color = entries[0]
            return colored(f"{number}/λmax", color)
        numbers = ", ".join(colored(number, color) for number, color in entries)
        return colored("(", plot_style.FOREGROUND) + numbers + colored(")/λmax", plot_style.FOREGROUND)

    def _label_line_pixels(self) -> float:
        """Pixels one bound label takes up and down (its drawn height, at least LABEL_LINE_PIXELS)."""
        heights = [label.textItem.boundingRect().height() for label in self._bound_labels.values()]
        return max([LABEL_LINE_PIXELS, *heights])


def _last_finite(values: np.ndarray | None) -> float:
    """The last finite entry of ``values`` (NaN if none)."""
    if values is None or not len(values):
        return np.nan
    if np.isfinite(values[-1]):
        return float(values[-1])
    finite = np.flatnonzero(np.isfinite(values))
    return float(values[finite[-1]]) if len(finite) else np.nan


def _unstable_pen() -> Any:
    color = QColor(regime_color("oscillating"))
    color.setAlpha(UNSTABLE_ALPHA)
    pen = pg.mkPen(color, width=UNSTABLE_WIDTH)
    pen.setCosmetic(True)
    return pen
