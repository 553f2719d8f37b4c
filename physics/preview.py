r"""The what-if preview: where one ball would go in its next N steps under changed settings.

While a teacher drags a hyper-parameter slider or a ball's start, the map shows a ghost path: the
selected ball's next ``PREVIEW_STEPS`` = 300 positions under the dragged settings (issue 15, 4).

Two halves, so that the UI thread never waits:

- :func:`what_if` (UI thread, microseconds) captures what the preview starts from, as a
  :class:`PreviewRequest`: the surface, the changed ``BallSpec``, the origin and the ball's random
  streams (private copies);
- :func:`run_preview` (any thread, milliseconds) steps it and returns a :class:`Preview`: the path
  (k, 2), k <= N + 1, and why it stopped early, if it did.

Where it starts:

- a changed start, optimiser or particle count, or a ball that has not moved yet (or was
  stopped): from the (new) start, fresh, with the random streams the simulation will give the ball
  when the change is committed (``Simulation.set_balls`` restarts a changed ball with the streams
  of its index). So for a ball at step 0 the ghost is exactly what the ball will do after release:
  ``path[k]`` equals the simulation's position after k updates, bit for bit, noisy or not
  (tests/physics/test_preview.py);
- a changed hyper-parameter, noise or clip of a ball under way: from where the ball is now, with
  its optimiser state (when the new settings' state has the same fields and shapes; else a fresh
  state there), its update count (for the noise's annealing) and copies of its random streams.

A swarm is previewed as one particle from the swarm's start (its centre), with a single ball's
streams: a guide to where the swarm goes, not one of its particles.

Each step is the simulation's dynamics (physics.simulation, steps 1-4) for one particle, with the
same functions in the same order: the estimate (true gradient, mini-batch estimate, Gaussian
noise, physics.noise), clipping (physics.optimizers.clipping), ``update(fed, state, params,
oracle)`` with the evaluation at ``params`` remembered by the oracle, ``p + step``, one compiled
evaluation at the new point. It skips what nothing here reads: the telemetry (eigenvalues, flips,
averages, regime), the records and the listeners, which are most of a one-ball step's cost.

The preview stops early, with ``Preview.reason``, where the ball leaves the domain's
neighbourhood (the domain grown by ``NEIGHBOURHOOD`` times its size on every side: farther out the
ghost is off the map and its end says where it went), where f or a derivative is undefined at the
new point, or where the optimiser's step is not finite; the path ends at the last good point.

A noiseless ball whose step leaves its position and optimiser state unchanged, bit for bit, is at
rest for good (its update is a pure function of them): the rest of the path is that point, filled
in without stepping. Line-search methods (BFGS, CG) reach such a point on a minimum within tens of
steps and then spend ten to twenty evaluations a step failing to improve on it; this is what
makes their previews affordable.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from physics.balls import BallSpec
from physics.noise import (
    STREAM_BATCH,
    STREAM_NOISE,
    STREAM_NOISE_Y,
    NoiseStream,
    add_gaussian_noise,
    ball_generator,
    batch_mask,
    minibatch_gradient,
    noise_scale,
)
from physics.optimizers.clipping import clip_by_norm
from physics.oracle import SurfaceOracle
from physics.simulation import Simulation
from surfaces.surface import Surface

#: Steps a preview looks ahead.
PREVIEW_STEPS = 300
#: The preview stops once the ball is farther outside the domain than this many domain sizes.
NEIGHBOURHOOD = 1.0

#: Steps between two moments a preview lets go of the GIL. On a worker thread it would otherwise
#: keep it for the whole switch interval each time the UI thread asks (the Python paint methods
#: of a repaint ask hundreds of times): dragging a slider in the window, about 13 -> 19 ghosts a
#: second and the event loop's median gap 160 -> 70-130 ms on the (loaded) 2-core test machine
#: (tests/bench/bench_preview.py, part b), for a preview some 5-10 % slower (Adam on Rosenbrock: 21 -> 23 ms).
YIELD_EVERY = 10
#: How often (seconds of stepping) a long preview reports its path so far (see run_preview).
REPORT_SECONDS = 0.04

#: Why a preview stopped early (Preview.reason); "" when it took every step.
LEFT_MAP = "left the map"
UNDEFINED = "f is undefined there"
BAD_STEP = "the step was not finite"


@dataclass(frozen=True)
class PreviewRequest:
    """What one preview starts from (made by :func:`what_if`; used once: its streams are drawn from).

    Attributes:
        surface: the landscape.
        ball: the ball's settings as dragged (the spec the preview runs).
        index: the ball's index in the simulation.
        position: (2,) where the preview starts.
        state: the optimiser state to continue (for ``ball``'s optimiser), or None for a fresh one.
        updates: updates the ball has made (the noise schedule's t).
        noise: the Gaussian noise's stream (a private copy, one particle).
        batch_rng: the mini-batch draws' generator (a private copy).
        steps: how many updates to look ahead.
        from_start: True when the preview starts the ball afresh (see the module docstring).
    """

    surface: Surface
    ball: BallSpec
    index: int
    position: tuple[float, float]
    state: Any
    updates: int
    noise: NoiseStream
    batch_rng: np.random.Generator
    steps: int = PREVIEW_STEPS
    from_start: bool = True


@dataclass(frozen=True)
class Preview:
    """A ball's what-if path.

    Attributes:
        path: (k, 2) positions, k <= steps + 1: path[0] the origin, path[j] after j updates.
        reason: why it stopped before ``steps`` updates (LEFT_MAP, UNDEFINED, BAD_STEP), or "".
        index: the ball's index; ball: the settings previewed; from_start: see PreviewRequest.
        seconds: the time the stepping took (wall clock).
        complete: False for a path reported (or cut) part of the way (see :func:`run_preview`).
    """

    path: np.ndarray
    reason: str
    index: int
    ball: BallSpec
    from_start: bool
    seconds: float = 0.0
    complete: bool = True


def fresh_stream(simulation: Simulation, index: int) -> int:
    """The stream index ``Simulation.set_balls`` gives ball ``index`` when its dynamics change and
    every other ball continues: its own index, unless another ball's runtime holds it."""
    count = len(simulation.balls)
    taken = {simulation.runtime(j).index for j in range(count) if j != index}
    stream = index
    while stream in taken:
        stream += count
    return stream


def what_if(simulation: Simulation, index: int, ball: BallSpec, steps: int = PREVIEW_STEPS) -> PreviewRequest:
    """The request for ball ``index`` of ``simulation`` under the settings ``ball`` (cheap: for the
    UI thread). Where it starts is decided as the module docstring says."""
    old = simulation.balls[index]
    runtime = simulation.runtime(index)
    single = replace(ball, particles=1, spread=0.0)
    restarts = (ball.start != old.start or ball.optimizer != old.optimizer or ball.particles != 1
                or old.particles != 1 or runtime.updates == 0 or not runtime.all_active)
    if restarts:
        stream = fresh_stream(simulation, index)
        seed = simulation.seed
        noise = NoiseStream([ball_generator(seed, stream, STREAM_NOISE), ball_generator(seed, stream, STREAM_NOISE_Y)],
                            1)
        return PreviewRequest(simulation.surface, single, index, tuple(map(float, ball.start)), None, 0, noise,
                              ball_generator(seed, stream, STREAM_BATCH), steps, True)
    position = simulation.history(index).positions[-1]  # (where it is now: the record's last row)
    return PreviewRequest(simulation.surface, single, index, (float(position[0]), float(position[1])),
                          runtime.state, runtime.updates, copy.deepcopy(runtime.noise),
                          copy.deepcopy(runtime.batch_rng), steps, False)


def run_preview(request: PreviewRequest, report: Callable[[Preview], bool] | None = None,
                every: float = REPORT_SECONDS) -> Preview:
    """Step the request's ball ``request.steps`` times (or until it stops); see the module docstring.

    Args:
        request: from :func:`what_if` (its streams are drawn from: use it once).
        report: called with the path so far (``complete=False``) every ``every`` seconds of stepping;
            returning False stops the preview there (a newer request is waiting), and the partial
            preview is returned. So a drag redraws at least 1 / ``every`` times a second even where
            300 steps take longer (a line search at every step), and the path grows to its end
            once the drag rests.

    Raises:
        DownhillError: for settings that cannot run (they are checked as the simulation checks them).
    """
    began = time.perf_counter()
    next_report = began + every
    surface, ball = request.surface, request.ball
    _, _, optimizer = ball.make_optimizer()
    position = np.empty((1, 2), order="F")
    position[0] = request.position
    evaluation, defined = surface.evaluate_checked(position)
    path = np.empty((request.steps + 1, 2))
    path[0] = position[0]
    if not defined:  # (a start dragged where f is undefined: the simulation refuses it)
        return Preview(path[:1].copy(), UNDEFINED, request.index, request.ball, request.from_start)
    state = request.state
    # (a copy, as the simulation hands init its own array)
    fresh = optimizer.init(position.copy(order="K"))
    if state is None or not _same_layout(state, fresh):
        state = fresh
    noise, batch_rng, clip = ball.noise, request.batch_rng, ball.clip
    batching = noise.batch_size is not None and noise.batch_size < len(surface.terms)
    oracle = SurfaceOracle(surface)
    domain = surface.domain
    lo_x = domain.xmin - NEIGHBOURHOOD * domain.width
    hi_x = domain.xmax + NEIGHBOURHOOD * domain.width
    lo_y = domain.ymin - NEIGHBOURHOOD * domain.height
    hi_y = domain.ymax + NEIGHBOURHOOD * domain.height
    updates = request.updates
    reason = ""
    taken = 0
    # A noiseless update is a pure function of (gradient, state, position): once a step leaves
    # both the position and the state the same, bit for bit, every later step does too.
    noiseless = noise.sigma == 0.0 and not batching
    with np.errstate(all="ignore"):
        for _ in range(request.steps):
            gradient = evaluation.gradient
            sigma = noise_scale(noise, updates)
            estimate = gradient
            if batching:
                _, term_gradients = surface.term_evaluation(position)
                mask = batch_mask(batch_rng, 1, term_gradients.shape[0], noise.batch_size)
                estimate = minibatch_gradient(term_gradients, mask)
                if sigma > 0.0:
                    estimate = add_gaussian_noise(estimate, sigma, request.noise)
            elif sigma > 0.0:
                estimate = add_gaussian_noise(estimate, sigma, request.noise)
            fed = clip_by_norm(estimate, clip) if clip is not None else estimate
            oracle.remember(position, evaluation)
            before = state
            step, state = optimizer.update(fed, state, position, oracle)
            updates += 1
            step_x, step_y = float(step[0, 0]), float(step[0, 1])
            if not (math.isfinite(step_x) and math.isfinite(step_y)):
                reason = BAD_STEP
                break
            moved = np.empty((1, 2), order="F")
            moved[0, 0] = position[0, 0] + step_x
            moved[0, 1] = position[0, 1] + step_y
            if not (lo_x <= moved[0, 0] <= hi_x and lo_y <= moved[0, 1] <= hi_y):
                reason = LEFT_MAP
                break
            evaluation, finite = surface.evaluate_checked(moved)
            if not finite:
                reason = UNDEFINED
                break
            if noiseless and moved.tobytes() == position.tobytes():
                settled = _bits(state)
                if settled is not None and settled == _bits(before):
                    # At rest for good (a line search that cannot improve on a minimum): the rest
                    # of the path is this point, without the steps' cost.
                    path[taken + 1:] = position[0]
                    taken = request.steps
                    break
            position = moved
            taken += 1
            path[taken] = position[0]
            if taken % YIELD_EVERY == 0:
                time.sleep(0)  # (hands the GIL over: see YIELD_EVERY)
            if report is not None and taken < request.steps and time.perf_counter() >= next_report:
                partial = Preview(path[: taken + 1].copy(), "", request.index, request.ball, request.from_start,
                                  time.perf_counter() - began, complete=False)
                if not report(partial):
                    return partial
                next_report = time.perf_counter() + every
    return Preview(path[: taken + 1].copy(), reason, request.index, request.ball, request.from_start,
                   time.perf_counter() - began)


def preview_ball(simulation: Simulation, index: int, ball: BallSpec, steps: int = PREVIEW_STEPS) -> Preview:
    """``run_preview(what_if(...))`` in one call (for the command line, tests and benchmarks)."""
    return run_preview(what_if(simulation, index, ball, steps))


def _bits(state: Any) -> bytes | None:
    """The optimiser state's exact bits (every field's dtype, shape and bytes), or None for a state
    that is not a tuple of numbers and arrays."""
    if not isinstance(state, tuple):
        return None
    parts = []
    for field in state:
        if isinstance(field, np.ndarray):
            array = field
        elif isinstance(field, bool | int | float | np.number | np.bool_):
            array = np.asarray(field)
        else:
            return None
        parts += [array.dtype.str.encode(), repr(array.shape).encode(), np.ascontiguousarray(array).tobytes()]
    return b"|".join(parts)


def _same_layout(old: Any, new: Any) -> bool:
    """Whether an optimiser state can be continued by the optimiser that made ``new``: the same
    type, and arrays of the same shapes and dtypes in every field."""
    if type(old) is not type(new):
        return False
    if not isinstance(new, tuple):
        return True
    for previous, fresh in zip(old, new, strict=True):
        if isinstance(fresh, np.ndarray) != isinstance(previous, np.ndarray):
            return False
        if isinstance(fresh, np.ndarray) and (fresh.shape != previous.shape or fresh.dtype != previous.dtype):
            return False
    return True


__all__ = ["PREVIEW_STEPS", "NEIGHBOURHOOD", "REPORT_SECONDS", "LEFT_MAP", "UNDEFINED", "BAD_STEP",
           "PreviewRequest", "Preview", "what_if", "run_preview", "preview_ball", "fresh_stream"]
