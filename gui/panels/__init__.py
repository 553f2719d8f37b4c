"""The telemetry panels, each a QWidget the main window puts in a dock; each takes the SceneController.

- :class:`~gui.panels.eigenvalue_panel.EigenvaluePanel`: the Hessian's λ_min and λ_max per ball.
- :class:`~gui.panels.step_panel.StepPanel`: step size and effective learning rate (log axes) with
  the c/λ_max stability bound.
- :class:`~gui.panels.loss_panel.LossPanel`: the loss per ball.
- :class:`~gui.panels.gradient_panel.GradientPanel`: the gradient norm (log axis).
- :class:`~gui.panels.readout_panel.ReadoutPanel`: a live table per ball with the regime badge.
- :class:`~gui.panels.basin_share_panel.BasinSharePanel`: a swarm's share in each basin over the steps.

The plots share gui.panels.history_plot (curves kept in step with the controller, decimated,
cheap to update); physics computes every number shown.
"""

from gui.panels.basin_share_panel import BasinSharePanel
from gui.panels.eigenvalue_panel import EigenvaluePanel
from gui.panels.gradient_panel import GradientPanel
from gui.panels.loss_panel import LossPanel
from gui.panels.readout_panel import ReadoutPanel
from gui.panels.step_panel import StepPanel

__all__ = ["BasinSharePanel", "EigenvaluePanel", "GradientPanel", "LossPanel", "ReadoutPanel", "StepPanel"]
