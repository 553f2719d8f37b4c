"""The explainer's framework: reproduce a ball's next update on copies, then take it apart.

``explain_next_step(simulation, ball, particle=0) -> Explanation`` replays step 1 and 2 of
physics.simulation's step for the ball (the gradient estimate with the very noise draw or
mini-batch the simulation will make next, clipping, then ``optimizer.update``) on copies of the
ball's random generators and optimiser state, so the simulation is left untouched and the step is
the one ``simulation.step(1)`` will take, bit for bit. It works on the whole ball (every particle
of a swarm), as the simulation does, and explains one particle's row.

The parts then come from :data:`EXPLAINERS` (optimizer name -> explainer): each explainer gets
the :class:`StepContext` (everything the update saw and made) and returns its parts; the
framework puts in front of them the parts every method shares, built here once: the true gradient
(drawn as -lr * g when the method has an lr), the noise or mini-batch estimate, and clipping.

An explainer's summands come from the same function the update makes its step with (for the
SGD family physics.optimizers.sgd.sgd_terms, ...), so the arrows it adds head to tail equal the
step bit for bit (``sum_of_summands(parts) == step``; tests/physics/test_explain*.py).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from physics.explain.parts import Explanation, Part
from physics.noise import add_gaussian_noise, batch_mask, minibatch_gradient, noise_scale
from physics.optimizers.base import OptimizerSpec
from physics.optimizers.clipping import clip_by_norm
from physics.oracle import SurfaceOracle
from physics.particles import finite_rows, inside_box
from surfaces.errors import DownhillError
from surfaces.surface import Evaluation

if TYPE_CHECKING:
    from physics.simulation import Simulation

#: An explainer: the method's own parts (context and summands) for one particle's next update.
Explainer = Callable[["StepContext"], tuple[Part, ...]]

#: Every optimiser's explainer by registry name (physics.optimizers.base.registry()); filled by
#: :func:`register_explainer` when physics.explain imports the explainers' modules.
EXPLAINERS: dict[str, Explainer] = {}


def register_explainer(*names: str) -> Callable[[Explainer], Explainer]:
    """Decorator: ``explainer`` explains the optimisers ``names``."""
    def add(explainer: Explainer) -> Explainer:
        for name in names:
            if name in EXPLAINERS:
                raise ValueError(f"optimiser {name!r} has two explainers")
            EXPLAINERS[name] = explainer
        return explainer

    return add


def number(value: float, digits: int = 3) -> str:
    """A number as a student reads it, ``digits`` significant figures: '0.0123', '2.5', '1.2e-05'."""
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    if value == 0.0:
        return "0"
    return f"{value:.{digits}g}"


def vector_words(vector: np.ndarray, digits: int = 3) -> str:
    """A (2,) vector as '(0.12, -3.4)'."""
    return f"({number(vector[0], digits)}, {number(vector[1], digits)})"


@dataclass(frozen=True)
class StepContext:
    """Everything one update saw and made, for one particle (the ``row``) of a ball.

    Whole-ball arrays (n, ...) are what the optimiser was called with; the particle's own values
    are the ``*_row`` fields (copies). Units: positions in surface coordinates; gradients in
    f per unit length; steps in position units.

    Attributes:
        simulation: the simulation (read, never changed); ball, particle: which one.
        spec: the optimiser's registry entry; settings: its hyper-parameters with the entry's fixed
            ones (``nesterov=True`` for "nesterov"), as the factory was called.
        updates: how many updates the ball made before this one (t - 1 in the docstrings).
        step_index: the simulation's step counter after this update.
        positions, gradients, estimates, fed: (n, 2) where the particles are, their true gradients,
            the noisy estimates (before clipping) and what the optimiser was fed (after clipping).
        state, new_state: the optimiser state before (a copy) and after the update.
        steps: (n, 2) the ball's steps, stopped particles' rows zero (as the simulation makes them).
        position, gradient, estimate, fed_row, step: the particle's rows (2,).
        active: whether the particle still moves (a stopped one's step is zero).
        sigma: sigma_t, the Gaussian noise scale of this update (0 for none).
        batch_size, batch_terms: the mini-batch's size B and the particle's term indices (sorted),
            or None and () for the full gradient; term_count: m, the surface's number of terms.
        clip: the clipping threshold, or None.
        oracle: the oracle the update asked (remembering the particles' evaluation).
    """

    simulation: Simulation
    ball: int
    particle: int
    spec: OptimizerSpec
    settings: Mapping[str, Any]
    updates: int
    step_index: int
    positions: np.ndarray
    gradients: np.ndarray
    estimates: np.ndarray
    fed: np.ndarray
    state: Any
    new_state: Any
    steps: np.ndarray
    active: bool
    sigma: float
    batch_size: int | None
    batch_terms: tuple[int, ...]
    term_count: int
    clip: float | None
    oracle: SurfaceOracle
    position: np.ndarray = field(init=False)
    gradient: np.ndarray = field(init=False)
    estimate: np.ndarray = field(init=False)
    fed_row: np.ndarray = field(init=False)
    step: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        i = self.particle
        for name, array in (("position", self.positions), ("gradient", self.gradients),
                            ("estimate", self.estimates), ("fed_row", self.fed), ("step", self.steps)):
            object.__setattr__(self, name, np.array(array[i], dtype=np.float64))

    @property
    def lr(self) -> float:
        """The method's learning rate, or NaN when it has none."""
        lr = self.settings.get("lr")
        return float(lr) if isinstance(lr, int | float) and not isinstance(lr, bool) else math.nan

    def row(self, array: np.ndarray) -> np.ndarray:
        """The particle's row of a whole-ball array (n, ...), as a new float64 array."""
        return np.array(np.asarray(array)[self.particle], dtype=np.float64)

    def arrow(self, gradient_like: np.ndarray) -> tuple[np.ndarray, str]:
        """How a gradient-like (2,) vector is drawn: -lr * v with the note saying so (or -v without an lr)."""
        lr = self.lr
        if math.isfinite(lr):
            return -lr * np.asarray(gradient_like, dtype=np.float64), f"drawn as -lr * g (lr = {number(lr)}): " \
                "the step it alone would make"
        return -np.asarray(gradient_like, dtype=np.float64), "drawn as -g, the way it points downhill"


def explain_next_step(simulation: Simulation, ball: int, particle: int = 0) -> Explanation:
    """The next update of particle ``particle`` of ball ``ball``, taken apart (the simulation untouched).

    Raises:
        DownhillError: for a ball or particle that does not exist, or an optimiser without an explainer.
    """
    context = next_step_context(simulation, ball, particle)
    name = context.spec.name
    explainer = EXPLAINERS.get(name)
    if explainer is None:
        raise DownhillError(f"the optimiser '{name}' has no explainer yet")
    parts = common_parts(context)
    if context.active:
        parts += tuple(explainer(context))
    else:
        parts += (Part("stopped", "This particle has stopped",
                       "It was stopped (it left the region where the surface is defined, or the box around "
                       "it), so it no longer moves: its step is zero.",
                       np.zeros(2), context.position, summand=True),)
    stops = stopping_part(context)
    if stops is not None:
        parts += (stops,)
    return Explanation(ball=ball, particle=particle, optimizer=name,
                       title=f"{context.spec.display_name}, step {context.step_index}",
                       step_index=context.step_index, position=context.position.copy(), step=context.step.copy(),
                       parts=parts)


def stopping_part(context: StepContext) -> Part | None:
    """A last context part when this very step will stop the particle (the simulation's step 4: the
    new position is outside the box of DIVERGENCE_FACTOR domain sizes, or where f or a derivative is
    not finite, or the step itself is not): the simulation then keeps it where it is and records a
    zero step. None when the particle moves on (or has already stopped)."""
    if not context.active:
        return None
    simulation = context.simulation
    with np.errstate(all="ignore"):
        moved = (context.position + context.step)[None, :]
        inside = bool(inside_box(moved, simulation._centre, simulation._box)[0])
        defined = inside and bool(finite_rows(simulation.surface.evaluate(moved))[0])
    if defined and np.isfinite(context.step).all():
        return None
    why = ("the box around the domain" if not inside else "the region where the surface is defined")
    return Part("stops", "This step stops the ball",
                f"This step would take the ball out of {why}, to {vector_words(moved[0])}: the simulation stops it "
                f"where it is and marks it diverging.",
                None, context.position, points=moved, point_labels=("where the step leads",))


def next_step_context(simulation: Simulation, ball: int, particle: int = 0) -> StepContext:
    """Replay steps 1 and 2 of the simulation's step for ball ``ball`` on copies (see the module)."""
    runtimes = simulation._runtime
    if not 0 <= ball < len(runtimes):
        raise DownhillError(f"there is no ball {ball + 1} (the scene has {len(runtimes)})")
    runtime = runtimes[ball]
    if not 0 <= particle < runtime.n:
        raise DownhillError(f"ball {ball + 1} has no particle {particle + 1} (it has {runtime.n})")
    p = simulation._p
    sl = runtime.slice
    surface = simulation.surface
    positions = p.positions[sl]
    gradients = p.gradient[sl]
    # Step 1: the estimate, drawn from copies of the ball's generators (the same calls as
    # Simulation._estimate, so the same numbers).
    noise = runtime.spec.noise
    sigma = noise_scale(noise, runtime.updates)
    estimates = gradients
    batch_terms: tuple[int, ...] = ()
    batch_size = None
    term_count = len(surface.terms)
    if noise.batch_size is not None and noise.batch_size < term_count:
        _, term_gradients = surface.term_evaluation(positions)
        mask = batch_mask(copy.deepcopy(runtime.batch_rng), runtime.n, term_gradients.shape[0], noise.batch_size)
        estimates = minibatch_gradient(term_gradients, mask)
        batch_size = noise.batch_size
        batch_terms = tuple(int(j) for j in np.flatnonzero(mask[particle]))
        if sigma > 0.0:
            estimates = add_gaussian_noise(estimates, sigma, copy.deepcopy(runtime.noise))
    elif sigma > 0.0:
        estimates = add_gaussian_noise(estimates, sigma, copy.deepcopy(runtime.noise))
    clip = runtime.spec.clip
    fed = clip_by_norm(estimates, clip) if clip is not None else estimates
    # Step 2: the update, on a copy of the state, asking an oracle of its own that remembers the
    # particles' evaluation as the simulation's does.
    oracle = SurfaceOracle(surface)
    oracle.remember(positions, Evaluation(p.loss[sl], gradients, p.hessian[sl]))
    state = copy.deepcopy(runtime.state)
    with np.errstate(all="ignore"):
        steps, new_state = runtime.optimizer.update(fed, copy.deepcopy(state), positions, oracle)
    moving = p.active[sl]
    if not runtime.all_active:
        steps = np.where(moving[:, None], steps, 0.0)
    settings = {**runtime.settings, **runtime.optimizer_spec.fixed}
    return StepContext(simulation=simulation, ball=ball, particle=particle, spec=runtime.optimizer_spec,
                       settings=settings, updates=runtime.updates, step_index=simulation.step_index + 1,
                       positions=positions, gradients=gradients, estimates=estimates, fed=fed, state=state,
                       new_state=new_state, steps=np.asarray(steps), active=bool(moving[particle]), sigma=sigma,
                       batch_size=batch_size, batch_terms=batch_terms, term_count=term_count, clip=clip,
                       oracle=oracle)


def common_parts(context: StepContext) -> tuple[Part, ...]:
    """The parts every method shares: the true gradient, the noise or mini-batch estimate, clipping."""
    origin = context.position
    g = context.gradient
    vector, note = context.arrow(g)
    parts = [Part(
        "gradient", "The gradient: which way is uphill",
        f"The gradient here is g = {vector_words(g)}: the surface rises fastest that way, by "
        f"{number(np.hypot(g[0], g[1]))} per unit length. Descent steps against it.",
        vector, origin, numbers=(("g", (float(g[0]), float(g[1]))), ("|g|", float(np.hypot(g[0], g[1])))),
        scale_note=note)]
    noise = context.estimate - g
    if context.batch_size is not None:
        vector, note = context.arrow(context.estimate)
        terms = ", ".join(str(j + 1) for j in context.batch_terms)
        sentence = (f"The optimiser does not see the true gradient: it sees a mini-batch estimate made from "
                    f"{context.batch_size} of the {context.term_count} terms of the loss (terms {terms}), "
                    f"scaled by {context.term_count}/{context.batch_size}. It is "
                    f"{vector_words(context.estimate)}, off the true gradient by {vector_words(noise)}.")
        if context.sigma > 0.0:
            sentence += f" Gaussian noise of sigma = {number(context.sigma)} is added on top."
        parts.append(Part("noise", "Mini-batch estimate of the gradient", sentence, vector, origin,
                          numbers=(("batch size B", float(context.batch_size)),
                                   ("terms m", float(context.term_count)),
                                   ("estimate", (float(context.estimate[0]), float(context.estimate[1]))),
                                   ("sigma_t", context.sigma)),
                          scale_note=note))
    elif context.sigma > 0.0:
        vector, note = context.arrow(noise)
        parts.append(Part(
            "noise", "Noise on the gradient",
            f"Random noise of size sigma = {number(context.sigma)} per coordinate is added to the gradient, "
            f"this time {vector_words(noise)}, so the optimiser sees {vector_words(context.estimate)} "
            f"instead of the true gradient.",
            vector, origin + context.arrow(g)[0],
            numbers=(("sigma_t", context.sigma), ("noise", (float(noise[0]), float(noise[1]))),
                     ("estimate", (float(context.estimate[0]), float(context.estimate[1])))),
            scale_note=note))
    if context.clip is not None:
        before = float(np.hypot(context.estimate[0], context.estimate[1]))
        after = float(np.hypot(context.fed_row[0], context.fed_row[1]))
        vector, note = context.arrow(context.fed_row)
        if before > context.clip:
            sentence = (f"The gradient's length {number(before)} is above the clipping threshold "
                        f"{number(context.clip)}, so it is scaled down to length {number(after)}: same "
                        f"direction, a bounded step.")
        else:
            sentence = (f"The gradient's length {number(before)} is within the clipping threshold "
                        f"{number(context.clip)}, so clipping leaves it as it is.")
        parts.append(Part("clip", "Clipping the gradient's length", sentence, vector, origin,
                          numbers=(("norm before", before), ("norm after", after), ("threshold", context.clip)),
                          scale_note=note))
    return tuple(parts)


def weight_decay_part(context: StepContext, weight_decay: float, vector: np.ndarray | None = None,
                      summand: bool = False) -> Part:
    """Weight decay (L2): weight_decay * p added to the gradient, or AdamW's decoupled shrink
    (``summand`` with its ``vector``, the step's own term)."""
    p = context.position
    pull = weight_decay * p
    if vector is None:
        vector = context.arrow(pull)[0]
    if summand:
        sentence = (f"Weight decay pulls the ball toward the origin on its own, apart from the gradient: "
                    f"the position shrinks by lr * weight_decay = {number(context.lr * weight_decay)} of itself, "
                    f"a move of {vector_words(vector)}.")
    else:
        sentence = (f"Weight decay adds weight_decay * p = {vector_words(pull)} to the gradient "
                    f"(weight_decay = {number(weight_decay)}): a pull toward the origin, as if the loss had "
                    f"an extra bowl (weight_decay / 2) |p|^2.")
    return Part("weight_decay", "Weight decay: a pull toward the origin", sentence, vector, p, summand=summand,
                numbers=(("weight_decay", float(weight_decay)), ("weight_decay * p", (float(pull[0]), float(pull[1])))),
                scale_note="" if summand else context.arrow(pull)[1])


def summand_part(key: str, title: str, sentence: str, vector: np.ndarray, origin: np.ndarray,
                 numbers: tuple = (), scale_note: str = "") -> Part:
    """A term of the step (drawn head to tail from the ball)."""
    return Part(key, title, sentence, np.array(vector, dtype=np.float64), np.array(origin, dtype=np.float64),
                summand=True, numbers=numbers, scale_note=scale_note)


def heads(context: StepContext, vectors: list[np.ndarray]) -> list[np.ndarray]:
    """The origins of summand arrows drawn head to tail from the ball: p, p + s1, p + s1 + s2, ..."""
    origins = []
    at = context.position.copy()
    for vector in vectors:
        origins.append(at.copy())
        at = at + vector
    return origins
