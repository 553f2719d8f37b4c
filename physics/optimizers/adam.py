r"""Adam and AdamW: bias-corrected running moments of the gradient (torch.optim.Adam, torch.optim.AdamW).

Adam's update, per coordinate, in the order torch.optim.Adam computes it (step t = 1, 2, ...);
``update`` and ``adam_rule`` below follow it line by line:

    m_0 = 0, v_0 = 0, v_max_0 = 0
    g_t = grad f(p_{t-1})
    if weight_decay != 0:   g_t = g_t + weight_decay * p_{t-1}
    m_t = beta1 * m_{t-1} + (1 - beta1) * g_t
    v_t = beta2 * v_{t-1} + (1 - beta2) * g_t^2
    if amsgrad:             v_max_t = max(v_max_{t-1}, v_t), which stands for v_t from here on
    m^_t = m_t / (1 - beta1^t)
    v^_t = v_t / (1 - beta2^t)
    step = -lr * m^_t / (sqrt(v^_t) + eps)

eps is added after the square root of the bias-corrected v. The last three lines are computed as
one, with s = sqrt(1 - beta2^t) (like 1 - beta1^t, one number per step):

    step = m_t / (sqrt(v_t) + eps * s) * (-lr * s / (1 - beta1^t))

which is torch's -(lr / (1 - beta1^t)) * m_t / (sqrt(v_t) / s + eps) multiplied by s / s: one
pass fewer over the arrays, the same number up to rounding. On the first step m^ = g and
v^ = g^2, so the step is exactly -lr * g / (|g| + eps): about lr in each coordinate, whatever
the gradient's size.

Compiled. ``adam_rule`` is the rule in NumPy, and the test oracle of ``_adam_kernel``, which
makes the same operations in the same order in one pass per coordinate (the same bits:
tests/physics/test_optimizers_kernels.py) and is what ``update`` runs, because it pays. Measured
by tests/bench/bench_physics.py on 100 000 particles (fastest of many, on a machine shared with
other work; the NumPy rule makes eleven passes over (n, 2) arrays, the kernel one): the update
0.24-0.28 ms against 0.67-0.82 ms, 2.7-3.3x; the swarm's whole step (section 1b) 2.0-2.4 against
2.7-3.3 ms of the main thread's CPU time, a quarter of the main thread's work.

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

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np

from physics.compiled import kernel
from physics.optimizers.arrays import as_points, ordered_sum, power, uniform, zeros_like_points
from physics.optimizers.base import HyperParameter, Optimizer, OptimizerSpec, Oracle, register

#: The signature of adam_rule: (m, v, v_max, step) from g and the moments of the step before.
Rule = Callable[..., tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]


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
    """The pure pair of torch.optim.Adam, or of torch.optim.AdamW with ``decoupled_weight_decay``.

    ``lr``, ``eps``, ``weight_decay`` and each of ``betas`` may be per-particle columns (n, 1)
    (physics.optimizers.arrays.per_particle): the NumPy rule then makes the step, the same numbers
    for each particle as its scalar settings give."""
    beta1, beta2 = _beta(betas[0]), _beta(betas[1])

    def init(params: np.ndarray) -> AdamState:
        n = as_points(params).shape[0]
        return AdamState(zeros_like_points(params), zeros_like_points(params), zeros_like_points(params), np.zeros(n),
                         np.zeros(n, dtype=np.int64))

    def update(grads: np.ndarray, state: AdamState, params: np.ndarray,
               oracle: Oracle | None = None) -> tuple[np.ndarray, AdamState]:
        terms, state = adam_terms(grads, state, params, lr=lr, betas=(beta1, beta2), eps=eps,
                                  weight_decay=weight_decay, amsgrad=amsgrad,
                                  decoupled_weight_decay=decoupled_weight_decay)
        return ordered_sum(terms), state

    return Optimizer(init, update)


def adam_terms(grads: np.ndarray, state: AdamState, params: np.ndarray, *, lr: float,
               betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
               amsgrad: bool = False, decoupled_weight_decay: bool = False,
               ) -> tuple[tuple[tuple[str, np.ndarray], ...], AdamState]:
    """The step's terms (key, (n, 2) displacement), in the order they are added, and the new state.

    "step", Adam's -lr * m^ / (sqrt(v^) + eps) (one indivisible term, made by ``RULE``), then for
    AdamW "weight_decay", -(lr * weight_decay) * p (adding it is the same number as subtracting
    (lr * weight_decay) * p: IEEE subtraction is addition of the negation).
    """
    beta1, beta2 = _beta(betas[0]), _beta(betas[1])
    g = as_points(grads)
    columns = any(np.ndim(value) for value in (lr, beta1, beta2, eps, weight_decay))
    if np.any(weight_decay != 0.0) and not decoupled_weight_decay:
        g = g + weight_decay * as_points(params)
    t = state.step + 1
    # Per particle, but one Python float when the particles share their step count (as a
    # ball's do unless some were stopped): then 1 - beta1^t is exactly torch's.
    shared = uniform(t)
    if columns:  # (per-particle hyper-parameters, (n, 1))
        bias_correction1 = 1.0 - _column_power(beta1, t, shared)
        s = np.sqrt(1.0 - _column_power(beta2, t, shared))
    else:
        bias_correction1 = 1.0 - power(beta1, t, shared)
        s = np.sqrt(1.0 - power(beta2, t, shared))
    rule = adam_rule if columns and (np.ndim(beta1) or np.ndim(beta2)) else RULE  # (the kernel's betas are numbers)
    exp_avg, exp_avg_sq, max_exp_avg_sq, step = rule(
        g, state.exp_avg, state.exp_avg_sq, state.max_exp_avg_sq, beta1=beta1, beta2=beta2, amsgrad=amsgrad,
        eps_s=eps * s, step_factor=-lr * s / bias_correction1)
    terms: tuple[tuple[str, np.ndarray], ...] = (("step", step),)
    if np.any(weight_decay != 0.0) and decoupled_weight_decay:
        terms += (("weight_decay", -((lr * weight_decay) * as_points(params))),)
    if np.ndim(bias_correction1) == 0:
        bias_correction1 = np.full(g.shape[0], bias_correction1)
    else:
        bias_correction1 = np.array(np.broadcast_to(bias_correction1, (g.shape[0], 1))[:, 0])
    return terms, AdamState(exp_avg, exp_avg_sq, max_exp_avg_sq, bias_correction1, t)


def _column_power(base: float | np.ndarray, exponents: np.ndarray, shared: bool) -> float | np.ndarray:
    """``base ** exponents`` for a decay rate that may be a per-particle column (n, 1): with a shared
    step count, Python's float power of each distinct rate (as ``power`` takes it for one rate, so a
    particle's bias correction is its own ball's to the bit; NumPy's power differs in the last bit
    for some exponents), else NumPy's."""
    if np.ndim(base) == 0:
        return power(base, exponents, shared)
    if shared and exponents.size:
        count = int(exponents.flat[0])
        distinct, where = np.unique(base[:, 0], return_inverse=True)
        return np.array([float(value) ** count for value in distinct])[where.reshape(-1)][:, None]
    return np.power(base, np.asarray(exponents, dtype=np.float64).reshape(-1, 1))


def _beta(value: float | np.ndarray) -> float | np.ndarray:
    """A decay rate as a float, or a per-particle column (n, 1) as it is."""
    return value if np.ndim(value) else float(value)


def adam_rule(g: np.ndarray, exp_avg: np.ndarray, exp_avg_sq: np.ndarray, max_exp_avg_sq: np.ndarray, *,
              beta1: float, beta2: float, amsgrad: bool, eps_s: float | np.ndarray,
              step_factor: float | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The moments and the step of the module docstring, in NumPy: (m_t, v_t, v_max_t, step), each (n, 2).

    Args:
        g: (n, 2) g_t (weight decay included); exp_avg, exp_avg_sq, max_exp_avg_sq: (n, 2) m, v and
            v_max of step t - 1 (v_max is returned as it is without amsgrad).
        eps_s: eps * s, s = sqrt(1 - beta2^t); step_factor: -lr * s / (1 - beta1^t). Each a number,
            or a column (n, 1) when the particles' step counts differ.
    """
    m = beta1 * exp_avg + g * (1.0 - beta1)
    v = beta2 * exp_avg_sq + (g * g) * (1.0 - beta2)
    if amsgrad:
        max_exp_avg_sq = np.maximum(max_exp_avg_sq, v)
    step = m / (np.sqrt(max_exp_avg_sq if amsgrad else v) + eps_s) * step_factor
    return m, v, max_exp_avg_sq, step


def compiled_adam_rule(g: np.ndarray, exp_avg: np.ndarray, exp_avg_sq: np.ndarray, max_exp_avg_sq: np.ndarray, *,
                       beta1: float, beta2: float, amsgrad: bool, eps_s: float | np.ndarray,
                       step_factor: float | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``adam_rule`` (same arguments, same bits) made by ``_adam_kernel``, one pass per coordinate."""
    eps_s, step_factor = _per_particle(eps_s), _per_particle(step_factor)
    if eps_s.shape != step_factor.shape:  # (one shared, one per particle: the kernel reads both alike)
        eps_s, step_factor = (np.array(np.broadcast_to(a, (g.shape[0],))) for a in (eps_s, step_factor))
    m, v, step = np.empty_like(g), np.empty_like(g), np.empty_like(g)
    v_max = np.empty_like(g) if amsgrad else max_exp_avg_sq
    for k in range(2):
        _adam_kernel(g[:, k], exp_avg[:, k], exp_avg_sq[:, k], max_exp_avg_sq[:, k], beta1, beta2, eps_s,
                     step_factor, amsgrad, m[:, k], v[:, k], v_max[:, k] if amsgrad else _UNUSED, step[:, k])
    return m, v, v_max, step


#: The rule ``update`` runs: the compiled one, because it pays (module docstring); the benchmark
#: sets ``adam_rule`` here to time the step without it.
RULE: Rule = compiled_adam_rule

#: The kernel's v_max output without amsgrad (never written).
_UNUSED = np.empty(0)


def _per_particle(value: float | np.ndarray) -> np.ndarray:
    """A factor as the kernel takes it: (1,) for one shared by all particles, else (n,)."""
    return np.asarray(value, dtype=np.float64).reshape(-1)


@kernel
def _adam_kernel(g: np.ndarray, exp_avg: np.ndarray, exp_avg_sq: np.ndarray, max_exp_avg_sq: np.ndarray,
                 beta1: float, beta2: float, eps_s: np.ndarray, step_factor: np.ndarray, amsgrad: bool,
                 new_avg: np.ndarray, new_avg_sq: np.ndarray, new_max: np.ndarray, step: np.ndarray) -> None:
    """``adam_rule`` for one coordinate of every particle (n,), its operations in its order, with
    ``eps_s`` and ``step_factor`` each (1,) (shared) or (n,)."""
    shared = eps_s.shape[0] == 1
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
        step[i] = m / (np.sqrt(v) + eps_s[j]) * step_factor[j]


def velocity(state: AdamState, settings: Mapping[str, Any]) -> np.ndarray:
    """-lr * m^ / (sqrt(v^) + eps) (n, 2) from the state (v^ of the running maximum with amsgrad);
    zero before the first step."""
    beta2 = _beta(settings["betas"][1])
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
