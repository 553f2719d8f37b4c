r"""The stability map: a grid of two hyper-parameters, one ball's run per cell, coloured by its outcome.

For a surface, a start and an optimiser, the N x N cells of a grid over two hyper-parameters (lr x
momentum by default; lr x beta1, lr x beta2, lr x alpha, lr x noise on request; lr and noise on
log axes) are the particles of ONE swarm: particle i*N + j has cell (x_i, y_j)'s settings
(physics.simulation.Simulation's ``per_particle``: the optimiser is bound with (n, 1) columns, so
each particle steps bit for bit as a ball of its cell's settings would, noise aside). After K steps
each cell's outcome is one of :data:`OUTCOMES`:

- ``converges``: ended at a minimum (a listed one, physics.experiments.outcomes, or the regime's
  minimum) and is not oscillating;
- ``saddle``: ended on a saddle (or a maximum);
- ``oscillates``: still moving (mean step over the last W steps above ``SETTLE_RTOL`` x the domain's
  diagonal) and bouncing: at least half of its last W steps reverse the one before
  (step_t . step_{t-1} < 0), or the regime reads an oscillation;
- ``diverges``: stopped (left the box, f undefined) or growing: the mean step of the last W steps
  is over ``1 + GROWTH_TOL`` times that of the W steps before the middle of the run, and the mean
  loss rose between those windows;
- ``plateau``: the regime's plateau; ``still moving``: anything else (descending slowly).

The theoretical bound (:func:`theory_bound`), where one exists: for methods with a fixed rate
(gradient descent, heavy ball, Nesterov; physics.optimizers.sgd's stability_factor c) on the
local quadratic at the target minimum (the minimum most converging cells reached, else the
listed minimum nearest the start; ``bound_at="start"``: the Hessian at the start), stable while
lr (lambda_max + weight_decay) < c: c = 2 for GD, 2 (1 + mu) for heavy ball,
2 (1 + mu) / (1 + 2 mu) for Nesterov. Adaptive methods (Adam, RMSProp) have no bound in lr alone.

Settings (:func:`validate`, untrusted): ``optimizer`` (default "momentum"), ``hyperparameters``,
``start`` [x, y] (null: the domain's centre), ``x_param`` / ``y_param`` (one of :data:`PARAMS`),
``x_range`` / ``y_range`` (null: automatic, :func:`default_range`, or [low, high]), ``grid`` N
(2..MAX_GRID, default 60), ``steps`` K (default 500), ``sigma`` (noise of every cell unless an
axis is noise), ``clip``, ``bound_at`` ("minimum" or "start").
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np

from physics import regime as _regime
from physics.balls import BallSpec
from physics.experiments.base import ExperimentKind, Progress, SettingsReader, checked, register
from physics.experiments.outcomes import MINIMUM, OSCILLATING, PLATEAU, SADDLE, classify_outcomes, outcome_label
from physics.noise import MAX_SIGMA, NoiseSettings
from surfaces.errors import DownhillError, SceneError
from surfaces.surface import Surface

NAME = "stability"
#: The outcomes of a cell, by code (the map's colours follow this order).
OUTCOMES = ("converges", "saddle", "oscillates", "diverges", "plateau", "still moving")
CONVERGES, ON_SADDLE, OSCILLATES, DIVERGES, ON_PLATEAU, MOVING = range(len(OUTCOMES))
#: The hyper-parameters an axis may vary ("noise": the Gaussian gradient noise's sigma).
PARAMS = ("lr", "momentum", "beta1", "beta2", "alpha", "noise")
#: Axes drawn on a log scale.
LOG_PARAMS = ("lr", "noise")
#: Each parameter's accepted range (the optimisers' own; noise: physics.noise.MAX_SIGMA).
LIMITS = {"lr": (1e-6, 10.0), "momentum": (0.0, 0.999), "beta1": (0.0, 0.9999), "beta2": (0.0, 0.9999),
          "alpha": (0.0, 0.9999), "noise": (1e-12, MAX_SIGMA)}
#: Automatic ranges of the parameters other than lr and noise.
DEFAULT_RANGES = {"momentum": (0.0, 0.99), "beta1": (0.0, 0.99), "beta2": (0.5, 0.9999), "alpha": (0.5, 0.9999)}
DEFAULT_GRID = 60
MAX_GRID = 200
DEFAULT_STEPS = 500
MAX_STEPS = 20_000
#: Steps per window of the end-of-run tests (fewer when the run is short).
WINDOW = 16
#: A cell whose mean step (last window) is below this x the domain's diagonal has settled.
SETTLE_RTOL = 1e-6
#: Growth of the mean step between the middle and the end of the run that counts as diverging.
GROWTH_TOL = 0.01
#: Share of reversing steps in the last window that counts as oscillating.
REVERSAL_SHARE = 0.5
#: Steps run between two progress reports.
CHUNK = 10
SETTINGS = ("optimizer", "hyperparameters", "start", "x_param", "y_param", "x_range", "y_range", "grid",
            "steps", "sigma", "clip", "bound_at")


@dataclass(frozen=True)
class Bound:
    """The theoretical stability bound drawn on the map.

    Attributes:
        points: (k, 2) the bound's curve in the map's (x, y) parameter coordinates.
        lambda_max: the largest curvature of the local quadratic (weight decay included).
        at: (x, y) where the quadratic was taken; where_words: "at the minimum (3, 2)" or "at the start".
        formula: the bound in words, such as "lr < 2(1 + momentum) / lambda_max".
    """

    points: np.ndarray
    lambda_max: float
    at: tuple[float, float]
    where_words: str
    formula: str


@dataclass(frozen=True)
class StabilityMap:
    """The result: each cell's outcome.

    Attributes:
        xs, ys: (N,) the cells' parameter values along x and y; cell [i, j] is (xs[i], ys[j]).
        x_param, y_param: the parameters' names (PARAMS); x_log, y_log: log axes.
        x_range, y_range: the grid's edges (low, high).
        outcome: (N, N) int8 codes into OUTCOMES.
        ends: (N, N, 2) where each cell's run ended; loss: (N, N) f there.
        codes: (N, N) int16 physics.experiments.outcomes codes (which critical point, ...).
        points: the critical points ``codes`` index.
        bound: the theory line (None where none applies).
        start: the ball's start; settings: complete settings; seed.
    """

    xs: np.ndarray
    ys: np.ndarray
    x_param: str
    y_param: str
    x_log: bool
    y_log: bool
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    outcome: np.ndarray
    ends: np.ndarray
    loss: np.ndarray
    codes: np.ndarray
    points: tuple
    bound: Bound | None
    start: tuple[float, float]
    settings: dict = field(default_factory=dict)
    seed: int = 0

    @property
    def shares(self) -> np.ndarray:
        """(len(OUTCOMES),) each outcome's share of the cells (sums to 1)."""
        return np.bincount(self.outcome.ravel(), minlength=len(OUTCOMES)) / self.outcome.size

    def cell_at(self, x: float, y: float) -> tuple[int, int] | None:
        """The cell (i, j) whose parameter values are nearest (x, y) (on the axes' scales), or None
        outside the grid's range."""
        index = []
        for value, values, (low, high), log in ((x, self.xs, self.x_range, self.x_log),
                                                (y, self.ys, self.y_range, self.y_log)):
            if not (math.isfinite(value) and low <= value <= high):
                return None
            if log:
                fraction = (math.log(value) - math.log(low)) / (math.log(high) - math.log(low))
            else:
                fraction = (value - low) / (high - low)
            index.append(min(len(values) - 1, max(0, int(fraction * len(values)))))
        return index[0], index[1]

    def cell_settings(self, i: int, j: int) -> dict[str, float]:
        """The parameters of cell (i, j): {x_param: xs[i], y_param: ys[j]}."""
        return {self.x_param: float(self.xs[i]), self.y_param: float(self.ys[j])}


# ------------------------------------------------------------------------------------------- settings


def _pair(reader: SettingsReader, key: str, param: str) -> tuple[float, float] | None:
    value = reader.raw.get(key)
    if value is None:
        return None
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise SceneError("must be two numbers [low, high] or null", field=reader.field(key))
    low_limit, high_limit = LIMITS[param]
    numbers = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int | float) or not math.isfinite(float(item)):
            raise SceneError("must be two finite numbers [low, high]", field=reader.field(key))
        numbers.append(float(item))
    low, high = numbers
    if not low < high:
        raise SceneError(f"the low end {low:g} must be below the high end {high:g}", field=reader.field(key))
    if low < low_limit or high > high_limit:
        raise SceneError(f"[{low:g}, {high:g}] is outside {param}'s range [{low_limit:g}, {high_limit:g}]",
                         field=reader.field(key))
    return low, high


def validate(raw: Any, where: str) -> dict[str, Any]:
    """Untrusted settings -> complete settings; SceneError naming ``where.key`` for any problem."""
    reader = SettingsReader(raw, where, SETTINGS)
    optimizer, hyper = reader.optimizer(default="momentum")
    from physics.optimizers.base import get_optimizer

    names = {h.name for h in get_optimizer(optimizer).hyperparameters}
    x_param = reader.choice("x_param", "lr", PARAMS)
    y_param = reader.choice("y_param", default_y_param(names), PARAMS)
    if x_param == y_param:
        raise SceneError(f"the two axes must vary different parameters, not {x_param} twice",
                         field=reader.field("y_param"))
    for key, param in (("x_param", x_param), ("y_param", y_param)):
        needs = "betas" if param in ("beta1", "beta2") else param
        if param != "noise" and needs not in names:
            raise SceneError(f"the optimiser '{optimizer}' has no {param}; its hyper-parameters are "
                             f"{', '.join(sorted(names))} (or noise)", field=reader.field(key))
    start = reader.raw.get("start")
    if start is not None:
        if not isinstance(start, list | tuple) or len(start) != 2 or any(
                isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(float(v)) for v in start):
            raise SceneError("must be two finite numbers [x, y] or null", field=reader.field("start"))
        start = [float(start[0]), float(start[1])]
    x_range = _pair(reader, "x_range", x_param)
    y_range = _pair(reader, "y_range", y_param)
    return {"optimizer": optimizer, "hyperparameters": hyper, "start": start, "x_param": x_param,
            "y_param": y_param, "x_range": None if x_range is None else list(x_range),
            "y_range": None if y_range is None else list(y_range),
            "grid": reader.integer("grid", DEFAULT_GRID, 2, MAX_GRID),
            "steps": reader.integer("steps", DEFAULT_STEPS, 2, MAX_STEPS),
            "sigma": reader.number("sigma", 0.0, 0.0, MAX_SIGMA),
            "clip": reader.number("clip", None, 0.0, 1e12, positive=True),
            "bound_at": reader.choice("bound_at", "minimum", ("minimum", "start"))}


def default_y_param(names: set[str]) -> str:
    """The y axis for an optimiser with these hyper-parameters: momentum if it has one, else beta1
    (Adam), alpha (RMSProp), noise."""
    return "momentum" if "momentum" in names else "beta1" if "betas" in names else \
        "alpha" if "alpha" in names else "noise"


def settings_of_ball(ball: BallSpec, **overrides: Any) -> dict[str, Any]:
    """Stability settings for ``ball``'s optimiser, hyper-parameters, start, sigma and clip (raw:
    validate them). The axes: lr x momentum when the optimiser has momentum, and for gradient descent
    (mapped as heavy ball, whose momentum-0 row it is), else lr x beta1 (Adam), lr x alpha (RMSProp
    without momentum), lr x noise."""
    from physics.optimizers.base import get_optimizer

    spec = get_optimizer(ball.optimizer)
    names = {h.name for h in spec.hyperparameters}
    y_param = "momentum" if ball.optimizer == "gd" else default_y_param(names)
    settings = {"optimizer": ball.optimizer,
                "hyperparameters": {name: list(value) if isinstance(value, tuple) else value
                                    for name, value in ball.hyperparameters},
                "start": [float(ball.start[0]), float(ball.start[1])], "sigma": ball.noise.sigma,
                "clip": ball.clip, "x_param": "lr" if "lr" in names else "noise", "y_param": y_param}
    if settings["x_param"] == settings["y_param"]:
        settings["y_param"] = "lr"
    settings.update(overrides)
    if settings["optimizer"] == "gd" and "momentum" in (settings["x_param"], settings["y_param"]):
        settings["optimizer"] = "momentum"  # (gradient descent is heavy ball's momentum-0 row)
    # The axes' own parameters are each cell's, not the ball's: left out (their defaults), so that
    # giving the ball a cell's settings leaves the map as it is.
    hyper = settings["hyperparameters"]
    for param in (settings["x_param"], settings["y_param"]):
        if param == "noise":
            settings["sigma"] = 0.0
        elif param in ("beta1", "beta2") and "betas" in hyper:
            default = list(spec.defaults()["betas"])
            betas = list(hyper["betas"])
            betas[0 if param == "beta1" else 1] = default[0 if param == "beta1" else 1]
            hyper["betas"] = betas
        else:
            hyper.pop(param, None)
    return settings


def ball_with_cell(ball: BallSpec, values: dict[str, float]) -> BallSpec:
    """``ball`` with a cell's parameter values ({"lr": ..., "momentum": ...}; "noise": its sigma); a
    gradient-descent ball given a momentum becomes a heavy-ball ("momentum") one."""
    from dataclasses import replace

    hyper = dict(ball.hyperparameters)
    noise = ball.noise
    if ball.optimizer == "gd" and "momentum" in values:  # (a cell of gd's map as heavy ball: it becomes one)
        ball = replace(ball, optimizer="momentum")
    for param, value in values.items():
        value = float(value)
        if param == "noise":
            noise = replace(noise, sigma=value)
        elif param in ("beta1", "beta2"):
            from physics.optimizers.base import get_optimizer

            betas = list(hyper.get("betas", get_optimizer(ball.optimizer).defaults()["betas"]))
            betas[0 if param == "beta1" else 1] = value
            hyper["betas"] = tuple(betas)
        else:
            hyper[param] = value
    return replace(ball, hyperparameters=tuple(hyper.items()), noise=noise)


def ball_values(ball: BallSpec, x_param: str, y_param: str) -> tuple[float, float]:
    """The ball's own values of the two parameters (its settings with defaults filled in)."""
    complete = ball.settings()
    values = []
    for param in (x_param, y_param):
        if param == "noise":
            values.append(float(ball.noise.sigma))
        elif param in ("beta1", "beta2"):
            values.append(float(complete["betas"][0 if param == "beta1" else 1]))
        else:
            values.append(float(complete.get(param, 0.0 if param == "momentum" else math.nan)))
    return values[0], values[1]


# ------------------------------------------------------------------------------------------- the run


def axis_values(low: float, high: float, n: int, log: bool) -> np.ndarray:
    """The centres (n,) of n equal cells over [low, high] (equal in log(value) on a log axis)."""
    offsets = (np.arange(n) + 0.5) / n
    if log:
        return np.exp(math.log(low) + (math.log(high) - math.log(low)) * offsets)
    return low + (high - low) * offsets


def _lambda_max(surface: Surface, point: tuple[float, float]) -> float:
    hessian = surface.evaluate(np.array([point], dtype=np.float64)).hessian[0]
    if not np.isfinite(hessian).all():
        return math.nan
    return float(np.linalg.eigvalsh((hessian + hessian.T) / 2.0)[-1])


def _target_minimum(surface: Surface, points: list, start: tuple[float, float],
                    codes: np.ndarray | None = None) -> tuple[float, float, str] | None:
    """The minimum the bound is taken at: the one most cells reached (``codes``), else the listed
    minimum nearest ``start``; None when no minimum is listed."""
    minima = [k for k, p in enumerate(points) if p.kind == "minimum"]
    if not minima:
        return None
    chosen = None
    if codes is not None:
        counts = [(int((codes == k).sum()), k) for k in minima]
        best = max(counts)
        if best[0] > 0:
            chosen = best[1]
    if chosen is None:
        chosen = min(minima, key=lambda k: math.hypot(points[k].x - start[0], points[k].y - start[1]))
    point = points[chosen]
    return float(point.x), float(point.y), f"at minimum {chosen + 1} ({point.x:.3g}, {point.y:.3g})"


def bound_formula(optimizer: str, settings: dict[str, Any], varying: str | None) -> str:
    """The bound in words for this optimiser (``varying``: the parameter on the other axis)."""
    momentum = "momentum" if varying == "momentum" else f"{settings.get('momentum', 0.0):g}"
    shift = " + weight_decay" if settings.get("weight_decay", 0.0) else ""
    if varying != "momentum" and settings.get("momentum", 0.0) == 0.0 and optimizer != "nesterov":
        return f"lr < 2 / (lambda_max{shift})"
    if optimizer == "nesterov" or settings.get("nesterov", False):
        return f"lr < 2(1 + {momentum}) / (1 + 2 {momentum}) / (lambda_max{shift})"
    return f"lr < 2(1 + {momentum}) / (lambda_max{shift})"


def theory_bound(surface: Surface, settings: dict[str, Any], points: list, start: tuple[float, float],
                 ranges: dict[str, tuple[float, float]], codes: np.ndarray | None = None) -> Bound | None:
    """The bound's curve lr_max(other parameter) = c(settings) / (lambda_max + shift) in the map's
    coordinates, or None: no lr axis, an adaptive method, or no positive curvature there."""
    from physics.optimizers.base import get_optimizer

    spec = get_optimizer(settings["optimizer"])
    x_param, y_param = settings["x_param"], settings["y_param"]
    if "lr" not in (x_param, y_param) or spec.stability_factor is None or spec.effective_rate is not None:
        return None
    other = y_param if x_param == "lr" else x_param
    base = spec.settings(settings["hyperparameters"])
    if settings["bound_at"] == "start":
        at, words = start, "at the start"
    else:
        target = _target_minimum(surface, points, start, codes)
        at, words = (start, "at the start") if target is None else (target[:2], target[2])
    shift = float(spec.curvature_shift(base)) if spec.curvature_shift is not None else 0.0
    curvature = _lambda_max(surface, at) + shift
    if not (math.isfinite(curvature) and curvature > 0.0):
        return None
    low, high = ranges[other]
    samples = axis_values(low, high, 200, other in LOG_PARAMS)
    samples = np.concatenate([[low], samples, [high]])
    rates = []
    for value in samples:
        values = dict(base)
        if other in base:
            values[other] = float(value)
        rates.append(float(spec.stability_factor(values)) / curvature)
    rates = np.array(rates)
    pairs = np.column_stack([rates, samples]) if x_param == "lr" else np.column_stack([samples, rates])
    varying = other if other in base else None
    return Bound(points=pairs, lambda_max=curvature, at=(float(at[0]), float(at[1])), where_words=words,
                 formula=bound_formula(settings["optimizer"], base, varying))


def default_range(param: str, surface: Surface, settings: dict[str, Any], points: list,
                  start: tuple[float, float]) -> tuple[float, float]:
    """An axis's automatic range: lr from 1/100 to 3 x gradient descent's 2 / lambda_max at the
    target minimum (else, and for adaptive methods, whose step is about lr, [1e-4, 1]); noise from
    1/1000 to 3 x |grad f| at the start (at least 1e-3);
    the others DEFAULT_RANGES."""
    if param in DEFAULT_RANGES:
        return DEFAULT_RANGES[param]
    if param == "lr":
        from physics.optimizers.base import get_optimizer

        if get_optimizer(settings["optimizer"]).effective_rate is not None:  # (a step of about lr per coordinate)
            return 1e-4, 1.0
        target = _target_minimum(surface, points, start)
        curvature = _lambda_max(surface, target[:2] if target is not None else start)
        if not (math.isfinite(curvature) and curvature > 0.0):
            curvature = _lambda_max(surface, start)
        if math.isfinite(curvature) and curvature > 0.0:
            edge = 2.0 / curvature
            return max(LIMITS["lr"][0], edge / 100.0), min(LIMITS["lr"][1], edge * 3.0)
        return 1e-4, 1.0
    gradient = surface.evaluate(np.array([start], dtype=np.float64)).gradient[0]
    scale = float(np.hypot(*gradient)) if np.isfinite(gradient).all() else 1.0
    scale = max(scale, 1e-3)
    return scale / 1000.0, min(MAX_SIGMA, scale * 3.0)


def per_particle_values(settings: dict[str, Any], xs: np.ndarray, ys: np.ndarray) -> dict[str, np.ndarray]:
    """The swarm's per-particle settings (physics.runtime.per_particle_settings): particle i*N + j
    has (xs[i], ys[j]); "noise" becomes "sigma"."""
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    return {("sigma" if param == "noise" else param): values.ravel()
            for param, values in ((settings["x_param"], gx), (settings["y_param"], gy))}


#: A noisy cell whose mean step is below this x lr x sigma has settled (the noise alone moves it
#: by about lr sigma sqrt(2) per step; with momentum mu, by up to 1 / (1 - mu) times that).
NOISE_STEPS = 4.0


def noise_steps(settings: dict[str, Any], xs: np.ndarray, ys: np.ndarray) -> np.ndarray | float:
    """The mean step (n,) the gradient noise alone makes each cell take, at most: NOISE_STEPS x
    lr x sigma / (1 - momentum) for fixed-rate methods; for adaptive ones (whose step is about lr
    whatever the gradient) any noisy cell's step (inf); 0 without noise."""
    from physics.optimizers.base import get_optimizer

    values = per_particle_values(settings, xs, ys)
    n = len(xs) * len(ys)
    spec = get_optimizer(settings["optimizer"])
    base = spec.settings(settings["hyperparameters"])
    sigma = values.get("sigma", np.full(n, settings["sigma"]))
    if not (sigma > 0.0).any():
        return 0.0
    if spec.effective_rate is not None or "lr" not in base:
        return np.where(sigma > 0.0, np.inf, 0.0)
    lr = values.get("lr", np.full(n, base["lr"]))
    momentum = values.get("momentum", np.full(n, base.get("momentum", 0.0)))
    return NOISE_STEPS * lr * sigma / (1.0 - momentum)


def _window_means(simulation: Any, count: int, progress: Progress | None, done: int, total: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any]:
    """Step ``count`` times, one by one: the mean step length (n,), mean loss (n,), the share of steps
    that reversed the one before (n,), and the last state."""
    lengths = None
    losses = None
    reversals = None
    previous = simulation.state(0).step
    state = None
    for k in range(count):
        simulation.step(1)
        state = simulation.state(0)
        step = state.step
        size = np.hypot(step[:, 0], step[:, 1])
        back = ((step * previous).sum(axis=1) < 0.0).astype(np.float64)
        if lengths is None:
            lengths, losses, reversals = size, state.loss.copy(), back
        else:
            lengths, losses, reversals = lengths + size, losses + state.loss, reversals + back
        previous = step
        if k % CHUNK == CHUNK - 1:
            checked(progress, done + k + 1, total)
    return lengths / count, losses / count, reversals / count, state


def classify(active: np.ndarray, codes: np.ndarray, regimes: np.ndarray, points: list, early_step: np.ndarray,
             late_step: np.ndarray, early_loss: np.ndarray, late_loss: np.ndarray, reversals: np.ndarray,
             diameter: float, noise_step: np.ndarray | float = 0.0) -> np.ndarray:
    """The outcome codes (n,) int8 (OUTCOMES) from the end of the run (see the module docstring):
    activity, the final outcome codes and regimes, the mean step and loss in the window before the
    middle and the last window, and the share of reversing steps in the last window. A noisy cell
    never settles and reverses at random: a mean step below its ``noise_step`` (n,) (what the noise
    alone makes it take: :func:`noise_steps`) counts as settled."""
    n = len(active)
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = late_step / early_step
    settled = late_step < np.maximum(SETTLE_RTOL * diameter, noise_step)
    diverges = ~active | ((growth > 1.0 + GROWTH_TOL) & (late_loss > early_loss) & ~settled) \
        | ~np.isfinite(late_loss)
    oscillates = ~diverges & ((~settled & (reversals >= REVERSAL_SHARE)) | (regimes == _regime.OSCILLATING))
    kinds = np.array([p.kind for p in points] + [""])
    listed = np.where(codes >= 0, codes, len(points))
    at_minimum = (kinds[listed] == "minimum") | (codes == MINIMUM)
    at_saddle = np.isin(kinds[listed], ("saddle", "maximum")) | (codes == SADDLE) | (codes == _MAXIMUM)
    outcome = np.full(n, MOVING, dtype=np.int8)
    rest = ~diverges & ~oscillates
    outcome[rest & (codes == PLATEAU)] = ON_PLATEAU
    outcome[rest & at_saddle] = ON_SADDLE
    outcome[rest & at_minimum] = CONVERGES
    outcome[oscillates | (rest & (codes == OSCILLATING))] = OSCILLATES
    outcome[diverges] = DIVERGES
    return outcome


_MAXIMUM = -7  # (physics.experiments.outcomes.MAXIMUM)


def run(surface: Surface, scene: Any, settings: dict[str, Any], seed: int, progress: Progress) -> StabilityMap:
    """The stability map of ``settings`` on ``surface`` from ``seed`` (see the module docstring)."""
    from physics.experiments.basins import critical_points_of
    from physics.simulation import Simulation

    domain = surface.domain
    start = tuple(settings["start"]) if settings["start"] is not None else \
        ((domain.xmin + domain.xmax) / 2.0, (domain.ymin + domain.ymax) / 2.0)
    steps, n = settings["steps"], settings["grid"]
    checked(progress, 0, steps)
    points = critical_points_of(surface)
    ranges = {}
    for key, param in (("x_range", settings["x_param"]), ("y_range", settings["y_param"])):
        given = settings[key]
        ranges[param] = tuple(given) if given is not None else default_range(param, surface, settings, points,
                                                                             start)
    x_param, y_param = settings["x_param"], settings["y_param"]
    xs = axis_values(*ranges[x_param], n, x_param in LOG_PARAMS)
    ys = axis_values(*ranges[y_param], n, y_param in LOG_PARAMS)
    hyper = tuple((name, tuple(value) if isinstance(value, list) else value)
                  for name, value in settings["hyperparameters"].items())
    ball = BallSpec(name="stability", color="#000000", optimizer=settings["optimizer"], hyperparameters=hyper,
                    start=(float(start[0]), float(start[1])), noise=NoiseSettings(sigma=settings["sigma"]),
                    particles=n * n, clip=settings["clip"])
    try:
        ball.check("stability", surface)
    except DownhillError as error:
        raise DownhillError(f"{error.field or 'stability'}: {error.message}") from None
    simulation = Simulation(surface, [ball], seed=seed, capacity=steps + 2,
                            per_particle={0: per_particle_values(settings, xs, ys)})
    window = max(1, min(WINDOW, steps // 2))
    middle = steps // 2
    simulation_steps = 0

    def advance(count: int) -> None:
        nonlocal simulation_steps
        while count > 0:
            chunk = min(CHUNK, count)
            simulation.step(chunk)
            simulation_steps += chunk
            count -= chunk
            checked(progress, simulation_steps, steps)

    advance(middle - window)
    early_step, early_loss, _, _ = _window_means(simulation, window, progress, simulation_steps, steps)
    simulation_steps += window
    advance(steps - window - simulation_steps)
    late_step, late_loss, reversals, state = _window_means(simulation, window, progress, simulation_steps, steps)
    codes = classify_outcomes(state.positions, state.active, state.regime_codes, points, domain.diameter)
    outcome = classify(state.active, codes, state.regime_codes, points, early_step, late_step, early_loss,
                       late_loss, reversals, domain.diameter, noise_steps(settings, xs, ys))
    bound = theory_bound(surface, settings, points, start, ranges, np.where(outcome == CONVERGES, codes, -1))
    return StabilityMap(xs=xs, ys=ys, x_param=x_param, y_param=y_param, x_log=x_param in LOG_PARAMS,
                        y_log=y_param in LOG_PARAMS, x_range=ranges[x_param], y_range=ranges[y_param],
                        outcome=outcome.reshape(n, n), ends=state.positions.reshape(n, n, 2),
                        loss=state.loss.reshape(n, n), codes=codes.reshape(n, n), points=tuple(points), bound=bound,
                        start=(float(start[0]), float(start[1])), settings=dict(settings), seed=int(seed))


# ------------------------------------------------------------------------------------------- CSV


def to_csv(result: StabilityMap, stream: TextIO) -> None:
    """One row per cell: the two parameters, the outcome (OUTCOMES), where the run ended (x, y, f and
    the critical point or named outcome there, physics.experiments.outcomes.outcome_label). Floats
    with repr: they read back bit for bit."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow([result.x_param, result.y_param, "outcome", "end_x", "end_y", "end_f", "ended_at"])
    for i, x in enumerate(result.xs):
        for j, y in enumerate(result.ys):
            writer.writerow([repr(float(x)), repr(float(y)), OUTCOMES[int(result.outcome[i, j])],
                             repr(float(result.ends[i, j, 0])), repr(float(result.ends[i, j, 1])),
                             repr(float(result.loss[i, j])), outcome_label(int(result.codes[i, j]))])


KIND = register(ExperimentKind(name=NAME, title="Stability map", validate=validate, run=run, to_csv=to_csv))
