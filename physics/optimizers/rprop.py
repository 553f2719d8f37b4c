r"""Rprop: steps of a per-coordinate size that only the gradient's sign steers (torch.optim.Rprop).

The update, per coordinate, in the order torch.optim.Rprop computes it (step t = 1, 2, ...):

    g_prev_0 = 0, eta_0 = lr
    g_t = grad f(p_{t-1})
    if g_prev_{t-1} * g_t > 0:   eta_t = min(eta_{t-1} * etaplus, step_size_max)
    elif g_prev_{t-1} * g_t < 0: eta_t = max(eta_{t-1} * etaminus, step_size_min); g_t = 0
    else:                        eta_t = eta_{t-1}
    step = -eta_t * sign(g_t)
    g_prev_t = g_t                                  (the zeroed gradient after a sign change)

with ``etas`` = (etaminus, etaplus) and ``step_sizes`` = (step_size_min, step_size_max). As in
torch's implementation, the new step size is clamped to [step_size_min, step_size_max] in every
case (which only matters when lr itself lies outside that range). After a sign change the
coordinate does not move, and on the next step it is treated as "no sign information" (the
product with the zeroed g_prev is 0), so its size is kept.

Hyper-parameters (torch's names and defaults): ``lr`` = 1e-2 (the initial step size),
``etas`` = (0.5, 1.2), ``step_sizes`` = (1e-6, 50); torch requires 0 < etaminus < 1 < etaplus.

References:
    M. Riedmiller, H. Braun, "A direct adaptive method for faster backpropagation learning:
    the RPROP algorithm", IEEE International Conference on Neural Networks, 1993.
    torch.optim.Rprop, https://pytorch.org/docs/stable/generated/torch.optim.Rprop.html
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from physics.optimizers.arrays import as_points, zeros_like_points
from physics.optimizers.base import HyperParameter, Optimizer, OptimizerSpec, Oracle, register
from surfaces.errors import DownhillError


class RpropState(NamedTuple):
    """Attributes:
        prev: (n, 2) the previous gradient (zeroed where its sign had just changed).
        step_size: (n, 2) eta, each coordinate's current step length.
    """

    prev: np.ndarray
    step_size: np.ndarray


def rprop(lr: float = 1e-2, etas: tuple[float, float] = (0.5, 1.2),
          step_sizes: tuple[float, float] = (1e-6, 50.0)) -> Optimizer:
    """The pure pair of torch.optim.Rprop (see the module docstring for the rule)."""
    etaminus, etaplus = float(etas[0]), float(etas[1])
    step_size_min, step_size_max = float(step_sizes[0]), float(step_sizes[1])
    if not 0.0 < etaminus < 1.0 < etaplus:
        raise DownhillError(f"etas = ({etaminus:g}, {etaplus:g}) must satisfy 0 < etaminus < 1 < etaplus")
    if not step_size_min <= step_size_max:
        raise DownhillError(f"step_sizes = ({step_size_min:g}, {step_size_max:g}) must be (minimum, maximum)")

    def init(params: np.ndarray) -> RpropState:
        return RpropState(zeros_like_points(params), zeros_like_points(params, float(lr)))

    def update(grads: np.ndarray, state: RpropState, params: np.ndarray,
               oracle: Oracle | None = None) -> tuple[np.ndarray, RpropState]:
        g = as_points(grads)
        product = g * state.prev
        factor = np.where(product > 0.0, etaplus, np.where(product < 0.0, etaminus, 1.0))
        step_size = np.clip(state.step_size * factor, step_size_min, step_size_max)
        g = np.where(product < 0.0, 0.0, g)
        return -np.sign(g) * step_size, RpropState(g, step_size)

    return Optimizer(init, update)


register(OptimizerSpec(
    name="rprop",
    display_name="Rprop",
    family="adaptive-rate",
    hyperparameters=(
        HyperParameter("lr", 1e-2, 1e-6, 50.0, "initial step size of every coordinate", log_scale=True),
        HyperParameter("etas", (0.5, 1.2), 1e-3, 10.0,
                       "(etaminus, etaplus): shrink factor after a sign change, growth factor otherwise",
                       kind="pair"),
        HyperParameter("step_sizes", (1e-6, 50.0), 0.0, 1e3, "(minimum, maximum) allowed step sizes", kind="pair"),
    ),
    factory=rprop,
    description="Rprop: each coordinate steps a length that grows while its gradient keeps its sign",
    reference="Riedmiller and Braun, IEEE ICNN 1993; torch.optim.Rprop",
))
