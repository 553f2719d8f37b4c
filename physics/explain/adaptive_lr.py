r"""Explainers of MATLAB's adaptive learning-rate rules: adaptive-lr (traingda), momentum-adaptive-lr (traingdx).

Both try a change dX, measure the loss before and after, and accept it unless the loss rose by more
than the ratio max_perf_inc; the rate then grows by lr_inc (the loss fell), stays (it rose a little)
or shrinks by lr_dec (rejected). The parts come from the update's own functions
(physics.optimizers.adaptive_rate: ``judge``, ``next_rate``, ``momentum_terms``):

- traingda: one summand, the trial -lr g if accepted (zero if rejected);
- traingdx: two summands, momentum's kept change mc dX_prev and the added (1 - mc)(-lr g), if
  accepted (their sum is the trial dX); if rejected, a zero summand (the ball stays) and the two
  terms as context; the momentum is then reset to -lr g at the shrunk rate.

The trial point X + dX is marked, labelled accepted or rejected; the decision's part has the key
"accept" or "reject" accordingly.
"""

from __future__ import annotations

import numpy as np

from physics.explain.core import StepContext, number, register_explainer, summand_part, vector_words
from physics.explain.parts import Part
from physics.optimizers.adaptive_rate import Judgement, judge, momentum_terms, next_rate
from physics.optimizers.arrays import column


def _judgement_parts(context: StepContext, judgement: Judgement, change: np.ndarray, new_lr: float) -> list[Part]:
    """The accept/reject decision (trial point marked) and the rate's change, for the particle."""
    i = context.particle
    settings = context.settings
    max_perf_inc = float(settings["max_perf_inc"])
    lr_inc, lr_dec = float(settings["lr_inc"]), float(settings["lr_dec"])
    lr = float(context.row(context.state.lr))
    perf, perf2, limit = float(judgement.perf[i]), float(judgement.perf2[i]), float(judgement.limit[i])
    accepted, lowered = bool(judgement.accepted[i]), bool(judgement.lowered[i])
    trial = context.position + change
    if accepted:
        verdict = (f"f after = {number(perf2)} is at most the limit {number(limit)}, so the step is accepted")
        label = "trial: accepted"
    else:
        why = "is undefined there" if np.isnan(perf2) else f"= {number(perf2)} is above the limit {number(limit)}"
        verdict = f"f after {why}, so the step is rejected: the ball stays where it is"
        label = "trial: rejected"
    decision = Part(
        "accept" if accepted else "reject", "Accept or reject the trial step",
        f"The rule tries the change first. f before = {number(perf)}; the limit is f before + "
        f"(max_perf_inc - 1) |f before| = {number(limit)} (max_perf_inc = {number(max_perf_inc)}, so a rise of "
        f"up to {number(100.0 * (max_perf_inc - 1.0))} % is tolerated); {verdict}.",
        np.array(change, dtype=np.float64), context.position.copy(),
        numbers=(("f before", perf), ("f after", perf2), ("limit", limit), ("max_perf_inc", max_perf_inc)),
        points=trial[None, :].copy(), point_labels=(label,), scale_note="the trial change dX, drawn as it is")
    if not accepted:
        how = f"The step was rejected, so the rate shrinks: lr * lr_dec = {number(lr)} * {number(lr_dec)}"
    elif lowered:
        how = f"The loss fell, so the rate grows: lr * lr_inc = {number(lr)} * {number(lr_inc)}"
    else:
        how = "The loss rose a little (within the limit), so the rate stays"
    rate = Part("rate", "The learning rate adapts", f"{how} = {number(new_lr)} for the next step.", None,
                context.position.copy(), numbers=(("lr now", lr), ("lr next", new_lr), ("lr_inc", lr_inc),
                                                  ("lr_dec", lr_dec)))
    return [decision, rate]


@register_explainer("adaptive-lr")
def explain_traingda(context: StepContext) -> tuple[Part, ...]:
    """traingda: the trial -lr g, accepted or rejected (see the module docstring)."""
    settings = context.settings
    # The update's trial change, -lr g at each particle's own current rate (adaptive_lr's update).
    changes = -column(context.state.lr) * context.fed
    judgement = judge(context.oracle, context.positions, changes, float(settings["max_perf_inc"]))
    new_lr = next_rate(context.state.lr, judgement, float(settings["lr_inc"]), float(settings["lr_dec"]))
    i = context.particle
    change = context.row(changes)
    lr = float(context.row(context.state.lr))
    parts = [Part("trial", "The trial step: against the gradient",
                  f"traingda is gradient descent at its own current rate lr = {number(lr)}: the trial change is "
                  f"-lr * g = {vector_words(change)}.", None, context.position.copy(), numbers=(("lr", lr),))]
    parts += _judgement_parts(context, judgement, change, float(new_lr[i]))
    if judgement.accepted[i]:
        parts.append(summand_part("step", "The step: the accepted trial",
                                  f"The ball moves by the trial change {vector_words(change)}.", change,
                                  context.position))
    else:
        parts.append(summand_part("step", "No step: rejected", "The trial was rejected: the ball does not move "
                                  "this step, and tries again next step at the smaller rate.", np.zeros(2),
                                  context.position))
    return tuple(parts)


@register_explainer("momentum-adaptive-lr")
def explain_traingdx(context: StepContext) -> tuple[Part, ...]:
    """traingdx: dX = mc dX_prev + (1 - mc)(-lr g), accepted or rejected (see the module docstring)."""
    settings = context.settings
    momentum = float(settings["momentum"])
    gradient_steps, kept_terms, added_terms = momentum_terms(context.state, context.fed, momentum)
    changes = kept_terms + added_terms
    judgement = judge(context.oracle, context.positions, changes, float(settings["max_perf_inc"]))
    new_lr = next_rate(context.state.lr, judgement, float(settings["lr_inc"]), float(settings["lr_dec"]))
    i = context.particle
    kept, added, change = context.row(kept_terms), context.row(added_terms), context.row(changes)
    gradient_step = context.row(gradient_steps)
    lr = float(context.row(context.state.lr))
    first = int(context.row(context.state.step)) == 0
    previous = gradient_step if first else context.row(context.state.change)
    accepted = bool(judgement.accepted[i])
    if first:
        kept_sentence = (f"On the first step there is no last change yet: traingdx starts it as the gradient step "
                         f"-lr * g = {vector_words(previous)}, and keeps momentum = {number(momentum)} of it: "
                         f"{vector_words(kept)}.")
    else:
        # A rejected step left the ball still (step exactly zero) and restarted the momentum.
        restarted = not np.any(context.simulation.state(context.ball).step[i])
        remembered = (f"The last step was rejected, so momentum restarted from the gradient step dX_prev = "
                      f"{vector_words(previous)}" if restarted else
                      f"The last change was dX_prev = {vector_words(previous)}")
        kept_sentence = (f"{remembered}. Momentum keeps the fraction mc = {number(momentum)} of it: "
                         f"mc * dX_prev = {vector_words(kept)}.")
    added_sentence = (f"The gradient step at the current rate, -lr * g = {vector_words(gradient_step)} "
                      f"(lr = {number(lr)}), enters with weight 1 - mc = {number(1.0 - momentum)}: "
                      f"{vector_words(added)}. Together: the trial change dX = {vector_words(change)}.")
    kept_part = Part("momentum_decay", "Momentum: the last change, kept", kept_sentence, kept, context.position.copy(),
                     summand=accepted,
                     numbers=(("mc", momentum), ("dX_prev", (float(previous[0]), float(previous[1])))))
    added_part = Part("momentum_add", "The gradient step is mixed in", added_sentence, added,
                      context.position + kept, summand=accepted,
                      numbers=(("lr", lr), ("1 - mc", 1.0 - momentum), ("dX", (float(change[0]), float(change[1])))))
    parts = [kept_part, added_part]
    parts += _judgement_parts(context, judgement, change, float(new_lr[i]))
    if not accepted:
        reset = context.row(context.new_state.change)
        parts.append(summand_part(
            "step", "No step: rejected, momentum reset",
            f"The trial was rejected: the ball does not move this step, and the momentum is reset to the "
            f"gradient step at the shrunk rate, -lr * g = {vector_words(reset)}.", np.zeros(2), context.position,
            numbers=(("dX_prev next", (float(reset[0]), float(reset[1]))),)))
    return tuple(parts)
