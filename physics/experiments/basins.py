"""Basins of attraction: a grid of starts run as one swarm, each start coloured by where it ends.

For a surface and one optimiser with its hyper-parameters, the N x N cell centres of the domain
are the starts of ONE swarm (physics.simulation.Simulation with explicit starts: every start
steps through the same vectorised code as any ball, no Python loop over starts). After K steps
each start's outcome is classified by physics.experiments.outcomes (which critical point of
surfaces.critical.find_critical_points' list, or plateau, saddle, diverged, still moving, ...).

With gradient noise (sigma > 0) each start is run R times and each cell holds the probability of
each outcome over the R repeats; the repeats are copies of the grid in one swarm (every particle
draws its own noise), as many copies per swarm as MAX_PARTICLES allows, swarm g run from seed + g.
Without noise the run is deterministic and R = 1.

Settings (:func:`validate`; untrusted, from scene files and the command line):
``optimizer`` (registry name, default "gd"), ``hyperparameters`` ({name: value}, the optimiser's
ranges), ``sigma`` (noise standard deviation, gradient units, >= 0, default 0), ``clip`` (null or
the largest gradient norm), ``grid`` N (2..MAX_GRID, default 200), ``steps`` K (1..MAX_STEPS,
default 500), ``repeats`` R (1..MAX_REPEATS, default 8; used only with noise).
"""

from __future__ import annotations

import csv
import threading
from dataclasses import dataclass, replace
from typing import Any, TextIO

import numpy as np

from physics.balls import MAX_PARTICLES, BallSpec
from physics.experiments.base import ExperimentKind, Progress, SettingsReader, checked, register, surface_key
from physics.experiments.outcomes import classify_outcomes, outcome_label, outcome_name
from physics.noise import NoiseSettings
from surfaces.errors import DownhillError
from surfaces.surface import Surface

NAME = "basins"
DEFAULT_GRID = 200
#: The grid's side: N^2 starts are one swarm, at most MAX_PARTICLES particles.
MAX_GRID = int(MAX_PARTICLES ** 0.5)
DEFAULT_STEPS = 500
MAX_STEPS = 100_000
DEFAULT_REPEATS = 8
MAX_REPEATS = 64
#: Steps run between two progress reports (a chance to cancel): about 0.1 s at 40 000 starts.
CHUNK = 10
SETTINGS = ("optimizer", "hyperparameters", "sigma", "clip", "grid", "steps", "repeats")


@dataclass(frozen=True)
class BasinMap:
    """The result: where each start of an N x N grid ends.

    Attributes:
        xs, ys: the cell centres (N,) along x and y (surface units); cell [i, j] is (xs[i], ys[j]).
        domain: (xmin, xmax, ymin, ymax) the grid covers.
        points: the critical points outcomes >= 0 index (surfaces.critical.CriticalPoint).
        outcomes: the outcome codes present (physics.experiments.outcomes), ascending critical point
            index first, then the named outcomes; the last axis of ``probabilities`` follows it.
        probabilities: (N, N, M) float32: the fraction of the R repeats in which start [i, j] ended in
            outcome ``outcomes[m]`` (sums to 1 over m; one-hot without noise).
        repeats: R, the runs per start (1 without noise).
        settings: the complete settings; seed: the first repeat's seed.
    """

    xs: np.ndarray
    ys: np.ndarray
    domain: tuple[float, float, float, float]
    points: tuple
    outcomes: tuple[int, ...]
    probabilities: np.ndarray
    repeats: int
    settings: dict
    seed: int

    @property
    def dominant(self) -> np.ndarray:
        """(N, N) the most likely outcome code of each start (ties: the first in ``outcomes``)."""
        return np.asarray(self.outcomes, dtype=np.int16)[np.argmax(self.probabilities, axis=2)]

    @property
    def confidence(self) -> np.ndarray:
        """(N, N) the probability of the most likely outcome."""
        return self.probabilities.max(axis=2)

    @property
    def shares(self) -> np.ndarray:
        """(M,) each outcome's share of all starts (mean probability over the grid; sums to 1)."""
        return self.probabilities.reshape(-1, len(self.outcomes)).mean(axis=0, dtype=np.float64)

    def name(self, code: int) -> str:
        """Words for an outcome code ("minimum 1 at (3, 2)")."""
        return outcome_name(code, self.points)


# ------------------------------------------------------------------------------------------- settings


def validate(raw: Any, where: str) -> dict[str, Any]:
    """Untrusted settings -> complete settings; SceneError naming ``where.key`` for any problem."""
    reader = SettingsReader(raw, where, SETTINGS)
    optimizer, hyper = reader.optimizer(default="gd")
    sigma = reader.number("sigma", 0.0, 0.0, 1e6)
    clip = reader.number("clip", None, 0.0, 1e12, positive=True)
    grid = reader.integer("grid", DEFAULT_GRID, 2, MAX_GRID)
    steps = reader.integer("steps", DEFAULT_STEPS, 1, MAX_STEPS)
    repeats = reader.integer("repeats", DEFAULT_REPEATS, 1, MAX_REPEATS)
    return {"optimizer": optimizer, "hyperparameters": hyper, "sigma": sigma, "clip": clip, "grid": grid,
            "steps": steps, "repeats": repeats}


def settings_of_ball(ball: BallSpec, **overrides: Any) -> dict[str, Any]:
    """Basin settings for ``ball``'s optimiser, hyper-parameters, noise sigma and clip (raw: validate them)."""
    settings = {"optimizer": ball.optimizer,
                "hyperparameters": {name: list(value) if isinstance(value, tuple) else value
                                    for name, value in ball.hyperparameters},
                "sigma": ball.noise.sigma, "clip": ball.clip}
    settings.update(overrides)
    return settings


# ------------------------------------------------------------------------------------------- the run


def cell_centres(domain: tuple[float, float, float, float], n: int) -> tuple[np.ndarray, np.ndarray]:
    """The centres (n,), (n,) of an n x n grid of equal cells over ``domain``."""
    xmin, xmax, ymin, ymax = domain
    offsets = (np.arange(n) + 0.5) / n
    return xmin + (xmax - xmin) * offsets, ymin + (ymax - ymin) * offsets


def grid_starts(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """(N*N, 2) starts, row i*N + j = (xs[i], ys[j])."""
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    return np.column_stack([gx.ravel(), gy.ravel()])


def swarm_ball(settings: dict[str, Any], starts: np.ndarray, surface: Surface) -> BallSpec:
    """The one swarm that runs ``starts`` (its nominal start: the first start where f is defined)."""
    finite = np.isfinite(surface.value(starts))
    if not finite.any():
        raise DownhillError("f is undefined at every start of the grid")
    first = starts[int(np.argmax(finite))]
    hyper = tuple((name, tuple(value) if isinstance(value, list) else value)
                  for name, value in settings["hyperparameters"].items())
    return BallSpec(name="basins", color="#000000", optimizer=settings["optimizer"], hyperparameters=hyper,
                    start=(float(first[0]), float(first[1])), noise=NoiseSettings(sigma=settings["sigma"]),
                    particles=len(starts), clip=settings["clip"])


def final_outcomes(surface: Surface, ball: BallSpec, starts: np.ndarray, steps: int, seed: int, points: list,
                   progress: Progress | None = None, done: int = 0, total: int = 0) -> np.ndarray:
    """Outcome codes (n,) of ``ball``'s particles started at ``starts`` (n, 2) after ``steps`` steps.

    One Simulation, stepped CHUNK steps at a time (progress reported between chunks, ``done`` +
    steps so far of ``total``); the outcome from the final positions, activity and regimes.
    """
    from physics.simulation import Simulation

    simulation = Simulation(surface, [ball], seed=seed, capacity=16, starts={0: starts}, records=False)
    taken = 0
    while taken < steps:
        count = min(CHUNK, steps - taken)
        simulation.step(count)
        taken += count
        checked(progress, done + taken, total)
    state = simulation.state(0)
    return classify_outcomes(state.positions, state.active, state.regime_codes, points, surface.domain.diameter)


_POINTS: dict[tuple, list] = {}
_POINTS_LOCK = threading.Lock()


def critical_points_of(surface: Surface) -> list:
    """surfaces.critical.find_critical_points(surface), remembered per surface (formula, parameters, domain)."""
    from surfaces.critical import find_critical_points

    key = surface_key(surface)
    with _POINTS_LOCK:
        found = _POINTS.get(key)
    if found is None:
        found = find_critical_points(surface)
        with _POINTS_LOCK:
            if len(_POINTS) > 32:
                _POINTS.clear()
            _POINTS[key] = found
    return found


def run(surface: Surface, scene: Any, settings: dict[str, Any], seed: int, progress: Progress) -> BasinMap:
    """The basin map of ``settings`` on ``surface`` from ``seed`` (see the module docstring)."""
    domain = surface.domain.as_tuple()
    xs, ys = cell_centres(domain, settings["grid"])
    starts = grid_starts(xs, ys)
    ball = swarm_ball(settings, starts, surface)
    ball.check("basins", surface)
    repeats = settings["repeats"] if settings["sigma"] > 0.0 else 1
    steps = settings["steps"]
    per_swarm = max(1, min(repeats, MAX_PARTICLES // len(starts)))
    groups = [min(per_swarm, repeats - first) for first in range(0, repeats, per_swarm)]
    total = len(groups) * steps
    checked(progress, 0, total)
    points = critical_points_of(surface)
    codes = []
    for g, copies in enumerate(groups):
        swarm = replace(ball, particles=copies * len(starts)) if copies > 1 else ball
        ends = final_outcomes(surface, swarm, np.tile(starts, (copies, 1)), steps, (seed + g) % 2 ** 63, points,
                              progress, g * steps, total)
        codes.extend(ends.reshape(copies, len(starts)))
    codes = np.stack(codes)
    present = np.unique(codes)
    outcomes = tuple(int(c) for c in sorted(present, key=lambda c: (c < 0, abs(int(c)))))
    n = settings["grid"]
    probabilities = np.zeros((n * n, len(outcomes)), dtype=np.float32)
    for m, code in enumerate(outcomes):
        probabilities[:, m] = (codes == code).mean(axis=0)
    return BasinMap(xs=xs, ys=ys, domain=domain, points=tuple(points), outcomes=outcomes,
                    probabilities=probabilities.reshape(n, n, len(outcomes)), repeats=repeats,
                    settings=dict(settings), seed=int(seed))


# ------------------------------------------------------------------------------------------- CSV


def to_csv(result: BasinMap, stream: TextIO) -> None:
    """One row per start: x, y, the most likely outcome (its label and words), its probability, then
    the probability of each outcome present (columns ``p_cp1``, ``p_diverged``, ...; labels from
    physics.experiments.outcomes.outcome_label). Floats with repr: they read back bit for bit."""
    writer = csv.writer(stream, lineterminator="\n")
    labels = [outcome_label(code) for code in result.outcomes]
    writer.writerow(["x", "y", "outcome", "outcome_words", "probability", *(f"p_{label}" for label in labels)])
    words = {code: result.name(code) for code in result.outcomes}
    dominant = result.dominant
    confidence = result.confidence
    for i, x in enumerate(result.xs):
        for j, y in enumerate(result.ys):
            code = int(dominant[i, j])
            writer.writerow([repr(float(x)), repr(float(y)), outcome_label(code), words[code],
                             repr(float(confidence[i, j])),
                             *(repr(float(p)) for p in result.probabilities[i, j])])


KIND = register(ExperimentKind(name=NAME, title="Basins of attraction", validate=validate, run=run, to_csv=to_csv))
