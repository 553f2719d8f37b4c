r"""The MATLAB toolbox classics: gradient descent with an adaptive learning rate (traingda), and
with momentum and an adaptive learning rate (traingdx).

``adaptive-lr`` (MATLAB's traingda), per particle, in the order computed:

    dX = -lr * g                                   (a trial gradient step)
    perf = f(X), perf2 = f(X + dX)
    if perf2 rises by more than the ratio max_perf_inc:      (see "signed losses" below)
        step = 0                                   (the step is rejected)
        lr = lr * lr_dec
    else:
        step = dX
        if perf2 < perf:  lr = lr * lr_inc

``momentum-adaptive-lr`` (MATLAB's traingdx) keeps the previous change dX_prev, which starts as
-lr_0 * g at the first step (traingdx sets ``dX = lr*gX`` before its loop, gX = -g):

    dX = momentum * dX_prev + (1 - momentum) * (-lr * g)
    perf = f(X), perf2 = f(X + dX)
    if perf2 rises by more than the ratio max_perf_inc:
        step = 0
        lr = lr * lr_dec
        dX_prev = -lr * g                          (with the decreased lr: momentum is reset)
    else:
        step = dX
        if perf2 < perf:  lr = lr * lr_inc
        dX_prev = dX

This is the rule traingdx.m executes, ``dX = mc*dX + (1-mc)*lr*gX``. (MATLAB's documentation
page prints ``dX = mc*dXprev + lr*mc*dperf/dX``, which the code does not compute; its
traingdm page gives the (1 - mc) form the code uses.) The momentum constant is MATLAB's ``mc``;
it is called ``momentum`` here, the name the rest of Downhill uses.

Signed losses: MATLAB tests ``perf2/perf > max_perf_inc``, where perf is a mean squared error and
so positive. A landscape here may be negative, so the test is written
``perf2 > perf + (max_perf_inc - 1) * |perf|`` (the loss rose by more than the fraction
max_perf_inc - 1 of its size), which is MATLAB's test whenever perf > 0. A trial step into a
region where f is undefined (NaN) is rejected.

The losses come from ``oracle.value`` (the true loss); the gradient is the ``grads`` argument
(possibly noisy). Each particle keeps its own lr, the state's ``lr`` (n,).

Hyper-parameters (MATLAB's names and defaults): ``lr`` = 0.01, ``lr_inc`` = 1.05, ``lr_dec`` = 0.7,
``max_perf_inc`` = 1.04, and for traingdx ``momentum`` (MATLAB's mc) = 0.9.

References:
    MathWorks, Deep Learning Toolbox: traingda, "Gradient descent with adaptive learning rate
    backpropagation", https://www.mathworks.com/help/deeplearning/ref/traingda.html, and
    traingdx, "Gradient descent with momentum and adaptive learning rate backpropagation",
    https://www.mathworks.com/help/deeplearning/ref/traingdx.html
    M. T. Hagan, H. B. Demuth, M. H. Beale, Neural Network Design, PWS 1996, chapter 12
    (variable learning rate backpropagation).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from physics.optimizers.arrays import as_points, column, select_rows, zeros_like_points
from physics.optimizers.base import HyperParameter, Optimizer, OptimizerSpec, Oracle, register


class AdaptiveRateState(NamedTuple):
    """Attributes:
        lr: (n,) each particle's current learning rate.
    """

    lr: np.ndarray


class MomentumAdaptiveRateState(NamedTuple):
    """Attributes:
        lr: (n,) each particle's current learning rate.
        change: (n, 2) dX_prev, the previous change (position units per step): the velocity.
        step: (n,) int, the number of updates made.
    """

    lr: np.ndarray
    change: np.ndarray
    step: np.ndarray


class Judgement(NamedTuple):
    """The accept/reject test of trial changes (n particles).

    Attributes:
        perf: (n,) f(X); perf2: (n,) f(X + dX), the loss after the trial change.
        limit: (n,) perf + (max_perf_inc - 1) |perf|, the highest loss accepted.
        accepted: (n,) perf2 <= limit (False where perf2 is NaN).
        lowered: (n,) accepted and perf2 < perf: the rate grows by lr_inc.
    """

    perf: np.ndarray
    perf2: np.ndarray
    limit: np.ndarray
    accepted: np.ndarray
    lowered: np.ndarray


def judge(oracle: Oracle, params: np.ndarray, change: np.ndarray, max_perf_inc: float) -> Judgement:
    """The test each trial change (n, 2) from params (n, 2) meets (see the module docstring)."""
    perf = oracle.value(params)
    perf2 = oracle.value(params + change)
    with np.errstate(invalid="ignore"):
        limit = perf + (max_perf_inc - 1.0) * np.abs(perf)
        accepted = perf2 <= limit
        lowered = perf2 < perf
    return Judgement(perf, perf2, limit, accepted, lowered & accepted)


def next_rate(lr: np.ndarray, judgement: Judgement, lr_inc: float, lr_dec: float) -> np.ndarray:
    """The rates (n,) after the test: lr * lr_inc after a lower loss, lr * lr_dec after a rejection."""
    return np.where(judgement.accepted, np.where(judgement.lowered, lr * lr_inc, lr), lr * lr_dec)


def momentum_terms(state: MomentumAdaptiveRateState, g: np.ndarray,
                   momentum: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """traingdx's trial change dX = mc dX_prev + (1 - mc) (-lr g) as its two terms (each (n, 2)):
    the gradient step -lr g, the kept change mc dX_prev (dX_prev = -lr g at the first step) and the
    added (1 - mc) (-lr g). The update's change is kept + added; the explainer shows each."""
    gradient_step = -column(state.lr) * g
    previous = select_rows(state.step > 0, state.change, gradient_step)
    return gradient_step, momentum * previous, (1.0 - momentum) * gradient_step


def adaptive_lr(lr: float = 0.01, lr_inc: float = 1.05, lr_dec: float = 0.7, max_perf_inc: float = 1.04) -> Optimizer:
    """The pure pair of MATLAB's traingda (see the module docstring for the rule)."""

    def init(params: np.ndarray) -> AdaptiveRateState:
        return AdaptiveRateState(np.full(as_points(params).shape[0], float(lr)))

    def update(grads: np.ndarray, state: AdaptiveRateState, params: np.ndarray,
               oracle: Oracle) -> tuple[np.ndarray, AdaptiveRateState]:
        p = as_points(params)
        change = -column(state.lr) * as_points(grads)
        judgement = judge(oracle, p, change, max_perf_inc)
        new_lr = next_rate(state.lr, judgement, lr_inc, lr_dec)
        return select_rows(judgement.accepted, change, 0.0), AdaptiveRateState(new_lr)

    return Optimizer(init, update)


def momentum_adaptive_lr(lr: float = 0.01, lr_inc: float = 1.05, lr_dec: float = 0.7, max_perf_inc: float = 1.04,
                         momentum: float = 0.9) -> Optimizer:
    """The pure pair of MATLAB's traingdx (see the module docstring for the rule)."""

    def init(params: np.ndarray) -> MomentumAdaptiveRateState:
        n = as_points(params).shape[0]
        return MomentumAdaptiveRateState(np.full(n, float(lr)), zeros_like_points(params), np.zeros(n, dtype=np.int64))

    def update(grads: np.ndarray, state: MomentumAdaptiveRateState, params: np.ndarray,
               oracle: Oracle) -> tuple[np.ndarray, MomentumAdaptiveRateState]:
        p = as_points(params)
        g = as_points(grads)
        _, kept_term, added_term = momentum_terms(state, g, momentum)
        change = kept_term + added_term
        judgement = judge(oracle, p, change, max_perf_inc)
        accepted = judgement.accepted
        new_lr = next_rate(state.lr, judgement, lr_inc, lr_dec)
        kept = select_rows(accepted, change, -column(new_lr) * g)
        step = select_rows(accepted, change, 0.0)
        return step, MomentumAdaptiveRateState(new_lr, kept, state.step + 1)

    return Optimizer(init, update)


def effective_rate(state: Any, settings: Mapping[str, Any], rows: np.ndarray) -> np.ndarray:
    """Each particle's own current rate lr (its state's), the same for both coordinates (k, 2).

    traingda is gradient descent at that rate, stable while lr lambda_max < 2; traingdx's change
    dX = mc dX_prev - (1 - mc) lr g is heavy ball of rate (1 - mc) lr and momentum mc, stable while
    lr lambda_max < 2 (1 + mc) / (1 - mc) (:func:`stability_factor`). Growing its rate after every
    success, either one climbs to that edge, and bounces there until a rejected step lowers it."""
    rate = state.lr[rows]
    return np.column_stack([rate, rate])


def stability_factor(settings: Mapping[str, Any]) -> float:
    """c = 2 for traingda, 2 (1 + mc) / (1 - mc) for traingdx (see :func:`effective_rate`)."""
    momentum = float(settings.get("momentum", 0.0))
    return 2.0 * (1.0 + momentum) / (1.0 - momentum)


_SHARED = (
    HyperParameter("lr", 0.01, 1e-6, 10.0, "initial learning rate", log_scale=True),
    HyperParameter("lr_inc", 1.05, 1.0, 10.0, "factor that grows the rate after a step that lowers the loss"),
    HyperParameter("lr_dec", 0.7, 0.01, 1.0, "factor that shrinks the rate after a rejected step"),
    HyperParameter("max_perf_inc", 1.04, 1.0, 10.0, "largest accepted ratio of the new loss to the old"),
)

register(OptimizerSpec(
    name="adaptive-lr",
    display_name="Adaptive learning rate (traingda)",
    family="adaptive-rate",
    hyperparameters=_SHARED,
    factory=adaptive_lr,
    description="gradient descent that grows its rate after a success and shrinks it, rejecting the step, "
                "when the loss rises",
    reference="MATLAB Deep Learning Toolbox traingda; Hagan, Demuth and Beale, Neural Network Design, 1996",
    stability_factor=stability_factor,
    effective_rate=effective_rate,
))

register(OptimizerSpec(
    name="momentum-adaptive-lr",
    display_name="Momentum and adaptive learning rate (traingdx)",
    family="adaptive-rate",
    hyperparameters=(*_SHARED, HyperParameter("momentum", 0.9, 0.0, 0.999,
                                              "momentum constant (MATLAB's mc): the fraction of the last change kept")),
    factory=momentum_adaptive_lr,
    description="traingdx: momentum with an adaptive rate; a step that raises the loss too much is rejected",
    reference="MATLAB Deep Learning Toolbox traingdx; Hagan, Demuth and Beale, Neural Network Design, 1996",
    velocity=lambda state, settings: state.change,  # dX_prev: already a displacement
    stability_factor=stability_factor,
    effective_rate=effective_rate,
))
