"""Fair races: each optimiser's learning rate tuned on the surface first, then a race with a finish board.

A race at one shared learning rate misleads (the rate that suits GD makes Adam crawl), so before a
race every optimiser's ``lr`` is tuned on this surface, from the race's own start(s), by a short
seeded sweep:

* the grid: TUNING_GRID, 13 points spaced evenly on a log scale from 1e-4 to 1 (10^(k/3 - 4),
  k = 0..12), less the points outside the optimiser's own ``lr`` range (Newton's is [1e-3, 2]);
* the judge: the loss after K = TUNING_STEPS (200) steps, with the race's noise and seed; a
  candidate whose ball stopped (diverged: it left the box or met an undefined point) from any start
  scores +inf and is never chosen; with several starts the score is the median over the starts;
* the choice: the lowest score; an exact tie goes to the larger lr (it got there in fewer steps);
  if every candidate diverged, the smallest grid point (with a note saying so);
* optimisers without an ``lr`` (damped Newton adapts its mu by itself) are not tuned, and say so.

The sweep is one Simulation with one ball per (optimiser, lr, start), stepped together (the
simulation vectorises every NumPy operation over all balls' particles), so it is deterministic
from the seed: the same surface, starts, noise and seed give the same choices.

The finish board ranks the race's balls. The finish line is ``f_min + FINISH_FRACTION *
(f(start) - f_min)`` with FINISH_FRACTION = 1e-3 and f_min the lowest known minimum: the lowest
critical point of kind "minimum" (surfaces.critical), or, where none is known, the simulation's
floor (the lowest loss seen on the domain's grid and by any ball). A ball's steps to reach is the
first step of its own history whose loss is at or below its line. Ranking: balls that reached it,
by steps (then loss); then the running ones, by their loss now; last the diverging ones.

No Qt here: gui/race/ and the ``race`` command (physics.race_cli) read this module.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from physics.balls import MAX_BALLS, BallSpec, ball_color
from physics.noise import NoiseSettings
from physics.optimizers.base import OptimizerSpec, get_optimizer
from physics.simulation import Simulation
from surfaces.errors import DownhillError
from surfaces.surface import Surface

#: The learning rates tried: 13 points evenly spaced on a log scale from 1e-4 to 1.
TUNING_GRID: tuple[float, ...] = tuple(float(10.0 ** (k / 3 - 4)) for k in range(13))
#: K: the sweep judges each learning rate by the loss after this many steps.
TUNING_STEPS = 200
#: The finish line lies this fraction of the way from the lowest known minimum up to the start's loss.
FINISH_FRACTION = 1e-3
#: The optimisers a race offers ticked: plain descent, the two momenta and the two adaptive classics.
DEFAULT_OPTIMIZERS = ("gd", "momentum", "nesterov", "rmsprop", "adam")
#: The sweep steps in chunks of this many steps between progress reports and cancel checks.
_CHUNK = 10
#: How many random draws a spread of starts may take per start before giving up (f undefined there).
_DRAWS_PER_START = 50
#: How a race's caption (and so its scene's description) begins: a scene saved from a race is known by it.
CAPTION_OPENING = "lr tuned for each on this surface"
#: Noiseless gradients (the default).
NO_NOISE = NoiseSettings()


class TuningCancelled(DownhillError):
    """The sweep was cancelled before it finished."""

    def __init__(self) -> None:
        super().__init__("the learning-rate tuning was cancelled")


@dataclass(frozen=True)
class Tuning:
    """One optimiser's sweep.

    Attributes:
        optimizer: the registry name.
        name: the short display name ("Adam", "GD", "Damped Newton").
        lrs: the grid points tried, ascending (empty: not tuned).
        scores: for each, the median loss after K steps over the starts (+inf: diverged).
        chosen: the learning rate the race uses, or None where the optimiser has no lr.
        note: why the choice is not the plain best ("" when it is).
    """

    optimizer: str
    name: str
    lrs: tuple[float, ...]
    scores: tuple[float, ...]
    chosen: float | None
    note: str = ""

    @property
    def label(self) -> str:
        """"Adam 0.215", or "Damped Newton (no lr: not tuned)"."""
        return f"{self.name} {lr_text(self.chosen)}" if self.chosen is not None else f"{self.name} (no lr: not tuned)"


def lr_text(lr: float) -> str:
    """A learning rate as shown: three significant digits ("0.0464", "1", "0.000215")."""
    return f"{lr:.3g}"


#: Names short enough for a ball's legend entry and the board ("Nesterov lr 0.0464"), where the
#: registry's display name is long; the others are their display name without its parenthesis.
SHORT_NAMES = {"gd": "GD", "nesterov": "Nesterov", "adaptive-lr": "traingda", "momentum-adaptive-lr": "traingdx",
               "saddle-free-newton": "Saddle-free Newton", "cg": "CG"}


def short_name(spec: OptimizerSpec) -> str:
    """The race's name of an optimiser: SHORT_NAMES, else the display name without its parenthesis
    ("SGD (torch.optim.SGD)" -> "SGD")."""
    return SHORT_NAMES.get(spec.name) or spec.display_name.split(" (")[0]


def tuning_grid(spec: OptimizerSpec, grid: Sequence[float] = TUNING_GRID) -> tuple[float, ...]:
    """The points of ``grid`` inside the optimiser's lr range; () for an optimiser without an lr."""
    lr = next((h for h in spec.hyperparameters if h.name == "lr"), None)
    if lr is None:
        return ()
    return tuple(float(v) for v in sorted(grid) if lr.minimum <= v <= lr.maximum)


def choose(lrs: Sequence[float], scores: Sequence[float]) -> tuple[float, str]:
    """The chosen lr and a note: the lowest finite score, an exact tie to the larger lr; if none is
    finite, the smallest lr with a note that every candidate diverged."""
    best: tuple[float, float] | None = None
    for lr, score in zip(lrs, scores, strict=True):
        if not math.isfinite(score):
            continue
        if best is None or score < best[1] or (score == best[1] and lr > best[0]):
            best = (lr, score)
    if best is None:
        return min(lrs), "every lr diverged in the sweep: the smallest is used"
    return best[0], ""


def check_optimizers(names: Sequence[str]) -> tuple[OptimizerSpec, ...]:
    """The specs of ``names`` (DownhillError for an unknown name, a repeat or none at all)."""
    if not names:
        raise DownhillError("a race needs at least one optimiser")
    specs = tuple(get_optimizer(name) for name in names)
    seen: set[str] = set()
    for spec in specs:
        if spec.name in seen:
            raise DownhillError(f"the optimiser '{spec.name}' is named twice")
        seen.add(spec.name)
    return specs


def spread_starts(surface: Surface, centre: tuple[float, float], count: int, radius: float,
                  seed: int) -> tuple[tuple[float, float], ...]:
    """``count`` starts: ``centre`` first, then points drawn uniformly from the disc of ``radius``
    around it (seeded by ``seed``), skipping points where f is not finite.

    Raises:
        DownhillError: f is not finite at the centre, or too few defined points in the disc.
    """
    why = surface.why_not_finite(centre, where=f"at the start ({centre[0]:g}, {centre[1]:g})")
    if why:
        raise DownhillError(why)
    if count < 1:
        raise DownhillError(f"a race needs at least one start, not {count}")
    starts = [(float(centre[0]), float(centre[1]))]
    rng = np.random.default_rng(seed)
    for _ in range(_DRAWS_PER_START * count):
        if len(starts) >= count or radius <= 0.0:
            break
        angle, reach = rng.uniform(0.0, 2.0 * math.pi), radius * math.sqrt(rng.uniform())
        point = (centre[0] + reach * math.cos(angle), centre[1] + reach * math.sin(angle))
        if np.isfinite(surface.value(np.array([point]))).all():
            starts.append((float(point[0]), float(point[1])))
    if len(starts) < count:
        raise DownhillError(f"{count} starts do not fit: f is defined at too few points within {radius:g} "
                            f"of ({centre[0]:g}, {centre[1]:g})" if radius > 0 else
                            f"{count} starts need a spread radius above 0")
    return tuple(starts)


def tune_learning_rates(surface: Surface, optimizers: Sequence[str], starts: Sequence[tuple[float, float]], *,
                        noise: NoiseSettings = NO_NOISE, seed: int = 0, steps: int = TUNING_STEPS,
                        grid: Sequence[float] = TUNING_GRID, progress: Callable[[float], None] | None = None,
                        cancelled: Callable[[], bool] | None = None) -> tuple[Tuning, ...]:
    """Tune each optimiser's lr on ``surface`` (see the module docstring for the grid, judge and choice).

    Args:
        surface: the landscape.
        optimizers: registry names, in the race's order.
        starts: (x, y) points; every candidate runs from each.
        noise: the race's gradient noise (the sweep runs with the same).
        seed: the sweep's seed.
        steps: K, the steps each candidate runs.
        grid: the learning rates tried (each optimiser keeps those inside its lr range).
        progress: called with the fraction done (0..1) after each chunk of steps.
        cancelled: asked after each chunk; True stops the sweep with TuningCancelled.

    Returns:
        One Tuning per optimiser, in the order given.
    """
    specs = check_optimizers(optimizers)
    if steps < 1:
        raise DownhillError(f"the sweep needs at least one step, not {steps}")
    candidates = [(spec, lr) for spec in specs for lr in tuning_grid(spec, grid)]
    balls = [BallSpec(name=f"{spec.name} {lr:g} {index}", color=ball_color(0), optimizer=spec.name,
                      hyperparameters=(("lr", lr),), start=start, noise=noise)
             for spec, lr in candidates for index, start in enumerate(starts)]
    scores: dict[tuple[str, float], float] = {}
    if balls:
        # Only the last loss is read: a one-particle record is all each ball needs.
        simulation = Simulation(surface, balls, seed=seed, capacity=steps + 1, full_history=1)
        done = 0
        while done < steps:
            if cancelled is not None and cancelled():
                raise TuningCancelled()
            count = min(_CHUNK, steps - done)
            simulation.step(count)
            done += count
            if progress is not None:
                progress(done / steps)
        per_start = len(starts)
        for number, (spec, lr) in enumerate(candidates):
            losses = []
            for ball in range(number * per_start, (number + 1) * per_start):
                state = simulation.state(ball)
                loss = float(state.loss[0])
                losses.append(loss if bool(state.active[0]) and math.isfinite(loss) else math.inf)
            scores[(spec.name, lr)] = math.inf if math.inf in losses else float(np.median(losses))
    tunings = []
    for spec in specs:
        lrs = tuning_grid(spec, grid)
        if not lrs:
            tunings.append(Tuning(spec.name, short_name(spec), (), (), None,
                                  "no lr: its step size adapts by itself, so it is not tuned"))
            continue
        values = tuple(scores[(spec.name, lr)] for lr in lrs)
        chosen, note = choose(lrs, values)
        tunings.append(Tuning(spec.name, short_name(spec), lrs, values, chosen, note))
    return tuple(tunings)


def tuning_caption(tunings: Sequence[Tuning], grid: Sequence[float] = TUNING_GRID, steps: int = TUNING_STEPS,
                   starts: int = 1) -> str:
    """The line the screen keeps during the race: "lr tuned for each on this surface (grid 1e-4..1,
    13 points, loss after 200 steps): GD 0.464, Adam 0.215"."""
    low, high = min(grid), max(grid)
    over = f", median over {starts} starts" if starts > 1 else ""
    return (f"{CAPTION_OPENING} (grid {low:.0e}..{high:g}, {len(grid)} points, loss after "
            f"{steps} steps{over}): " + ", ".join(t.label for t in tunings)).replace("e-0", "e-")


def race_balls(tunings: Sequence[Tuning], starts: Sequence[tuple[float, float]],
               noise: NoiseSettings = NO_NOISE) -> tuple[BallSpec, ...]:
    """The race: one ball per optimiser per start, at its tuned lr, named "Adam lr 0.215" (with
    " #2" for the second start...), coloured by optimiser from the palette.

    Raises:
        DownhillError: more than MAX_BALLS balls.
    """
    if len(tunings) * len(starts) > MAX_BALLS:
        raise DownhillError(f"{len(tunings)} optimisers x {len(starts)} starts make {len(tunings) * len(starts)} "
                            f"balls; a scene holds at most {MAX_BALLS}")
    balls = []
    for number, tuning in enumerate(tunings):
        hyper = () if tuning.chosen is None else (("lr", tuning.chosen),)
        base = tuning.name if tuning.chosen is None else f"{tuning.name} lr {lr_text(tuning.chosen)}"
        for index, start in enumerate(starts):
            name = base if index == 0 else f"{base} #{index + 1}"
            balls.append(BallSpec(name=name, color=ball_color(number), optimizer=tuning.optimizer,
                                  hyperparameters=hyper, start=(float(start[0]), float(start[1])), noise=noise))
    return tuple(balls)


# --------------------------------------------------------------------------------------------- the finish


@dataclass(frozen=True)
class FinishLevel:
    """The lowest known minimum f_min and where it comes from (words for the board)."""

    value: float
    words: str


def finish_level(critical_points: Sequence, floor: float) -> FinishLevel:
    """The lowest critical point of kind "minimum" (surfaces.critical.CriticalPoint), else ``floor``
    (the simulation's lowest known loss)."""
    minima = [p for p in critical_points if p.kind == "minimum" and math.isfinite(p.value)]
    if minima:
        lowest = min(minima, key=lambda p: p.value)
        return FinishLevel(float(lowest.value), f"the lowest minimum, f = {lowest.value:.6g} at "
                                                f"({lowest.x:.4g}, {lowest.y:.4g})")
    return FinishLevel(float(floor), f"no minimum known: the lowest loss seen, f = {floor:.6g}")


def finish_line(start_loss: float, level: float, fraction: float = FINISH_FRACTION) -> float:
    """The loss a ball must reach: level + fraction * (f(start) - level); for a start at or below the
    level, the level itself (reached at step 0)."""
    return level + fraction * max(0.0, start_loss - level)


def steps_to_reach(steps: np.ndarray, loss: np.ndarray, line: float) -> int | None:
    """Steps from the first record to the first whose loss is at or below ``line`` (None: not yet).

    Args:
        steps: (k,) step indices of the ball's records.
        loss: (k,) its loss at each.
    """
    below = np.flatnonzero(loss <= line)
    return None if below.size == 0 else int(steps[below[0]] - steps[0])


@dataclass(frozen=True)
class BoardRow:
    """One line of the finish board: rank (1-based), ball index, name, steps to reach (None: not
    yet), the loss now, the regime now."""

    rank: int
    ball: int
    name: str
    steps: int | None
    loss: float
    regime: str


def rank_board(entries: Sequence[tuple[int, str, int | None, float, str]]) -> list[BoardRow]:
    """Rank (ball, name, steps, loss, regime) entries: reached first by steps then loss; then the
    running balls by loss; then the diverging ones by loss; ties keep ball order."""

    def key(entry: tuple[int, str, int | None, float, str]) -> tuple:
        ball, _, steps, loss, regime = entry
        group = 0 if steps is not None else (2 if regime == "diverging" else 1)
        return (group, steps if steps is not None else 0, loss if math.isfinite(loss) else math.inf, ball)

    ordered = sorted(entries, key=key)
    return [BoardRow(rank, *entry) for rank, entry in enumerate(ordered, start=1)]


class FinishBoard:
    """The board of a simulation's balls, kept up to date cheaply: each ball's history is scanned only
    past the rows already seen, until it reaches its line.

    ``rows(names, histories, level)`` with ``histories`` the balls' BallHistory (physics.telemetry)
    gives the ranked BoardRows. A history that restarted (its first step changed or it got shorter)
    or a new level is scanned again from the start.
    """

    def __init__(self, fraction: float = FINISH_FRACTION) -> None:
        self.fraction = fraction
        self._seen: dict[int, tuple[int, int, float, int | None]] = {}  # ball -> (first step, rows, line, steps)

    def rows(self, names: Sequence[str], histories: Sequence, level: float) -> list[BoardRow]:
        entries = []
        for ball, (name, history) in enumerate(zip(names, histories, strict=True)):
            loss, steps = history.loss, history.steps
            if len(loss) == 0:
                continue
            line = finish_line(float(loss[0]), level, self.fraction)
            first, seen, old_line, reached = self._seen.get(ball, (-1, 0, math.nan, None))
            if first != int(steps[0]) or seen > len(loss) or old_line != line:
                seen, reached = 0, None
            if reached is None and seen < len(loss):
                found = steps_to_reach(steps[seen:], loss[seen:], line)
                if found is not None:
                    reached = found + int(steps[seen] - steps[0])
            self._seen[ball] = (int(steps[0]), len(loss), line, reached)
            entries.append((ball, name, reached, float(loss[-1]), history.regimes[-1]))
        return rank_board(entries)

    def clear(self) -> None:
        """Forget every ball (a new race or scene)."""
        self._seen.clear()
