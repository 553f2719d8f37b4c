r"""Newton's method, pure and undamped: jump to the critical point of the local quadratic model.

The update, per particle, in the order computed:

    g = grad f(p), H = Hessian of f at p        (g is the gradient handed to the update,
                                                 possibly noisy; H comes from the oracle)
    H = V diag(lambda_1, lambda_2) V^T          (eigen-decomposition)
    step = -lr * V diag(1/lambda_1, 1/lambda_2) V^T g  = -lr * H^{-1} g

Where an eigenvalue is zero (|lambda| <= 1e-12 max |lambda|) its term is dropped, which gives
the pseudo-inverse: the least-squares step of least length.

The step goes to the critical point of the quadratic model whatever that point is. On a
saddle's quadratic model it lands on the saddle: from (0.5, 0.3) on f = x^2 - y^2 a single step
reaches (0, 0) exactly. Newton's method is attracted to saddles and maxima as much as to minima
(Dauphin et al. 2014); damped and saddle-free Newton are the remedies.

Hyper-parameters: ``lr`` = 1 (the step-length factor; 1 is Newton's method).

References:
    J. Nocedal, S. J. Wright, Numerical Optimization, 2nd ed., Springer 2006, section 3.3.
    Y. Dauphin et al., "Identifying and attacking the saddle point problem in high-dimensional
    non-convex optimization", NeurIPS 2014.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from physics.eigen import apply_spectral, symmetric_eigen
from physics.optimizers.arrays import as_points
from physics.optimizers.base import HyperParameter, Optimizer, OptimizerSpec, Oracle, register

#: Eigenvalues at most this fraction of the largest one (in magnitude) count as zero.
RCOND = 1e-12


class NewtonState(NamedTuple):
    """Newton's method keeps nothing between steps."""


def pseudo_inverse_weights(values: np.ndarray) -> np.ndarray:
    """1/lambda for each eigenvalue (n, 2), and 0 where lambda is zero relative to the largest."""
    magnitude = np.abs(values)
    tolerance = RCOND * magnitude.max(axis=1, keepdims=True)
    nonzero = magnitude > tolerance
    weights = np.zeros_like(values)
    np.divide(1.0, values, out=weights, where=nonzero)
    # A NaN Hessian gives a NaN step, so the simulation sees the particle leave the defined region.
    return np.where(np.isnan(values), np.nan, weights)


def newton(lr: float = 1.0) -> Optimizer:
    """The pure pair of Newton's method (see the module docstring for the rule)."""

    def init(params: np.ndarray) -> NewtonState:
        as_points(params)
        return NewtonState()

    def update(grads: np.ndarray, state: NewtonState, params: np.ndarray,
               oracle: Oracle) -> tuple[np.ndarray, NewtonState]:
        eigen = symmetric_eigen(oracle.evaluate(as_points(params)).hessian)
        step = apply_spectral(eigen, pseudo_inverse_weights(eigen.values), as_points(grads))
        step *= -lr
        return step, state

    return Optimizer(init, update)


register(OptimizerSpec(
    name="newton",
    display_name="Newton (undamped)",
    family="second-order",
    hyperparameters=(HyperParameter("lr", 1.0, 1e-3, 2.0, "step-length factor: 1 jumps to the model's critical point",
                                    log_scale=True),),
    factory=newton,
    description="Newton's method: step = -H^-1 g; converges fast near a minimum, and is drawn to saddles",
    reference="Nocedal and Wright, Numerical Optimization, 2006, section 3.3; Dauphin et al., NeurIPS 2014",
    needs_hessian=True,
))
