r"""BFGS: a quasi-Newton method that learns the inverse Hessian from the gradients it sees.

The update, per particle, in the order computed (k = 0, 1, ...):

    g_k = grad f(p_k)                               (the gradient handed to the update, possibly noisy)
    if k > 0:
        s = p_k - p_{k-1},  y = g_k - g_{k-1}
        if y.s > 1e-10 |y| |s|:                     (curvature condition; otherwise skip the update)
            if no pair has been used yet:  H = (y.s / y.y) I          (Nocedal-Wright eq. 6.20)
            rho = 1 / y.s
            H = (I - rho s y^T) H (I - rho y s^T) + rho s s^T           (Nocedal-Wright eq. 6.17)
    d = -H g_k                                      (H starts as the identity)
    alpha = strong Wolfe line search along d from alpha_0, with c1, c2
            alpha_0 = lr * min(1, 1 / |g_k|_1) while H is still the identity (torch.optim.LBFGS's
            first step), lr afterwards
    step = alpha * d

The line search measures the true loss and gradient (``oracle``). If d is not a descent direction
of the true loss (only a noisy gradient can make it so), H is reset to the identity and d = -g_k;
if even that does not descend, or the line search finds no acceptable step, the particle does not
move this step and H is reset.

Hyper-parameters: ``lr`` = 1 (the trial step length, as torch.optim.LBFGS's lr), ``c1`` = 1e-4
and ``c2`` = 0.9 (the Wolfe constants, as scipy.optimize's BFGS and torch.optim.LBFGS use).

References:
    C. G. Broyden; R. Fletcher; D. Goldfarb; D. F. Shanno (1970), the BFGS update.
    J. Nocedal, S. J. Wright, Numerical Optimization, 2nd ed., Springer 2006, algorithm 6.1.
    torch.optim.LBFGS, https://pytorch.org/docs/stable/generated/torch.optim.LBFGS.html
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from physics.optimizers.arrays import as_points, dot, norm, zeros_like_points
from physics.optimizers.base import HyperParameter, Optimizer, OptimizerSpec, Oracle, register
from physics.optimizers.line_search import LineSearchResult, LineSearchTrial, strong_wolfe
from surfaces.errors import DownhillError

#: The curvature condition's relative threshold: pairs with y.s below it are skipped.
CURVATURE_TOLERANCE = 1e-10


class BFGSState(NamedTuple):
    """Attributes:
        inverse_hessian: (n, 2, 2) H, the approximation of the inverse Hessian.
        previous_params: (n, 2) p_{k-1}.
        previous_grads: (n, 2) g_{k-1}.
        has_previous: (n,) bool, False before the first step.
        identity: (n,) bool, True while H is the unscaled identity (no curvature pair used yet).
    """

    inverse_hessian: np.ndarray
    previous_params: np.ndarray
    previous_grads: np.ndarray
    has_previous: np.ndarray
    identity: np.ndarray


def _matvec(matrices: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """(n, 2, 2) @ (n, 2) -> (n, 2)."""
    return np.einsum("nij,nj->ni", matrices, vectors)


def bfgs_inverse_update(inverse_hessian: np.ndarray, s: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The BFGS update of inverse Hessians (n, 2, 2) by the pairs s, y (n, 2), with y.s > 0.

    (I - rho s y^T) H (I - rho y s^T) + rho s s^T, expanded for a symmetric H as
    H - rho (s (Hy)^T + (Hy) s^T) + (rho^2 y^T H y + rho) s s^T, the last factor computed as
    (rho y^T H y + 1) rho: near a minimum y.s reaches 1e-170, and rho^2 would overflow (a NaN step,
    and a converged ball stopped as diverging).
    """
    rho = 1.0 / dot(y, s)
    hy = _matvec(inverse_hessian, y)
    outer_s_hy = s[:, :, None] * hy[:, None, :]
    outer_ss = s[:, :, None] * s[:, None, :]
    return (inverse_hessian - rho[:, None, None] * (outer_s_hy + outer_s_hy.transpose(0, 2, 1))
            + ((rho * dot(y, hy) + 1.0) * rho)[:, None, None] * outer_ss)


class BFGSPlan(NamedTuple):
    """What one BFGS update worked out before and around its line search (n particles).

    Attributes:
        s, y: (n, 2) p_k - p_{k-1} and g_k - g_{k-1}; ys: (n,) y.s.
        usable: (n,) whether the pair met the curvature condition (and there was a previous step).
        scale: (n,) y.s / y.y, the first pair's scaling of the identity (1 where unused).
        before: (n, 2, 2) H before the pair's update (the scaled identity for a first pair).
        updated: (n, 2, 2) H after the pair's update (before any reset).
        direction: (n, 2) d = -H g_k (or -g_k after a reset).
        uphill: (n,) whether -H g_k was not a descent direction of the true loss (H reset to I).
        alpha0: (n,) the line search's first trial step length.
        value: (n,) f(p_k); gradient: (n, 2) the true gradient at p_k.
    """

    s: np.ndarray
    y: np.ndarray
    ys: np.ndarray
    usable: np.ndarray
    scale: np.ndarray
    before: np.ndarray
    updated: np.ndarray
    direction: np.ndarray
    uphill: np.ndarray
    alpha0: np.ndarray
    value: np.ndarray
    gradient: np.ndarray


def bfgs_step(state: BFGSState, p: np.ndarray, g: np.ndarray, oracle: Oracle, lr: float, c1: float, c2: float,
              trials: list[LineSearchTrial] | None = None) -> tuple[np.ndarray, BFGSState, BFGSPlan, LineSearchResult]:
    """One BFGS update (the module docstring's rule) for points p and gradients g (n, 2): the step,
    the next state, what it worked out (:class:`BFGSPlan`) and its line search's result. The
    update and the explainer both call it; ``trials`` (a list, or None) receives the search's rounds."""
    s = p - state.previous_params
    y = g - state.previous_grads
    ys = dot(y, s)
    with np.errstate(invalid="ignore"):
        usable = state.has_previous & (ys > CURVATURE_TOLERANCE * norm(y) * norm(s))
    scale = np.where(usable, ys / np.where(usable, dot(y, y), 1.0), 1.0)
    start = np.where((usable & state.identity)[:, None, None], scale[:, None, None] * np.eye(2),
                     state.inverse_hessian)
    updated = np.where(usable[:, None, None],
                       bfgs_inverse_update(start, np.where(usable[:, None], s, 1.0), np.where(usable[:, None], y, 1.0)),
                       state.inverse_hessian)
    identity = state.identity & ~usable

    evaluation = oracle.evaluate(p)
    direction = -_matvec(updated, g)
    with np.errstate(invalid="ignore"):
        uphill = ~(dot(evaluation.gradient, direction) < 0.0)
    inverse_hessian = np.where(uphill[:, None, None], np.eye(2), updated)
    identity = identity | uphill
    direction = np.where(uphill[:, None], -g, direction)

    with np.errstate(divide="ignore"):
        first = lr * np.minimum(1.0, 1.0 / np.abs(g).sum(axis=1))
    alpha0 = np.where(identity, first, lr)
    search = strong_wolfe(oracle, p, direction, evaluation.value, evaluation.gradient, alpha0, c1=c1, c2=c2,
                          trials=trials)
    failed = search.alpha == 0.0
    inverse_hessian = np.where(failed[:, None, None], np.eye(2), inverse_hessian)
    step = search.alpha[:, None] * direction
    # A non-finite gradient leaves the particle nowhere defined: let the simulation see NaN.
    step = np.where(np.isfinite(g).all(axis=1)[:, None], step, np.nan)
    new_state = BFGSState(inverse_hessian, p.copy(order="K"), g.copy(order="K"), np.ones(p.shape[0], dtype=bool),
                          identity | failed)
    plan = BFGSPlan(s, y, ys, usable, scale, start, updated, direction, uphill, alpha0, evaluation.value,
                    evaluation.gradient)
    return step, new_state, plan, search


def bfgs(lr: float = 1.0, c1: float = 1e-4, c2: float = 0.9) -> Optimizer:
    """The pure pair of BFGS with a strong Wolfe line search (see the module docstring)."""
    if not 0.0 < c1 < c2 < 1.0:
        raise DownhillError(f"the line search needs 0 < c1 < c2 < 1, not c1 = {c1:g}, c2 = {c2:g}")

    def init(params: np.ndarray) -> BFGSState:
        n = as_points(params).shape[0]
        return BFGSState(np.broadcast_to(np.eye(2), (n, 2, 2)).copy(), zeros_like_points(params),
                         zeros_like_points(params), np.zeros(n, dtype=bool), np.ones(n, dtype=bool))

    def update(grads: np.ndarray, state: BFGSState, params: np.ndarray,
               oracle: Oracle) -> tuple[np.ndarray, BFGSState]:
        step, new_state, _, _ = bfgs_step(state, as_points(params), as_points(grads), oracle, lr, c1, c2)
        return step, new_state

    return Optimizer(init, update)


register(OptimizerSpec(
    name="bfgs",
    display_name="BFGS (quasi-Newton)",
    family="quasi-newton",
    hyperparameters=(
        HyperParameter("lr", 1.0, 1e-3, 10.0, "trial step length of the line search", log_scale=True),
        HyperParameter("c1", 1e-4, 1e-6, 0.5, "sufficient-decrease (Armijo) constant of the line search",
                       log_scale=True),
        HyperParameter("c2", 0.9, 0.01, 0.999, "curvature constant of the strong Wolfe line search"),
    ),
    factory=bfgs,
    description="BFGS: Newton-like steps from an inverse Hessian learned from gradient changes, with a line search",
    reference="Broyden, Fletcher, Goldfarb, Shanno 1970; Nocedal and Wright 2006, algorithm 6.1",
))

