r"""AdaGrad: per-coordinate rates that shrink with the sum of squared gradients (torch.optim.Adagrad).

The update, per coordinate, in the order torch.optim.Adagrad computes it (step t = 1, 2, ...):

    state_sum_0 = initial_accumulator_value
    g_t = grad f(p_{t-1})
    clr = lr / (1 + (t - 1) * lr_decay)
    if weight_decay != 0:   g_t = g_t + weight_decay * p_{t-1}
    state_sum_t = state_sum_{t-1} + g_t^2
    step = -clr * (g_t / (sqrt(state_sum_t) + eps))

Hyper-parameters (torch's names and defaults): ``lr`` = 1e-2, ``lr_decay`` = 0,
``weight_decay`` = 0, ``initial_accumulator_value`` = 0, ``eps`` = 1e-10.

On the first step (initial_accumulator_value = 0, no decay) the step is -lr * g / (|g| + eps),
about lr in each coordinate whatever the gradient's size: the rate adapts to each axis, then
decays like 1/sqrt(t) along an axis whose gradient keeps its size.

References:
    J. Duchi, E. Hazan, Y. Singer, "Adaptive Subgradient Methods for Online Learning and
    Stochastic Optimization", JMLR 12, 2011.
    torch.optim.Adagrad, https://pytorch.org/docs/stable/generated/torch.optim.Adagrad.html
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from physics.optimizers.arrays import as_points, column, zeros_like_points
from physics.optimizers.base import HyperParameter, Optimizer, OptimizerSpec, Oracle, register


class AdagradState(NamedTuple):
    """Attributes:
        sum: (n, 2) the running sum of squared gradients (torch's ``state_sum``).
        step: (n,) int, the number of updates made.
    """

    sum: np.ndarray
    step: np.ndarray


def adagrad(lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
            initial_accumulator_value: float = 0.0, eps: float = 1e-10) -> Optimizer:
    """The pure pair of torch.optim.Adagrad (see the module docstring for the rule)."""

    def init(params: np.ndarray) -> AdagradState:
        n = as_points(params).shape[0]
        return AdagradState(zeros_like_points(params, float(initial_accumulator_value)), np.zeros(n, dtype=np.int64))

    def update(grads: np.ndarray, state: AdagradState, params: np.ndarray,
               oracle: Oracle | None = None) -> tuple[np.ndarray, AdagradState]:
        g = as_points(grads)
        step_count = state.step + 1
        clr = lr / (1.0 + (column(step_count) - 1) * lr_decay)
        if weight_decay != 0.0:
            g = g + weight_decay * as_points(params)
        total = state.sum + g * g
        std = np.sqrt(total)
        std += eps
        return -clr * (g / std), AdagradState(total, step_count)

    return Optimizer(init, update)


def effective_rate(state: AdagradState, settings: Mapping[str, Any], rows: np.ndarray) -> np.ndarray:
    """The rate R = clr / (sqrt(sum) + eps) (k, 2) each coordinate of the particles ``rows`` applies
    to its gradient, clr = lr / (1 + t lr_decay) of the next step; NaN before the first step. With R
    frozen, AdaGrad is gradient descent preconditioned by R, stable while lambda_max(R H) < 2 (its R
    only shrinks, so an AdaGrad oscillation dies out)."""
    count = state.step[rows]
    clr = settings["lr"] / (1.0 + count * settings["lr_decay"])
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = clr[:, None] / (np.sqrt(state.sum[rows]) + settings["eps"])
    return np.where((count > 0)[:, None], rate, np.nan)


register(OptimizerSpec(
    name="adagrad",
    display_name="AdaGrad",
    family="adaptive-rate",
    hyperparameters=(
        HyperParameter("lr", 1e-2, 1e-6, 10.0, "learning rate", log_scale=True),
        HyperParameter("lr_decay", 0.0, 0.0, 10.0,
                       "learning-rate decay: the rate at step t is lr / (1 + (t-1) lr_decay)"),
        HyperParameter("weight_decay", 0.0, 0.0, 10.0, "L2 penalty: weight_decay * p is added to the gradient"),
        HyperParameter("initial_accumulator_value", 0.0, 0.0, 100.0,
                       "starting value of the sum of squared gradients"),
        HyperParameter("eps", 1e-10, 1e-16, 1.0, "added to sqrt(sum) to avoid division by zero", log_scale=True),
    ),
    factory=adagrad,
    description="AdaGrad: each coordinate's rate is lr / sqrt(sum of its squared gradients)",
    reference="Duchi, Hazan, Singer, JMLR 2011; torch.optim.Adagrad",
    stability_factor=lambda settings: 2.0,
    curvature_shift=lambda settings: float(settings["weight_decay"]),  # (L2: the gradient meets H + wd I)
    effective_rate=effective_rate,
))
