"""Explainers of the per-coordinate adaptive methods: AdaGrad, RMSProp, Adam, AdamW, Rprop.

Each of these divides every coordinate's gradient by its own running scale, so the parts show
the running moments as per-coordinate squares (``Part.squares``), the rate each coordinate ends
up with, and the step. A mean of squares (v, AdaGrad's sum) is given as its square root, the
square's side, so the square's area is the mean of g^2 and its side is in gradient units, beside m.

The summands are the update's own terms: AdaGrad's and Rprop's step is one term (the update's
output), RMSProp's and Adam's come from physics.optimizers.rmsprop.rmsprop_terms and
physics.optimizers.adam.adam_terms, the functions their updates add up.

Units: moments of the gradient in gradient units (m, g_avg) or gradient units squared (v, the
AdaGrad sum); rates in position units per gradient unit; steps in position units.
"""

from __future__ import annotations

import numpy as np

from physics.explain.core import (
    StepContext,
    heads,
    number,
    register_explainer,
    summand_part,
    vector_words,
    weight_decay_part,
)
from physics.explain.parts import Part
from physics.optimizers.adam import adam_terms
from physics.optimizers.rmsprop import rmsprop_terms

AXES = ("x", "y")


def _pair(vector: np.ndarray) -> tuple[float, float]:
    return float(vector[0]), float(vector[1])


def _decayed_gradient(context: StepContext, weight_decay: float, parts: list[Part]) -> np.ndarray:
    """The gradient the method's moments take in (with L2 weight decay's part added to ``parts``)."""
    g = context.fed_row
    if weight_decay != 0.0:
        parts.append(weight_decay_part(context, weight_decay))
        g = g + weight_decay * context.position
    return g


def _rate_part(context: StepContext, rate: np.ndarray, how: str, numbers: tuple = ()) -> Part:
    """The per-coordinate rate (2,) the gradient is multiplied by: drawn as squares, told in words."""
    larger = int(np.argmax(rate))
    words = (f"x gets rate {number(rate[0])}, y gets {number(rate[1])}: {AXES[larger]} moves "
             f"{number(rate[larger] / rate[1 - larger]) if rate[1 - larger] > 0 else 'far'} times more per unit "
             f"of gradient.") if np.all(np.isfinite(rate)) else ""
    return Part("scaling", "Each coordinate gets its own step size",
                f"{how} {words} A coordinate whose gradients have been large takes smaller steps, so "
                f"steep and shallow directions move at similar speeds.",
                None, context.position, numbers=(("rate", _pair(rate)),) + numbers,
                squares=(("rate per coordinate", rate.copy()),))


@register_explainer("adagrad")
def explain_adagrad(context: StepContext) -> tuple[Part, ...]:
    """AdaGrad: the accumulated squares, the rate's decay, the scaled step (one term)."""
    settings = context.settings
    lr, lr_decay, eps = float(settings["lr"]), float(settings["lr_decay"]), float(settings["eps"])
    parts: list[Part] = []
    g = _decayed_gradient(context, float(settings["weight_decay"]), parts)
    before = context.row(context.state.sum)
    total = context.row(context.new_state.sum)
    t = int(context.row(context.new_state.step))
    parts.append(Part(
        "moments", "The sum of squared gradients grows",
        f"AdaGrad adds each coordinate's squared gradient to a running sum that never forgets: "
        f"{vector_words(before)} + {vector_words(g * g)} = {vector_words(total)}. "
        f"The larger the sum, the smaller that coordinate's steps from now on.",
        None, context.position, numbers=(("sum before", _pair(before)), ("g^2", _pair(g * g)),
                                         ("sum after", _pair(total))),
        squares=(("sqrt(sum of g^2): side, so the area is the sum", np.sqrt(total)),)))
    clr = lr / (1.0 + (t - 1) * lr_decay)
    rate = clr / (np.sqrt(total) + eps)
    decay = (f"The learning rate itself decays, lr / (1 + (t - 1) lr_decay) = {number(clr)} at step {t}. "
             if lr_decay != 0.0 else "")
    parts.append(_rate_part(context, rate, f"{decay}Each coordinate divides it by the square root of its sum:",
                            (("current lr", clr),)))
    parts.append(summand_part(
        "step", "The step",
        f"The step is -rate * g per coordinate: {vector_words(context.step)}.",
        context.step, context.position, numbers=(("step", _pair(context.step)),)))
    return tuple(parts)


@register_explainer("rmsprop")
def explain_rmsprop(context: StepContext) -> tuple[Part, ...]:
    """RMSProp: the running average of g^2 (centred: less the squared mean), the rate, momentum's terms."""
    settings = context.settings
    lr, alpha, eps = float(settings["lr"]), float(settings["alpha"]), float(settings["eps"])
    momentum, centered = float(settings["momentum"]), bool(settings["centered"])
    weight_decay = float(settings["weight_decay"])
    parts: list[Part] = []
    g = _decayed_gradient(context, weight_decay, parts)
    terms, _ = rmsprop_terms(context.fed, context.state, context.positions, lr=lr, alpha=alpha, eps=eps,
                             weight_decay=weight_decay, momentum=momentum, centered=centered)
    square_avg = context.row(context.new_state.square_avg)
    parts.append(Part(
        "moments", "A running average of squared gradients",
        f"RMSProp keeps v, an average of recent squared gradients that forgets old ones: "
        f"v = {number(alpha)} v + {number(1.0 - alpha)} g^2 = {vector_words(square_avg)}. "
        f"Its square root is the typical size of each coordinate's gradient lately.",
        None, context.position, numbers=(("alpha", alpha), ("v", _pair(square_avg)), ("g^2", _pair(g * g))),
        squares=(("sqrt(v): the typical size of g", np.sqrt(square_avg)),)))
    variance = square_avg
    if centered:
        grad_avg = context.row(context.new_state.grad_avg)
        variance = np.maximum(square_avg - grad_avg * grad_avg, 0.0)
        parts.append(Part(
            "centred", "Centred: subtract the squared mean",
            f"The centred variant also averages g itself, {vector_words(grad_avg)}, and divides by the spread "
            f"v - mean(g)^2 = {vector_words(variance)} instead of v: a steady gradient no longer slows itself.",
            None, context.position, numbers=(("mean of g", _pair(grad_avg)), ("v - mean^2", _pair(variance))),
            squares=(("sqrt(v - mean^2): the spread of g", np.sqrt(variance)),)))
    rate = lr / (np.sqrt(variance) + eps)
    parts.append(_rate_part(context, rate, f"The rate is lr / (sqrt({'variance' if centered else 'v'}) + eps):"))
    rows = {key: context.row(term) for key, term in terms}
    origins = dict(zip(rows, heads(context, list(rows.values())), strict=True))
    if momentum == 0.0:
        parts.append(summand_part("step", "The step", f"The step is -rate * g per coordinate: "
                                  f"{vector_words(rows['step'])}.", rows["step"], origins["step"],
                                  numbers=(("step", _pair(rows["step"])),)))
        return tuple(parts)
    previous = context.row(context.state.momentum_buffer)
    parts.append(summand_part(
        "momentum_decay", "Momentum: the old velocity, decayed",
        f"With momentum, RMSProp keeps a buffer b of scaled gradients, {vector_words(previous)}; the fraction "
        f"momentum = {number(momentum)} of it carries on: -lr * momentum * b = {vector_words(rows['momentum_decay'])}.",
        rows["momentum_decay"], origins["momentum_decay"],
        numbers=(("momentum", momentum), ("b before", _pair(previous)))))
    parts.append(summand_part(
        "momentum_add", "Momentum: the scaled gradient is added",
        f"The gradient divided by its typical size, g / (sqrt(v) + eps) = {vector_words(rows['momentum_add'] / -lr)}, "
        f"is added to the buffer; that part moves the ball by -lr times it, {vector_words(rows['momentum_add'])}.",
        rows["momentum_add"], origins["momentum_add"],
        numbers=(("b after", _pair(context.row(context.new_state.momentum_buffer))),)))
    return tuple(parts)


@register_explainer("adam", "adamw")
def explain_adam(context: StepContext) -> tuple[Part, ...]:
    """Adam and AdamW: the moments m and v, their bias corrections, the per-coordinate rate, the step
    (one indivisible term) and AdamW's decoupled decay (its own term)."""
    settings = context.settings
    lr, eps = float(settings["lr"]), float(settings["eps"])
    beta1, beta2 = (float(beta) for beta in settings["betas"])
    amsgrad = bool(settings["amsgrad"])
    weight_decay = float(settings["weight_decay"])
    decoupled = bool(settings.get("decoupled_weight_decay", False))
    parts: list[Part] = []
    g = _decayed_gradient(context, 0.0 if decoupled else weight_decay, parts)
    terms, _ = adam_terms(context.fed, context.state, context.positions, lr=lr, betas=(beta1, beta2), eps=eps,
                          weight_decay=weight_decay, amsgrad=amsgrad, decoupled_weight_decay=decoupled)
    rows = {key: context.row(term) for key, term in terms}
    origins = dict(zip(rows, heads(context, list(rows.values())), strict=True))
    new = context.new_state
    m, v = context.row(new.exp_avg), context.row(new.exp_avg_sq)
    second = context.row(new.max_exp_avg_sq) if amsgrad else v
    t = int(context.row(new.step))
    parts.append(Part(
        "moments", "Two running averages: m and v",
        f"Adam averages the gradient, m = {number(beta1)} m + {number(1.0 - beta1)} g = {vector_words(m)} (which "
        f"way the ball has been pushed lately), and its square, v = {number(beta2)} v + {number(1.0 - beta2)} g^2 "
        f"= {vector_words(v)} (how large the pushes have been)."
        + (f" AMSGrad divides by the largest v seen so far, {vector_words(second)}." if amsgrad else ""),
        context.arrow(m)[0], context.position,
        numbers=(("g", _pair(g)), ("m", _pair(m)), ("v", _pair(v))) + ((("max v", _pair(second)),) if amsgrad else ()),
        squares=(("|m|: the mean of g", np.abs(m)), ("sqrt(v): the typical size of g", np.sqrt(second))),
        scale_note="m drawn as -lr * m"))
    correction1 = 1.0 - beta1 ** t
    correction2 = 1.0 - beta2 ** t
    m_hat, v_hat = m / correction1, second / correction2
    parts.append(Part(
        "bias_correction", "Bias correction: undoing the start from zero",
        f"Both averages started at zero, so early on they are too small. At step {t} Adam divides m by "
        f"1 - beta1^t = {number(correction1)} and v by 1 - beta2^t = {number(correction2)}: "
        f"m^ = {vector_words(m_hat)}, "
        f"v^ = {vector_words(v_hat)}. The correction fades as t grows.",
        context.arrow(m_hat)[0], context.position,
        numbers=(("t", float(t)), ("1 - beta1^t", correction1), ("1 - beta2^t", correction2),
                 ("m^", _pair(m_hat)), ("v^", _pair(v_hat))),
        squares=(("sqrt(v^)", np.sqrt(v_hat)),), scale_note="m^ drawn as -lr * m^"))
    rate = lr / (np.sqrt(v_hat) + eps)
    parts.append(_rate_part(context, rate, "The rate is lr / (sqrt(v^) + eps):"))
    step = rows["step"]
    parts.append(summand_part(  # (key "step" when it is the whole step, "adam_step" beside AdamW's decay)
        "step" if len(rows) == 1 else "adam_step", "The step: m^ times the rate",
        f"The step is -lr * m^ / (sqrt(v^) + eps) = {vector_words(step)}: the averaged direction, each "
        f"coordinate scaled by its rate, so each moves about lr = {number(lr)} when its gradient is steady.",
        step, origins["step"], numbers=(("step", _pair(step)),)))
    if "weight_decay" in rows:
        decay = rows["weight_decay"]
        part = weight_decay_part(context, weight_decay, decay, summand=True)
        parts.append(Part(part.key, "AdamW: decoupled weight decay", part.sentence, decay, origins["weight_decay"],
                          summand=True, numbers=part.numbers))
    return tuple(parts)


@register_explainer("rprop")
def explain_rprop(context: StepContext) -> tuple[Part, ...]:
    """Rprop: the sign rule per coordinate and the step (one term, the update's own)."""
    settings = context.settings
    eta_minus, eta_plus = (float(eta) for eta in settings["etas"])
    low, high = (float(size) for size in settings["step_sizes"])
    g = context.fed_row
    previous = context.row(context.state.prev)
    old_size = context.row(context.state.step_size)
    size = context.row(context.new_state.step_size)
    kinds = [int(np.sign(g[k] * previous[k])) for k in range(2)]
    clamped = [bool(size[k] != old_size[k] * (eta_plus if kinds[k] > 0 else eta_minus if kinds[k] < 0 else 1.0))
               for k in range(2)]
    groups = [[0, 1]] if kinds[0] == kinds[1] and clamped[0] == clamped[1] else [[0], [1]]
    clauses = [_sign_clause(kinds[group[0]], [AXES[k] for k in group], [size[k] for k in group], eta_minus,
                            eta_plus) + (f" (held within the limits {number(low)} to {number(high)})"
                                         if clamped[group[0]] else "")
               for group in groups]
    parts = [Part(
        "sign_rule", "Rprop's sign rule",
        "Rprop ignores the gradient's size and reads only its sign, per coordinate. " + " ".join(clauses),
        None, context.position,
        numbers=(("sign of g", (float(np.sign(g[0])), float(np.sign(g[1])))),
                 ("previous sign", (float(np.sign(previous[0])), float(np.sign(previous[1])))),
                 ("step size before", _pair(old_size)), ("step size now", _pair(size))),
        squares=(("step size", size.copy()),))]
    parts.append(summand_part(
        "step", "The step: a fixed size against the sign",
        f"Each coordinate moves its step size against the sign of its gradient: {vector_words(context.step)}.",
        context.step, context.position, numbers=(("step", _pair(context.step)),)))
    return tuple(parts)


def _sign_clause(kind: int, axes: list[str], sizes: list[float], eta_minus: float, eta_plus: float) -> str:
    """One sentence of Rprop's sign rule for the coordinates ``axes`` that did the same: ``kind`` the
    sign of g * g_prev (+1 kept its sign, -1 changed it, 0 nothing to compare), ``sizes`` their new
    step sizes."""
    subject = " and ".join(axes)
    sizes_words = " and ".join(number(size) for size in sizes)
    each = "each step size" if len(axes) > 1 else "its step size"
    if kind > 0:
        return (f"In {subject} the gradient kept its sign, so {each} grows by eta+ = {number(eta_plus)}, "
                f"to {sizes_words}.")
    if kind < 0:
        return (f"In {subject} the gradient changed sign (the last step overshot), so {each} shrinks by "
                f"eta- = {number(eta_minus)}, to {sizes_words}, and {subject} {'wait' if len(axes) > 1 else 'waits'} "
                f"this step.")
    return (f"In {subject} there is no sign to compare yet (the first step, or just after a sign change), so "
            f"{each} stays {sizes_words}.")
