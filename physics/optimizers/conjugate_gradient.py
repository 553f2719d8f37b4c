r"""Nonlinear conjugate gradient, Polak-Ribiere+ with restarts, and a strong Wolfe line search.

The update, per particle, in the order computed (k = 0, 1, ...):

    g_k = grad f(p_k)                              (the gradient handed to the update, possibly noisy)
    if k > 0 and the last line search moved and fewer than ``restart`` - 1 conjugate steps
    have been taken since the last steepest-descent step:
        beta = max(0, g_k . (g_k - g_{k-1}) / (g_{k-1} . g_{k-1}))      (Polak-Ribiere+)
        d_k = -g_k + beta d_{k-1}
    else:
        d_k = -g_k                                 (a restart)
    if d_k is not a descent direction of the true loss:  d_k = -g_k  (a restart)
    alpha_0 = alpha_{k-1} (g_{k-1} . d_{k-1}) / (g_k . d_k)   (Nocedal-Wright eq. 3.60), but a
              first trial step at most 10 times as long as the last step; on the first step,
              lr * min(1, 1 / |g_k|_1)
    alpha = strong Wolfe line search along d_k from alpha_0, with c1, c2
    step = alpha d_k

beta = 0 (PR+ clips a negative Polak-Ribiere coefficient) is itself a restart. With ``restart`` =
2, the dimension of the landscape, the method alternates a steepest-descent step and a conjugate
step; on a quadratic with exact line searches that pair reaches the minimum.

The line search measures the true loss and gradient (``oracle``); a particle whose direction does
not descend even after the restart (only noise can do that) does not move this step.

Hyper-parameters: ``lr`` = 1 (the first trial step length), ``c1`` = 1e-4, ``c2`` = 0.1 (Wolfe
constants; Nocedal and Wright recommend c2 = 0.1 for conjugate gradient), ``restart`` = 2.

References:
    E. Polak, G. Ribiere, "Note sur la convergence de methodes de directions conjuguees",
    Revue francaise d'informatique et de recherche operationnelle 16, 1969; B. T. Polyak, "The
    conjugate gradient method in extremal problems", USSR Comp. Math. and Math. Phys. 9, 1969.
    J. Nocedal, S. J. Wright, Numerical Optimization, 2nd ed., Springer 2006, section 5.2
    (equations 5.44-5.45 for PR+, and restarts).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from physics.optimizers.arrays import as_points, dot, norm, zeros_like_points
from physics.optimizers.base import HyperParameter, Optimizer, OptimizerSpec, Oracle, register
from physics.optimizers.line_search import LineSearchResult, LineSearchTrial, strong_wolfe
from surfaces.errors import DownhillError


class ConjugateGradientState(NamedTuple):
    """Attributes:
        previous_direction: (n, 2) d_{k-1}.
        previous_grads: (n, 2) g_{k-1}.
        previous_alpha: (n,) the last line search's step length (0: it did not move).
        previous_slope: (n,) g_{k-1} . d_{k-1}, the true slope where the last search started.
        since_restart: (n,) int, conjugate steps taken since the last steepest-descent step.
        has_previous: (n,) bool, False before the first step.
    """

    previous_direction: np.ndarray
    previous_grads: np.ndarray
    previous_alpha: np.ndarray
    previous_slope: np.ndarray
    since_restart: np.ndarray
    has_previous: np.ndarray


class ConjugateGradientPlan(NamedTuple):
    """What one conjugate-gradient update worked out before its line search (n particles).

    Attributes:
        beta: (n,) max(0, g_k . (g_k - g_{k-1}) / (g_{k-1} . g_{k-1})) (NaN or inf on the first step).
        due: (n,) whether a conjugate step was due (a previous step that moved, the restart count not
            reached) before beta and the descent test were looked at.
        conjugate: (n,) whether d_k = -g_k + beta d_{k-1} was taken (else d_k = -g_k, a restart).
        uphill: (n,) whether the conjugate direction failed to descend (a restart for that reason).
        direction: (n, 2) d_k; slope: (n,) the true gradient . d_k.
        alpha0: (n,) the line search's first trial; guessed: (n,) whether it is eq. 3.60's guess
            (else lr * min(1, 1 / |g_k|_1)).
        value: (n,) f(p_k); gradient: (n, 2) the true gradient at p_k.
    """

    beta: np.ndarray
    due: np.ndarray
    conjugate: np.ndarray
    uphill: np.ndarray
    direction: np.ndarray
    slope: np.ndarray
    alpha0: np.ndarray
    guessed: np.ndarray
    value: np.ndarray
    gradient: np.ndarray


def cg_step(state: ConjugateGradientState, p: np.ndarray, g: np.ndarray, oracle: Oracle, lr: float, c1: float,
            c2: float, restart: int, trials: list[LineSearchTrial] | None = None
            ) -> tuple[np.ndarray, ConjugateGradientState, ConjugateGradientPlan, LineSearchResult]:
    """One update (the module docstring's rule) for points p and gradients g (n, 2): the step, the
    next state, what it worked out (:class:`ConjugateGradientPlan`) and the line search's result.
    The update and the explainer both call it; ``trials`` (a list, or None) receives the search's rounds."""
    previous = state.previous_grads
    with np.errstate(invalid="ignore", divide="ignore"):
        due = state.has_previous & (state.previous_alpha > 0.0) & (state.since_restart + 1 < restart)
        beta = np.maximum(dot(g, g - previous) / dot(previous, previous), 0.0)
        conjugate = due & (beta > 0.0)
        direction = np.where(conjugate[:, None], -g + beta[:, None] * state.previous_direction, -g)

        evaluation = oracle.evaluate(p)
        slope = dot(evaluation.gradient, direction)
        uphill = conjugate & ~(slope < 0.0)
        conjugate &= ~uphill
        direction = np.where(uphill[:, None], -g, direction)
        slope = np.where(uphill, dot(evaluation.gradient, direction), slope)

        first = lr * np.minimum(1.0, 1.0 / np.abs(g).sum(axis=1))
        guess = state.previous_alpha * state.previous_slope / slope
        # Near a minimum the slope can shrink far faster than the step: keep the first trial
        # within ten times the previous step's length (the search can still double it).
        longest = 10.0 * state.previous_alpha * norm(state.previous_direction) / norm(direction)
        guess = np.minimum(guess, longest)
        usable_guess = state.has_previous & (state.previous_alpha > 0.0) & np.isfinite(guess) & (guess > 0.0)
    alpha0 = np.where(usable_guess, guess, first)
    search = strong_wolfe(oracle, p, direction, evaluation.value, evaluation.gradient, alpha0, c1=c1, c2=c2,
                          trials=trials)
    step = search.alpha[:, None] * direction
    step = np.where(np.isfinite(g).all(axis=1)[:, None], step, np.nan)
    since_restart = np.where(conjugate, state.since_restart + 1, 0)
    new_state = ConjugateGradientState(direction, g.copy(order="K"), search.alpha, slope, since_restart,
                                       np.ones(p.shape[0], dtype=bool))
    plan = ConjugateGradientPlan(beta, due, conjugate, uphill, direction, slope, alpha0, usable_guess,
                                 evaluation.value, evaluation.gradient)
    return step, new_state, plan, search


def conjugate_gradient(lr: float = 1.0, c1: float = 1e-4, c2: float = 0.1, restart: int = 2) -> Optimizer:
    """The pure pair of PR+ nonlinear conjugate gradient (see the module docstring)."""
    if not 0.0 < c1 < c2 < 1.0:
        raise DownhillError(f"the line search needs 0 < c1 < c2 < 1, not c1 = {c1:g}, c2 = {c2:g}")

    def init(params: np.ndarray) -> ConjugateGradientState:
        n = as_points(params).shape[0]
        return ConjugateGradientState(zeros_like_points(params), zeros_like_points(params), np.zeros(n), np.zeros(n),
                                      np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool))

    def update(grads: np.ndarray, state: ConjugateGradientState, params: np.ndarray,
               oracle: Oracle) -> tuple[np.ndarray, ConjugateGradientState]:
        step, new_state, _, _ = cg_step(state, as_points(params), as_points(grads), oracle, lr, c1, c2, restart)
        return step, new_state

    return Optimizer(init, update)


register(OptimizerSpec(
    name="cg",
    display_name="Conjugate gradient (Polak-Ribiere+)",
    family="quasi-newton",
    hyperparameters=(
        HyperParameter("lr", 1.0, 1e-3, 10.0, "first trial step length of the line search", log_scale=True),
        HyperParameter("c1", 1e-4, 1e-6, 0.5, "sufficient-decrease (Armijo) constant of the line search",
                       log_scale=True),
        HyperParameter("c2", 0.1, 0.01, 0.999, "curvature constant of the strong Wolfe line search"),
        HyperParameter("restart", 2, 1, 100, "restart with steepest descent every this many steps", kind="int"),
    ),
    factory=conjugate_gradient,
    description="nonlinear conjugate gradient: each direction mixes the gradient with the last direction",
    reference="Polak and Ribiere 1969; Polyak 1969; Nocedal and Wright 2006, section 5.2",
))
