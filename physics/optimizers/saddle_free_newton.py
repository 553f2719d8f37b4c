r"""Saddle-free Newton (Dauphin et al. 2014): Newton's step with the Hessian's eigenvalues made positive.

The update, per particle, in the order computed:

    g = grad f(p), H = Hessian of f at p        (g possibly noisy; H from the oracle)
    H = V diag(lambda_1, lambda_2) V^T
    |H|_damping = V diag(max(|lambda_1|, damping), max(|lambda_2|, damping)) V^T
    step = -lr * |H|_damping^{-1} g
         = v_min c_min + v_max c_max,  c_k = (v_k . g) / max(|lambda_k|, damping) * (-lr)

(the step kept as its two components along the eigenvectors, physics.optimizers.newton's
:func:`~physics.optimizers.newton.eigen_components`, which the explainer shows one by one).

Along a direction of positive curvature this is Newton's step; along a direction of negative
curvature the sign of the step is flipped, so the ball moves *downhill* along it, by a distance
that grows as the curvature weakens: saddles repel instead of attracting. The floor ``damping``
keeps the step finite where the curvature is (nearly) zero; there the step is g / damping.

Hyper-parameters: ``lr`` = 1 (step-length factor), ``damping`` = 0.01 (the smallest curvature
the step divides by).

References:
    Y. Dauphin, R. Pascanu, C. Gulcehre, K. Cho, S. Ganguli, Y. Bengio, "Identifying and attacking
    the saddle point problem in high-dimensional non-convex optimization", NeurIPS 2014.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from physics.eigen import Eigen, symmetric_eigen
from physics.optimizers.arrays import as_points
from physics.optimizers.base import HyperParameter, Optimizer, OptimizerSpec, Oracle, register
from physics.optimizers.newton import EigenComponents, eigen_components


class SaddleFreeNewtonState(NamedTuple):
    """Saddle-free Newton keeps nothing between steps."""


def saddle_free_components(lr: float, damping: float, hessian: np.ndarray,
                           grads: np.ndarray) -> tuple[Eigen, np.ndarray, EigenComponents]:
    """The update's arithmetic on Hessians (n, 2, 2) and gradients (n, 2), shared with the explainer:
    the eigen-decomposition, the curvatures divided by, max(|lambda|, damping) (n, 2), and the
    step's components along the eigenvectors (its step is ``components.step()``)."""
    eigen = symmetric_eigen(hessian)
    # np.maximum propagates NaN: an undefined Hessian gives an undefined step.
    divisors = np.maximum(np.abs(eigen.values), damping)
    return eigen, divisors, eigen_components(eigen, 1.0 / divisors, grads, -lr)


def saddle_free_newton(lr: float = 1.0, damping: float = 0.01) -> Optimizer:
    """The pure pair of saddle-free Newton (see the module docstring for the rule)."""

    def init(params: np.ndarray) -> SaddleFreeNewtonState:
        as_points(params)
        return SaddleFreeNewtonState()

    def update(grads: np.ndarray, state: SaddleFreeNewtonState, params: np.ndarray,
               oracle: Oracle) -> tuple[np.ndarray, SaddleFreeNewtonState]:
        _, _, components = saddle_free_components(lr, damping, oracle.evaluate(as_points(params)).hessian,
                                                  as_points(grads))
        return components.step(), state

    return Optimizer(init, update)


register(OptimizerSpec(
    name="saddle-free-newton",
    display_name="Saddle-free Newton",
    family="second-order",
    hyperparameters=(
        HyperParameter("lr", 1.0, 1e-3, 2.0, "step-length factor", log_scale=True),
        HyperParameter("damping", 0.01, 1e-8, 100.0, "smallest curvature magnitude the step divides by",
                       log_scale=True),
    ),
    factory=saddle_free_newton,
    description="saddle-free Newton: divide by |H| (absolute eigenvalues) so that saddles repel",
    reference="Dauphin et al., NeurIPS 2014",
    needs_hessian=True,
))
