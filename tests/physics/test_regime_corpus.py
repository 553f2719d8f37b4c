"""The regime corpus: runs across the presets, noise, weight decay, momentum, every optimiser family and
the exact stability edge, each label checked against a truth derived without the regime's rules.

Truths come from two independent sources:

- exact algebra: each case lists the critical points of its surface (worked out by hand, or as the
  roots of a polynomial), and whether its rate is past, at or under the optimiser's stability bound
  (lr (λ_max + weight decay) against 2, 2 (1 + momentum), ...);
- the trajectory's own later behaviour: the loss grows, the ball reaches the critical point, the
  two-cycle repeats, the loss is still falling.

Every row of every run must make a true claim (:func:`check_claims`): minimum, saddle and maximum
only within TRUTH_RADIUS of a critical point of that kind; oscillating only while the steps reverse;
diverging only for a stopped ball. The final label is then checked against the case's truth
(:func:`check_end`). A property test sweeps every preset scene and every optimiser on several presets
and counts how often a noiseless run's label changes.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import pytest

import main
from physics.balls import BallSpec
from physics.noise import NoiseSettings
from physics.optimizers.base import registry
from physics.preset_scenes import PRESET_SCENES
from physics.regime import DIVERGING, OSCILLATING, REGIMES
from physics.simulation import Simulation
from physics.telemetry import BallHistory
from surfaces.presets import preset_surface
from surfaces.surface import Surface, build_surface

#: A label "minimum" (saddle, maximum) is true within this fraction of the domain's diagonal of such a point.
TRUTH_RADIUS = 0.01
#: A noiseless run's label may change this many times at most (descending -> oscillating -> diverging, ...) ...
FEW_CHANGES = 3
#: ... in any this many consecutive steps (a method whose dynamics cycle, as traingdx's growing rate
#: at a minimum, bounces and settles again every few hundred steps: each change a real one).
CHANGE_WINDOW = 100


@dataclass(frozen=True)
class Case:
    """One run and its truth.

    Attributes:
        name: the test id.
        surface: a preset's name or a formula.
        optimizer, hyper, start, steps: the run.
        end: the truth for the last row, derived independently (see :func:`check_end`).
        critical: the surface's critical points in view as (kind, x, y), by exact algebra; a label
            minimum / saddle / maximum is true only near one of its kind.
        noise, batch, clip, seed: the run's noise, mini-batch size, clipping and seed.
        why: the derivation of ``end``, in words.
    """

    name: str
    surface: str
    optimizer: str
    hyper: dict
    start: tuple[float, float]
    steps: int
    end: str
    critical: tuple[tuple[str, float, float], ...] = ()
    noise: float = 0.0
    batch: int | None = None
    clip: float | None = None
    seed: int = 0
    why: str = ""
    extra: dict = field(default_factory=dict)


BOWL = "x^2 + 10y^2"  # λ = 2 and 20: gradient descent is stable for lr (20 + weight decay) < 2
BOWL_MIN = (("minimum", 0.0, 0.0),)
SADDLE = (("saddle", 0.0, 0.0),)
BETWEEN = (("saddle", 0.0, 0.0), ("minimum", 0.0, 1.0), ("minimum", 0.0, -1.0))
RAVINE_MIN = BOWL_MIN  # 0.5 (x^2 + 25 y^2): λ = 1 and 25, stable for lr < 0.08
BOOTH = (("minimum", 1.0, 3.0),)  # (x + 2y - 7)^2 + (2x + y - 5)^2: H = [[10, 8], [8, 10]], λ = 2 and 18
ROSENBROCK = (("minimum", 1.0, 1.0),)
BEALE = (("minimum", 3.0, 0.5), ("saddle", 0.0, 1.0))
HIMMELBLAU = (("minimum", 3.0, 2.0), ("minimum", -2.805118, 3.131312), ("minimum", -3.779310, -3.283186),
              ("minimum", 3.584428, -1.848126), ("maximum", -0.270845, -0.923039), ("saddle", 0.086678, 2.884255),
              ("saddle", -3.073026, -0.081353), ("saddle", 3.385154, 0.073852), ("saddle", -0.127961, -1.953715))


def _double_well() -> tuple[tuple[str, float, float], ...]:
    """(x^2 - 1)^2 + 0.3x + y^2: f_x = 4x^3 - 4x + 0.3 = 0 (three real roots), f_y = 2y."""
    roots = np.sort(np.roots([4.0, 0.0, -4.0, 0.3]).real)
    return (("minimum", roots[0], 0.0), ("saddle", roots[1], 0.0), ("minimum", roots[2], 0.0))


CASES = [
    # --- the bowl x^2 + 10y^2 and its stability edge (gradient descent: lr λ_max < 2) -----------------
    Case("bowl-gd-0.05", BOWL, "gd", {"lr": 0.05}, (1.0, 1.0), 300, "minimum", BOWL_MIN, why="lr λ = 1"),
    Case("bowl-gd-0.09", BOWL, "gd", {"lr": 0.09}, (1.0, 1.0), 400, "minimum", BOWL_MIN, why="lr λ = 1.8 < 2"),
    Case("bowl-gd-0.11", BOWL, "gd", {"lr": 0.11}, (1.0, 1.0), 300, "diverging", BOWL_MIN,
         why="lr λ = 2.2 > 2: y grows 1.2x a step until the ball leaves the box"),
    Case("bowl-gd-edge", BOWL, "gd", {"lr": 0.1}, (1.0, 1.0), 300, "oscillating", BOWL_MIN,
         why="lr λ = 2 exactly: y flips between +1 and -1 for ever"),
    Case("bowl-gd-decay-3", BOWL, "gd", {"lr": 0.09, "weight_decay": 3.0}, (1.0, 1.0), 120, "oscillating",
         BOWL_MIN, why="lr (λ + wd) = 0.09 x 23 = 2.07 > 2: the loss grows"),
    Case("bowl-gd-decay-small", BOWL, "gd", {"lr": 0.09, "weight_decay": 0.05}, (1.0, 1.0), 400, "minimum",
         BOWL_MIN, why="lr (λ + wd) = 1.80 < 2; the decayed minimum is still the origin"),
    Case("bowl-gd-decay-edge", BOWL, "gd", {"lr": 0.08, "weight_decay": 5.0}, (1.0, 1.0), 300, "oscillating",
         BOWL_MIN, why="lr (λ + wd) = 0.08 x 25 = 2 exactly: a steady two-cycle"),
    Case("offset-gd-decay", "(x - 1)^2 + 10y^2", "gd", {"lr": 0.05, "weight_decay": 1.0}, (2.0, 1.0), 400,
         "minimum", (("minimum", 2.0 / 3.0, 0.0),),
         why="the ball descends f + |p|^2 / 2: 2 (x - 1) + x = 0 at x = 2/3; lr (20 + 1) = 1.05 < 2"),
    Case("bowl-sgd-decay", BOWL, "sgd", {"lr": 0.08, "weight_decay": 2.0}, (1.0, 1.0), 400, "minimum", BOWL_MIN,
         why="lr (λ + wd) = 1.76 < 2"),
    Case("bowl-momentum-0.15", BOWL, "momentum", {"lr": 0.15, "momentum": 0.9}, (1.0, 1.0), 800, "minimum",
         BOWL_MIN, why="heavy ball: lr λ = 3 < 2 (1 + 0.9) = 3.8"),
    Case("bowl-momentum-0.2", BOWL, "momentum", {"lr": 0.2, "momentum": 0.9}, (1.0, 1.0), 18, "oscillating",
         BOWL_MIN, why="heavy ball: lr λ = 4 > 3.8: the loss grows"),
    Case("bowl-momentum-edge", BOWL, "momentum", {"lr": 0.15, "momentum": 0.5}, (1.0, 1.0), 300, "oscillating",
         BOWL_MIN, why="heavy ball: lr λ = 3 = 2 (1 + 0.5): an eigenvalue -1, a steady two-cycle"),
    Case("bowl-dampening", BOWL, "sgd", {"lr": 0.25, "momentum": 0.5, "dampening": 0.5}, (1.0, 1.0), 600,
         "minimum", BOWL_MIN, why="dampened heavy ball: lr λ = 5 < 2 (1 + 0.5) / 0.5 = 6"),
    Case("bowl-nesterov-0.05", BOWL, "nesterov", {"lr": 0.05, "momentum": 0.9}, (1.0, 1.0), 600, "minimum",
         BOWL_MIN, why="Nesterov: lr λ = 1 < 2 (1.9) / 2.8 = 1.357"),
    Case("bowl-nesterov-0.08", BOWL, "nesterov", {"lr": 0.08, "momentum": 0.9}, (1.0, 1.0), 19, "oscillating",
         BOWL_MIN, why="Nesterov: lr λ = 1.6 > 1.357: the loss grows"),
    Case("bowl-noisy", BOWL, "gd", {"lr": 0.05}, (1.0, 1.0), 400, "minimum", BOWL_MIN, noise=0.05, seed=2,
         why="lr λ = 1; the noise jitters the ball around the minimum"),
    Case("bowl-noisy-unstable", BOWL, "gd", {"lr": 0.11}, (1.0, 1.0), 300, "diverging", BOWL_MIN, noise=0.05,
         why="lr λ = 2.2 > 2 whatever the noise"),
    Case("bowl-adagrad", BOWL, "adagrad", {"lr": 0.5}, (1.0, 1.0), 3000, "minimum", BOWL_MIN,
         why="AdaGrad's rates shrink like 1/sqrt(t): it settles"),
    Case("bowl-adaptive-lr", BOWL, "adaptive-lr", {}, (1.0, 1.0), 1500, "minimum", BOWL_MIN,
         why="traingda lowers its rate whenever the loss rises"),
    Case("bowl-bfgs", BOWL, "bfgs", {}, (1.0, 1.0), 300, "minimum", BOWL_MIN,
         why="a quadratic: at the minimum in a few steps, and there for good (y.s reaches 1e-170 there: the "
             "update must not overflow into a NaN step, a converged ball stopped as diverging)"),
    # --- saddles (x^2 - y^2, x^2 + y^4/4 - y^2/2), Newton's pull to them ---------------------------------
    Case("saddle-gd", "saddle", "gd", {"lr": 0.1}, (1.5, 0.0), 300, "saddle", SADDLE,
         why="y = 0 is the stable manifold: x = 1.5 (0.8)^t reaches the saddle"),
    Case("saddle-gd-off", "saddle", "gd", {"lr": 0.1}, (1.5, 0.05), 40, "descending", SADDLE,
         why="y = 0.05 (1.2)^t runs away downhill, the loss falling ever faster"),
    Case("saddle-gd-noise", "saddle", "gd", {"lr": 0.1}, (1.5, 0.0), 60, "descending", SADDLE, noise=0.01,
         why="the noise knocks the ball off the stable manifold; it runs away downhill"),
    Case("between-gd", "saddle-between-minima", "gd", {"lr": 0.1}, (1.5, 0.0), 300, "saddle", BETWEEN,
         why="y = 0 is the stable manifold of the saddle at the origin"),
    Case("between-gd-noise", "saddle-between-minima", "gd", {"lr": 0.1}, (1.5, 0.0), 600, "minimum", BETWEEN,
         noise=0.01, seed=1, why="noise tips it into the minimum (0, +-1)"),
    Case("between-newton", "saddle-between-minima", "newton", {}, (1.0, 0.3), 50, "saddle", BETWEEN,
         why="Newton jumps to the critical point of its model: the saddle"),
    Case("between-saddle-free", "saddle-between-minima", "saddle-free-newton", {}, (1.0, 0.3), 50, "minimum",
         BETWEEN, why="|H| instead of H: downhill along the negative curvature, to (0, 1)"),
    Case("between-damped-newton", "saddle-between-minima", "damped-newton", {}, (1.0, 0.3), 200, "minimum",
         BETWEEN, why="Levenberg-Marquardt steps downhill: into the minimum (0, 1)"),
    Case("between-bfgs", "saddle-between-minima", "bfgs", {}, (1.5, 1.0), 100, "minimum", BETWEEN,
         why="a line search downhill from (1.5, 1) into (0, 1)"),
    Case("between-cg", "saddle-between-minima", "cg", {}, (1.5, 1.0), 100, "minimum", BETWEEN,
         why="a line search downhill from (1.5, 1) into (0, 1)"),
    Case("double-well-gd", "x^2*x^2 - 2x^2 + 1 + 0.3x + y^2", "gd", {"lr": 0.05}, (1.5, 1.0), 400, "minimum",
         _double_well(), why="the shallow well x = 0.960 (a root of 4x^3 - 4x + 0.3)"),
    # --- plateaus, valleys that run off the domain ---------------------------------------------------------
    Case("plateau-gd", "plateau", "gd", {"lr": 0.1}, (-1.0, -0.5), 1000, "plateau", (("minimum", 1.5, 1.5),),
         why="tanh(r^2/2) at r = 3.2: loss 0.9999, gradient 4.5e-4, curvature ~ 0"),
    Case("plateau-adam", "plateau", "adam", {"lr": 0.05}, (-1.0, -0.5), 1000, "minimum", (("minimum", 1.5, 1.5),),
         why="Adam rescales the tiny gradient and walks to (1.5, 1.5)"),
    Case("exp-tail", "exp(-x) + y^2", "gd", {"lr": 0.5}, (0.0, 1.0), 2000, "descending",
         why="no critical point: x grows like log(t), |H^-1 g| = 1 for ever"),
    Case("beale-gd", "beale", "gd", {"lr": 0.001}, (-1.0, 1.5), 3000, "descending", BEALE,
         why="the ball drifts along the valley away from (3, 0.5): the loss still falls"),
    Case("beale-cg", "beale", "cg", {}, (-1.0, 1.5), 400, "descending", BEALE,
         why="the valley y -> 1 runs off to x = -infinity: no critical point out there"),
    Case("beale-bfgs", "beale", "bfgs", {}, (1.0, 1.0), 200, "minimum", BEALE, why="from (1, 1) into (3, 0.5)"),
    # --- ravines, valleys, the classics --------------------------------------------------------------------
    Case("ravine-gd-0.078", "ravine", "gd", {"lr": 0.078}, (-2.5, 1.0), 400, "minimum", RAVINE_MIN,
         why="lr λ = 1.95 < 2"),
    Case("ravine-gd-0.082", "ravine", "gd", {"lr": 0.082}, (-2.5, 1.0), 300, "diverging", RAVINE_MIN,
         why="lr λ = 2.05 > 2"),
    Case("ravine-gd-edge", "ravine", "gd", {"lr": 0.08}, (-2.5, 1.0), 400, "oscillating", RAVINE_MIN,
         why="lr λ = 2 exactly: y flips for ever while x settles"),
    Case("ravine-momentum", "ravine", "momentum", {"lr": 0.03, "momentum": 0.8}, (-2.5, 1.0), 400, "minimum",
         RAVINE_MIN, why="lr λ = 0.75 < 3.6"),
    Case("ravine-nesterov", "ravine", "nesterov", {"lr": 0.03, "momentum": 0.8}, (-2.5, 1.0), 400, "minimum",
         RAVINE_MIN, why="lr λ = 0.75 < 2 (1.8) / 2.6 = 1.38"),
    Case("ravine-rprop", "ravine", "rprop", {}, (-2.5, 1.0), 400, "minimum", RAVINE_MIN,
         why="Rprop halves its steps at each sign change: it settles"),
    Case("booth-gd", "booth", "gd", {"lr": 0.1}, (-5.0, 5.0), 400, "minimum", BOOTH, why="lr λ = 1.8 < 2"),
    Case("booth-gd-edge", "booth", "gd", {"lr": 1 / 9}, (-5.0, 5.0), 400, "oscillating", BOOTH,
         why="lr λ = 18 / 9 = 2 exactly"),
    Case("rosenbrock-sgd", "rosenbrock", "sgd", {"lr": 0.001}, (-1.2, 1.0), 1500, "descending", ROSENBROCK,
         why="crawls along the floor, far from (1, 1), its loss still falling"),
    Case("rosenbrock-adam", "rosenbrock", "adam", {"lr": 0.05}, (-1.2, 1.0), 2000, "minimum", ROSENBROCK,
         why="Adam reaches (1, 1)"),
    Case("rosenbrock-gd-fast", "rosenbrock", "gd", {"lr": 0.002}, (-1.2, 1.0), 200, "descending", ROSENBROCK,
         why="lr λ_max = 0.002 x 1506 = 3 > 2 at the start: it bounces across the valley, then, where the "
             "valley is gentler (lr λ_max < 2), descends along it"),
    Case("himmelblau-gd", "himmelblau", "gd", {"lr": 0.01}, (0.0, 0.0), 400, "minimum", HIMMELBLAU,
         why="into the minimum (3, 2)"),
    Case("cliff-clipped", "cliff", "gd", {"lr": 0.3}, (-2.5, 1.5), 300, "oscillating", clip=1.0,
         why="a bounce between the wall (λ ~ 900) and its foot: lr λ_max > 2; the steps stay 0.3 for ever"),
    Case("cliff-clipped-slow", "cliff", "gd", {"lr": 0.05}, (-2.5, 1.5), 1500, "minimum",
         (("minimum", 0.790195, 0.0),), clip=1.0, why="below lr = 2 / 33 the clipped ball settles"),
    Case("neuron-full", "sigmoid-neuron", "sgd", {"lr": 0.5}, (-2.0, -2.0), 800, "minimum",
         (("minimum", 0.572278, 0.0),), why="the full batch is exact gradient descent"),
    Case("neuron-batch", "sigmoid-neuron", "sgd", {"lr": 0.5}, (-2.0, -2.0), 800, "minimum",
         (("minimum", 0.572278, 0.0),), batch=3, seed=3, why="mini-batches jitter around the same minimum"),
]


def _surface(text: str) -> Surface:
    try:
        return preset_surface(text)
    except Exception:  # not a preset's name: a formula
        return build_surface(text)


def _run(case: Case) -> tuple[Simulation, BallHistory]:
    noise = NoiseSettings(sigma=case.noise, batch_size=case.batch)
    ball = BallSpec(case.name, "#1f77b4", case.optimizer, tuple(case.hyper.items()), case.start, noise,
                    clip=case.clip)
    simulation = Simulation(_surface(case.surface), [ball], seed=case.seed)
    simulation.step(case.steps)
    return simulation, simulation.history(0)


def _changes(codes: np.ndarray) -> int:
    return int(np.count_nonzero(codes[1:] != codes[:-1]))


def _most_changes(codes: np.ndarray, window: int = CHANGE_WINDOW) -> int:
    """The most label changes in any ``window`` consecutive steps."""
    changed = np.r_[0, np.cumsum(codes[1:] != codes[:-1])]
    return int((changed[window:] - changed[:-window]).max()) if len(codes) > window else int(changed[-1])


def check_claims(case: Case, surface: Surface, history: BallHistory) -> None:
    """Every row's label is true (see the module docstring).

    Under noise the ball never reaches the critical point: it jitters around it in a cloud. There a
    label is also true within the cloud the ball keeps to in the last third of the run (no farther
    from the point, or no higher, than the ball goes there).
    """
    radius = TRUTH_RADIUS * surface.domain.diameter
    positions, codes, loss = history.positions, history.regime_codes, history.loss
    noisy = case.noise > 0.0 or case.batch is not None
    for kind in ("minimum", "saddle", "maximum"):
        rows = np.flatnonzero(codes == REGIMES.index(kind))
        if not rows.size:
            continue
        points = np.array([(x, y) for k, x, y in case.critical if k == kind]).reshape(-1, 2)
        assert points.size, f"{case.name}: labelled {kind} at step {rows[0]}, but the surface has none in view"
        distance = np.min(np.linalg.norm(positions[rows][:, None, :] - points[None], axis=2), axis=1)
        near = distance <= radius
        if noisy:
            tail = slice(2 * len(loss) // 3, None)
            cloud = np.min(np.linalg.norm(positions[tail][:, None, :] - points[None], axis=2), axis=1).max()
            near |= (loss[rows] <= loss[tail].max()) | (distance <= cloud)
        worst = int(np.argmin(near))
        assert near.all(), f"{case.name}: {kind} at step {rows[worst]}, {distance[worst]:.3g} from the nearest one"
    # oscillating: the steps reverse (allowing the few steps the hysteresis holds a label after a change)
    step = np.diff(positions, axis=0)
    reversing = np.einsum("ij,ij->i", step[1:], step[:-1]) < 0  # row k+2 against row k+1
    rows = np.flatnonzero(codes[2:] == OSCILLATING)
    if rows.size:
        assert reversing[rows].mean() >= 0.9, f"{case.name}: oscillating while the steps go one way"
    active = history.particles.active[:, 0]
    assert ((codes == DIVERGING) == ~active).all(), f"{case.name}: diverging is a stopped ball, and only that"


def check_end(case: Case, surface: Surface, history: BallHistory) -> None:
    """The last row's label is the case's truth, and the trajectory bears the truth out."""
    assert history.regimes[-1] == case.end, (case.name, case.why, history.regimes[-20:])
    loss, positions = history.loss, history.positions
    radius = TRUTH_RADIUS * surface.domain.diameter
    if case.end in ("minimum", "saddle", "maximum"):  # the ball reached the critical point
        points = np.array([(x, y) for k, x, y in case.critical if k == case.end])
        assert np.min(np.linalg.norm(points - positions[-1], axis=1)) <= radius
    elif case.end == "oscillating":  # the loss grows, or the two-cycle repeats
        tail = positions[-12:]
        grows = loss[-1] > 10 * loss[max(0, len(loss) - 40)] and loss[-1] > loss[-3]
        repeats = np.allclose(tail[2:], tail[:-2], rtol=1e-3, atol=1e-12 + 1e-3 * np.abs(tail).max())
        swings = np.linalg.norm(tail[1:] - tail[:-1], axis=1).min() > 1e-6 * surface.domain.diameter
        assert grows or (repeats and swings), case.name
    elif case.end == "descending":  # the loss has not stopped falling (or stalled), and no critical point is near
        assert loss[-1] <= loss[-101 if len(loss) > 101 else 0], case.name
        points = np.array([(x, y) for _, x, y in case.critical]).reshape(-1, 2)
        if points.size:
            assert np.min(np.linalg.norm(points - positions[-1], axis=1)) > radius, case.name
    elif case.end == "plateau":  # the loss is high, the gradient tiny, the curvature ~ 0
        assert loss[-1] > 0.99 and history.gradient_norm[-1] < 1e-3, case.name
        assert max(abs(history.lambda_min[-1]), abs(history.lambda_max[-1])) < 1e-2, case.name
    elif case.end == "diverging":
        assert not history.particles.active[-1, 0], case.name


def test_the_corpus_is_large_and_covers_every_family() -> None:
    assert len(CASES) >= 40 and len({case.name for case in CASES}) == len(CASES)
    families = {registry()[case.optimizer].family for case in CASES}
    assert families == {spec.family for spec in registry().values()}
    assert {case.end for case in CASES} >= {"minimum", "saddle", "plateau", "oscillating", "diverging", "descending"}


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_every_label_of_the_run_is_true(case: Case) -> None:
    simulation, history = _run(case)
    check_claims(case, simulation.surface, history)
    check_end(case, simulation.surface, history)
    if case.noise == 0.0 and case.batch is None:
        assert _changes(history.regime_codes) <= FEW_CHANGES, (case.name, _label_runs(history))


def _label_runs(history: BallHistory) -> list[tuple[str, int]]:
    codes = history.regime_codes
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    lengths = np.diff(np.r_[starts, len(codes)])
    return [(REGIMES[int(codes[s])], int(n)) for s, n in zip(starts, lengths, strict=True)]


# --- the property: no flicker in any noiseless run ---------------------------------------------------------

def _noiseless_scene_balls() -> list[tuple[str, int]]:
    return [(name, index) for name, scene in PRESET_SCENES.items() for index, ball in enumerate(scene.balls)
            if ball.noise == NoiseSettings() and ball.particles == 1]


@pytest.mark.parametrize(("scene", "index"), _noiseless_scene_balls())
def test_no_label_flickers_in_a_preset_scene(scene: str, index: int) -> None:
    spec = PRESET_SCENES[scene]
    simulation = Simulation(preset_surface(spec.formula), spec.balls, seed=spec.seed)
    simulation.step(1500)
    history = simulation.history(index)
    assert _most_changes(history.regime_codes) <= FEW_CHANGES, _label_runs(history)


SWEEP_SURFACES = {"ravine": (-2.5, 1.0), "rosenbrock": (-1.2, 1.0), "saddle-between-minima": (1.5, 0.5),
                  "himmelblau": (0.0, 0.0), "beale": (-1.0, 1.5)}


@pytest.mark.parametrize("surface", list(SWEEP_SURFACES))
def test_no_label_flickers_for_any_optimiser(surface: str) -> None:
    """Every optimiser at its defaults (gradient descent and friends at lr 0.001), 1500 noiseless steps."""
    names = list(registry())
    balls = []
    for name in names:
        spec = registry()[name]
        hyper = {"lr": 1e-3} if spec.stability_factor is not None else {}
        balls.append(BallSpec(name, "#1f77b4", name, tuple(hyper.items()), SWEEP_SURFACES[surface]))
    simulation = Simulation(preset_surface(surface), balls)
    simulation.step(1500)
    flickering = {name: _label_runs(simulation.history(i)) for i, name in enumerate(names)
                  if _most_changes(simulation.history(i).regime_codes) > FEW_CHANGES}
    assert not flickering, flickering


def test_the_flicker_count_counts_changes_in_a_window() -> None:
    steady = np.array([0] * 50 + [5] * 100 + [6] * 50)
    assert _most_changes(steady) == 1 and _changes(steady) == 2
    bounce = np.array([0, 5] * 100)  # the clipped ball's label before the hysteresis: every step
    assert _most_changes(bounce) == CHANGE_WINDOW


def test_the_truth_radius_is_the_claims_own_scale() -> None:
    # (the rule's radius, NEAR D, is well inside the radius the corpus holds the claims to)
    from physics.regime import NEAR

    assert NEAR < TRUTH_RADIUS / 2 and math.isfinite(NEAR)


# --- the runs of the issue, as the command line gives them ---------------------------------------------------

def _cli_rows(capsys: pytest.CaptureFixture[str], *arguments: str) -> list[dict[str, str]]:
    assert main.main(["run", *arguments]) == 0
    return list(csv.DictReader(io.StringIO(capsys.readouterr().out)))


def _runs(labels: list[str]) -> list[tuple[str, int]]:
    return [(label, len(list(group))) for label, group in itertools.groupby(labels)]


def test_beale_from_its_own_start_is_descending_not_a_minimum(capsys: pytest.CaptureFixture[str]) -> None:
    # The only minimum is (3, 0.5); the ball travels more than a unit along the valley, away from it.
    rows = _cli_rows(capsys, "--surface", "beale", "--optimizer", "gd", "--lr", "0.001", "--start=-1,1.5",
                     "--steps", "3000")
    assert math.dist((float(rows[-1]["x"]), float(rows[-1]["y"])), (-1.0, 1.5)) > 1.0
    assert all(float(row["loss"]) > float(later["loss"]) for row, later in zip(rows[15:-1:100], rows[115::100],
                                                                               strict=False))
    assert {row["regime"] for row in rows} == {"descending"}


def test_weight_decay_past_the_bound_is_oscillating(capsys: pytest.CaptureFixture[str]) -> None:
    # lr (λ_max + wd) = 0.09 (20 + 3) = 2.07 > 2: the loss climbs from 11 to 1e8.
    rows = _cli_rows(capsys, "--surface", "x^2 + 10y^2", "--optimizer", "gd", "--lr", "0.09", "--weight-decay", "3",
                     "--start", "1,1", "--steps", "120")
    assert float(rows[-1]["loss"]) > 1e7 * float(rows[0]["loss"])
    assert _runs([row["regime"] for row in rows])[-1] == ("oscillating", 114)


def test_the_exact_edge_is_a_steady_two_cycle(capsys: pytest.CaptureFixture[str]) -> None:
    # lr = 0.1 = 2 / λ_max: y flips between +1 and -1 for ever at constant loss 10.
    rows = _cli_rows(capsys, "--surface", "x^2 + 10y^2", "--optimizer", "gd", "--lr", "0.1", "--start", "1,1",
                     "--steps", "300")
    assert [float(row["y"]) for row in rows[-4:]] == [1.0, -1.0, 1.0, -1.0] or \
        [float(row["y"]) for row in rows[-4:]] == [-1.0, 1.0, -1.0, 1.0]
    assert float(rows[-1]["loss"]) == pytest.approx(10.0)
    assert _runs([row["regime"] for row in rows])[-1] == ("oscillating", 294)


def test_conjugate_gradient_on_beales_open_valley_is_never_a_minimum(capsys: pytest.CaptureFixture[str]) -> None:
    # CG runs to x = -479 along y -> 1, where Beale has no critical point, its steps alternating.
    rows = _cli_rows(capsys, "--surface", "beale", "--optimizer", "cg", "--start=-1,1.5", "--steps", "400")
    assert float(rows[-1]["x"]) < -400 and abs(float(rows[-1]["y"]) - 1.0) < 0.01
    labels = [row["regime"] for row in rows]
    assert "minimum" not in labels and len(_runs(labels)) <= 2


def test_a_steady_bounce_gets_one_label(capsys: pytest.CaptureFixture[str]) -> None:
    assert main.main(["run", "--scene", "cliff-clipping", "--steps", "400"]) == 0
    rows = [row for row in csv.DictReader(io.StringIO(capsys.readouterr().out)) if row["ball"] == "clip 1"]
    # the bounce: the steps reverse, 0.3 long, for the whole second half
    x = np.array([float(row["x"]) for row in rows[200:]])
    assert (np.diff(x)[1:] * np.diff(x)[:-1] < 0).all()
    assert _runs([row["regime"] for row in rows])[-1] == ("oscillating", 401 - 18)
    assert len(_runs([row["regime"] for row in rows])) == 2


def test_momentum_in_the_ravine_settles_once(capsys: pytest.CaptureFixture[str]) -> None:
    assert main.main(["run", "--scene", "ravine-momentum", "--steps", "1000"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    for name in ("gradient descent", "momentum", "Nesterov"):
        labels = [row["regime"] for row in rows if row["ball"] == name]
        assert [label for label, _ in _runs(labels)] == ["descending", "minimum"], name


def test_a_stopped_ball_writes_no_rate(capsys: pytest.CaptureFixture[str]) -> None:
    rows = _cli_rows(capsys, "--surface", "x^2 + 10y^2", "--optimizer", "gd", "--lr", "0.11", "--start", "1,1",
                     "--steps", "200")
    stopped = [row for row in rows if row["regime"] == "diverging"]
    assert stopped and all(math.isnan(float(row["lr"])) for row in stopped)
    assert all(float(row["lr"]) == pytest.approx(0.11) for row in rows[1:] if row["regime"] != "diverging")
