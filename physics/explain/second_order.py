r"""Explainers of the Hessian methods: newton, saddle-free-newton, damped-newton.

Each step is H-something^-1 g applied through the Hessian's eigen-decomposition H = V diag(lambda) V^T,
so each explanation shows that decomposition (the eigenvectors as ``directions``) and the step
split along the two eigenvectors, v_min c_min and v_max c_max: the summands, made by the update's
own function (physics.optimizers.newton.eigen_components), so they add up to the step bit for bit.

- Newton: c_k = -lr (v_k . g) / lambda_k. Where lambda_k < 0 the division flips the sign, so the
  ball moves *uphill* along v_k: the step heads for the model's critical point (x - H^-1 g, marked),
  a saddle or a maximum as readily as a minimum.
- Saddle-free Newton: c_k = -lr (v_k . g) / max(|lambda_k|, damping): every component goes downhill.
- Damped Newton: c_k = -(v_k . g) / (lambda_k + shift + mu), with the damping trials (mu growing by
  mu_inc until f drops) as marked points, and mu's next value.
"""

from __future__ import annotations

import numpy as np

from physics.eigen import Eigen, symmetric_eigen
from physics.explain.core import StepContext, number, register_explainer, summand_part, vector_words
from physics.explain.parts import Part
from physics.optimizers.damped_newton import DampingTrial, damped_search
from physics.optimizers.newton import newton_components, pseudo_inverse_weights
from physics.optimizers.saddle_free_newton import saddle_free_components

#: Names of the two eigen-directions, in the order of Eigen's columns (ascending eigenvalues).
DIRECTION_NAMES = ("v1 (lambda_min)", "v2 (lambda_max)")


def curvature_words(value: float) -> str:
    """How the surface bends along an eigenvector of curvature ``value``."""
    if value > 0.0:
        return "curves up (a valley across this line)"
    if value < 0.0:
        return "curves down (a ridge: downhill both ways)"
    return "is flat"


def model_kind(values: np.ndarray) -> str:
    """What the local quadratic model's critical point is, from H's eigenvalues (2,)."""
    low, high = float(values[0]), float(values[1])
    if low > 0.0:
        return "minimum"
    if high < 0.0:
        return "maximum"
    if low < 0.0 < high:
        return "saddle"
    return "degenerate point"


def _row_eigen(eigen: Eigen, i: int) -> tuple[np.ndarray, np.ndarray]:
    """Particle i's eigenvalues (2,) and unit eigenvectors as columns (2, 2)."""
    return np.array(eigen.values[i], dtype=np.float64), np.array(eigen.vectors[i], dtype=np.float64)


def eigen_part(context: StepContext, values: np.ndarray, vectors: np.ndarray) -> Part:
    """The Hessian's eigen-decomposition at the ball: the eigenvectors drawn as lines, with labels."""
    kind = model_kind(values)
    labels = tuple(f"lambda = {number(values[k])} ({'down' if values[k] < 0 else 'up' if values[k] > 0 else 'flat'})"
                   for k in range(2))
    return Part(
        "eigen", "The Hessian's eigen-decomposition",
        f"The Hessian H says how the surface bends here. Its eigenvectors are the two directions of pure "
        f"curvature: along v1 it {curvature_words(values[0])}, lambda_min = {number(values[0])}; along v2 it "
        f"{curvature_words(values[1])}, lambda_max = {number(values[1])}. So the quadratic model of f here "
        f"has a {kind} as its critical point.",
        None, context.position.copy(),
        numbers=(("lambda_min", float(values[0])), ("lambda_max", float(values[1])),
                 ("v1", (float(vectors[0, 0]), float(vectors[1, 0]))),
                 ("v2", (float(vectors[0, 1]), float(vectors[1, 1])))),
        directions=vectors.copy(), direction_labels=labels)


def _component_parts(position: np.ndarray, along_min: np.ndarray, along_max: np.ndarray,
                     sentences: tuple[str, str], titles: tuple[str, str], numbers: tuple[tuple, tuple],
                     key: str) -> list[Part]:
    """The two summands along v1 and v2 ((2,) each, the update's own rows), head to tail from the ball."""
    vectors = [np.array(along_min, dtype=np.float64), np.array(along_max, dtype=np.float64)]
    origins = [position.copy(), position + vectors[0]]
    return [summand_part(key, titles[k], sentences[k], vectors[k], origins[k], numbers=numbers[k]) for k in range(2)]


def _gradient_along(vectors: np.ndarray, g: np.ndarray) -> np.ndarray:
    """The gradient's coordinates (2,) along the unit eigenvectors: v_k . g."""
    return np.array([vectors[0, k] * g[0] + vectors[1, k] * g[1] for k in range(2)])


def _target_part(context: StepContext, hessian: np.ndarray, values: np.ndarray, key: str = "newton_target") -> Part:
    """Newton's target x - H^-1 g (the quadratic model's critical point), marked."""
    _, full = newton_components(1.0, hessian[None], context.fed_row[None])
    target = context.position + full.step()[0]
    kind = model_kind(values)
    return Part(
        key, "Where Newton's method aims",
        f"A full Newton step, x - H^-1 g, lands on the critical point of the quadratic model: here a {kind}, "
        f"at {vector_words(target)}. Newton's method goes there whatever kind of point it is.",
        None, context.position.copy(), points=target[None, :].copy(), point_labels=(f"Newton target ({kind})",),
        numbers=(("x - H^-1 g", (float(target[0]), float(target[1]))),))


@register_explainer("newton")
def explain_newton(context: StepContext) -> tuple[Part, ...]:
    """Newton's step -lr H^-1 g, split along H's eigenvectors (see the module docstring)."""
    lr = float(context.settings["lr"])
    hessian = context.oracle.evaluate(context.positions).hessian
    eigen, components = newton_components(lr, hessian, context.fed)
    i = context.particle
    values, vectors = _row_eigen(eigen, i)
    weights = pseudo_inverse_weights(eigen.values[i:i + 1])[0]
    along = _gradient_along(vectors, context.fed_row)
    coefficients = components.coefficients[i]
    sentences, titles, numbers = [], [], []
    for k in range(2):
        name = f"v{k + 1}"
        if weights[k] == 0.0:
            sentence = (f"Along {name} the curvature is zero to rounding (lambda = {number(values[k])}): Newton's "
                        f"method cannot divide by it and drops this component (the pseudo-inverse), so it does "
                        f"not move along {name}.")
            title = f"Along {name}: no curvature, no step"
        elif values[k] < 0.0:
            sentence = (f"Along {name} the gradient's component is {number(along[k])}, so downhill is the "
                        f"{'negative' if along[k] > 0 else 'positive'} side. But Newton divides by "
                        f"lambda = {number(values[k])} < 0, which flips the sign: it moves {number(coefficients[k])} "
                        f"along {name}, uphill, toward the top of the ridge where the model's slope vanishes. "
                        f"This is why Newton's method is drawn to saddles (and maxima).")
            title = f"Along {name}: the sign flips, uphill"
        else:
            sentence = (f"Along {name} the gradient's component is {number(along[k])} and the curvature "
                        f"lambda = {number(values[k])} > 0: Newton moves -lr * {number(along[k])} / "
                        f"{number(values[k])} = {number(coefficients[k])} along {name}, downhill to the bottom of "
                        f"the model's valley in that direction.")
            title = f"Along {name}: down to the valley floor"
        sentences.append(sentence)
        titles.append(title)
        numbers.append(((f"v{k + 1} . g", float(along[k])), (f"lambda_{k + 1}", float(values[k])),
                        (f"step along v{k + 1}", float(coefficients[k]))))
    parts = [eigen_part(context, values, vectors), _target_part(context, hessian[i], values)]
    parts += _component_parts(context.position, components.along_min[i], components.along_max[i], tuple(sentences),
                              tuple(titles), tuple(numbers), "newton")
    if lr != 1.0:
        parts.append(Part("lr", "The step: a fraction lr of Newton's", f"With lr = {number(lr)} the ball moves "
                          f"that fraction of the way to the target: {vector_words(context.step)}.", None,
                          context.position.copy(), numbers=(("lr", lr),)))
    return tuple(parts)


@register_explainer("saddle-free-newton")
def explain_saddle_free_newton(context: StepContext) -> tuple[Part, ...]:
    """Saddle-free Newton's step -lr |H|^-1 g, split along H's eigenvectors (see the module docstring)."""
    lr = float(context.settings["lr"])
    damping = float(context.settings["damping"])
    hessian = context.oracle.evaluate(context.positions).hessian
    eigen, divisors, components = saddle_free_components(lr, damping, hessian, context.fed)
    i = context.particle
    values, vectors = _row_eigen(eigen, i)
    divisor = divisors[i]
    along = _gradient_along(vectors, context.fed_row)
    coefficients = components.coefficients[i]
    sentences, titles, numbers = [], [], []
    for k in range(2):
        name = f"v{k + 1}"
        floor = "" if abs(values[k]) >= damping else \
            f" (|lambda| is below the damping {number(damping)}, so it divides by the damping instead)"
        if values[k] < 0.0:
            newton_says = -lr * along[k] / values[k]
            sentence = (f"Along {name} the surface curves down (lambda = {number(values[k])}). Newton would divide "
                        f"by lambda and move {number(newton_says)}, uphill toward the saddle; saddle-free Newton "
                        f"divides by |lambda| = {number(divisor[k])}{floor}, so it moves {number(coefficients[k])}: "
                        f"downhill, away from the saddle.")
            title = f"Along {name}: |lambda| keeps it downhill"
        else:
            sentence = (f"Along {name} the curvature is lambda = {number(values[k])}, and the step divides by "
                        f"max(|lambda|, damping) = {number(divisor[k])}{floor}: it moves {number(coefficients[k])} "
                        f"along {name}, downhill (as Newton does where the surface curves up).")
            title = f"Along {name}: as Newton"
        sentences.append(sentence)
        titles.append(title)
        numbers.append(((f"v{k + 1} . g", float(along[k])), (f"lambda_{k + 1}", float(values[k])),
                        (f"|lambda_{k + 1}| used", float(divisor[k])),
                        (f"step along v{k + 1}", float(coefficients[k]))))
    absolute = Part(
        "saddle_free", "|H|: every curvature made positive",
        f"Saddle-free Newton replaces each eigenvalue by its size, max(|lambda|, damping): "
        f"{number(values[0])} -> {number(divisor[0])} and {number(values[1])} -> {number(divisor[1])} "
        f"(damping = {number(damping)}). |H| is a bowl in every direction, so -|H|^-1 g always points downhill, "
        f"and saddles push the ball away instead of pulling it in.",
        None, context.position.copy(),
        numbers=(("|lambda_1|", float(divisor[0])), ("|lambda_2|", float(divisor[1])), ("damping", damping),
                 ("lr", lr)))
    parts = [eigen_part(context, values, vectors), absolute, _target_part(context, hessian[i], values)]
    parts += _component_parts(context.position, components.along_min[i], components.along_max[i], tuple(sentences),
                              tuple(titles), tuple(numbers), "saddle_free_step")
    return tuple(parts)


def _particle_trials(trials: list[DampingTrial], particle: int) -> list[tuple[DampingTrial, int]]:
    """The rounds that tried a step for ``particle``, with its position in each round's rows."""
    found = []
    for trial in trials:
        where = np.flatnonzero(trial.rows == particle)
        if where.size:
            found.append((trial, int(where[0])))
    return found


@register_explainer("damped-newton")
def explain_damped_newton(context: StepContext) -> tuple[Part, ...]:
    """Damped Newton's trials -(H + (shift + mu) I)^-1 g, mu growing until f drops (module docstring)."""
    settings = context.settings
    mu_dec, mu_inc, mu_max = float(settings["mu_dec"]), float(settings["mu_inc"]), float(settings["mu_max"])
    trials: list[DampingTrial] = []
    step, new_mu = damped_search(context.oracle, context.positions, context.fed, context.state.mu, mu_dec, mu_inc,
                                 mu_max, trials)
    i = context.particle
    hessian = context.oracle.evaluate(context.positions).hessian
    eigen = symmetric_eigen(hessian)
    values, vectors = _row_eigen(eigen, i)
    shift = 2.0 * max(-float(values[0]), 0.0)
    mu = float(context.row(context.state.mu))
    f0 = float(context.oracle.value(context.positions)[i])
    mine = _particle_trials(trials, i)
    points = np.array([context.position + trial.components.step()[j] for trial, j in mine]).reshape(-1, 2)
    labels = tuple(f"mu = {number(trial.damping[j])}: f = {number(trial.value[j])}, "
                   f"{'accepted' if trial.success[j] else 'rejected'}" for trial, j in mine)
    reflected = (f" lambda_min = {number(values[0])} < 0, so the damping first adds shift = 2 |lambda_min| = "
                 f"{number(shift)}: that reflects the negative curvature to +|lambda_min|, and every trial "
                 f"goes downhill." if shift > 0.0 else "")
    parts = [eigen_part(context, values, vectors), Part(
        "damping", "Damping: H + mu I",
        f"Damped Newton (Levenberg-Marquardt) solves with H + (shift + mu) I instead of H. Small mu is Newton's "
        f"step; large mu a short step along -g / mu. It starts from mu = {number(mu)}.{reflected}",
        None, context.position.copy(), numbers=(("mu", mu), ("shift", shift), ("mu_inc", mu_inc),
                                                ("mu_dec", mu_dec)))]
    won = [(trial, j) for trial, j in mine if trial.success[j]]
    next_mu = float(new_mu[i])
    if not mine:
        sentence = "The gradient is zero (or undefined) here, so there is nothing to try: the ball stays."
    elif won:
        trial, j = won[0]
        rejected = len(mine) - 1
        count = {0: "No trial was", 1: "1 trial was"}.get(rejected, f"{rejected} trials were")
        sentence = (f"{count} rejected before "
                    f"mu = {number(trial.damping[j])} gave f = {number(trial.value[j])} < f(x) = {number(f0)}: "
                    f"that step is taken, and mu shrinks by mu_dec to {number(next_mu)} for the next step.")
    else:
        sentence = (f"Every trial up to mu_max = {number(mu_max)} left f at or above f(x) = {number(f0)}: the "
                    f"ball waits this step, and mu stays at mu_max = {number(next_mu)}.")
    parts.append(Part("accept" if won or not mine else "reject", "The trials: raise mu until f drops",
                      f"Each trial raises mu by mu_inc = {number(mu_inc)} after a failure. {sentence}", None,
                      context.position.copy(),
                      numbers=(("f(x)", f0), ("mu next", next_mu), ("trials", float(len(mine)))),
                      points=points if len(mine) else None, point_labels=labels))
    if won:
        trial, j = won[0]
        curvatures = trial.curvatures[j]
        along = _gradient_along(vectors, context.fed_row)
        coefficients = trial.components.coefficients[j]
        sentences = tuple(f"Along v{k + 1} the step divides the gradient's component {number(along[k])} by "
                          f"lambda + shift + mu = {number(curvatures[k])} (> 0): it moves {number(coefficients[k])} "
                          f"along v{k + 1}, downhill." for k in range(2))
        titles = ("Along v1, damped", "Along v2, damped")
        numbers = tuple(((f"v{k + 1} . g", float(along[k])), (f"lambda_{k + 1} + shift + mu", float(curvatures[k])),
                         (f"step along v{k + 1}", float(coefficients[k]))) for k in range(2))
        parts += _component_parts(context.position, trial.components.along_min[j], trial.components.along_max[j],
                                  sentences, titles, numbers, "damped_newton")
    else:
        parts.append(summand_part("step", "No step", "The ball does not move this step.", context.row(step),
                                  context.position, numbers=()))
    return tuple(parts)

