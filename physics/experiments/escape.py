r"""Saddle-escape statistics: N noisy runs per noise level from a saddle's stable manifold.

From a saddle s of the surface (one of surfaces.critical.find_critical_points' saddles, numbered
from 1 as on the map) the runs start at ``s + (r / 2) v``, v the unit eigenvector of the Hessian's
positive eigenvalue (the stable direction: gradient descent pulls the start into s along it), or
at a start the user gives (which should flow into s). Each noise level sigma is ONE ball of N
particles (a swarm: each particle has its own noise, physics.noise) and all the levels step
together in ONE physics.simulation.Simulation: no Python loop over runs.

Escape time of a run (steps, counted from the start): the first step at which the particle is
farther than r from s after having come within r of it, or the first step its loss is below
f(s) - delta, whichever comes first. A run that has not escaped after K steps is censored (its
time is -1). After every run has escaped or been censored, the escaped ones go on (at most K more
steps) until each has settled, and where it went is classified by
physics.experiments.outcomes (which critical point, diverged, still moving, ...).

Theory (gradient descent with step lr, noise added to the gradient). Near s along the unstable
eigenvector (eigenvalue lambda_min < 0) the offset u obeys

    u_{t+1} = rho u_t - lr sigma xi_t,   rho = 1 + lr |lambda_min|,   xi_t ~ N(0, 1),

so u_t = rho^t (u_0 - lr sigma sum_s rho^{-s-1} xi_s) and, from u_0 = 0, u_t -> rho^t S Z with
Z ~ N(0, 1) and S = lr sigma / sqrt(rho^2 - 1). |u_t| reaches r when t = ln(r / (S |Z|)) / ln rho,
and the median of |Z| is q = 0.6745 (the 3/4 quantile of N(0, 1)), so the median escape time is

    T(sigma) = [ln(1 / sigma) + c] / ln rho,   c = ln(r sqrt(rho^2 - 1) / (lr q)).

The slope against ln(1 / sigma) is 1 / ln(1 + lr |lambda_min|); c is the stated offset (derived,
not fitted). With momentum (heavy ball, Nesterov) rho is the larger root of the linear recursion's
matrix on lambda_min (physics.optimizers.sgd's matrices) and the offset is fitted to the medians
(least squares at the theory's slope); other optimisers (Adam, RMSprop, Newton, ...) have no line.

Settings (:func:`validate`; untrusted): ``optimizer`` (default "gd"), ``hyperparameters``,
``saddle`` (null: the saddle nearest the start, or the first saddle; or its number from 1),
``start`` (null or [x, y]), ``sigma_low`` / ``sigma_high`` (default 1e-8 / 1e-1; log-spaced),
``levels`` (default 8), ``runs`` N (default 500), ``steps`` K (default 2000), ``radius`` r (null:
RADIUS_FRACTION x the distance from s to the nearest minimum, or of the domain's diagonal when
there is none), ``drop`` delta (null: half of f(s) - f(nearest minimum); none without a minimum).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from typing import Any, TextIO

import numpy as np

from physics.balls import MAX_PARTICLES, BallSpec
from physics.experiments.base import ExperimentKind, Progress, SettingsReader, checked, register
from physics.experiments.outcomes import MOVING, classify_outcomes, outcome_label, outcome_name
from physics.noise import NoiseSettings
from surfaces.errors import DownhillError, SceneError
from surfaces.surface import Surface

NAME = "escape"
DEFAULT_RUNS = 500
DEFAULT_STEPS = 2000
MAX_STEPS = 100_000
DEFAULT_LEVELS = 8
MAX_LEVELS = 24
DEFAULT_SIGMAS = (1e-8, 1e-1)
#: The default escape radius, as a fraction of the distance from the saddle to the nearest minimum.
RADIUS_FRACTION = 0.25
#: Without a minimum: the radius as a fraction of the domain's diagonal.
RADIUS_OF_DIAGONAL = 0.05
#: The median of |Z|, Z ~ N(0, 1) (its 3/4 quantile): the theory's offset uses it.
HALF_NORMAL_MEDIAN = 0.6744897501960817
#: Steps between two progress reports (and, after every escape, between two looks at the outcomes).
CHUNK = 10
#: The outcome code of a censored run (it never escaped: where it went is not asked).
CENSORED = -100
SETTINGS = ("optimizer", "hyperparameters", "saddle", "start", "sigma_low", "sigma_high", "levels", "runs",
            "steps", "radius", "drop")


@dataclass(frozen=True)
class EscapeResult:
    """The result of the saddle-escape experiment.

    Attributes:
        sigmas: (L,) the noise levels (gradient units), ascending.
        times: (L, N) int64 escape step of each run (steps from the start); -1 when censored.
        reached: (L, N) bool: the run came within ``radius`` of the saddle.
        outcomes: (L, N) int16 where each run went (physics.experiments.outcomes codes; CENSORED for a
            censored run).
        points: the critical points (outcome codes index them); saddle: the saddle's index in it.
        start: the runs' start (x, y); radius r and drop delta (None: no loss criterion) of escape.
        lam_min: the Hessian's negative eigenvalue at the saddle; rho: the theory's growth factor per
            step (None: no theory for this optimiser); offset c of the theory line (None with rho);
            offset_fitted: True when c was fitted to the medians rather than derived.
        steps: K; settings, seed.
    """

    sigmas: np.ndarray
    times: np.ndarray
    reached: np.ndarray
    outcomes: np.ndarray
    points: tuple
    saddle: int
    start: tuple[float, float]
    radius: float
    drop: float | None
    lam_min: float
    rho: float | None
    offset: float | None
    offset_fitted: bool
    steps: int
    settings: dict
    seed: int

    @property
    def censored(self) -> np.ndarray:
        """(L,) the runs of each level that never escaped within K steps."""
        return (self.times < 0).sum(axis=1)

    @property
    def medians(self) -> np.ndarray:
        """(L,) the median escape step per level, censored runs counted as later than K (so the median
        is exact while fewer than half are censored); NaN when half or more are censored."""
        return np.array([censored_median(row) for row in self.times])

    @property
    def slope(self) -> float | None:
        """The theory's slope 1 / ln(rho) of the median against ln(1 / sigma) (None without theory)."""
        return None if self.rho is None else 1.0 / math.log(self.rho)

    def theory(self, sigmas: np.ndarray) -> np.ndarray | None:
        """The theory line T(sigma) = (ln(1/sigma) + c) / ln(rho) at ``sigmas`` (None without theory)."""
        if self.rho is None or self.offset is None:
            return None
        return (np.log(1.0 / np.asarray(sigmas, dtype=np.float64)) + self.offset) / math.log(self.rho)

    def measured_slope(self) -> float | None:
        """The least-squares slope of the finite medians against ln(1/sigma) (None below 2 levels)."""
        medians = self.medians
        keep = np.isfinite(medians)
        if keep.sum() < 2:
            return None
        return float(np.polyfit(np.log(1.0 / self.sigmas[keep]), medians[keep], 1)[0])

    def destinations(self) -> tuple[int, ...]:
        """The outcome codes escaped runs reached: listed points ascending, then named outcomes."""
        present = np.unique(self.outcomes[self.outcomes != CENSORED])
        return tuple(int(c) for c in sorted(present, key=lambda c: (c < 0, abs(int(c)))))

    def shares(self) -> np.ndarray:
        """(L, M) each level's share of its escaped runs per destination (``destinations`` order)."""
        codes = self.destinations()
        escaped = np.maximum((self.outcomes != CENSORED).sum(axis=1), 1)
        return np.stack([(self.outcomes == code).sum(axis=1) / escaped for code in codes], axis=1) \
            if codes else np.zeros((len(self.sigmas), 0))

    def name(self, code: int) -> str:
        return "censored" if code == CENSORED else outcome_name(code, self.points)


def censored_median(times: np.ndarray) -> float:
    """The median of escape steps ``times`` (n,) with -1 for censored (later than every step seen)."""
    ordered = np.sort(np.where(times < 0, np.iinfo(np.int64).max, times).astype(np.int64))
    n = len(ordered)
    if n == 0:
        return math.nan
    low, high = ordered[(n - 1) // 2], ordered[n // 2]
    if high == np.iinfo(np.int64).max:
        return math.nan
    return (float(low) + float(high)) / 2.0


# ------------------------------------------------------------------------------------------- settings


def validate(raw: Any, where: str) -> dict[str, Any]:
    """Untrusted settings -> complete settings; SceneError naming ``where.key`` for any problem."""
    reader = SettingsReader(raw, where, SETTINGS)
    optimizer, hyper = reader.optimizer(default="gd")
    saddle = raw.get("saddle")
    if saddle is not None:
        saddle = reader.integer("saddle", 1, 1, 10_000)
    start = raw.get("start")
    if start is not None:
        if not isinstance(start, list | tuple) or len(start) != 2 or not all(
                isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and abs(v) <= 1e12
                for v in start):
            raise SceneError("must be two finite numbers [x, y]", field=reader.field("start"))
        start = [float(start[0]), float(start[1])]
    low = reader.number("sigma_low", DEFAULT_SIGMAS[0], 0.0, 1e6, positive=True)
    high = reader.number("sigma_high", DEFAULT_SIGMAS[1], 0.0, 1e6, positive=True)
    levels = reader.integer("levels", DEFAULT_LEVELS, 1, MAX_LEVELS)
    if high < low:
        raise SceneError(f"{high:g} is below sigma_low {low:g}", field=reader.field("sigma_high"))
    if levels > 1 and high == low:
        raise SceneError("equals sigma_low; give one level or a range", field=reader.field("sigma_high"))
    runs = reader.integer("runs", DEFAULT_RUNS, 1, MAX_PARTICLES)
    if runs * levels > MAX_PARTICLES:
        raise SceneError(f"{runs} runs x {levels} levels is over {MAX_PARTICLES} particles",
                         field=reader.field("runs"))
    steps = reader.integer("steps", DEFAULT_STEPS, 1, MAX_STEPS)
    radius = reader.number("radius", None, 0.0, 1e12, positive=True)
    drop = reader.number("drop", None, 0.0, 1e300, positive=True)
    return {"optimizer": optimizer, "hyperparameters": hyper, "saddle": saddle, "start": start,
            "sigma_low": low, "sigma_high": high, "levels": levels, "runs": runs, "steps": steps,
            "radius": radius, "drop": drop}


def settings_of_ball(ball: BallSpec, **overrides: Any) -> dict[str, Any]:
    """Escape settings for ``ball``'s optimiser and hyper-parameters (raw: validate them)."""
    settings = {"optimizer": ball.optimizer,
                "hyperparameters": {name: list(value) if isinstance(value, tuple) else value
                                    for name, value in ball.hyperparameters}}
    settings.update(overrides)
    return settings


def noise_levels(settings: dict[str, Any]) -> np.ndarray:
    """(L,) log-spaced sigmas from sigma_low to sigma_high (one level: sigma_low)."""
    if settings["levels"] == 1:
        return np.array([settings["sigma_low"]])
    return np.geomspace(settings["sigma_low"], settings["sigma_high"], settings["levels"])


# ------------------------------------------------------------------------------------------- geometry


@dataclass(frozen=True)
class SaddleSetup:
    """Where the runs start and what counts as an escape (see the module docstring)."""

    index: int                    # the saddle's index in the critical points' list
    centre: np.ndarray            # (2,) the saddle
    value: float                  # f there
    lam_min: float                # the negative eigenvalue
    stable: np.ndarray            # (2,) unit eigenvector of the positive eigenvalue
    start: np.ndarray             # (2,)
    radius: float
    drop: float | None


def saddle_setup(surface: Surface, points: list, settings: dict[str, Any]) -> SaddleSetup:
    """The saddle, the start, r and delta of ``settings`` (DownhillError naming the setting)."""
    saddles = [i for i, p in enumerate(points) if p.kind == "saddle"]
    given = settings["start"]
    if settings["saddle"] is not None:
        index = settings["saddle"] - 1
        if index >= len(points) or points[index].kind != "saddle":
            numbers = ", ".join(str(i + 1) for i in saddles) or "none"
            what = f"there is no critical point {index + 1}" if index >= len(points) else \
                f"critical point {index + 1} is a {points[index].kind}"
            raise DownhillError(f"{what}; the saddles are {numbers}", field="saddle")
    else:
        if not saddles:
            raise DownhillError("this surface has no saddle in its domain (a degenerate one has no "
                                "negative eigenvalue to escape along)", field="saddle")
        if given is not None:
            index = min(saddles, key=lambda i: math.hypot(points[i].x - given[0], points[i].y - given[1]))
        else:
            index = saddles[0]
    point = points[index]
    centre = np.array([point.x, point.y], dtype=np.float64)
    evaluation = surface.evaluate(centre[None, :])
    values, vectors = np.linalg.eigh(np.asarray(evaluation.hessian[0], dtype=np.float64))
    if not (np.isfinite(values).all() and values[0] < 0.0 < values[1]):
        raise DownhillError(f"critical point {index + 1}'s Hessian has eigenvalues {values[0]:.3g}, "
                            f"{values[1]:.3g}: not a strict saddle", field="saddle")
    minima = [p for p in points if p.kind == "minimum"]
    nearest = min(minima, key=lambda p: math.hypot(p.x - point.x, p.y - point.y)) if minima else None
    if settings["radius"] is not None:
        radius = float(settings["radius"])
    elif nearest is not None:
        radius = RADIUS_FRACTION * math.hypot(nearest.x - point.x, nearest.y - point.y)
    else:
        radius = RADIUS_OF_DIAGONAL * surface.domain.diameter
    drop = settings["drop"]
    if drop is None and nearest is not None and point.value > nearest.value:
        drop = 0.5 * (point.value - nearest.value)
    stable = vectors[:, 1] / np.linalg.norm(vectors[:, 1])
    start = np.array(given, dtype=np.float64) if given is not None else centre + 0.5 * radius * stable
    if not np.isfinite(surface.value(start[None, :])).all():
        raise DownhillError(f"f is undefined at the start ({start[0]:.4g}, {start[1]:.4g})", field="start")
    return SaddleSetup(index=index, centre=centre, value=float(point.value), lam_min=float(values[0]),
                       stable=stable, start=start, radius=radius, drop=None if drop is None else float(drop))


def growth_factor(optimizer: str, settings: dict[str, Any], lam_min: float) -> float | None:
    """rho, the factor by which the unstable offset grows per step near the saddle, for the SGD family
    (gd, sgd, momentum, nesterov: the spectral radius of physics.optimizers.sgd's matrix with
    h = lr (1 - dampening) lambda_min); None for other optimisers (no linear theory)."""
    if optimizer not in ("gd", "sgd", "momentum", "nesterov"):
        return None
    lr = float(settings.get("lr", 0.0))
    mu = float(settings.get("momentum", 0.0) or 0.0)
    h = lr * (1.0 - float(settings.get("dampening", 0.0) or 0.0)) * (lam_min + float(settings.get("weight_decay", 0.0)
                                                                                       or 0.0))
    if mu == 0.0:
        rho = 1.0 - h
    elif settings.get("nesterov") or optimizer == "nesterov":
        rho = float(np.max(np.abs(np.linalg.eigvals([[1.0 - h * (1.0 + mu), -mu * mu], [h, mu]]))))
    else:
        rho = float(np.max(np.abs(np.linalg.eigvals([[1.0 - h, -mu], [h, mu]]))))
    return rho if rho > 1.0 else None


def derived_offset(radius: float, lr: float, rho: float) -> float:
    """Gradient descent's offset c = ln(r sqrt(rho^2 - 1) / (lr q)) (the module docstring's)."""
    return math.log(radius * math.sqrt(rho * rho - 1.0) / (lr * HALF_NORMAL_MEDIAN))


def fitted_offset(sigmas: np.ndarray, medians: np.ndarray, rho: float) -> float | None:
    """The offset c that puts (ln(1/sigma) + c) / ln(rho) through the finite medians (least squares)."""
    keep = np.isfinite(medians)
    if not keep.any():
        return None
    return float(np.mean(medians[keep] * math.log(rho) - np.log(1.0 / sigmas[keep])))


# ------------------------------------------------------------------------------------------- the run


def escape_balls(settings: dict[str, Any], sigmas: np.ndarray, start: np.ndarray) -> list[BallSpec]:
    """One ball per noise level, ``runs`` particles each, all at ``start``."""
    hyper = tuple((name, tuple(value) if isinstance(value, list) else value)
                  for name, value in settings["hyperparameters"].items())
    return [BallSpec(name=f"sigma {sigma:.3g}", color="#000000", optimizer=settings["optimizer"],
                     hyperparameters=hyper, start=(float(start[0]), float(start[1])),
                     noise=NoiseSettings(sigma=float(sigma)), particles=settings["runs"]) for sigma in sigmas]


class EscapeWatch:
    """Escape bookkeeping over every particle, one look per step (vectorised; see the module docstring)."""

    def __init__(self, centre: np.ndarray, radius: float, value: float, drop: float | None, n: int) -> None:
        self.centre, self.radius = centre, radius
        self.threshold = -math.inf if drop is None else value - drop
        self.reached = np.zeros(n, dtype=bool)
        self.times = np.full(n, -1, dtype=np.int64)

    def look(self, step: int, positions: np.ndarray, loss: np.ndarray) -> None:
        distance = np.hypot(positions[:, 0] - self.centre[0], positions[:, 1] - self.centre[1])
        inside = distance <= self.radius
        self.reached |= inside
        escaped = (self.times < 0) & ((self.reached & ~inside) | (loss < self.threshold))
        self.times[escaped] = step

    @property
    def all_escaped(self) -> bool:
        return bool((self.times >= 0).all())


def run(surface: Surface, scene: Any, settings: dict[str, Any], seed: int, progress: Progress) -> EscapeResult:
    """The escape statistics of ``settings`` on ``surface`` from ``seed`` (see the module docstring)."""
    from physics.experiments.basins import critical_points_of
    from physics.simulation import Simulation

    checked(progress, 0, settings["steps"])
    points = critical_points_of(surface)
    setup = saddle_setup(surface, points, settings)
    sigmas = noise_levels(settings)
    balls = escape_balls(settings, sigmas, setup.start)
    for index, ball in enumerate(balls):
        ball.check(f"levels[{index}]", surface)
    n, levels, steps = settings["runs"], len(sigmas), settings["steps"]
    starts = {index: np.tile(setup.start, (n, 1)) for index in range(levels)}
    simulation = Simulation(surface, balls, seed=seed, capacity=16, starts=starts, records=False)
    watch = EscapeWatch(setup.centre, setup.radius, setup.value, setup.drop, n * levels)
    positions, loss, _ = simulation.snapshot()
    watch.look(0, positions, loss)
    taken = 0
    while taken < steps and not watch.all_escaped:
        simulation.step(1)
        taken += 1
        positions, loss, _ = simulation.snapshot()
        watch.look(taken, positions, loss)
        if taken % CHUNK == 0:
            checked(progress, taken, 2 * steps)
    # The escaped runs go on until each has settled somewhere (at most K more steps).
    diameter = surface.domain.diameter
    escaped = watch.times >= 0
    outcomes = np.full(n * levels, CENSORED, dtype=np.int16)
    more = 0
    while True:
        codes = np.concatenate([_codes(simulation.state(index), points, diameter) for index in range(levels)])
        outcomes[escaped] = codes[escaped]
        if more >= steps or not (outcomes[escaped] == MOVING).any():
            break
        simulation.step(CHUNK)
        more += CHUNK
        checked(progress, steps + more, 2 * steps)
    checked(progress, 2 * steps, 2 * steps)
    times = watch.times.reshape(levels, n)
    rho = growth_factor(settings["optimizer"], BallSpec(
        name="x", color="#000000", optimizer=settings["optimizer"],
        hyperparameters=balls[0].hyperparameters).settings(), setup.lam_min)
    offset, fitted = None, False
    if rho is not None:
        complete = balls[0].settings()
        if float(complete.get("momentum", 0.0) or 0.0) == 0.0:
            offset = derived_offset(setup.radius, float(complete["lr"]), rho)
        else:
            offset = fitted_offset(sigmas, np.array([censored_median(row) for row in times]), rho)
            fitted = True
    return EscapeResult(sigmas=sigmas, times=times, reached=watch.reached.reshape(levels, n),
                        outcomes=outcomes.reshape(levels, n), points=tuple(points), saddle=setup.index,
                        start=(float(setup.start[0]), float(setup.start[1])), radius=setup.radius, drop=setup.drop,
                        lam_min=setup.lam_min, rho=rho, offset=offset, offset_fitted=fitted, steps=steps,
                        settings=dict(settings), seed=int(seed))


def _codes(state: Any, points: list, diameter: float) -> np.ndarray:
    return classify_outcomes(state.positions, state.active, state.regime_codes, points, diameter)


# ------------------------------------------------------------------------------------------- CSV


def to_csv(result: EscapeResult, stream: TextIO) -> None:
    """One row per run: sigma, run, escape_step (empty when censored), censored (0/1), reached (0/1:
    came within r of the saddle), outcome (label: cp1, diverged, ... or censored) and its words;
    then the level's median and the theory's value there (empty where undefined). Floats with repr."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(["sigma", "run", "escape_step", "censored", "reached", "outcome", "outcome_words",
                     "level_median", "theory_median"])
    medians = result.medians
    theory = result.theory(result.sigmas)
    for level, sigma in enumerate(result.sigmas):
        median = "" if not math.isfinite(medians[level]) else repr(float(medians[level]))
        line = "" if theory is None else repr(float(theory[level]))
        for run_index in range(result.times.shape[1]):
            time = int(result.times[level, run_index])
            code = int(result.outcomes[level, run_index])
            label = "censored" if code == CENSORED else outcome_label(code)
            writer.writerow([repr(float(sigma)), run_index, "" if time < 0 else time, int(time < 0),
                             int(result.reached[level, run_index]), label, result.name(code), median, line])


KIND = register(ExperimentKind(name=NAME, title="Saddle escape", validate=validate, run=run, to_csv=to_csv))
