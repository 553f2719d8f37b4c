"""Explainers of gradient descent and momentum: gd, sgd, momentum (heavy ball), nesterov.

The summands are :func:`physics.optimizers.sgd.sgd_terms`, the terms the update adds up:

- gradient descent: -lr * g, then weight decay's -lr * (weight_decay * p);
- heavy ball: the buffer's decay -lr * (momentum * b_{t-1}) and the add -lr * ((1 - dampening) g);
  on the first step the buffer starts as g itself (no decay, no dampening);
- Nesterov: those two times momentum, then the look-ahead -lr * g.
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
from physics.optimizers.sgd import sgd_terms


def _terms(context: StepContext) -> dict[str, np.ndarray]:
    """The update's terms for the particle, by key, in the update's order (dicts keep it)."""
    settings = context.settings
    terms, _ = sgd_terms(context.fed, context.state, context.positions, lr=settings["lr"],
                         momentum=settings.get("momentum", 0.0), dampening=settings.get("dampening", 0.0),
                         weight_decay=settings.get("weight_decay", 0.0), nesterov=settings.get("nesterov", False))
    return {key: context.row(term) for key, term in terms}


@register_explainer("gd", "sgd", "momentum", "nesterov")
def explain_sgd(context: StepContext) -> tuple[Part, ...]:
    """The parts of one step of torch.optim.SGD's rule (any of its four registry entries)."""
    settings = context.settings
    lr = float(settings["lr"])
    momentum = float(settings.get("momentum", 0.0))
    dampening = float(settings.get("dampening", 0.0))
    weight_decay = float(settings.get("weight_decay", 0.0))
    terms = _terms(context)
    origins = dict(zip(terms, heads(context, list(terms.values())), strict=True))
    g = context.fed_row
    parts: list[Part] = []
    if momentum == 0.0:
        vector = terms["gradient"]
        # (key "step" when it is the whole step; beside weight decay's term it is one of two)
        parts.append(summand_part(
            "step" if weight_decay == 0.0 else "gradient_step", "The step: against the gradient",
            f"Gradient descent steps against the gradient it sees, scaled by the learning rate: "
            f"-lr * g = -{number(lr)} * {vector_words(g)} = {vector_words(vector)}.",
            vector, origins["gradient"], numbers=(("lr", lr), ("-lr * g", (float(vector[0]), float(vector[1]))))))
        if weight_decay != 0.0:
            decay = terms["weight_decay"]
            part = weight_decay_part(context, weight_decay, decay, summand=True)
            parts.append(Part(part.key, part.title,
                              f"Weight decay adds weight_decay * p to the gradient (weight_decay = "
                              f"{number(weight_decay)}), which moves the ball by -lr * weight_decay * p = "
                              f"{vector_words(decay)}: a pull toward the origin.",
                              decay, origins["weight_decay"], summand=True, numbers=part.numbers))
        return tuple(parts)

    if weight_decay != 0.0:
        parts.append(weight_decay_part(context, weight_decay))
        g = g + weight_decay * context.position
    first = int(context.row(context.state.step)) == 0
    previous = context.row(context.state.momentum_buffer)
    buffer = context.row(context.new_state.momentum_buffer)
    nesterov = bool(settings.get("nesterov", False))
    scale = f"-lr * momentum = {number(-lr * momentum)}" if nesterov else f"-lr = {number(-lr)}"
    decay, add = terms["momentum_decay"], terms["momentum_add"]
    if first:
        parts.append(summand_part(
            "momentum_decay", "Momentum: the buffer starts empty",
            "This is the first step, so the momentum buffer b holds nothing yet: there is no old velocity "
            "to keep, and this arrow has length zero.",
            decay, origins["momentum_decay"], numbers=(("momentum", momentum),)))
        parts.append(summand_part(
            "momentum_add", "Momentum: the buffer starts as the gradient",
            f"On the first step the buffer is simply the gradient, b = g = {vector_words(buffer)} (no "
            f"dampening yet). Scaled by {scale} it moves the ball by {vector_words(add)}.",
            add, origins["momentum_add"], numbers=(("b", (float(buffer[0]), float(buffer[1]))),)))
    else:
        parts.append(summand_part(
            "momentum_decay", "Momentum: the old velocity, decayed",
            f"The buffer b remembers past gradients: {vector_words(previous)}. Each step keeps the fraction "
            f"momentum = {number(momentum)} of it, momentum * b = {vector_words(momentum * previous)}. Scaled by "
            f"{scale}, it moves the ball {vector_words(decay)}: momentum carries the ball on even where the "
            f"gradient is small.",
            decay, origins["momentum_decay"],
            numbers=(("momentum", momentum), ("b before", (float(previous[0]), float(previous[1]))),
                     ("momentum * b", (float(momentum * previous[0]), float(momentum * previous[1]))))))
        damped = "" if dampening == 0.0 else f" times (1 - dampening) = {number(1.0 - dampening)}"
        parts.append(summand_part(
            "momentum_add", "Momentum: the new gradient is added",
            f"The new gradient {vector_words(g)}{damped} is added to the buffer, which becomes "
            f"b = {vector_words(buffer)}. The added part moves the ball by {vector_words(add)}.",
            add, origins["momentum_add"],
            numbers=(("dampening", dampening), ("b after", (float(buffer[0]), float(buffer[1]))))))
    if nesterov:
        look = terms["lookahead"]
        parts.append(summand_part(
            "lookahead", "Nesterov: the look-ahead",
            f"Nesterov's step uses g + momentum * b instead of b alone: besides the buffer it takes one more "
            f"plain gradient step, -lr * g = {vector_words(look)}. This looks ahead to where the momentum "
            f"is taking the ball and brakes it sooner in a ravine.",
            look, origins["lookahead"], numbers=(("-lr * g", (float(look[0]), float(look[1]))),)))
    return tuple(parts)
