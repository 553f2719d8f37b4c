"""The running side of a ball: its optimiser state, random streams and records.

:class:`BallRuntime` is what the simulation keeps per :class:`~physics.balls.BallSpec` while it
runs: the bound optimiser and its state, the ball's random streams, its slice of the shared
particle arrays, and its telemetry records, from which it builds the views the GUI and the command
line read (:class:`~physics.telemetry.BallHistory`, the words of its regime).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from physics.balls import BallSpec
from physics.eigen import preconditioned_top
from physics.noise import (
    MAX_SIGMA,
    STREAM_BATCH,
    STREAM_NOISE,
    STREAM_NOISE_Y,
    STREAM_SCATTER,
    NoiseStream,
    ball_generator,
)
from physics.optimizers.base import OptimizerSpec
from physics.particles import ParticleArrays, finite_rows
from physics.regime import MAXIMUM, MINIMUM, REGIMES, SADDLE, model_distance, newton_point, take_rows
from physics.regime_words import Evidence, describe, describe_swarm, format_number
from physics.telemetry import (
    BallHistory,
    RegimeNames,
    StepValues,
    SwarmStatistics,
    append_statistics,
    particle_history,
    particle_record,
    summary_record,
    swarm_summary,
)
from surfaces import floating_point
from surfaces.errors import DownhillError
from surfaces.surface import Surface

#: Why a particle was stopped (codes of ParticleArrays.stopped).
NOT_STOPPED, LEFT_BOX, UNDEFINED, BAD_STEP, OVERFLOW = range(5)


def undefined_reasons(surface: Surface, points: np.ndarray) -> np.ndarray:
    """Stop codes (k,) for particles at points (k, 2) where f or its derivatives are not finite:
    OVERFLOW where computing them overflowed (exp(800): a number, only not a double), else
    UNDEFINED (a division by zero, the log of a negative number: no number at all)."""
    flags = surface.floating_point_flags(points)
    overflowed = ((flags & floating_point.OVERFLOW) != 0) & ((flags & floating_point.DIVIDE) == 0)
    return np.where(overflowed, OVERFLOW, UNDEFINED).astype(np.int8)


class BallRuntime:
    """The running side of one BallSpec: optimiser, state, random streams, records."""

    def __init__(self, spec: BallSpec, index: int, seed: int, capacity: int, full_history: int,
                 per_particle: PerParticle | None = None):
        self.spec = spec
        self.index = index
        self.optimizer_spec, self.settings, self.optimizer = spec.make_optimizer()
        self.n = spec.particles
        #: Gaussian noise sigma per particle (n,) in place of the ball's (None: the ball's).
        self.sigmas: np.ndarray | None = None
        if per_particle:
            self._install_per_particle(per_particle)
            self._start_streams(seed, capacity, full_history)
            return
        lr = self.settings.get("lr")
        self.lr = float(lr) if isinstance(lr, int | float) and not isinstance(lr, bool) else math.nan
        factor = self.optimizer_spec.stability_factor
        self.stability = float(factor(self.settings)) if factor is not None else math.nan
        shift = self.optimizer_spec.curvature_shift
        self.shift = float(shift(self.settings)) if shift is not None else 0.0  # (the weight decay)
        # A rate per coordinate (Adam, RMSProp, ...): κ is measured from the state each step
        # (:meth:`bound_kappa`), not from one lr.
        self.effective_rate = self.optimizer_spec.effective_rate if self.stability > 0 else None
        self.bound_rate = (self.lr / self.stability if self.stability > 0 and math.isfinite(self.lr)
                           and self.effective_rate is None else math.nan)
        self._start_streams(seed, capacity, full_history)

    def _install_per_particle(self, per_particle: PerParticle) -> None:
        """Hyper-parameters per particle (an experiment's grid of settings run as one swarm): the
        optimiser is bound with (n, 1) columns; the oscillation bound's rate lr / c per particle."""
        columns, self.sigmas = per_particle_settings(self.optimizer_spec, self.settings, per_particle, self.n)
        self.settings = {**self.settings, **columns}
        self.optimizer = self.optimizer_spec.make(self.settings)
        self.lr = math.nan  # (no one lr: the words and the ball's bound read none)
        self.stability = math.nan
        shift = self.optimizer_spec.curvature_shift
        decay = self.settings.get("weight_decay", 0.0)
        self.shift = float(shift(self.settings)) if shift is not None and np.ndim(decay) == 0 else 0.0
        self.effective_rate = None  # (a per-coordinate κ from per-particle settings is not measured)
        self.bound_rate = per_particle_bound_rate(self.optimizer_spec, self.settings, self.n)

    def _start_streams(self, seed: int, capacity: int, full_history: int) -> None:
        index = self.index
        self.noise = NoiseStream([ball_generator(seed, index, STREAM_NOISE),
                                  ball_generator(seed, index, STREAM_NOISE_Y)], self.n)
        self.batch_rng = ball_generator(seed, index, STREAM_BATCH)
        self.scatter_rng = ball_generator(seed, index, STREAM_SCATTER)
        self.updates = 0
        self.state: Any = None
        self.all_active = True
        self.started = 0  # the simulation step at which the ball (re)started
        self.noise_power: float | None = 0.0  # the Gaussian noise power 2 sigma_t^2; None if measured per particle
        self.slice = slice(0, 0)
        self.particles = particle_record(self.n, capacity) if self.n == 1 or self.n <= full_history else None
        self.summary = summary_record(capacity) if self.n > 1 else None
        self.median_bracket: tuple[float, float] | None = None  # where the last median of the loss was

    def initial_positions(self, surface: Surface) -> np.ndarray:
        """Start positions (n, 2): the start plus the scatter; a particle scattered where f is undefined
        starts at the ball's start instead."""
        positions = np.empty((self.n, 2), order="F")
        positions[:] = self.spec.start
        if self.spec.spread > 0.0:
            positions += self.spec.spread * self.scatter_rng.standard_normal((self.n, 2))
            positions[~finite_rows(surface.evaluate(positions))] = self.spec.start
        return positions

    def bound_kappa(self, rows: np.ndarray, hessians: tuple[np.ndarray, ...], state: Any = None) -> np.ndarray:
        """κ = λ_max(R (H + shift I)) / c (k,) of the ball's particles ``rows`` (k,) (indices into its
        slice), R their per-coordinate rate for the next step, H the larger-κ of ``hessians`` (each
        (k, 2, 2): the Hessians at both ends of the last step, which a bounce spans); NaN where the
        rate is not known yet. ``state``: the optimiser state to read (the current one if None). Only
        for a ball whose optimiser has an ``effective_rate``."""
        rate = self.effective_rate(self.state if state is None else state, self.settings, rows)
        kappa = np.full(len(rows), -np.inf)
        for hessian in hessians:
            kappa = np.fmax(kappa, preconditioned_top(hessian, rate, self.shift))
        kappa /= self.stability
        kappa[~np.isfinite(rate).all(axis=1)] = np.nan
        return kappa

    def append_statistics(self, step: int, row: SwarmStatistics) -> None:
        """Append a row of swarm statistics (and keep its median's bracket for the next step)."""
        append_statistics(self.summary, step, row)
        self.median_bracket = row.median_bracket

    def record_particles(self, p: StepValues, step: int) -> None:
        """Append every particle's values of this step to the particle record (if the ball keeps one)."""
        record = self.particles
        if record is None:
            return
        sl = self.slice
        row = record.next_row()
        a = record.arrays
        a["step"][row] = step
        a["positions"][row] = p.positions[sl]
        a["loss"][row] = p.loss[sl]
        a["gradient"][row] = p.gradient[sl]
        a["gradient_norm"][row] = p.gradient_norm[sl]
        a["step_size"][row] = p.step_size[sl]
        a["lr"][row] = p.lr[sl]
        a["eigenvalues"][row] = p.eigenvalues[sl]
        a["regime"][row] = p.codes[sl]
        a["active"][row] = p.active[sl]

    def history(self) -> BallHistory:
        """The per-step series of the ball since it (re)started (views of its records: O(1))."""
        runtime = self
        particles = particle_history(runtime.particles) if runtime.particles is not None else None
        summary = swarm_summary(runtime.summary) if runtime.summary is not None else None
        if runtime.n == 1:
            record = runtime.particles
            steps = record.view("step")
            positions = record.view("positions")[:, 0]
            gradient = record.view("gradient")[:, 0]
            eigenvalues = record.view("eigenvalues")[:, 0]
            loss = record.view("loss")[:, 0]
            step_size = record.view("step_size")[:, 0]
            lr = record.view("lr")[:, 0]
            codes = record.view("regime")[:, 0]
            gradient_norm = record.view("gradient_norm")[:, 0]
        else:
            record = runtime.summary
            steps = record.view("step")
            positions = record.view("mean_position")
            gradient = record.view("mean_gradient")
            eigenvalues = record.view("mean_eigenvalues")
            loss = record.view("mean_loss")
            step_size = record.view("mean_step_size")
            lr = record.view("mean_lr")
            codes = record.view("regime")
            gradient_norm = record.view("mean_gradient_norm")
        return BallHistory(
            steps=steps, positions=positions, loss=loss, gradient=gradient, gradient_norm=gradient_norm,
            step_size=step_size, lr=lr, lambda_min=eigenvalues[:, 0], lambda_max=eigenvalues[:, 1],
            regime_codes=codes, regimes=RegimeNames(codes), particles=particles, summary=summary)

    def describe(self, p: ParticleArrays, box: float) -> tuple[str, str, float]:
        """The ball's regime, its words for a student, and the lambda_max they refer to.

        Args:
            p: the simulation's particle arrays.
            box: the half-width of the divergence box (for the words of a stopped ball).
        """
        runtime = self
        sl = runtime.slice
        if runtime.n == 1:
            i = sl.start
            code = int(p.codes[i])
            lam = p.eigenvalues[i]
            detail = describe(code, loss=float(p.loss[i]), gradient_norm=float(p.gradient_norm[i]),
                              eigenvalues=(float(lam[0]), float(lam[1])), evidence=self._evidence(p, i, box))
            return REGIMES[code], detail, float(lam[1])
        counts = np.bincount(p.codes[sl], minlength=len(REGIMES))
        code = int(np.argmax(counts))
        members = np.flatnonzero(p.codes[sl] == code) + sl.start
        lam = take_rows(p.eigenvalues, members).mean(axis=0)
        # The representative particle: for a settled regime, the member nearest the critical point of
        # its own model (the sentence cites that distance); else the first.
        first = int(members[0])
        if code in (MINIMUM, SADDLE, MAXIMUM) and len(members) > 1:
            distances = model_distance(take_rows(p.gradient, members), take_rows(p.eigenvalues, members),
                                       take_rows(p.top, members))
            first = int(members[np.nanargmin(distances)]) if np.isfinite(distances).any() else first
        leading = describe(code, loss=float(p.loss[members].mean()),
                           gradient_norm=float(p.gradient_norm[members].mean()),
                           eigenvalues=(float(lam[0]), float(lam[1])), evidence=self._evidence(p, first, box))
        return REGIMES[code], describe_swarm(counts, leading), float(p.eigenvalues[sl][:, 1].mean())

    def _evidence(self, p: ParticleArrays, i: int, box: float) -> Evidence:
        """What particle i's sentence cites: the rate and its bound, the Newton distance and point."""
        row = slice(i, i + 1)
        # (with weight decay, the loss descended is f + (wd / 2) |p|^2: gradient g + wd p, Hessian H + wd I)
        gradient = p.gradient[row] + self.shift * p.positions[row]
        distance = float(model_distance(gradient, p.eigenvalues[row] + self.shift, p.top[row])[0])
        point = newton_point(p.positions[i], gradient[0], p.hessian[i] + self.shift * np.eye(2))
        kappa = math.nan
        if self.effective_rate is not None:  # (the κ the oscillation test read, or the one it would read now)
            measured = p.bound_kappa
            kappa = float(measured[i]) if measured.shape[0] == p.n else math.nan
            if not math.isfinite(kappa):
                kappa = float(self.bound_kappa(np.array([i - self.slice.start]), (p.hessian[row],))[0])
        return Evidence(lr=self.lr, stability=self.stability, shift=self.shift, kappa=kappa,
                        curvature=max(float(p.eigenvalues[i, 1]), float(p.previous_lam_max[i])), distance=distance,
                        critical_point=point, stopped=_stopped_words(p, i, box))


def _stopped_words(p: ParticleArrays, index: int, box: float) -> str:
    reason = int(p.stopped[index])
    when = f"stopped at step {int(p.stopped_at[index])}"
    if reason == LEFT_BOX:
        return f"left the box |x|, |y| < {format_number(box)} around the domain; {when}"
    if reason == UNDEFINED:
        return (f"reached a point where f or its derivatives are undefined (a division by zero, or the log or "
                f"square root of a negative number); {when}")
    if reason == OVERFLOW:
        return (f"reached a point where f or its derivatives overflow the floating-point range "
                f"(about {floating_point.LARGEST_WORDS}); {when}")
    if reason == BAD_STEP:
        return f"the optimiser's step was not finite; {when}"
    return ""


#: Per-particle hyper-parameters of a ball: name -> (n,) values (see :func:`per_particle_settings`).
PerParticle = Mapping[str, np.ndarray]


def per_particle_settings(spec: OptimizerSpec, settings: Mapping[str, Any], values: PerParticle,
                          n: int) -> tuple[dict[str, Any], np.ndarray | None]:
    """The optimiser settings that differ per particle, as columns (n, 1), and the noise sigmas (n,).

    ``values`` maps a float hyper-parameter of ``spec`` ("lr", "momentum", "alpha", "eps", ...), or
    "beta1" / "beta2" (the halves of Adam's "betas"), or "sigma" (Gaussian gradient noise), to n
    values, each in the hyper-parameter's range (DownhillError naming it otherwise). The other
    settings stay the ball's numbers: a particle's step is then, bit for bit, that of a ball with
    its settings (the update broadcasts the columns through the same operations).
    """
    known = {h.name: h for h in spec.hyperparameters}
    columns: dict[str, Any] = {}
    sigmas = None
    for name, given in values.items():
        array = np.asarray(given, dtype=np.float64).reshape(-1)
        if array.shape != (n,) or not np.isfinite(array).all():
            raise DownhillError(f"the per-particle {name} must be {n} finite numbers")
        if name == "sigma":
            if (array < 0.0).any() or (array > MAX_SIGMA).any():
                raise DownhillError(f"the per-particle sigma must be between 0 and {MAX_SIGMA:g}")
            sigmas = array
            continue
        key = "betas" if name in ("beta1", "beta2") else name
        hyper = known.get(key)
        if hyper is None or hyper.kind not in ("float", "pair") or (hyper.kind == "pair") != (key != name):
            raise DownhillError(f"the optimiser '{spec.name}' has no per-particle hyper-parameter '{name}'")
        if (array < hyper.minimum).any() or (array > hyper.maximum).any():
            raise DownhillError(f"the per-particle {name} must be in [{hyper.minimum:g}, {hyper.maximum:g}]")
        if key == "betas":
            pair = list(columns.get("betas", settings["betas"]))
            pair[0 if name == "beta1" else 1] = array[:, None]
            columns["betas"] = tuple(pair)
        else:
            columns[name] = array[:, None]
    return columns, sigmas


def per_particle_bound_rate(spec: OptimizerSpec, settings: Mapping[str, Any], n: int) -> np.ndarray | float:
    """lr / c (n,) for settings with per-particle columns, c the spec's stability factor of each
    particle's own settings (the regime's oscillation test reads it); NaN without such a bound."""
    factor = spec.stability_factor
    lr = settings.get("lr")
    if factor is None or spec.effective_rate is not None or lr is None:
        return math.nan

    def row(value: Any, i: int) -> Any:
        if isinstance(value, tuple):
            return tuple(row(item, i) for item in value)
        return float(value[i, 0]) if np.ndim(value) == 2 else value

    varying = {name: value for name, value in settings.items()
               if np.ndim(value) == 2 or (isinstance(value, tuple) and any(np.ndim(v) == 2 for v in value))}
    factors = np.empty(n)
    for i in range(n):  # (a Python call per particle: an experiment's few thousand, once per run)
        factors[i] = factor({**settings, **{name: row(value, i) for name, value in varying.items()}})
    rates = np.broadcast_to(np.asarray(lr, dtype=np.float64).reshape(-1), (n,)) / factors
    return np.where(factors > 0, rates, math.nan)


def merge_state(new: Any, old: Any, moving: np.ndarray) -> Any:
    """The optimiser state with stopped particles' rows kept from ``old`` (fields have leading axis n)."""
    if not isinstance(new, tuple) or not hasattr(new, "_fields"):
        return new
    fields = []
    for fresh, previous in zip(new, old, strict=True):
        if isinstance(fresh, np.ndarray) and isinstance(previous, np.ndarray) and fresh.shape == previous.shape \
                and fresh.ndim >= 1 and fresh.shape[0] == moving.shape[0]:
            mask = moving.reshape((-1,) + (1,) * (fresh.ndim - 1))
            fields.append(np.where(mask, fresh, previous))
        else:
            fields.append(fresh)
    return type(new)(*fields)
