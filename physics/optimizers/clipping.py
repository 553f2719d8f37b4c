"""Gradient clipping by norm, per particle (torch.nn.utils.clip_grad_norm_ on each particle's gradient).

Clipping is not an optimiser but a transformation of the gradient that the simulation applies
before a first-order method's update:

    total_norm = |g|                                   (Euclidean norm of the particle's gradient)
    clip_coef = max_norm / (total_norm + 1e-6)
    g = g * min(clip_coef, 1)

so a gradient longer than max_norm is scaled to (just under) max_norm and a shorter one is left
as it is. On a cliff this turns one catapulting step into a step of bounded length.

Reference:
    torch.nn.utils.clip_grad_norm_,
    https://pytorch.org/docs/stable/generated/torch.nn.utils.clip_grad_norm_.html;
    R. Pascanu, T. Mikolov, Y. Bengio, "On the difficulty of training recurrent neural
    networks", ICML 2013.
"""

from __future__ import annotations

import numpy as np

from physics.optimizers.arrays import as_points, norm

#: torch's guard against division by zero, added to the norm.
EPSILON = 1e-6


def clip_by_norm(grads: np.ndarray, max_norm: float) -> np.ndarray:
    """Each particle's gradient (n, 2) scaled down to norm max_norm when longer; a new array.

    Non-finite gradients stay non-finite (a NaN norm gives a NaN coefficient), so a particle that
    has left the defined region is still seen to have left it.
    """
    g = as_points(grads)
    if not max_norm > 0.0:
        raise ValueError(f"max_norm must be positive, not {max_norm!r}")
    coefficient = max_norm / (norm(g) + EPSILON)
    return g * np.minimum(coefficient, 1.0)[:, None]
