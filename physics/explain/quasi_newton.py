r"""Explainers of the line-search methods: bfgs and cg (Polak-Ribiere+ conjugate gradient).

Both pick a search direction d, then a strong Wolfe line search picks the step length alpha; the
step is alpha d, one summand (the update's own row: physics.optimizers.bfgs.bfgs_step and
physics.optimizers.conjugate_gradient.cg_step, the functions the updates call, run again with a
list that records the search's rounds).

- BFGS: the inverse-Hessian estimate H learned from the last step s and gradient change y (updated
  only when the curvature condition s.y > 0 holds), and the direction d = -H g.
- CG: d = -g + beta d_prev with beta = max(0, g.(g - g_prev) / |g_prev|^2), or a restart d = -g.
- Both: the line search's trials x + alpha d as marked points, labelled with the Wolfe condition
  each met or failed (sufficient decrease with c1, curvature with c2) and the numbers.
"""

from __future__ import annotations

import numpy as np

from physics.explain.core import StepContext, number, register_explainer, summand_part, vector_words
from physics.explain.parts import Part
from physics.optimizers.bfgs import bfgs_step
from physics.optimizers.conjugate_gradient import cg_step
from physics.optimizers.line_search import LineSearchResult, LineSearchTrial


def _pair(vector: np.ndarray) -> tuple[float, float]:
    return float(vector[0]), float(vector[1])


def _trial_label(alpha: float, accepted: bool, armijo: bool, curvature: bool, value: float) -> str:
    """What one trial met or failed, in a few words."""
    if accepted:
        return f"alpha = {number(alpha)}: accepted (both Wolfe conditions)"
    if not np.isfinite(value):
        return f"alpha = {number(alpha)}: rejected (f undefined there)"
    if not armijo:
        return f"alpha = {number(alpha)}: rejected (not enough decrease)"
    if not curvature:
        return f"alpha = {number(alpha)}: decrease ok, slope still steep"
    return f"alpha = {number(alpha)}: no lower than the best so far"


def line_search_part(context: StepContext, trials: list[LineSearchTrial], result: LineSearchResult,
                     direction: np.ndarray, value: float, slope: float, alpha0: float, c1: float, c2: float) -> Part:
    """The strong Wolfe search along ``direction`` (2,) for the particle: its trials, marked and told."""
    i = context.particle
    points, labels, lines = [], [], []
    for trial in trials:
        where = np.flatnonzero(trial.rows == i)
        if not where.size:
            continue
        j = int(where[0])
        alpha, f, s = float(trial.alpha[j]), float(trial.value[j]), float(trial.slope[j])
        accepted, armijo, curvature = bool(trial.accepted[j]), bool(trial.armijo[j]), bool(trial.curvature[j])
        points.append(context.position + alpha * direction)
        labels.append(_trial_label(alpha, accepted, armijo, curvature, f))
        bound = value + c1 * alpha * slope
        lines.append(f"alpha = {number(alpha)}: f = {number(f)} {'<=' if armijo else '>'} {number(bound)}, "
                     f"|slope| = {number(abs(s))} {'<=' if curvature else '>'} {number(c2 * abs(slope))}")
    alpha = float(result.alpha[i])
    if not points:
        outcome = ("The direction does not go downhill on the true loss (or the data are not finite), so there is "
                   "nothing to search: alpha = 0, the ball stays.")
    elif bool(result.converged[i]):
        outcome = f"It stops at alpha = {number(alpha)}, which meets both."
    elif alpha > 0.0:
        outcome = (f"No trial met both before the search gave up, so it takes the lowest trial that met the first: "
                   f"alpha = {number(alpha)}.")
    else:
        outcome = "No trial lowered f enough, so alpha = 0: the ball stays this step."
    tried = ("; ".join(lines) + ". ") if lines else ""
    return Part(
        "line_search", "The line search: how far along d",
        f"Along d the loss is phi(alpha) = f(x + alpha d), phi(0) = {number(value)}, slope phi'(0) = "
        f"{number(slope)}. A step length is accepted when f drops at least c1 * alpha * phi'(0) below phi(0) "
        f"(sufficient decrease, c1 = {number(c1)}) and the slope has flattened to |phi'(alpha)| <= c2 |phi'(0)| "
        f"(curvature, c2 = {number(c2)}). First trial alpha = {number(alpha0)}, doubled while the slope stays "
        f"steep, narrowed when a trial overshoots. {tried}{outcome}",
        None, context.position.copy(),
        numbers=(("phi(0)", value), ("phi'(0)", slope), ("c1", c1), ("c2", c2), ("alpha0", alpha0), ("alpha", alpha),
                 ("trials", float(len(points)))),
        points=np.array(points, dtype=np.float64).reshape(-1, 2) if points else None, point_labels=tuple(labels))


def _step_part(context: StepContext, step: np.ndarray, alpha: float, direction: np.ndarray) -> Part:
    """The one summand: alpha d, the update's own row."""
    if alpha == 0.0:
        return summand_part("step", "No step", "The line search found no step length: the ball stays this step.",
                            step, context.position, numbers=(("alpha", 0.0),))
    return summand_part("step", "The step: alpha times d",
                        f"The ball moves alpha * d = {number(alpha)} * {vector_words(direction)} = "
                        f"{vector_words(step)}.", step, context.position, numbers=(("alpha", alpha),))


def _matrix_numbers(label: str, matrix: np.ndarray) -> tuple[tuple[str, tuple[float, float]], ...]:
    """A symmetric 2 x 2 matrix as two rows of numbers."""
    return ((f"{label} row 1", _pair(matrix[0])), (f"{label} row 2", _pair(matrix[1])))


@register_explainer("bfgs")
def explain_bfgs(context: StepContext) -> tuple[Part, ...]:
    """BFGS: the inverse-Hessian update from (s, y), d = -H g, and the line search (module docstring)."""
    settings = context.settings
    lr, c1, c2 = float(settings["lr"]), float(settings["c1"]), float(settings["c2"])
    trials: list[LineSearchTrial] = []
    steps, _, plan, search = bfgs_step(context.state, context.positions, context.fed, context.oracle, lr, c1, c2,
                                       trials)
    i = context.particle
    g = context.fed_row
    s, y = context.row(plan.s), context.row(plan.y)
    ys = float(plan.ys[i])
    had_previous = bool(context.state.has_previous[i])
    before, updated = context.row(plan.before), context.row(plan.updated)
    threshold = 1e-10 * float(np.hypot(*y)) * float(np.hypot(*s))
    if not had_previous:
        sentence = ("This is the first step: BFGS has seen no curvature yet, so its inverse-Hessian estimate is "
                    "H = I and its first direction is plain -g.")
        vector, origin = None, context.position.copy()
    elif bool(plan.usable[i]):
        scaled = (f" As this is the first pair it uses, H first becomes (y.s / y.y) I = {number(plan.scale[i])} I "
                  f"(a guess of the curvature's size)." if bool(context.state.identity[i]) else "")
        sentence = (f"The last step was s = {vector_words(s)} and the gradient changed by y = {vector_words(y)}. "
                    f"s.y = {number(ys)} > 0: the curvature condition holds (the surface curved up along s), so H "
                    f"is updated from s and y: H <- (I - rho s y^T) H (I - rho y s^T) + rho s s^T, rho = 1/(y.s), "
                    f"after which H y = s (the secant equation).{scaled}")
        vector, origin = s, context.position - s
    else:
        sentence = (f"The last step was s = {vector_words(s)}, the gradient changed by y = {vector_words(y)}: "
                    f"s.y = {number(ys)} is not above {number(threshold)}, so the curvature condition fails (the "
                    f"surface did not curve up along s) and H is kept as it was: an update would make it lose "
                    f"positive definiteness.")
        vector, origin = s, context.position - s
    update = Part("bfgs_update", "Learning the inverse Hessian from s and y", sentence,
                  None if vector is None else np.array(vector, dtype=np.float64), origin,
                  numbers=(("s", _pair(s)), ("y", _pair(y)), ("s.y", ys), *_matrix_numbers("H before", before),
                           *_matrix_numbers("H after", updated)),
                  scale_note="" if vector is None else "the last step s, drawn where it was taken")
    direction = context.row(plan.direction)
    if bool(plan.uphill[i]):
        told = (f"-H g pointed uphill on the true loss (the gradient the method sees is noisy), so H is reset to I "
                f"and d = -g = {vector_words(direction)}.")
    else:
        told = (f"d = -H g = {vector_words(direction)}: the gradient {vector_words(g)} bent by what H has learned "
                f"of the curvature (with H = I it would be -g).")
    direction_part = Part("bfgs_direction", "The search direction: d = -H g", told, direction.copy(),
                          context.position.copy(), numbers=(("d", _pair(direction)), ("g", _pair(g))),
                          scale_note="drawn as it is: d is the step of length alpha = 1")
    search_part = line_search_part(context, trials, search, direction, float(plan.value[i]),
                                   float(plan.gradient[i] @ plan.direction[i]), float(plan.alpha0[i]), c1, c2)
    return (update, direction_part, search_part,
            _step_part(context, context.row(steps), float(search.alpha[i]), direction))


@register_explainer("cg")
def explain_cg(context: StepContext) -> tuple[Part, ...]:
    """CG: d = -g + beta d_prev (or a restart), and the line search (see the module docstring)."""
    settings = context.settings
    lr, c1, c2, restart = float(settings["lr"]), float(settings["c1"]), float(settings["c2"]), int(settings["restart"])
    trials: list[LineSearchTrial] = []
    steps, _, plan, search = cg_step(context.state, context.positions, context.fed, context.oracle, lr, c1, c2,
                                     restart, trials)
    i = context.particle
    g = context.fed_row
    state = context.state
    previous_g, previous_d = context.row(state.previous_grads), context.row(state.previous_direction)
    direction = context.row(plan.direction)
    alpha = float(search.alpha[i])
    beta = float(plan.beta[i])
    numerator = float(g @ (g - previous_g))
    denominator = float(previous_g @ previous_g)
    formula = (f"beta = max(0, g.(g - g_prev) / |g_prev|^2) = max(0, {number(numerator)} / {number(denominator)})"
               f" = {number(beta)}")
    if bool(plan.conjugate[i]):
        sentence = (f"Conjugate gradient mixes the new gradient with the last direction d_prev = "
                    f"{vector_words(previous_d)}: d = -g + beta d_prev, with {formula} (Polak-Ribiere+). So "
                    f"d = {vector_words(direction)}: it keeps going the way it went, bent by the new gradient, which "
                    f"in a ravine cancels the zig-zag of plain descent.")
        title = "The direction: -g + beta d_prev"
    else:
        if not bool(state.has_previous[i]):
            why = "this is the first step, so there is no last direction yet"
        elif float(state.previous_alpha[i]) == 0.0:
            why = "the last line search did not move, so the last direction is no guide"
        elif int(state.since_restart[i]) + 1 >= restart:
            why = (f"it restarts every {restart} steps (restart = {restart}): a steepest-descent step clears "
                   f"directions that have gone stale")
        elif bool(plan.uphill[i]):
            why = f"-g + beta d_prev ({formula}) did not point downhill on the true loss"
        else:
            why = f"{formula}: PR+ clips a negative beta to 0, which is itself a restart"
        sentence = f"A restart: d = -g = {vector_words(direction)}, because {why}."
        title = "The direction: a restart, d = -g"
    numbers = (("beta", beta), ("g.(g - g_prev)", numerator), ("|g_prev|^2", denominator), ("d", _pair(direction)),
               ("restart", float(restart)))
    # The direction's two terms, drawn scaled by alpha as the step uses them (context, not summands: alpha
    # multiplies their sum).
    scale = alpha if alpha > 0.0 else 1.0
    parts = [Part("cg_direction", title, sentence, scale * direction, context.position.copy(), numbers=numbers,
                  scale_note=f"drawn as alpha * d (alpha = {number(scale)})")]
    if bool(plan.conjugate[i]):
        parts.append(Part("cg_beta", "The memory: beta d_prev",
                          f"The part carried over from the last direction, beta d_prev = "
                          f"{vector_words(beta * previous_d)}, drawn after -g.", scale * beta * previous_d,
                          context.position - scale * g, scale_note=f"drawn as alpha * beta * d_prev (alpha = "
                                                                     f"{number(scale)})"))
    guess = (f"The first trial alpha = {number(plan.alpha0[i])} is the last step's alpha times the ratio of the "
             f"slopes (Nocedal and Wright eq. 3.60)." if bool(plan.guessed[i]) else "")
    search_part = line_search_part(context, trials, search, direction, float(plan.value[i]), float(plan.slope[i]),
                                   float(plan.alpha0[i]), c1, c2)
    if guess:
        search_part = Part(search_part.key, search_part.title, f"{search_part.sentence} {guess}", search_part.vector,
                           search_part.origin, numbers=search_part.numbers, points=search_part.points,
                           point_labels=search_part.point_labels)
    parts.append(search_part)
    parts.append(_step_part(context, context.row(steps), alpha, direction))
    return tuple(parts)
