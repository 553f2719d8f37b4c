r"""RMSProp: divide the gradient by a running root mean square of recent gradients (torch.optim.RMSprop).

The update, per coordinate, in the order torch.optim.RMSprop computes it (step t = 1, 2, ...):

    v_0 = 0, g_avg_0 = 0, b_0 = 0
    g_t = grad f(p_{t-1})
    if weight_decay != 0:   g_t = g_t + weight_decay * p_{t-1}
    v_t = alpha * v_{t-1} + (1 - alpha) * g_t^2
    v~_t = v_t
    if centered:
        g_avg_t = alpha * g_avg_{t-1} + (1 - alpha) * g_t
        v~_t = v~_t - g_avg_t^2
    if momentum > 0:
        b_t = momentum * b_{t-1} + g_t / (sqrt(v~_t) + eps)
        step = -lr * b_t
    else:
        step = -lr * (g_t / (sqrt(v~_t) + eps))

eps is added after the square root. Hyper-parameters (torch's names and defaults): ``lr`` = 1e-2,
``alpha`` = 0.99, ``eps`` = 1e-8, ``weight_decay`` = 0, ``momentum`` = 0, ``centered`` = False.

One guard torch does not have: the centred variance v_t - g_avg_t^2 is never negative in exact
arithmetic (the weights of the running averages sum to at most 1), but rounding can push it a
hair below zero after long runs of a constant gradient; it is clipped at 0 rather than turned
into NaN by the square root. Everywhere torch's result is a number, this one is the same.

``velocity`` is -lr * b, the displacement the momentum buffer makes (position units per step:
the whole step), or None without momentum.

References:
    T. Tieleman, G. Hinton, "Lecture 6.5 - rmsprop", COURSERA: Neural Networks for Machine
    Learning, 2012; A. Graves, "Generating Sequences With Recurrent Neural Networks",
    arXiv:1308.0850, 2013 (the centred form).
    torch.optim.RMSprop, https://pytorch.org/docs/stable/generated/torch.optim.RMSprop.html
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from physics.optimizers.arrays import as_points, ordered_sum, zeros_like_points
from physics.optimizers.base import HyperParameter, Optimizer, OptimizerSpec, Oracle, register


class RMSpropState(NamedTuple):
    """Attributes:
        square_avg: (n, 2) v, the running mean of squared gradients.
        grad_avg: (n, 2) g_avg, the running mean of gradients (stays 0 unless centered).
    """

    square_avg: np.ndarray
    grad_avg: np.ndarray


class RMSpropMomentumState(NamedTuple):
    """Attributes:
        square_avg: (n, 2) v, the running mean of squared gradients.
        grad_avg: (n, 2) g_avg, the running mean of gradients (stays 0 unless centered).
        momentum_buffer: (n, 2) b.
    """

    square_avg: np.ndarray
    grad_avg: np.ndarray
    momentum_buffer: np.ndarray


def rmsprop(lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0.0,
            momentum: float = 0.0, centered: bool = False) -> Optimizer:
    """The pure pair of torch.optim.RMSprop (see the module docstring for the rule). ``lr``, ``alpha``,
    ``eps``, ``weight_decay`` and ``momentum`` may be per-particle columns (n, 1)."""

    def init(params: np.ndarray) -> RMSpropState | RMSpropMomentumState:
        if np.ndim(momentum) or momentum > 0.0:
            return RMSpropMomentumState(zeros_like_points(params), zeros_like_points(params), zeros_like_points(params))
        return RMSpropState(zeros_like_points(params), zeros_like_points(params))

    def update(grads: np.ndarray, state: RMSpropState | RMSpropMomentumState, params: np.ndarray,
               oracle: Oracle | None = None) -> tuple[np.ndarray, RMSpropState | RMSpropMomentumState]:
        terms, state = rmsprop_terms(grads, state, params, lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                     momentum=momentum, centered=centered)
        return ordered_sum(terms), state

    return Optimizer(init, update)


def rmsprop_terms(grads: np.ndarray, state: RMSpropState | RMSpropMomentumState, params: np.ndarray, *, lr: float,
                  alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                  centered: bool = False) -> tuple[tuple[tuple[str, np.ndarray], ...],
                                                   RMSpropState | RMSpropMomentumState]:
    """The step's terms (key, (n, 2) displacement), in the order they are added, and the new state.

    Without momentum one term, "step" -lr * (g / (sqrt(v~) + eps)); with momentum the buffer's
    "momentum_decay" -lr * (momentum * b_{t-1}) and "momentum_add" -lr * (g / (sqrt(v~) + eps)), whose
    sum is -lr * b_t up to a rounding (the explainer draws these very terms:
    physics.optimizers.arrays.ordered_sum).
    """
    g = as_points(grads)
    if np.any(weight_decay != 0.0):
        g = g + weight_decay * as_points(params)
    square_avg = alpha * state.square_avg + (1.0 - alpha) * (g * g)
    grad_avg = state.grad_avg
    if centered:
        grad_avg = alpha * state.grad_avg + (1.0 - alpha) * g
        avg = np.sqrt(np.maximum(square_avg - grad_avg * grad_avg, 0.0))
    else:
        avg = np.sqrt(square_avg)
    avg += eps
    normalised = g / avg
    # (a per-particle momentum column (n, 1) takes the buffer's path: a particle with momentum 0 gets
    # the same numbers there, -lr * 0 * b adding a zero)
    if np.ndim(momentum) or momentum > 0.0:
        decay = momentum * state.momentum_buffer
        buffer = decay + normalised
        # (both are this function's own arrays, done with once the buffer is made: scaled in place)
        decay *= -lr
        normalised *= -lr
        return ((("momentum_decay", decay), ("momentum_add", normalised)),
                RMSpropMomentumState(square_avg, grad_avg, buffer))
    return (("step", -lr * normalised),), RMSpropState(square_avg, grad_avg)


def effective_rate(state: Any, settings: Mapping[str, Any], rows: np.ndarray) -> np.ndarray:
    """The rate R = lr / (sqrt(v~) + eps) (k, 2) each coordinate of the particles ``rows`` applies to
    its gradient (v~ = v - g_avg^2 when centred); NaN before the first step (v = 0 exactly).

    With R frozen, RMSProp is gradient descent preconditioned by R, stable while
    lambda_max(R H) < 2; with momentum the buffer sums R g as heavy ball does, stable while
    lambda_max(R H) < 2 (1 + momentum) (:func:`stability_factor`)."""
    variance = state.square_avg[rows]
    if settings["centered"]:
        variance = np.maximum(variance - state.grad_avg[rows] ** 2, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = settings["lr"] / (np.sqrt(variance) + settings["eps"])
    return np.where(state.square_avg[rows] > 0.0, rate, np.nan)


def stability_factor(settings: Mapping[str, Any]) -> float:
    """c = 2 (1 + momentum) (see :func:`effective_rate`)."""
    return 2.0 * (1.0 + float(settings["momentum"]))


register(OptimizerSpec(
    name="rmsprop",
    display_name="RMSProp",
    family="adaptive-rate",
    hyperparameters=(
        HyperParameter("lr", 1e-2, 1e-6, 10.0, "learning rate", log_scale=True),
        HyperParameter("alpha", 0.99, 0.0, 0.9999, "smoothing constant of the running mean of squared gradients"),
        HyperParameter("eps", 1e-8, 1e-16, 1.0, "added to the root mean square to avoid division by zero",
                       log_scale=True),
        HyperParameter("weight_decay", 0.0, 0.0, 10.0, "L2 penalty: weight_decay * p is added to the gradient"),
        HyperParameter("momentum", 0.0, 0.0, 0.999, "momentum factor of the buffer of normalised gradients"),
        HyperParameter("centered", False, description="divide by the estimated standard deviation "
                       "(mean of g^2 minus the squared mean of g) instead of the root mean square", kind="bool"),
    ),
    factory=rmsprop,
    description="RMSProp: divide each coordinate's gradient by the root mean square of its recent values",
    reference="Tieleman and Hinton 2012; Graves 2013 (centred); torch.optim.RMSprop",
    velocity=lambda state, settings: (None if getattr(state, "momentum_buffer", None) is None
                                      else -settings["lr"] * state.momentum_buffer),
    stability_factor=stability_factor,
    curvature_shift=lambda settings: float(settings["weight_decay"]),  # (L2: the gradient meets H + wd I)
    effective_rate=effective_rate,
))
