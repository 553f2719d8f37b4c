r"""Saddle-free Newton (Dauphin et al. 2014): Newton's step with the Hessian's eigenvalues made positive.

The update, per particle, in the order computed:

    g = grad f(p), H = Hessian of f at p        (g possibly noisy; H from the oracle)
    H = V diag(lambda_1, lambda_2) V^T
    |H|_damping = V diag(max(|lambda_1|, damping), max(|lambda_2|, damping)) V^T
    step = -lr * |H|_damping^{-1} g

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

from physics.eigen import apply_spectral, symmetric_eigen
from physics.optimizers.arrays import as_points
from physics.optimizers.base import HyperParameter, Optimizer, OptimizerSpec, Oracle, register


class SaddleFreeNewtonState(NamedTuple):
    """Saddle-free Newton keeps nothing between steps."""


def saddle_free_newton(lr: float = 1.0, damping: float = 0.01) -> Optimizer:
    """The pure pair of saddle-free Newton (see the module docstring for the rule)."""

    def init(params: np.ndarray) -> SaddleFreeNewtonState:
        as_points(params)
        return SaddleFreeNewtonState()

    def update(grads: np.ndarray, state: SaddleFreeNewtonState, params: np.ndarray,
               oracle: Oracle) -> tuple[np.ndarray, SaddleFreeNewtonState]:
        eigen = symmetric_eigen(oracle.evaluate(as_points(params)).hessian)
        magnitude = np.abs(eigen.values)
        # np.maximum propagates NaN: an undefined Hessian gives an undefined step.
        weights = 1.0 / np.maximum(magnitude, damping)
        step = apply_spectral(eigen, weights, as_points(grads))
        step *= -lr
        return step, state

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
