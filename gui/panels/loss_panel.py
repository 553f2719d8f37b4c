"""The loss f(x) of each ball against step (linear axis: "still high" must look high).

Values come from ``controller.history(i).loss`` (the ball's first particle, or the swarm mean).
Read it beside the gradient-norm panel: a plateau is a loss that stays high while the gradient
norm lies low and flat.
"""

from __future__ import annotations

from typing import Any

from gui.panels import plot_style
from gui.panels.history_plot import HistoryPlotPanel, PlotSpec, Trace
from gui.panels.series import field_extractor


class LossPanel(HistoryPlotPanel):
    """f at each visible ball against step."""

    plots = (PlotSpec("The loss f(x, y) at each ball", "loss f"),)

    def traces(self, index: int, ball: Any) -> list[Trace]:
        return [Trace("loss", field_extractor("loss"), plot_style.ball_pen(ball.color))]
