r"""Adam and AdamW: bias-corrected running moments of the gradient (torch.optim.Adam, torch.optim.AdamW).

Adam's update, per coordinate, in the order torch.optim.Adam computes it (step t = 1, 2, ...):

    m_0 = 0, v_0 = 0, v_max_0 = 0
    g_t = grad f(p_{t-1})
    if weight_decay != 0:   g_t = g_t + weight_decay * p_{t-1}
    m_t = beta1 * m_{t-1} + (1 - beta1) * g_t
    v_t = beta2 * v_{t-1} + (1 - beta2) * g_t^2
    m^_t = m_t / (1 - beta1^t)
    if amsgrad:
        v_max_t = max(v_max_{t-1}, v_t)
        v^_t = v_max_t / (1 - beta2^t)
    else:
        v^_t = v_t / (1 - beta2^t)
    step = -lr * m^_t / (sqrt(v^_t) + eps)

eps is added after the square root of the bias-corrected v. The code evaluates the last line as
-(lr sqrt(1 - beta2^t) / (1 - beta1^t)) * m_t / (sqrt(v_t) + eps sqrt(1 - beta2^t)), torch's
-(lr / (1 - beta1^t)) * m_t / (sqrt(v_t) / sqrt(1 - beta2^t) + eps) with the square root of the
bias correction moved out of the denominator (one pass fewer over the arrays): the same number
up to rounding. On the first step m^ = g and v^ = g^2, so the step is
exactly -lr * g / (|g| + eps): about lr in each coordinate, whatever the gradient's size.

AdamW (decoupled weight decay) differs in one line: instead of adding weight_decay * p to the
gradient, it first shrinks the parameters, p_{t-1} <- p_{t-1} * (1 - lr * weight_decay), then takes
Adam's step with no weight decay. As a step: step = -lr * weight_decay * p_{t-1} + Adam's step.

Hyper-parameters (torch's names and defaults): ``lr`` = 1e-3, ``betas`` = (0.9, 0.999),
``eps`` = 1e-8, ``weight_decay`` = 0 (AdamW: 1e-2), ``amsgrad`` = False.

``velocity`` is -lr * m^ / (sqrt(v^) + eps), the displacement the moments make (position units per
step: the step less any weight decay); zero before the first step.

References:
    D. P. Kingma, J. Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015.
    S. J. Reddi, S. Kale, S. Kumar, "On the Convergence of Adam and Beyond", ICLR 2018 (amsgrad).
    I. Loshchilov, F. Hutter, "Decoupled Weight Decay Regularization", ICLR 2019 (AdamW).
    torch.optim.Adam, https://pytorch.org/docs/stable/generated/torch.optim.Adam.html
    torch.optim.AdamW, https://pytorch.org/docs/stable/generated/torch.optim.AdamW.html
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from physics.compiled import kernel
from physics.optimizers.arrays import as_points, power, uniform, zeros_like_points
from physics.optimizers.base import HyperParameter, Optimizer, OptimizerSpec, Oracle, register


class AdamState(NamedTuple):
    """Attributes:
        exp_avg: (n, 2) m, the running mean of gradients.
        exp_avg_sq: (n, 2) v, the running mean of squared gradients.
        max_exp_avg_sq: (n, 2) v_max, the running maximum of v (stays 0 unless amsgrad).
        bias_correction1: (n,) 1 - beta1^t, kept so the velocity m^ can be read from the state.
        step: (n,) int, the number of updates made.
    """

    exp_avg: np.ndarray
    exp_avg_sq: np.ndarray
    max_exp_avg_sq: np.ndarray
    bias_correction1: np.ndarray
    step: np.ndarray


def adam(lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
         amsgrad: bool = False, decoupled_weight_decay: bool = False) -> Optimizer:
    """The pure pair of torch.optim.Adam, or of torch.optim.AdamW with ``decoupled_weight_decay``."""
    beta1, beta2 = float(betas[0]), float(betas[1])

    def init(params: np.ndarray) -> AdamState:
        n = as_points(params).shape[0]
        return AdamState(zeros_like_points(params), zeros_like_points(params), zeros_like_points(params), np.zeros(n),
                         np.zeros(n, dtype=np.int64))

    def update(grads: np.ndarray, state: AdamState, params: np.ndarray,
               oracle: Oracle | None = None) -> tuple[np.ndarray, AdamState]:
        g = as_points(grads)
        if weight_decay != 0.0 and not decoupled_weight_decay:
            g = g + weight_decay * as_points(params)
        step_count = state.step + 1
        shared = uniform(step_count)  # (a ball's particles share their count unless some were stopped)
        bias_correction1 = 1.0 - power(beta1, step_count, shared)
        bias_correction2_sqrt = np.sqrt(1.0 - power(beta2, step_count, shared))
        # m / (sqrt(v) / s + eps) = s m / (sqrt(v) + eps s), s = sqrt(1 - beta2^t): one division fewer.
        # The per-particle factors: one number when the particles share their step count.
        eps_term = _per_particle(eps * bias_correction2_sqrt)
        scale = _per_particle(-lr * bias_correction2_sqrt / bias_correction1)
        exp_avg, exp_avg_sq, step = np.empty_like(g), np.empty_like(g), np.empty_like(g)
        max_exp_avg_sq = np.empty_like(g) if amsgrad else state.max_exp_avg_sq
        for k in range(2):
            _adam_kernel(g[:, k], state.exp_avg[:, k], state.exp_avg_sq[:, k], state.max_exp_avg_sq[:, k],
                         beta1, beta2, eps_term, scale, amsgrad, exp_avg[:, k], exp_avg_sq[:, k],
                         max_exp_avg_sq[:, k] if amsgrad else _UNUSED, step[:, k])
        if weight_decay != 0.0 and decoupled_weight_decay:
            step -= (lr * weight_decay) * as_points(params)
        bias_correction1 = np.full(g.shape[0], bias_correction1) if shared else bias_correction1[:, 0]
        return step, AdamState(exp_avg, exp_avg_sq, max_exp_avg_sq, bias_correction1, step_count)

    return Optimizer(init, update)


#: The kernel's v_max output without amsgrad (never written).
_UNUSED = np.empty(0)


def _per_particle(value: float | np.ndarray) -> np.ndarray:
    """A factor as the kernel takes it: (1,) for one shared by all particles, else (n,)."""
    return np.asarray(value, dtype=np.float64).reshape(-1)


@kernel
def _adam_kernel(g: np.ndarray, exp_avg: np.ndarray, exp_avg_sq: np.ndarray, max_exp_avg_sq: np.ndarray,
                 beta1: float, beta2: float, eps_term: np.ndarray, scale: np.ndarray, amsgrad: bool,
                 new_avg: np.ndarray, new_avg_sq: np.ndarray, new_max: np.ndarray, step: np.ndarray) -> None:
    """Adam's update of one coordinate of every particle (n,), torch's operations in torch's order:
    m = beta1 m + (1 - beta1) g, v = beta2 v + (1 - beta2) g^2, (v_max = max(v_max, v)),
    step = scale * m / (sqrt(v) + eps_term), with ``eps_term`` = eps sqrt(1 - beta2^t) and ``scale`` =
    -lr sqrt(1 - beta2^t) / (1 - beta1^t), each (1,) or (n,)."""
    shared = eps_term.shape[0] == 1
    for i in range(g.shape[0]):
        gi = g[i]
        m = beta1 * exp_avg[i] + gi * (1.0 - beta1)
        v = beta2 * exp_avg_sq[i] + (gi * gi) * (1.0 - beta2)
        new_avg[i] = m
        new_avg_sq[i] = v
        if amsgrad:
            old = max_exp_avg_sq[i]
            if old != old or v != v:  # NaN propagates, as numpy.maximum
                v = old + v
            elif old > v:
                v = old
            new_max[i] = v
        j = 0 if shared else i
        step[i] = m / (np.sqrt(v) + eps_term[j]) * scale[j]


def velocity(state: AdamState, settings: Mapping[str, Any]) -> np.ndarray:
    """-lr * m^ / (sqrt(v^) + eps) (n, 2) from the state (v^ of the running maximum with amsgrad);
    zero before the first step."""
    beta2 = float(settings["betas"][1])
    started = state.step > 0
    count = np.maximum(state.step, 1)[:, None]
    second = state.max_exp_avg_sq if settings["amsgrad"] else state.exp_avg_sq
    with np.errstate(divide="ignore", invalid="ignore"):
        denominator = np.sqrt(second) / np.sqrt(1.0 - np.power(beta2, count)) + settings["eps"]
        moved = (-settings["lr"] / state.bias_correction1[:, None]) * state.exp_avg / denominator
    return np.where(started[:, None], moved, 0.0)


def effective_rate(state: AdamState, settings: Mapping[str, Any], rows: np.ndarray) -> np.ndarray:
    """The rate R = lr / (sqrt(v^) + eps) (k, 2) each coordinate of the particles ``rows`` applies to
    its first moment (v^ of the running maximum with amsgrad); NaN before the first step.

    Adam's bound: m is heavy-ball momentum in its averaging form (m = beta1 m + (1 - beta1) g), so
    with R frozen the step is heavy ball of rate (1 - beta1) R and momentum beta1, stable while
    (1 - beta1) lambda_max(R H) < 2 (1 + beta1): c = 2 (1 + beta1) / (1 - beta1), 38 for beta1 = 0.9
    (Cohen et al. 2022's "38 / lr"). The bias correction of m (a factor 1 / (1 - beta1^t) that
    tends to 1) is left out."""
    beta2 = float(settings["betas"][1])
    count = state.step[rows]
    second = (state.max_exp_avg_sq if settings["amsgrad"] else state.exp_avg_sq)[rows]
    with np.errstate(divide="ignore", invalid="ignore"):
        corrected = second / (1.0 - np.power(beta2, np.maximum(count, 1)))[:, None]
        rate = settings["lr"] / (np.sqrt(corrected) + settings["eps"])
    return np.where((count > 0)[:, None], rate, np.nan)


def stability_factor(settings: Mapping[str, Any]) -> float:
    """c = 2 (1 + beta1) / (1 - beta1) (see :func:`effective_rate`)."""
    beta1 = float(settings["betas"][0])
    return 2.0 * (1.0 + beta1) / (1.0 - beta1)


def _hyperparameters(weight_decay: float, description: str) -> tuple[HyperParameter, ...]:
    return (
        HyperParameter("lr", 1e-3, 1e-6, 10.0, "learning rate: about the size of each coordinate's step",
                       log_scale=True),
        HyperParameter("betas", (0.9, 0.999), 0.0, 0.9999,
                       "decay rates (beta1, beta2) of the running means of g and g^2", kind="pair"),
        HyperParameter("eps", 1e-8, 1e-16, 1.0, "added to sqrt(v^) to avoid division by zero", log_scale=True),
        HyperParameter("weight_decay", weight_decay, 0.0, 10.0, description),
        HyperParameter("amsgrad", False, description="divide by the running maximum of v (AMSGrad)", kind="bool"),
    )


register(OptimizerSpec(
    name="adam",
    display_name="Adam",
    family="adaptive-rate",
    hyperparameters=_hyperparameters(0.0, "L2 penalty: weight_decay * p is added to the gradient"),
    factory=adam,
    description="Adam: momentum on the gradient divided by the root mean square, both bias-corrected",
    reference="Kingma and Ba, ICLR 2015; Reddi et al., ICLR 2018 (amsgrad); torch.optim.Adam",
    velocity=velocity,
    stability_factor=stability_factor,
    curvature_shift=lambda settings: float(settings["weight_decay"]),  # (L2: the gradient meets H + wd I)
    effective_rate=effective_rate,
))

register(OptimizerSpec(
    name="adamw",
    display_name="AdamW",
    family="adaptive-rate",
    hyperparameters=_hyperparameters(1e-2, "decoupled weight decay: p shrinks by the factor 1 - lr * weight_decay"),
    factory=adam,
    fixed={"decoupled_weight_decay": True},
    description="AdamW: Adam with decoupled weight decay",
    reference="Loshchilov and Hutter, ICLR 2019; torch.optim.AdamW",
    velocity=velocity,
    stability_factor=stability_factor,
    # (decoupled decay shrinks p by the factor 1 - lr wd outside the moments: it only damps, and
    # adds no curvature that R meets)
    effective_rate=effective_rate,
))
