r"""Stochastic gradient descent with optional momentum and Nesterov momentum (torch.optim.SGD).

The update, per coordinate, in the order torch.optim.SGD computes it (step t = 1, 2, ...):

    g_t = grad f(p_{t-1})
    if weight_decay != 0:   g_t = g_t + weight_decay * p_{t-1}
    if momentum != 0:
        if t > 1:           b_t = momentum * b_{t-1} + (1 - dampening) * g_t
        else:               b_t = g_t                      (first step: no dampening)
        if nesterov:        g_t = g_t + momentum * b_t
        else:               g_t = b_t
    step = -lr * g_t                                       (p_t = p_{t-1} + step)

Hyper-parameters (torch.optim.SGD's names and defaults): ``lr`` = 1e-3, ``momentum`` = 0,
``dampening`` = 0, ``weight_decay`` = 0, ``nesterov`` = False (which needs momentum > 0 and
dampening = 0, as torch requires).

The registry holds four entries built on this one rule:

- ``gd``: plain gradient descent, momentum 0 (hyper-parameters ``lr``, ``weight_decay``);
- ``sgd``: the whole of torch.optim.SGD;
- ``momentum``: heavy ball (Polyak 1964), ``momentum`` = 0.9 by default;
- ``nesterov``: Nesterov momentum as torch writes it (Sutskever et al. 2013), ``momentum`` = 0.9.

Stability on a quadratic with largest curvature lambda (``stability_factor``: stable while
``lr * lambda < c``). Along an eigen-direction the error x and the scaled buffer v = lr * b obey
a linear recurrence; with h = lr * lambda:

- no momentum: x_t = (1 - h) x_{t-1}, stable while h < 2;
- heavy ball: x_t = (1 - h') x_{t-1} - momentum * v_{t-1}, v_t = momentum * v_{t-1} + h' x_{t-1}
  with h' = (1 - dampening) h. The matrix [[1 - h', -momentum], [h', momentum]] has trace
  1 - h' + momentum and determinant momentum; the Jury conditions reduce to
  h' < 2 (1 + momentum), so c = 2 (1 + momentum) / (1 - dampening);
- Nesterov (torch's form): the matrix [[1 - h (1 + momentum), -momentum^2], [h, momentum]] has
  trace 1 + momentum - h (1 + momentum) and determinant momentum (1 - h); the binding Jury
  condition 1 + trace + det > 0 gives h < 2 (1 + momentum) / (1 + 2 momentum).

With weight decay the curvature that counts is lambda + weight_decay (``curvature_shift``):
stable while lr (lambda_max + weight_decay) < c.

``velocity`` is -lr * b, the displacement the momentum buffer makes (position units per step;
heavy ball's whole step, Nesterov's step less its look-ahead -lr * g), or None without momentum
(torch keeps no buffer then, and neither does the state).

References:
    torch.optim.SGD, https://pytorch.org/docs/stable/generated/torch.optim.SGD.html
    B. T. Polyak, "Some methods of speeding up the convergence of iteration methods",
    USSR Computational Mathematics and Mathematical Physics 4(5), 1964.
    I. Sutskever, J. Martens, G. Dahl, G. Hinton, "On the importance of initialization and
    momentum in deep learning", ICML 2013.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, NamedTuple

import numpy as np

from physics.optimizers.arrays import as_points, ordered_sum, select_rows, zeros_like_points
from physics.optimizers.base import HyperParameter, Optimizer, OptimizerSpec, Oracle, register
from surfaces.errors import DownhillError

REFERENCE = ("torch.optim.SGD (https://pytorch.org/docs/stable/generated/torch.optim.SGD.html); "
             "Polyak 1964; Sutskever et al., ICML 2013")


class PlainState(NamedTuple):
    """SGD without momentum keeps nothing between steps."""


class MomentumState(NamedTuple):
    """SGD with momentum.

    Attributes:
        momentum_buffer: (n, 2) b, in gradient units.
        step: (n,) int, the number of updates made (0 before the first).
    """

    momentum_buffer: np.ndarray
    step: np.ndarray


LR = HyperParameter("lr", 1e-3, 1e-6, 10.0, "learning rate (step = -lr * g)", log_scale=True)
MOMENTUM = HyperParameter("momentum", 0.0, 0.0, 0.999, "momentum factor: the fraction of the buffer kept each step")
DAMPENING = HyperParameter("dampening", 0.0, 0.0, 1.0,
                           "dampening for momentum: the new gradient enters as (1 - dampening) g")
WEIGHT_DECAY = HyperParameter("weight_decay", 0.0, 0.0, 10.0, "L2 penalty: weight_decay * p is added to the gradient")
NESTEROV = HyperParameter("nesterov", False, description="Nesterov momentum: step along g + momentum * b",
                          kind="bool")


def sgd(lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0, weight_decay: float = 0.0,
        nesterov: bool = False) -> Optimizer:
    """The pure pair of torch.optim.SGD (see the module docstring for the rule); the step is the
    ordered sum of :func:`sgd_terms`."""
    if nesterov and (np.any(np.less_equal(momentum, 0.0)) or not _zero(dampening)):
        raise DownhillError("nesterov momentum needs momentum > 0 and dampening = 0 (as in torch.optim.SGD)")
    hyper = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
             "nesterov": nesterov}

    if _zero(momentum):
        def init_plain(params: np.ndarray) -> PlainState:
            as_points(params)
            return PlainState()

        def update_plain(grads: np.ndarray, state: PlainState, params: np.ndarray,
                         oracle: Oracle | None = None) -> tuple[np.ndarray, PlainState]:
            terms, state = sgd_terms(grads, state, params, **hyper)
            return ordered_sum(terms), state

        return Optimizer(init_plain, update_plain)

    def init(params: np.ndarray) -> MomentumState:
        n = as_points(params).shape[0]
        return MomentumState(zeros_like_points(params), np.zeros(n, dtype=np.int64))

    def update(grads: np.ndarray, state: MomentumState, params: np.ndarray,
               oracle: Oracle | None = None) -> tuple[np.ndarray, MomentumState]:
        terms, state = sgd_terms(grads, state, params, **hyper)
        return ordered_sum(terms), state

    return Optimizer(init, update)


def sgd_terms(grads: np.ndarray, state: PlainState | MomentumState, params: np.ndarray, *, lr: float,
              momentum: float = 0.0, dampening: float = 0.0, weight_decay: float = 0.0,
              nesterov: bool = False) -> tuple[tuple[tuple[str, np.ndarray], ...], PlainState | MomentumState]:
    """The step's terms (key, (n, 2) displacement), in the order they are added, and the new state.

    With g the gradient (weight decay folded in, g + weight_decay * p, where the method has momentum):

    - no momentum: "gradient" -lr * g, then "weight_decay" -lr * (weight_decay * p) if any;
    - heavy ball: "momentum_decay" -lr * (momentum * b_{t-1}) and "momentum_add"
      -lr * ((1 - dampening) * g), whose sum is -lr * b_t (b_t = momentum * b_{t-1} + (1 - dampening) g);
      on the first step b_1 = g: the decay term is zero and the add term -lr * g;
    - Nesterov: those two times momentum (-lr * momentum * (momentum * b_{t-1}), -lr * momentum * g),
      then the look-ahead "lookahead" -lr * g: together -lr * (g + momentum * b_t).

    Split this way the step differs from torch's -lr * (sum) by a rounding (an ulp) at most, and
    the explainer's arrows sum to it bit for bit (physics.optimizers.arrays.ordered_sum).
    """
    g = as_points(grads)
    if _zero(momentum):
        terms = (("gradient", -lr * g),)
        if not _zero(weight_decay):
            terms += (("weight_decay", -lr * (weight_decay * as_points(params))),)
        return terms, state
    if not _zero(weight_decay):
        g = g + weight_decay * as_points(params)
    started = state.step > 0
    if started.all():  # (the usual case, in as few passes as the product form: a swarm steps on it)
        decay = momentum * state.momentum_buffer
        add = g if _zero(dampening) else (1.0 - dampening) * g
        buffer = decay + add
    else:  # the first step (b_1 = g, no dampening), or particles restarted beside running ones
        decay = select_rows(started, momentum * state.momentum_buffer, 0.0)
        add = select_rows(started, (1.0 - dampening) * g, g)
        buffer = select_rows(started, decay + add, g)
    new_state = MomentumState(buffer, state.step + 1)
    # (``decay`` is this function's own array, no longer needed once the buffer is made: scaled in
    # place, the same numbers as a new product, one array fewer for a swarm's step to allocate)
    if nesterov:
        factor = -lr * momentum
        decay *= factor
        return (("momentum_decay", decay), ("momentum_add", factor * add), ("lookahead", -lr * g)), new_state
    decay *= -lr
    return (("momentum_decay", decay), ("momentum_add", -lr * add)), new_state


def _zero(value: float | np.ndarray) -> bool:
    """Whether a hyper-parameter is the number 0 (a per-particle column (n, 1) never counts as zero:
    its particles take the general path, which gives the same numbers for a particle whose value is 0)."""
    return np.ndim(value) == 0 and value == 0.0


def stability_factor(settings: Mapping[str, Any]) -> float:
    """c such that the iteration is stable on a quadratic while lr * lambda_max < c (derived above)."""
    momentum = settings.get("momentum", 0.0)
    if momentum == 0.0:
        return 2.0
    if settings.get("nesterov", False):
        return 2.0 * (1.0 + momentum) / (1.0 + 2.0 * momentum)
    dampening = settings.get("dampening", 0.0)
    return math.inf if dampening >= 1.0 else 2.0 * (1.0 + momentum) / (1.0 - dampening)


def curvature_shift(settings: Mapping[str, Any]) -> float:
    """The weight decay: it adds weight_decay * I to the Hessian, so the bound is lr (lambda + weight_decay) < c."""
    return float(settings.get("weight_decay", 0.0))


def velocity(state: Any, settings: Mapping[str, Any]) -> np.ndarray | None:
    """-lr * b (n, 2), the momentum buffer as a displacement; None without momentum."""
    buffer = getattr(state, "momentum_buffer", None)
    return None if buffer is None else -settings["lr"] * buffer


register(OptimizerSpec(
    name="gd",
    display_name="Gradient descent",
    family="first-order",
    hyperparameters=(LR, WEIGHT_DECAY),
    factory=sgd,
    description="plain gradient descent: step = -lr * gradient",
    reference="Cauchy 1847; " + REFERENCE,
    stability_factor=stability_factor,
    curvature_shift=curvature_shift,
    velocity=velocity,
))

register(OptimizerSpec(
    name="sgd",
    display_name="SGD (torch.optim.SGD)",
    family="first-order",
    hyperparameters=(LR, MOMENTUM, DAMPENING, WEIGHT_DECAY, NESTEROV),
    factory=sgd,
    description="torch.optim.SGD: gradient descent with optional momentum, dampening and Nesterov momentum",
    reference=REFERENCE,
    stability_factor=stability_factor,
    curvature_shift=curvature_shift,
    velocity=velocity,
))

register(OptimizerSpec(
    name="momentum",
    display_name="Momentum (heavy ball)",
    family="first-order",
    hyperparameters=(LR, replace(MOMENTUM, default=0.9), DAMPENING, WEIGHT_DECAY),
    factory=sgd,
    description="heavy-ball momentum: the buffer b = momentum * b + g carries the ball through ravines",
    reference=REFERENCE,
    stability_factor=stability_factor,
    curvature_shift=curvature_shift,
    velocity=velocity,
))

register(OptimizerSpec(
    name="nesterov",
    display_name="Nesterov momentum",
    family="first-order",
    hyperparameters=(LR, replace(MOMENTUM, default=0.9, minimum=1e-3), WEIGHT_DECAY),
    factory=sgd,
    fixed={"nesterov": True},
    description="Nesterov momentum as torch.optim.SGD(nesterov=True): step along g + momentum * b",
    reference=REFERENCE,
    stability_factor=lambda settings: stability_factor({**settings, "nesterov": True}),
    curvature_shift=curvature_shift,
    velocity=velocity,
))
