r"""Newton's method, pure and undamped: jump to the critical point of the local quadratic model.

The update, per particle, in the order computed:

    g = grad f(p), H = Hessian of f at p        (g is the gradient handed to the update,
                                                 possibly noisy; H comes from the oracle)
    H = V diag(lambda_1, lambda_2) V^T          (eigen-decomposition, v_k the columns of V)
    c_k = (v_k . g) * (1/lambda_k) * (-lr)      (the step's coordinate along v_k, k = min, max)
    step = v_min c_min + v_max c_max  = -lr * H^{-1} g

The step is the sum of its two components along the eigenvectors (:func:`eigen_components`), so
that the explainer (physics.explain) shows each and their sum is the step, bit for bit.

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

from physics.eigen import Eigen, symmetric_eigen
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


class EigenComponents(NamedTuple):
    """A step split along the eigenvectors of each particle's Hessian.

    Attributes:
        along_min: (n, 2) the component along the eigenvector of lambda_min, v_min c_min.
        along_max: (n, 2) the component along the eigenvector of lambda_max, v_max c_max.
        coefficients: (n, 2) c_min, c_max: the step's signed lengths along v_min, v_max.
    """

    along_min: np.ndarray
    along_max: np.ndarray
    coefficients: np.ndarray

    def step(self) -> np.ndarray:
        """The step (n, 2): along_min + along_max (column-major, as the simulation keeps steps)."""
        step = np.empty(self.along_min.shape, order="F")
        np.add(self.along_min, self.along_max, out=step)
        return step


def eigen_components(eigen: Eigen, weights: np.ndarray, vector: np.ndarray, factor: float) -> EigenComponents:
    """factor * V diag(weights) V^T v, kept as its two components along the eigenvectors.

    c_k = ((v_k . v) * w_k) * factor and component_k = v_k c_k, for weights (n, 2) per eigenvalue
    and v (n, 2). With factor = -1 this is -apply_spectral(eigen, weights, v) to the bit (negation
    is exact); with another factor it differs from factor * apply_spectral(...) by rounding only.
    """
    v = eigen.vectors
    coefficients = np.empty(vector.shape, order="F")
    coefficients[:, 0] = (v[:, 0, 0] * vector[:, 0] + v[:, 1, 0] * vector[:, 1]) * weights[:, 0]
    coefficients[:, 1] = (v[:, 0, 1] * vector[:, 0] + v[:, 1, 1] * vector[:, 1]) * weights[:, 1]
    coefficients *= factor
    return EigenComponents(v[:, :, 0] * coefficients[:, :1], v[:, :, 1] * coefficients[:, 1:], coefficients)


def newton_components(lr: float, hessian: np.ndarray, grads: np.ndarray) -> tuple[Eigen, EigenComponents]:
    """Newton's step on Hessians (n, 2, 2) and gradients (n, 2), along the eigenvectors: the
    update's own arithmetic (its step is ``components.step()``), shared with the explainer."""
    eigen = symmetric_eigen(hessian)
    return eigen, eigen_components(eigen, pseudo_inverse_weights(eigen.values), grads, -lr)


def newton(lr: float = 1.0) -> Optimizer:
    """The pure pair of Newton's method (see the module docstring for the rule)."""

    def init(params: np.ndarray) -> NewtonState:
        as_points(params)
        return NewtonState()

    def update(grads: np.ndarray, state: NewtonState, params: np.ndarray,
               oracle: Oracle) -> tuple[np.ndarray, NewtonState]:
        _, components = newton_components(lr, oracle.evaluate(as_points(params)).hessian, as_points(grads))
        return components.step(), state

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
