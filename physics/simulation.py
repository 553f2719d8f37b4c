r"""The simulation: balls and swarms descending a Surface, one vectorised step at a time, with telemetry.

The model the GUI observes and the command line drives (contract: docs/internals.md).

One step, for every ball at once:

1. each ball estimates its gradient at its particles: the true gradient, or a mini-batch
   estimate, plus annealed Gaussian noise (physics.noise), clipped by norm for first-order
   methods with ``clip`` (physics.optimizers.clipping.clip_by_norm);
2. its optimiser makes the step: ``step, state = update(grads, state, params, oracle)``;
3. all particles of all balls move together, ``p <- p + step``, and the surface is evaluated
   once at every new position (f, grad f, H in one compiled call);
4. particles that left a huge box around the domain (DIVERGENCE_FACTOR times its size), or reached
   a point where f or a derivative is not finite, or got a non-finite step, are stopped where they
   were (their last finite position and values), marked inactive and diagnosed ``diverging``: no
   NaN or inf of theirs reaches another ball, a statistic or a history array;
5. telemetry for every particle (physics.particles; compiled passes, physics.compiled): the
   Hessian's eigenvalues and top eigenvector (closed form, physics.eigen) and the sign flips of
   the step along it; then the gradient norm, step size, effective learning rate
   |step| / |estimated gradient|, the moving averages, and the regime (physics.regime);
6. each ball appends its record (physics.telemetry; a swarm, its statistics) and listeners hear
   "stepped".

All particles live in shared (N, ...) arrays (physics.particles; N = the particle count of all
balls); a ball owns a contiguous slice. The only Python loop is over balls (noise and optimiser
update); everything else is one NumPy operation or compiled pass over all N particles.

Steps 1-4 are the dynamics; 5 and 6 are telemetry, which nothing in the dynamics reads: one job
per step. When the balls have HELPER_PARTICLES particles or more (physics.helper), the machine's
second core does that job while the main thread already takes the next step; every query
(``state``, ``history``, ``floor``) first waits for the jobs still pending. The work, its order
and so every number are the same either way; only the thread that does it differs.

Randomness: each ball's generators derive from (seed, ball index) (physics.noise.ball_generator),
so the same balls and seed give the same run bit for bit, and adding a ball leaves the others
unchanged. Noise is drawn for every particle of a ball every step, stopped or not, so a
particle's noise never depends on another particle's fate.

Listeners: ``add_listener(callback)``; ``callback(event)`` with event one of "stepped", "reset",
"balls", "surface", "seed".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import replace
from typing import NamedTuple

import numpy as np

from physics.balls import BallSpec
from physics.eigen import eigen_and_top, symmetric_eigenvectors
from physics.helper import HELPER_PARTICLES, helper_thread
from physics.noise import (
    NoiseSettings,
    add_gaussian_noise,
    batch_mask,
    minibatch_gradient,
    noise_scale,
)
from physics.optimizers.clipping import clip_by_norm
from physics.oracle import SurfaceOracle
from physics.particles import (
    ParticleArrays,
    finite_rows,
    inside_box,
    move,
    row_dot,
    step_telemetry,
)
from physics.regime import NO_LABEL, WINDOW_WEIGHT, RegimeScales, diagnose, regime_thresholds
from physics.runtime import (
    BAD_STEP,
    LEFT_BOX,
    NOT_STOPPED,
    UNDEFINED,  # noqa: F401 (the stop codes are read from here)
    BallRuntime,
    merge_state,
    undefined_reasons,
)
from physics.telemetry import (
    FULL_HISTORY_PARTICLES,
    BallHistory,
    BallState,
    StepValues,
    swarm_statistics,
)
from surfaces.errors import DownhillError
from surfaces.surface import Evaluation, Surface

__all__ = ["NoiseSettings", "BallSpec", "BallState", "BallHistory", "Simulation", "DIVERGENCE_FACTOR"]

#: A particle farther from the domain's centre than this many domain sizes (in x or y) is stopped.
DIVERGENCE_FACTOR = 1e3

class Simulation:
    """Balls descending a surface; ``step()`` advances every ball, vectorised over all particles.

    Args:
        surface: the landscape.
        balls: the balls and swarms (validated; DownhillError names the offending field).
        seed: the seed every random stream derives from.
        capacity: history rows allocated at first (the records double when full).
        full_history: balls of up to this many particles keep every particle's record
            (physics.telemetry.FULL_HISTORY_PARTICLES by default); larger swarms keep summary
            statistics only. A single particle always keeps its record.
        compile_surface: when the balls have HELPER_PARTICLES particles or more, evaluate the
            surface with its compiled per-point kernel (surfaces.point_kernel: three times faster
            for a polynomial, compiled once per formula in about half a second, holding the GIL).
            The command line's runs ask for it; the app does not, as it must never freeze.
        starts: explicit start positions of some balls, by ball index: an array (particles, 2) in
            place of the ball's start and scatter (an experiment's grid of starts run as one swarm,
            physics.experiments.basins); kept by reset and set_seed, dropped by set_balls.
        records: False keeps no per-step records after the start (``history`` then ends at the start;
            ``state`` is whole): for experiments that read only where the particles end, spared a
            swarm's statistics every step (about a third of a large swarm's step).
        per_particle: hyper-parameters that differ per particle, by ball index: {name: (particles,)
            values} (physics.runtime.per_particle_settings: "lr", "momentum", "beta1", "sigma", ...;
            an experiment's grid of settings run as one swarm, physics.experiments.stability); each
            particle steps as a ball of its own settings would, bit for bit (noise aside: the
            particles share the ball's stream); kept by reset and set_seed, dropped by set_balls.

    Attributes:
        surface, balls, seed, step_index (updates made since the last reset), scales (the
        regime thresholds' scales, physics.regime.RegimeScales), floor (the lowest loss known).
    """

    def __init__(self, surface: Surface, balls: Sequence[BallSpec], seed: int = 0, capacity: int = 4096,
                 full_history: int = FULL_HISTORY_PARTICLES, compile_surface: bool = False,
                 starts: dict[int, np.ndarray] | None = None,
                 per_particle: dict[int, dict[str, np.ndarray]] | None = None, records: bool = True):
        self._check_seed(seed)
        self.records = bool(records)
        self._starts = self._checked_starts(balls, starts)
        self._per_particle = dict(per_particle or {})
        self.full_history = int(full_history)
        self.compile_surface = bool(compile_surface)
        self.surface = surface
        self.seed = int(seed)
        self.capacity = int(capacity)
        self.step_index = 0
        self._listeners: list[Callable[[str], None]] = []
        self.balls: tuple[BallSpec, ...] = ()
        self._runtime: list[BallRuntime] = []
        self._p = ParticleArrays(0)
        self._pending: list[Future[None]] = []  # telemetry jobs on the helper thread, in order
        self._floor = 0.0
        self._oracle = SurfaceOracle(surface)
        self._measure_surface()
        self._install(tuple(balls), keep={})

    # ----------------------------------------------------------------------------------------- commands

    def add_listener(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(event)`` after every change ("stepped", "reset", "balls", "surface", "seed")."""
        if callback not in self._listeners:
            self._listeners.append(callback)

    def remove_listener(self, callback: Callable[[str], None]) -> None:
        if callback in self._listeners:
            self._listeners.remove(callback)

    def step(self, count: int = 1) -> None:
        """Advance every ball by ``count`` updates."""
        if count < 0:
            raise DownhillError(f"cannot step a negative number of times ({count})")
        for _ in range(int(count)):
            self._advance()
        if count:
            self._emit("stepped")

    def reset(self) -> None:
        """Every ball back to its start with fresh streams: the same seed gives the same run."""
        self._collect()
        self.step_index = 0
        self._install(self.balls, keep={})
        self._emit("reset")

    def set_seed(self, seed: int) -> None:
        """A new seed, and a reset."""
        self._check_seed(seed)
        self._collect()
        self.seed = int(seed)
        self.step_index = 0
        self._install(self.balls, keep={})
        self._emit("seed")

    def set_surface(self, surface: Surface) -> None:
        """Change the landscape live (a parameter slider): the balls continue from where they are.

        Particles that stand where the new surface is undefined are stopped (diverging) and keep
        their last finite values.
        """
        for index, ball in enumerate(self.balls):
            ball.check_against(surface, f"balls[{index}]")
        self._collect()
        self.surface = surface
        self._oracle = SurfaceOracle(surface)
        self._measure_surface()
        self._prepare_surface()
        p = self._p
        evaluation = surface.evaluate(p.positions)
        good = finite_rows(evaluation) | ~p.active
        if not good.all():
            self._stop(~good, undefined_reasons(surface, p.positions[~good]))
        # New arrays, not writes into the old ones: an optimiser's state may hold views of them.
        keep = good & p.active
        p.loss = np.where(keep, evaluation.value, p.loss)
        p.gradient = np.where(keep[:, None], evaluation.gradient, p.gradient)
        p.hessian = np.where(keep[:, None, None], evaluation.hessian, p.hessian)
        self._derive()
        if p.n:
            self._floor = min(self._floor, float(p.loss.min()))
        p.codes = self._diagnose()
        self._emit("surface")

    def set_balls(self, balls: Sequence[BallSpec]) -> None:
        """Replace the balls. A ball whose motion is unchanged (only its name, colour or visibility
        differ, or it moved in the list) continues; a changed or new ball restarts from its start now."""
        balls = tuple(balls)
        old = list(zip(self.balls, self._runtime, strict=True))
        keep: dict[int, BallRuntime] = {}
        used: set[int] = set()
        for index, ball in enumerate(balls):
            if index < len(old) and old[index][0].dynamics() == ball.dynamics():
                keep[index] = old[index][1]
                used.add(index)
        for index, ball in enumerate(balls):
            if index in keep:
                continue
            for position, (previous, runtime) in enumerate(old):
                if position not in used and previous.dynamics() == ball.dynamics():
                    keep[index] = runtime
                    used.add(position)
                    break
        self._collect()
        self._starts = {}
        self._per_particle = {}
        self._install(balls, keep)
        self._emit("balls")

    # ----------------------------------------------------------------------------------------- queries

    @property
    def particle_count(self) -> int:
        return self._p.n

    @property
    def floor(self) -> float:
        """The lowest loss known: the scales' grid minimum, lowered by every loss a particle had."""
        self._collect()
        return self._floor

    def state(self, ball: int) -> BallState:
        """The latest telemetry of ball ``ball`` (all its particles; copies)."""
        self._collect()
        runtime = self._runtime[ball]
        sl = runtime.slice
        p = self._p
        regime, detail, lam_max = runtime.describe(p, self._box)
        curvature = lam_max + runtime.shift  # (the weight decay adds to the curvature the rate meets)
        # (one lr's bound; a rate per coordinate has none to draw against the measured rate)
        bound = (runtime.stability / curvature if math.isfinite(runtime.stability) and curvature > 0
                 and runtime.effective_rate is None else math.nan)
        velocity = None
        if runtime.optimizer_spec.velocity is not None and runtime.state is not None:
            v = runtime.optimizer_spec.velocity(runtime.state, runtime.settings)
            velocity = None if v is None else np.array(v, dtype=np.float64, copy=True)
        return BallState(
            step_index=self.step_index,
            positions=p.positions[sl].copy(), loss=p.loss[sl].copy(), gradient=p.gradient[sl].copy(),
            step=p.step[sl].copy(), step_size=p.step_size[sl].copy(), lr=p.lr[sl].copy(),
            eigenvalues=p.eigenvalues[sl].copy(), eigenvectors=symmetric_eigenvectors(p.hessian[sl]),
            velocity=velocity, active=p.active[sl].copy(), regime_codes=p.codes[sl].copy(), regime=regime,
            regime_detail=detail, lr_bound=bound)

    def snapshot(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every particle's position (N, 2), loss (N,) and activity (N,) now, the balls' particles in
        order: the step's own arrays (each step makes new ones; never write them), activity copied.
        No telemetry and no wait for it: for experiments that watch every step (physics.experiments.escape)."""
        return self._p.positions, self._p.loss, self._p.active.copy()

    def history(self, ball: int) -> BallHistory:
        """The per-step series of ball ``ball`` since it (re)started (views of its records)."""
        self._collect()
        return self._runtime[ball].history()

    def runtime(self, ball: int) -> BallRuntime:
        """The running side of ball ``ball`` (optimiser state, random streams, update count), for
        readers that continue it elsewhere (physics.preview): read-only, copy the streams before
        drawing from them. The state is replaced, never written, by each step."""
        self._collect()
        return self._runtime[ball]

    # ----------------------------------------------------------------------------------------- set-up

    @staticmethod
    def _check_seed(seed: int) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= int(seed) < 2 ** 63:
            raise DownhillError(f"the seed must be a whole number from 0 to 2^63 - 1, not {seed!r}")

    @staticmethod
    def _checked_starts(balls: Sequence[BallSpec], starts: dict[int, np.ndarray] | None) -> dict[int, np.ndarray]:
        result = {}
        for index, positions in (starts or {}).items():
            array = np.array(positions, dtype=np.float64, order="F")
            if not 0 <= index < len(balls) or array.shape != (balls[index].particles, 2) \
                    or not np.isfinite(array).all():
                count = balls[index].particles if 0 <= index < len(balls) else "its particles'"
                raise DownhillError(f"the starts of ball {index} must be {count} finite (x, y) rows")
            result[index] = array
        return result

    def _emit(self, event: str) -> None:
        for callback in list(self._listeners):
            callback(event)

    def _prepare_surface(self) -> None:
        """Have the surface's per-point kernel compiled if asked for and worth it (see ``compile_surface``)."""
        if self.compile_surface and self._p.n >= HELPER_PARTICLES:
            self.surface.prepare_point_kernel()

    def _measure_surface(self) -> None:
        self.scales = RegimeScales.of_surface(self.surface)
        self._floor = self.scales.floor
        domain = self.surface.domain
        self._centre = ((domain.xmin + domain.xmax) / 2, (domain.ymin + domain.ymax) / 2)
        self._box = DIVERGENCE_FACTOR * max(domain.width, domain.height)

    def _install(self, balls: tuple[BallSpec, ...], keep: dict[int, BallRuntime]) -> None:
        """Lay out the particles of ``balls``; runtimes in ``keep`` continue, the others start now."""
        for index, ball in enumerate(balls):
            if not isinstance(ball, BallSpec):
                raise DownhillError(f"balls[{index}] is not a BallSpec")
            if index not in keep:
                ball.check(f"balls[{index}]", self.surface)
        # A new ball's random streams derive from its index, unless a continuing ball already uses
        # that index's streams (it moved in the list): then from the next index no one uses.
        taken = {runtime.index for runtime in keep.values()}
        runtimes: list[BallRuntime] = []
        fresh: list[BallRuntime] = []
        for index, ball in enumerate(balls):
            runtime = keep.get(index)
            if runtime is None:
                stream = index
                while stream in taken:
                    stream += len(balls)
                taken.add(stream)
                runtime = BallRuntime(ball, stream, self.seed, self.capacity, self.full_history,
                                      self._per_particle.get(index))
                fresh.append(runtime)
            runtime.spec = ball  # a continuing ball may have a new name, colour or visibility
            runtimes.append(runtime)
        old = self._p
        self._p = ParticleArrays(sum(runtime.n for runtime in runtimes))
        # Work space of the step (never handed out, so it is reused from step to step).
        self._scratch = np.empty(self._p.n)
        offset = 0
        for runtime in runtimes:
            target = slice(offset, offset + runtime.n)
            if runtime not in fresh:
                self._p.copy_slice(old, runtime.slice, target)
            runtime.slice = target
            offset += runtime.n
        self.balls = balls
        self._runtime = runtimes
        self._prepare_surface()
        for index, runtime in enumerate(runtimes):
            if runtime in fresh:
                self._start(runtime, self._starts.get(index))
        self._derive()
        self._p.previous_lam_max = self._p.eigenvalues[:, 1].copy()
        self._p.codes = self._diagnose()
        p = self._p
        values = StepValues(p.positions, p.loss, p.gradient, p.gradient_norm, p.step_size, p.lr, p.eigenvalues,
                            p.codes, p.active)
        for runtime in fresh:
            self._record(runtime, values, self.step_index, runtime.all_active)

    def _start(self, runtime: BallRuntime, starts: np.ndarray | None = None) -> None:
        """Put a fresh ball at its start (or at ``starts`` (n, 2)): positions, first evaluation,
        optimiser state, averages."""
        p = self._p
        sl = runtime.slice
        positions = runtime.initial_positions(self.surface) if starts is None else starts.copy(order="F")
        evaluation = self.surface.evaluate(positions)
        p.positions[sl] = positions
        p.loss[sl] = evaluation.value
        p.gradient[sl] = evaluation.gradient
        p.hessian[sl] = evaluation.hessian
        p.step[sl] = 0.0
        p.step_size[sl] = 0.0
        p.lr[sl] = math.nan
        p.active[sl] = True
        p.stopped[sl] = NOT_STOPPED
        p.stopped_at[sl] = -1
        p.flips[sl] = 0
        p.swing[sl] = 0.0
        p.previous_swing[sl] = 0.0
        p.gradient_mean[sl] = evaluation.gradient
        p.step_mean[sl] = 0.0
        p.candidate[sl] = NO_LABEL
        p.held[sl] = 0
        p.bound_shift[sl] = runtime.shift
        p.noise_power[sl] = 0.0
        p.step_power[sl] = 0.0
        p.bound_rate[sl] = runtime.bound_rate
        runtime.state = runtime.optimizer.init(positions.copy(order="K"))
        runtime.updates = 0
        runtime.started = self.step_index
        runtime.noise_power = 0.0
        runtime.all_active = True
        self._floor = min(self._floor, float(np.min(evaluation.value)))

    # ----------------------------------------------------------------------------------------- one step

    def _estimate(self, runtime: BallRuntime, positions: np.ndarray, gradient: np.ndarray,
                  square: np.ndarray) -> np.ndarray:
        """The noisy gradient estimate (n, 2) the ball's optimiser sees (before clipping), and its
        squared length into ``square`` (n,); records the noise power the regime reads: 2 sigma^2 for
        Gaussian noise, measured for mini-batches."""
        noise = runtime.spec.noise
        estimate = gradient
        if runtime.sigmas is not None:  # (a sigma per particle: the schedule of the ball's, sigma 1)
            return self._estimate_per_particle(runtime, gradient, square)
        sigma = noise_scale(noise, runtime.updates)
        if noise.batch_size is not None and noise.batch_size < len(self.surface.terms):
            _, term_gradients = self.surface.term_evaluation(positions)
            mask = batch_mask(runtime.batch_rng, runtime.n, term_gradients.shape[0], noise.batch_size)
            estimate = minibatch_gradient(term_gradients, mask)
            if sigma > 0.0:
                estimate = add_gaussian_noise(estimate, sigma, runtime.noise)
            self._measure_noise(runtime, estimate - gradient)
            runtime.noise_power = None  # measured per particle
        elif sigma > 0.0:
            estimate = add_gaussian_noise(estimate, sigma, runtime.noise, square)
            power = 2.0 * sigma * sigma
            if power != runtime.noise_power:  # (constant unless the noise anneals)
                self._p.noise_power[runtime.slice] = power
                runtime.noise_power = power
            return estimate
        with np.errstate(over="ignore"):  # (an estimate beyond 1e154: its rate is then not measured)
            row_dot(estimate, estimate, square, self._scratch[runtime.slice])
        return estimate

    def _estimate_per_particle(self, runtime: BallRuntime, gradient: np.ndarray, square: np.ndarray) -> np.ndarray:
        """The estimate g + sigma_i xi (n, 2) with a sigma per particle (x the ball's schedule at sigma
        1), as add_gaussian_noise makes it for one sigma: xi from the ball's stream, xi sigma + g."""
        scale = runtime.sigmas * noise_scale(replace(runtime.spec.noise, sigma=1.0), runtime.updates)
        draws = runtime.noise.draw()
        estimate = draws * scale[:, None] + gradient
        with np.errstate(over="ignore"):
            row_dot(estimate, estimate, square, self._scratch[runtime.slice])
        self._p.noise_power[runtime.slice] = 2.0 * scale * scale
        runtime.noise_power = None  # per particle
        return estimate

    def _measure_noise(self, runtime: BallRuntime, noise: np.ndarray) -> None:
        """Fold |estimate - true gradient|^2 (n,) into the ball's moving average of the noise power."""
        power = self._p.noise_power[runtime.slice]
        sample = noise[:, 0] * noise[:, 0]
        sample += noise[:, 1] * noise[:, 1]
        if runtime.updates == 0:
            power[:] = sample
        else:
            power *= 1.0 - WINDOW_WEIGHT
            sample *= WINDOW_WEIGHT
            power += sample

    def _advance(self) -> None:
        p = self._p
        n = p.n
        single = len(self._runtime) == 1
        new_step = None if single else np.empty((n, 2), order="F")
        estimate_square = np.empty(n)  # |estimated gradient|^2 of every particle
        for runtime in self._runtime:
            sl = runtime.slice
            positions = p.positions[sl]
            gradient = p.gradient[sl]
            estimate = self._estimate(runtime, positions, gradient, estimate_square[sl])
            fed = clip_by_norm(estimate, runtime.spec.clip) if runtime.spec.clip is not None else estimate
            self._oracle.remember(positions, Evaluation(p.loss[sl], gradient, p.hessian[sl]))
            with np.errstate(all="ignore"):
                step, state = runtime.optimizer.update(fed, runtime.state, positions, self._oracle)
            if not runtime.all_active:
                moving = p.active[sl]
                step = np.where(moving[:, None], step, 0.0)
                state = merge_state(state, runtime.state, moving)
            if single:
                # The optimiser's own array (from here on it is replaced, never written), column-major
                # like every particle array (a copy only for an optimiser that made it otherwise).
                new_step = np.asfortranarray(step)
            else:
                new_step[sl] = step
            runtime.state = state
            runtime.updates += 1
        self._oracle.forget()
        self.step_index += 1

        previous_step = p.step
        previous_hessian = p.hessian
        with np.errstate(all="ignore"):
            moved, inside = move(p.positions, new_step, self._centre, self._box)
        evaluation, finite = self.surface.evaluate_checked(moved)
        # Almost always every particle is fine: the evaluator and the move say so without a mask.
        if not (finite and inside):
            self._stop_failures(moved, new_step, evaluation)
        if not self._all_active():
            # (masked copies: elementwise, where boolean indexing of column-major arrays takes a slow path)
            frozen = ~p.active
            np.copyto(moved, p.positions, where=frozen[:, None])
            new_step = np.asfortranarray(np.where(frozen[:, None], 0.0, new_step))
            np.copyto(evaluation.value, p.loss, where=frozen)
            np.copyto(evaluation.gradient, p.gradient, where=frozen[:, None])
            np.copyto(evaluation.hessian, p.hessian, where=frozen[:, None, None])
        # Every telemetry array is a new one (see physics.particles): readers keep what they took.
        p.positions, p.loss, p.gradient, p.hessian = moved, evaluation.value, evaluation.gradient, evaluation.hessian
        p.step = new_step
        frame = _Frame(self.step_index, p.positions, p.loss, p.gradient, p.hessian, new_step, previous_step,
                       estimate_square, p.active, self._noise_power(copy=True), self._window_count(),
                       tuple(runtime.all_active for runtime in self._runtime),
                       self._bound_kappa_of(previous_hessian, p.hessian))
        if n >= HELPER_PARTICLES:
            while len(self._pending) > 1:  # (at most one step of telemetry waits behind the running one)
                self._pending.pop(0).result()
            self._pending.append(helper_thread().submit(self._telemetry, frame))
        else:
            self._telemetry(frame)

    def _telemetry(self, frame: _Frame) -> None:
        """The telemetry of one step (physics.simulation's 5 and 6) from the step's own arrays. On the
        helper thread for large swarms, one step after another: it alone writes the telemetry arrays
        of ParticleArrays (eigenvalues, top, flips, swings, step size, rate, gradient norm, averages,
        codes), so it reads the top eigenvector and the flips of the step before as it left them."""
        p = self._p
        if p.n:
            self._floor = min(self._floor, float(frame.loss.min()))
        with np.errstate(all="ignore"):
            measured = step_telemetry(
                step=frame.step, previous_step=frame.previous_step, old_top=p.top, old_flips=p.flips,
                old_eigenvalues=p.eigenvalues, old_previous_swing=p.previous_swing, hessian=frame.hessian,
                gradient=frame.gradient, loss=frame.loss, active=frame.active,
                estimate_square=frame.estimate_square, gradient_mean=p.gradient_mean,
                step_mean=p.step_mean, step_power=p.step_power, noise_power=frame.noise_power,
                window_count=frame.window_count, bound_rate=p.bound_rate, bound_shift=p.bound_shift,
                old_codes=p.codes, candidate=p.candidate, held=p.held, weight=WINDOW_WEIGHT,
                thresholds=regime_thresholds(self.scales, self._floor), positions=frame.positions,
                bound_kappa_of=frame.bound_kappa_of)
        p.previous_lam_max = p.eigenvalues[:, 1]  # (the old array: never written again)
        (p.eigenvalues, p.top, p.flips, p.swing, p.previous_swing, p.step_size, p.lr, p.gradient_norm,
         p.codes, p.bound_kappa) = measured
        values = StepValues(frame.positions, frame.loss, frame.gradient, p.gradient_norm, p.step_size, p.lr,
                            p.eigenvalues, p.codes, frame.active)
        if self.records:
            for runtime, all_active in zip(self._runtime, frame.all_active, strict=True):
                self._record(runtime, values, frame.step_index, all_active)

    def _bound_kappa_of(self, previous_hessian: np.ndarray,
                        hessian: np.ndarray) -> Callable[[np.ndarray], np.ndarray] | None:
        """For the balls whose optimiser's rate is per coordinate, the function of particle indices
        (k,) that the step's telemetry asks for their κ (physics.particles.step_telemetry), reading
        this step's optimiser states and the Hessians at both ends of the step (arrays never written
        again: the helper thread may call it a step later); None when no ball has such a rate."""
        rated = [(runtime.slice, runtime) for runtime in self._runtime if runtime.effective_rate is not None]
        if not rated:
            return None
        # (the state as it is now: the runtime's state is replaced, never written, by the next step)
        states = [(sl, runtime, runtime.state) for sl, runtime in rated]

        def bound_kappa_of(due: np.ndarray) -> np.ndarray:
            kappa = np.full(len(due), np.nan)
            for sl, runtime, state in states:
                mine = np.flatnonzero((due >= sl.start) & (due < sl.stop))
                if mine.size:
                    rows = due[mine]
                    kappa[mine] = runtime.bound_kappa(rows - sl.start, (previous_hessian[rows], hessian[rows]),
                                                      state)
            return kappa

        return bound_kappa_of

    def _stop_failures(self, moved: np.ndarray, new_step: np.ndarray, evaluation: Evaluation) -> None:
        """Stop the active particles whose new position is undefined or out of the box, or whose step
        is not finite (each for its reason)."""
        p = self._p
        in_box = inside_box(moved, self._centre, self._box)
        stopping = finite_rows(evaluation)
        stopping &= in_box
        np.logical_not(stopping, out=stopping)
        stopping &= p.active
        if stopping.any():
            bad_step = ~np.isfinite(new_step).all(axis=1)
            self._stop(stopping & bad_step, BAD_STEP)
            self._stop(stopping & ~bad_step & ~in_box, LEFT_BOX)
            undefined = stopping & ~bad_step & in_box
            if undefined.any():
                self._stop(undefined, undefined_reasons(self.surface, moved[undefined]))

    def _all_active(self) -> bool:
        return all(runtime.all_active for runtime in self._runtime)

    def _stop(self, mask: np.ndarray, reason: int) -> None:
        """Stop the particles in ``mask`` (n,) for ``reason``."""
        if not mask.any():
            return
        p = self._p
        p.active = p.active.copy()  # copy on write: a summary being computed may hold the old one
        p.active[mask] = False
        p.stopped[mask] = reason
        p.stopped_at[mask] = self.step_index
        for runtime in self._runtime:
            if runtime.all_active and not p.active[runtime.slice].all():
                runtime.all_active = False

    def _derive(self) -> None:
        """Eigenvalues, top eigenvector and gradient norm of every particle (new arrays)."""
        p = self._p
        p.eigenvalues = np.empty((p.n, 2), order="F")
        p.top = np.empty((p.n, 2), order="F")
        eigen_and_top(p.hessian, p.eigenvalues, p.top)
        with np.errstate(over="ignore"):
            norm = row_dot(p.gradient, p.gradient, np.empty(p.n), self._scratch)
        p.gradient_norm = np.sqrt(norm, out=norm)
        overflowed = np.isinf(norm)  # (the squares of a gradient beyond 1e154; its length is finite)
        if overflowed.any():
            norm[overflowed] = np.hypot(p.gradient[overflowed, 0], p.gradient[overflowed, 1])

    def _diagnose(self) -> np.ndarray:
        p = self._p
        with np.errstate(divide="ignore", invalid="ignore"):
            return diagnose(active=p.active, loss=p.loss, gradient=p.gradient, gradient_norm=p.gradient_norm,
                            step_size=p.step_size, mean_gradient=p.gradient_mean, mean_step=p.step_mean,
                            noise_power=self._noise_power(), step_power=p.step_power,
                            window_count=self._window_count(), eigenvalues=p.eigenvalues, top=p.top, flips=p.flips,
                            swing=p.swing, previous_swing=p.previous_swing, bound_rate=p.bound_rate,
                            bound_shift=p.bound_shift, previous_lam_max=p.previous_lam_max, positions=p.positions,
                            scales=self.scales,
                            floor=self._floor)

    def _noise_power(self, copy: bool = False) -> np.ndarray | float:
        """The noise power the regime reads: one number when every ball's is the same (Gaussian noise
        of one scale, or none), else the per-particle array (a copy with ``copy``: the next step
        writes into it while the telemetry of this one may still read it)."""
        powers = {runtime.noise_power for runtime in self._runtime}
        if len(powers) == 1 and None not in powers:
            return float(powers.pop())
        return self._p.noise_power.copy() if copy else self._p.noise_power

    def _window_count(self) -> np.ndarray | int:
        """How many steps each particle's averages hold: one number when the balls started together."""
        counts = [self.step_index - runtime.started + 1 for runtime in self._runtime]
        if len(set(counts)) <= 1:
            return counts[0] if counts else 1
        return np.repeat(np.array(counts, dtype=np.int64), [runtime.n for runtime in self._runtime])

    # ----------------------------------------------------------------------------------------- records

    def _record(self, runtime: BallRuntime, values: StepValues, step: int, all_active: bool) -> None:
        """Append one step to the ball's records: its particles' values, or a swarm's statistics."""
        sl = runtime.slice
        runtime.record_particles(values, step)
        if runtime.summary is None:
            return
        runtime.append_statistics(step, swarm_statistics(
            values.positions[sl], values.gradient[sl], values.eigenvalues[sl], values.loss[sl],
            values.gradient_norm[sl], values.step_size[sl], values.lr[sl], values.codes[sl],
            None if all_active else values.active[sl], runtime.median_bracket))

    def _collect(self) -> None:
        """Wait for the telemetry pending on the helper thread (in order; its errors are raised here)."""
        pending, self._pending = self._pending, []
        for job in pending:
            job.result()


class _Frame(NamedTuple):
    """What the telemetry of one step reads: that step's own arrays (never written again)."""

    step_index: int
    positions: np.ndarray
    loss: np.ndarray
    gradient: np.ndarray
    hessian: np.ndarray
    step: np.ndarray
    previous_step: np.ndarray
    estimate_square: np.ndarray  # |estimated gradient|^2 (n,)
    active: np.ndarray
    noise_power: np.ndarray | float
    window_count: np.ndarray | int
    all_active: tuple[bool, ...]
    bound_kappa_of: Callable[[np.ndarray], np.ndarray] | None  # (see Simulation._bound_kappa_of)
