"""The gradient norm ‖∇f‖ of each ball against step, on a log axis.

A log axis shows what a linear one hides: on a plateau the gradient is small but not zero, a long
flat stretch decades below where the run started, while the loss panel shows the loss still
high: the run looks converged and is not. At a true minimum the norm keeps falling (for gradient
descent, geometrically: a straight line going down on this axis).

Values come from ``controller.history(i).gradient_norm`` (the true gradient, not the noisy
estimate; the ball's first particle, or the swarm mean). Zero norms (exactly at a critical point)
cannot be shown on a log axis and are dropped.
"""

from __future__ import annotations

from typing import Any

from gui.panels import plot_style
from gui.panels.history_plot import HistoryPlotPanel, PlotSpec, Trace
from gui.panels.series import field_extractor


class GradientPanel(HistoryPlotPanel):
    """‖∇f‖ at each visible ball against step, log axis."""

    plots = (PlotSpec("The gradient norm ‖∇f‖ (log axis): low and flat while the loss stays high is a plateau",
                      "‖∇f‖", log_y=True),)

    def traces(self, index: int, ball: Any) -> list[Trace]:
        return [Trace("gradient_norm", field_extractor("gradient_norm"), plot_style.ball_pen(ball.color))]
