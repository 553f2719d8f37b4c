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
5. telemetry for every particle: the Hessian's eigenvalues (closed form, physics.eigen), gradient
   norm, step size, effective learning rate |step| / |estimated gradient|, the moving averages and
   sign flips the regime needs, and the regime (physics.regime.diagnose);
6. each ball appends its record (physics.telemetry) and listeners hear "stepped".

All particles live in shared (N, ...) arrays (physics.particles; N = the particle count of all
balls); a ball owns a contiguous slice. The only Python loop is over balls (noise and optimiser
update); everything else is one NumPy operation over all N particles.

Large swarms (physics.helper.HELPER_PARTICLES particles or more) use the machine's second core:
their next Gaussian noise is drawn, and their summary statistics (with the median loss) are
computed, on a helper thread while the main thread goes on. The numbers are the same either way.

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

import numpy as np

from physics.balls import BallSpec
from physics.eigen import eigen_and_top, symmetric_eigenvectors
from physics.helper import HELPER_PARTICLES, helper_thread
from physics.memory import keep_freed_memory
from physics.noise import (
    NoiseSettings,
    add_gaussian_noise,
    batch_mask,
    minibatch_gradient,
    noise_scale,
)
from physics.optimizers.clipping import clip_by_norm
from physics.oracle import SurfaceOracle
from physics.particles import ParticleArrays, finite_rows, inside_box, swings
from physics.regime import WINDOW_WEIGHT, RegimeScales, diagnose
from physics.runtime import (
    BAD_STEP,
    LEFT_BOX,
    NOT_STOPPED,
    UNDEFINED,
    BallRuntime,
    merge_state,
)
from physics.telemetry import (
    FULL_HISTORY_PARTICLES,
    BallHistory,
    BallState,
    SwarmStatistics,
    swarm_statistics,
)
from surfaces.errors import DownhillError
from surfaces.surface import Evaluation, Surface

__all__ = ["NoiseSettings", "BallSpec", "BallState", "BallHistory", "Simulation", "DIVERGENCE_FACTOR"]

#: A particle farther from the domain's centre than this many domain sizes (in x or y) is stopped.
DIVERGENCE_FACTOR = 1e3

#: The step count kept per particle for the regime's averages saturates here.
_COUNT_CAP = 1 << 20


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

    Attributes:
        surface, balls, seed, step_index (updates made since the last reset), scales (the
        regime thresholds' scales, physics.regime.RegimeScales), floor (the lowest loss known).
    """

    def __init__(self, surface: Surface, balls: Sequence[BallSpec], seed: int = 0, capacity: int = 4096,
                 full_history: int = FULL_HISTORY_PARTICLES):
        self._check_seed(seed)
        keep_freed_memory()
        self.full_history = int(full_history)
        self.surface = surface
        self.seed = int(seed)
        self.capacity = int(capacity)
        self.step_index = 0
        self._listeners: list[Callable[[str], None]] = []
        self.balls: tuple[BallSpec, ...] = ()
        self._runtime: list[BallRuntime] = []
        self._p = ParticleArrays(0)
        self._pending: list[tuple[BallRuntime, int, Future[SwarmStatistics]]] = []
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
        p = self._p
        evaluation = surface.evaluate(p.positions)
        good = finite_rows(evaluation) | ~p.active
        if not good.all():
            self._stop(~good, UNDEFINED)
        # New arrays, not writes into the old ones: an optimiser's state may hold views of them.
        keep = good & p.active
        p.loss = np.where(keep, evaluation.value, p.loss)
        p.gradient = np.where(keep[:, None], evaluation.gradient, p.gradient)
        p.hessian = np.where(keep[:, None, None], evaluation.hessian, p.hessian)
        self._derive()
        if p.n:
            self.floor = min(self.floor, float(p.loss.min()))
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
        self._install(balls, keep)
        self._emit("balls")

    # ----------------------------------------------------------------------------------------- queries

    @property
    def particle_count(self) -> int:
        return self._p.n

    def state(self, ball: int) -> BallState:
        """The latest telemetry of ball ``ball`` (all its particles; copies)."""
        self._collect()
        runtime = self._runtime[ball]
        sl = runtime.slice
        p = self._p
        regime, detail, lam_max = runtime.describe(p, self._box)
        bound = runtime.stability / lam_max if math.isfinite(runtime.stability) and lam_max > 0 else math.nan
        velocity = None
        if runtime.optimizer_spec.velocity is not None and runtime.state is not None:
            v = runtime.optimizer_spec.velocity(runtime.state)
            velocity = None if v is None else np.array(v, dtype=np.float64, copy=True)
        return BallState(
            step_index=self.step_index,
            positions=p.positions[sl].copy(), loss=p.loss[sl].copy(), gradient=p.gradient[sl].copy(),
            step=p.step[sl].copy(), step_size=p.step_size[sl].copy(), lr=p.lr[sl].copy(),
            eigenvalues=p.eigenvalues[sl].copy(), eigenvectors=symmetric_eigenvectors(p.hessian[sl]),
            velocity=velocity, active=p.active[sl].copy(), regime_codes=p.codes[sl].copy(), regime=regime,
            regime_detail=detail, lr_bound=bound)

    def history(self, ball: int) -> BallHistory:
        """The per-step series of ball ``ball`` since it (re)started (views of its records)."""
        self._collect()
        return self._runtime[ball].history()

    # ----------------------------------------------------------------------------------------- set-up

    @staticmethod
    def _check_seed(seed: int) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= int(seed) < 2 ** 63:
            raise DownhillError(f"the seed must be a whole number from 0 to 2^63 - 1, not {seed!r}")

    def _emit(self, event: str) -> None:
        for callback in list(self._listeners):
            callback(event)

    def _measure_surface(self) -> None:
        self.scales = RegimeScales.of_surface(self.surface)
        self.floor = self.scales.floor
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
                runtime = BallRuntime(ball, stream, self.seed, self.capacity, self.full_history)
                fresh.append(runtime)
            runtime.spec = ball  # a continuing ball may have a new name, colour or visibility
            runtimes.append(runtime)
        old = self._p
        self._p = ParticleArrays(sum(runtime.n for runtime in runtimes))
        offset = 0
        for runtime in runtimes:
            target = slice(offset, offset + runtime.n)
            if runtime not in fresh:
                self._p.copy_slice(old, runtime.slice, target)
            runtime.slice = target
            offset += runtime.n
        self.balls = balls
        self._runtime = runtimes
        for runtime in fresh:
            self._start(runtime)
        self._derive()
        self._p.codes = self._diagnose()
        for runtime in fresh:
            self._record(runtime)

    def _start(self, runtime: BallRuntime) -> None:
        """Put a fresh ball at its start: positions, first evaluation, optimiser state, averages."""
        p = self._p
        sl = runtime.slice
        positions = runtime.initial_positions(self.surface)
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
        p.noise_power[sl] = 0.0
        p.step_power[sl] = 0.0
        p.window_count[sl] = 1
        p.bound_rate[sl] = runtime.bound_rate
        runtime.state = runtime.optimizer.init(positions.copy())
        runtime.updates = 0
        runtime.all_active = True
        self.floor = min(self.floor, float(np.min(evaluation.value)))

    # ----------------------------------------------------------------------------------------- one step

    def _estimate(self, runtime: BallRuntime, positions: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        """The noisy gradient estimate (n, 2) the ball's optimiser sees (before clipping); records the
        noise power the regime reads: 2 sigma^2 for Gaussian noise, measured for mini-batches."""
        noise = runtime.spec.noise
        estimate = gradient
        sigma = noise_scale(noise, runtime.updates)
        if noise.batch_size is not None and noise.batch_size < len(self.surface.terms):
            _, term_gradients = self.surface.term_evaluation(positions)
            mask = batch_mask(runtime.batch_rng, runtime.n, term_gradients.shape[0], noise.batch_size)
            estimate = minibatch_gradient(term_gradients, mask)
            if sigma > 0.0:
                estimate = add_gaussian_noise(estimate, sigma, runtime.noise)
            self._measure_noise(runtime, estimate - gradient)
        elif sigma > 0.0:
            estimate = add_gaussian_noise(estimate, sigma, runtime.noise)
            self._p.noise_power[runtime.slice] = 2.0 * sigma * sigma
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
        new_step = None if single else np.empty((n, 2))
        estimate_norm = np.empty(n)
        for runtime in self._runtime:
            sl = runtime.slice
            positions = p.positions[sl]
            gradient = p.gradient[sl]
            estimate = self._estimate(runtime, positions, gradient)
            norm = np.multiply(estimate[:, 0], estimate[:, 0], out=estimate_norm[sl])
            norm += estimate[:, 1] * estimate[:, 1]
            np.sqrt(norm, out=norm)
            fed = clip_by_norm(estimate, runtime.spec.clip) if runtime.spec.clip is not None else estimate
            self._oracle.remember(positions, Evaluation(p.loss[sl], gradient, p.hessian[sl]))
            with np.errstate(all="ignore"):
                step, state = runtime.optimizer.update(fed, runtime.state, positions, self._oracle)
            if not runtime.all_active:
                moving = p.active[sl]
                step = np.where(moving[:, None], step, 0.0)
                state = merge_state(state, runtime.state, moving)
            if single:
                new_step = step  # the optimiser's own array: from here on it is replaced, never written
            else:
                new_step[sl] = step
            runtime.state = state
            runtime.updates += 1
        self._oracle.forget()
        self.step_index += 1

        flips, swing, previous_swing = swings(new_step, p.step, p.top, p.flips)
        with np.errstate(all="ignore"):
            moved = p.positions + new_step
        evaluation = self.surface.evaluate(moved)
        ok = finite_rows(evaluation)
        ok &= inside_box(moved, self._centre, self._box)
        stopping = ~ok
        stopping &= p.active
        if stopping.any():
            bad_step = ~np.isfinite(new_step).all(axis=1)
            in_box = inside_box(moved, self._centre, self._box)
            self._stop(stopping & bad_step, BAD_STEP)
            self._stop(stopping & ~bad_step & ~in_box, LEFT_BOX)
            self._stop(stopping & ~bad_step & in_box, UNDEFINED)
        if not p.active.all():
            frozen = ~p.active
            moved[frozen] = p.positions[frozen]
            new_step = np.where(frozen[:, None], 0.0, new_step)
            evaluation.value[frozen] = p.loss[frozen]
            evaluation.gradient[frozen] = p.gradient[frozen]
            evaluation.hessian[frozen] = p.hessian[frozen]
        # Every telemetry array is a new one (see physics.particles): readers keep what they took.
        p.positions, p.loss, p.gradient, p.hessian = moved, evaluation.value, evaluation.gradient, evaluation.hessian
        p.step, p.flips, p.swing, p.previous_swing = new_step, flips, swing, previous_swing
        square = new_step[:, 0] * new_step[:, 0]
        square += new_step[:, 1] * new_step[:, 1]
        p.step_size = np.sqrt(square)
        undefined = estimate_norm == 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            p.lr = np.divide(p.step_size, estimate_norm, out=estimate_norm)
        if undefined.any():
            p.lr[undefined] = math.nan
        self._derive()
        self._push_averages(square)
        if n:
            self.floor = min(self.floor, float(p.loss.min()))
        p.codes = self._diagnose()
        self._collect()
        for runtime in self._runtime:
            self._record(runtime)

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
        p.eigenvalues = np.empty((p.n, 2))
        p.top = np.empty((p.n, 2))
        eigen_and_top(p.hessian, p.eigenvalues, p.top)
        g = p.gradient
        norm = g[:, 0] * g[:, 0]
        norm += g[:, 1] * g[:, 1]
        p.gradient_norm = np.sqrt(norm, out=norm)

    def _push_averages(self, step_square: np.ndarray) -> None:
        """Fold this step's true gradient and squared step length (n,) into their moving averages."""
        p = self._p
        p.gradient_mean *= 1.0 - WINDOW_WEIGHT
        p.gradient_mean += WINDOW_WEIGHT * p.gradient
        p.step_power *= 1.0 - WINDOW_WEIGHT
        step_square *= WINDOW_WEIGHT
        p.step_power += step_square
        if self.step_index < _COUNT_CAP:
            p.window_count += 1

    def _diagnose(self) -> np.ndarray:
        p = self._p
        with np.errstate(divide="ignore", invalid="ignore"):
            return diagnose(active=p.active, loss=p.loss, gradient_norm=p.gradient_norm, step_size=p.step_size,
                            mean_gradient=p.gradient_mean, noise_power=p.noise_power,
                            step_power=p.step_power, window_count=p.window_count,
                            eigenvalues=p.eigenvalues, top=p.top, flips=p.flips, swing=p.swing,
                            previous_swing=p.previous_swing, bound_rate=p.bound_rate, scales=self.scales,
                            floor=self.floor)

    # ----------------------------------------------------------------------------------------- records

    def _record(self, runtime: BallRuntime) -> None:
        """Append this step to the ball's records (a large swarm's statistics on the helper thread)."""
        p = self._p
        sl = runtime.slice
        runtime.record_particles(p, self.step_index)
        if runtime.summary is None:
            return
        arguments = (p.positions[sl], p.gradient[sl], p.eigenvalues[sl], p.loss[sl], p.gradient_norm[sl],
                     p.step_size[sl], p.lr[sl], p.codes[sl], None if runtime.all_active else p.active[sl])
        if runtime.n >= HELPER_PARTICLES:
            self._pending.append((runtime, self.step_index, helper_thread().submit(swarm_statistics, *arguments)))
        else:
            runtime.append_statistics(self.step_index, swarm_statistics(*arguments))

    def _collect(self) -> None:
        """Write the statistics computed on the helper thread into their records, in order."""
        pending, self._pending = self._pending, []
        for runtime, step, future in pending:
            runtime.append_statistics(step, future.result())

