r"""Damped Newton (Levenberg-Marquardt on the exact Hessian): Newton's step, damped until it lowers f.

The update, per particle, in the order computed (the damping rule of MATLAB's trainlm):

    g = grad f(p), H = Hessian of f at p, f0 = f(p)      (g possibly noisy; H, f from the oracle)
    H = V diag(lambda_1, lambda_2) V^T,  shift = 2 max(0, -lambda_min)
    repeat, with mu from the state:
        trial = -(H + (shift + mu) I)^{-1} g  (kept along the eigenvectors of H, as Newton's step)
        if f(p + trial) < f0:   step = trial;  mu = max(mu * mu_dec, 1e-20);  stop
        else:                   mu = mu * mu_inc;  if mu > mu_max: step = 0; mu = mu_max; stop

Where H is positive definite the shift is 0 and this is Levenberg-Marquardt: small mu is Newton's
step (fast near a minimum), large mu a short gradient step, -g / mu. Where H is indefinite, the
damping shift + mu exceeds -lambda_min by |lambda_min| + mu, so H + (shift + mu) I is positive
definite with eigenvalues at least |lambda_min|: the negative curvature is reflected (the idea of
saddle-free Newton, applied through the one multiple of I that damping can add). Every trial is
then a descent direction for g: near a saddle the method moves downhill along the negative
curvature instead of jumping onto the saddle as pure Newton does, its step along that direction
stays bounded by |g| / |lambda_min| however small mu has become, and every accepted step lowers f
(f never rises).

When no damping up to mu_max lowers f (at a minimum, to rounding, or when a noisy gradient
points uphill) the particle stays put and mu stays at mu_max until a step succeeds.

Hyper-parameters (trainlm's names and defaults): ``mu`` = 1e-3 (initial damping),
``mu_dec`` = 0.1, ``mu_inc`` = 10, ``mu_max`` = 1e10.

References:
    K. Levenberg, "A method for the solution of certain non-linear problems in least squares",
    Quarterly of Applied Mathematics 2, 1944; D. W. Marquardt, "An algorithm for least-squares
    estimation of nonlinear parameters", SIAM J. Applied Mathematics 11, 1963.
    MathWorks, Deep Learning Toolbox: trainlm, https://www.mathworks.com/help/deeplearning/ref/trainlm.html
    J. Nocedal, S. J. Wright, Numerical Optimization, 2nd ed., 2006, section 3.4 (Hessian modification).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from physics.eigen import Eigen, symmetric_eigen
from physics.optimizers.arrays import as_points
from physics.optimizers.base import HyperParameter, Optimizer, OptimizerSpec, Oracle, register
from physics.optimizers.newton import EigenComponents, eigen_components

#: trainlm's floor for the damping after a success.
MU_FLOOR = 1e-20


class DampedNewtonState(NamedTuple):
    """Attributes:
        mu: (n,) each particle's current damping.
    """

    mu: np.ndarray


def damped_newton(mu: float = 1e-3, mu_dec: float = 0.1, mu_inc: float = 10.0, mu_max: float = 1e10) -> Optimizer:
    """The pure pair of damped Newton (see the module docstring for the rule)."""

    def init(params: np.ndarray) -> DampedNewtonState:
        return DampedNewtonState(np.full(as_points(params).shape[0], float(mu)))

    def update(grads: np.ndarray, state: DampedNewtonState, params: np.ndarray,
               oracle: Oracle) -> tuple[np.ndarray, DampedNewtonState]:
        step, new_mu = damped_search(oracle, as_points(params), as_points(grads), state.mu,
                                     mu_dec, mu_inc, mu_max)
        return step, DampedNewtonState(new_mu)

    return Optimizer(init, update)


class DampingTrial(NamedTuple):
    """One round of the damping loop, for the particles still searching (k of them).

    Attributes:
        rows: (k,) the particles' indices.
        damping: (k,) mu tried; curvatures: (k, 2) the eigenvalues divided by, shift + lambda + mu.
        components: the trial step -(H + (shift + mu) I)^-1 g along the eigenvectors (k rows).
        value: (k,) f at the trial point; success: (k,) whether it is below f(p).
    """

    rows: np.ndarray
    damping: np.ndarray
    curvatures: np.ndarray
    components: EigenComponents
    value: np.ndarray
    success: np.ndarray


def damped_search(oracle: Oracle, p: np.ndarray, g: np.ndarray, mu: np.ndarray, mu_dec: float, mu_inc: float,
                  mu_max: float, trials: list[DampingTrial] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The update's rule (module docstring) for points p and gradients g (n, 2), dampings mu (n,):
    the step (n, 2) and the next mu (n,). Each round's trials are appended to ``trials`` when it is
    a list (the explainer's record; the update passes None)."""
    evaluation = oracle.evaluate(p)
    eigen = symmetric_eigen(evaluation.hessian)
    # The shift reflects a negative lambda_min to |lambda_min| (exactly, before mu is added).
    shifted = eigen.values + 2.0 * np.maximum(-eigen.values[:, :1], 0.0)
    defined = np.isfinite(evaluation.value) & np.isfinite(g).all(axis=1) & np.isfinite(eigen.values).all(axis=1)
    step = np.where(defined[:, None], np.zeros_like(g), np.nan)
    damping = mu.astype(np.float64, copy=True)
    new_mu = mu.astype(np.float64, copy=True)
    pending = defined & (g != 0.0).any(axis=1)
    while pending.any():
        index = np.flatnonzero(pending)
        values = shifted[index] + damping[index][:, None]
        # -(H + (shift + mu) I)^-1 g, kept along the eigenvectors (negation is exact: the same bits
        # as -apply_spectral), so that the explainer's components add up to the step.
        components = eigen_components(Eigen(values, eigen.vectors[index]), 1.0 / values, g[index], -1.0)
        trial = components.step()
        with np.errstate(invalid="ignore"):
            trial_value = oracle.value(p[index] + trial)
            success = trial_value < evaluation.value[index]
        if trials is not None:
            trials.append(DampingTrial(index, damping[index].copy(), values, components, trial_value, success))
        won = index[success]
        step[won] = trial[success]
        new_mu[won] = np.maximum(damping[won] * mu_dec, MU_FLOOR)
        lost = index[~success]
        damping[lost] *= mu_inc
        exhausted = lost[damping[lost] > mu_max]
        new_mu[exhausted] = mu_max
        pending[won] = False
        pending[exhausted] = False
    return step, new_mu


register(OptimizerSpec(
    name="damped-newton",
    display_name="Damped Newton (Levenberg-Marquardt)",
    family="second-order",
    hyperparameters=(
        HyperParameter("mu", 1e-3, 1e-20, 1e10, "initial damping added to the Hessian's diagonal", log_scale=True),
        HyperParameter("mu_dec", 0.1, 1e-3, 0.9, "factor applied to the damping after a step that lowers f"),
        HyperParameter("mu_inc", 10.0, 1.5, 1000.0, "factor applied to the damping after a trial that does not"),
        HyperParameter("mu_max", 1e10, 1.0, 1e20, "largest damping tried before the particle waits", log_scale=True),
    ),
    factory=damped_newton,
    description="Levenberg-Marquardt: step = -(H + mu I)^-1 g, with mu raised until the step lowers f",
    reference="Levenberg 1944; Marquardt 1963; MATLAB trainlm",
    needs_hessian=True,
))
