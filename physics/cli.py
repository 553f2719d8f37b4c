"""``python main.py run``: run optimisers headless and write CSV telemetry (the contract of DESIGN.md).

One ball::

    python main.py run --surface EXPR_OR_PRESET --optimizer NAME --start X,Y --steps N [options]

writes ``step,x,y,loss,grad_x,grad_y,grad_norm,step_size,lr,lambda_min,lambda_max,regime``: row
``step=0`` is the start and row k the position after k updates; the gradient is the true one at
the position, ``step_size`` the length of the update that led there (0 on row 0), ``lr`` the
effective learning rate |step| / |estimated gradient| (``nan`` on row 0 and where the estimate is
zero). Every float is written with ``repr``: it reads back bit for bit.

With ``--particles N`` (N > 1) the swarm runs and each row summarises it (:data:`SWARM_COLUMNS`).
``--scene FILE_OR_PRESET`` runs every ball of a scene; the rows get a leading ``ball`` column and
come ball after ball. A scene whose balls are all single particles uses the one-ball columns;
a scene with a swarm uses the swarm columns for every ball (for a single particle, mean = median =
min = max).

Every optimiser hyper-parameter in the registry has a flag: its torch.optim name with dashes
(``--lr``, ``--momentum``, ``--weight-decay``, ``--betas 0.9,0.999``, ``--nesterov``, ``--etas``,
``--step-sizes``, ``--lr-decay``, ...). A flag the chosen optimiser does not have is refused.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple, TextIO

from physics.balls import MAX_PARTICLES, BallSpec, ball_color
from physics.noise import SCHEDULES, NoiseSettings
from physics.optimizers.base import HyperParameter
from physics.regime import REGIMES
from physics.simulation import Simulation
from surfaces.errors import DownhillError

BALL_COLUMNS = ("step", "x", "y", "loss", "grad_x", "grad_y", "grad_norm", "step_size", "lr", "lambda_min",
                "lambda_max", "regime")
SWARM_COLUMNS = ("step", "mean_x", "mean_y", "mean_loss", "median_loss", "min_loss", "max_loss", "mean_grad_norm",
                 "mean_step_size", "mean_lr", "fraction_active", "regime",
                 *(f"n_{name}" for name in REGIMES))
MAX_STEPS = 1_000_000
#: The most particle-steps (particles of all balls times steps) one run may take: about 10 minutes
#: or more of computing; a bigger run is refused as taking too long.
MAX_PARTICLE_STEPS = 1_000_000_000
#: Rows are written after every CHUNK steps, as the run proceeds.
CHUNK = 1000
#: The most rows a scene's run may write (its balls' histories are kept in memory until written).
MAX_ROWS = 2_000_000
NOISE_MODELS = ("gaussian", "minibatch")

#: Metavar of a hyper-parameter's flag, by its kind (HyperParameter.kind); a bool is a switch.
_METAVARS = {"float": "F", "int": "N", "pair": "A,B"}
#: Options of the run command whose value may start with '-' (a negative start, a formula); the
#: pair-valued hyper-parameters (``--betas``) join them (:func:`options_with_signed_values`).
_SIGNED_OPTIONS = ("--surface", "--start", "--domain", "--param")
_FIXED_OPTIONS = ("optimizer", "start", "clip", "noise", "noise_model", "batch_size", "noise_schedule",
                  "noise_decay", "particles", "spread", "domain")


@dataclass(frozen=True)
class HyperParameterFlag:
    """One command-line flag for a hyper-parameter name, gathered from every optimiser that declares it.

    Attributes:
        name: the torch.optim name ("weight_decay"); the flag is ``--weight-decay``.
        kind: "float", "int", "bool" or "pair" (the same in every optimiser that has it).
        description: the first declaring optimiser's one-line description.
        owners: (optimiser name, its HyperParameter, its default) for each optimiser that has it,
            in registration order (the default is the optimiser's own: aliases may change it).
    """

    name: str
    kind: str
    description: str
    owners: tuple[tuple[str, HyperParameter, Any], ...]

    @property
    def option(self) -> str:
        return _flag(self.name)

    def help(self) -> str:
        """--help's words: the description, then who has it with which default and range, grouped.

        For example ``learning rate ... gd, sgd: 0.001 in [1e-06, 10]; newton: 1 in [0.001, 2]``.
        """
        groups: dict[str, list[str]] = {}
        for optimizer, hyper, default in self.owners:
            groups.setdefault(_default_and_range(hyper, default), []).append(optimizer)
        owners = "; ".join(f"{', '.join(names)}: {words}" for words, names in groups.items())
        return f"{self.description} ({owners})"


def _number_text(value: float) -> str:
    return f"{value:g}"


def _default_and_range(hyper: HyperParameter, default: Any) -> str:
    """``0.001 in [1e-06, 10]``; for a pair ``0.9,0.999 each in [0, 0.9999]``; for a switch ``off``/``on``."""
    if hyper.kind == "bool":
        return "on" if default else "off"
    if hyper.kind == "pair":
        return (f"{_number_text(default[0])},{_number_text(default[1])} each in "
                f"[{_number_text(hyper.minimum)}, {_number_text(hyper.maximum)}]")
    return f"{_number_text(default)} in [{_number_text(hyper.minimum)}, {_number_text(hyper.maximum)}]"


def hyperparameter_flags() -> dict[str, HyperParameterFlag]:
    """Every hyper-parameter name of the optimiser registry, once, in order of first declaration.

    The registry is the only source: a hyper-parameter added to an optimiser's spec becomes a flag
    of ``main.py run`` (with its help, kind and checks) with no other edit.

    Raises:
        ValueError: two optimisers declare one name with different kinds, or a kind this module
            cannot read from the command line (a programming error, caught by the tests).
    """
    from physics.optimizers.base import registry

    owners: dict[str, list[tuple[str, HyperParameter, Any]]] = {}
    for spec in registry().values():
        defaults = spec.defaults()
        for hyper in spec.hyperparameters:
            owners.setdefault(hyper.name, []).append((spec.name, hyper, defaults[hyper.name]))
    flags: dict[str, HyperParameterFlag] = {}
    for name, declared in owners.items():
        first = declared[0][1]
        kinds = {hyper.kind for _, hyper, _ in declared}
        if len(kinds) > 1:
            raise ValueError(f"the hyper-parameter {name!r} has different kinds in different optimisers "
                             f"({', '.join(f'{o}: {h.kind}' for o, h, _ in declared)}); one flag needs one kind")
        if first.kind not in (*_METAVARS, "bool"):
            raise ValueError(f"the hyper-parameter {name!r} of {declared[0][0]} has kind {first.kind!r}; the "
                             f"command line reads {', '.join((*_METAVARS, 'bool'))}")
        flags[name] = HyperParameterFlag(name, first.kind, first.description, tuple(declared))
    return flags


def options_with_signed_values() -> frozenset[str]:
    """The run command's options whose value may start with '-' ("--start -1.2,0.8", "--betas -0.5,0.9"):
    main.py joins such an option and its value so that argparse does not read the value as an option.
    A negative plain number ("--lr -0.1") argparse reads by itself."""
    pairs = (flag.option for flag in hyperparameter_flags().values() if flag.kind == "pair")
    return frozenset((*_SIGNED_OPTIONS, *pairs))


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``main.py run`` on its subparser; the hyper-parameters' come from the registry.

    Raises:
        ValueError: a hyper-parameter's flag would take the name of an option of the run command
            (a programming error: rename the hyper-parameter).
    """
    from physics.optimizers.base import registry

    parser.description = "Run optimisers headless and write CSV telemetry, one row per step (see the README)."
    parser.add_argument("--surface", metavar="EXPR_OR_PRESET", help="a formula in x and y, or a preset's name")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="value of a named parameter of the formula (repeatable)")
    parser.add_argument("--domain", metavar="XMIN,XMAX,YMIN,YMAX",
                        help="the domain the regime scales and the divergence box refer to (default: the surface's)")
    parser.add_argument("--scene", metavar="FILE_OR_PRESET", help="run every ball of a scene instead")
    parser.add_argument("--optimizer", metavar="NAME", help=f"optimiser name: {', '.join(registry())}")
    parser.add_argument("--start", metavar="X,Y", help="start point (default: a preset's first suggested start)")
    parser.add_argument("--steps", metavar="N", required=True, help="number of updates")
    hyper = parser.add_argument_group(
        "optimiser hyper-parameters (torch.optim names; after each: its optimisers, default in [range])")
    noise = parser.add_argument_group("noise, clipping and swarms")
    noise.add_argument("--clip", metavar="F", help="clip each gradient to this norm (first-order methods)")
    noise.add_argument("--noise", metavar="F", help="sigma of Gaussian noise added to the gradient (default 0)")
    noise.add_argument("--noise-model", metavar="NAME", help=f"one of {', '.join(NOISE_MODELS)} "
                       "(default: gaussian, or minibatch when --batch-size is given)")
    noise.add_argument("--batch-size", metavar="N", help="terms per mini-batch (finite-sum surfaces)")
    noise.add_argument("--noise-schedule", metavar="NAME", help=f"annealing of sigma: {', '.join(SCHEDULES)}")
    noise.add_argument("--noise-decay", metavar="F", help="rate of the annealing schedule per step")
    noise.add_argument("--particles", metavar="N", help="run a swarm of N particles; rows summarise it")
    noise.add_argument("--spread", metavar="F", help="std of the swarm's scatter around the start (default 0)")
    parser.add_argument("--seed", metavar="N", help="seed of the random streams (default 0, or the scene's)")
    parser.add_argument("--csv", metavar="FILE", help="write the CSV to FILE instead of standard output")
    # The hyper-parameters last, so that one whose flag is already an option fails here, by name.
    for flag in hyperparameter_flags().values():
        try:
            if flag.kind == "bool":
                hyper.add_argument(flag.option, dest=f"hyper_{flag.name}", action="store_const", const=True,
                                   default=None, help=flag.help())
            else:
                hyper.add_argument(flag.option, dest=f"hyper_{flag.name}", metavar=_METAVARS[flag.kind],
                                   default=None, help=flag.help())
        except argparse.ArgumentError:
            raise ValueError(f"the hyper-parameter {flag.name!r} of {', '.join(o for o, _, _ in flag.owners)} "
                             f"would take the run option {flag.option}; rename it") from None


# --------------------------------------------------------------------------------------------- parsing


def _number(text: str, option: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise DownhillError(f"{option}: '{text}' is not a number") from None
    if not math.isfinite(value):
        raise DownhillError(f"{option}: the value must be a finite number")
    return value


def _whole(text: str, option: str, low: int, high: int) -> int:
    try:
        value = int(str(text).strip())
    except ValueError:
        raise DownhillError(f"{option}: '{text}' is not a whole number") from None
    if not low <= value <= high:
        raise DownhillError(f"{option}: {value} is out of range [{low}, {high}]")
    return value


def _pair(text: str, option: str, example: str) -> tuple[float, float]:
    parts = str(text).split(",")
    if len(parts) != 2:
        raise DownhillError(f"{option}: '{text}' must be two numbers separated by a comma, such as {example}")
    return (_number(parts[0].strip(), option), _number(parts[1].strip(), option))


def _given_hyperparameters(args: argparse.Namespace) -> dict[str, Any]:
    """Hyper-parameter flags that were given, parsed by kind: name -> value."""
    values: dict[str, Any] = {}
    for name, flag in hyperparameter_flags().items():
        raw = getattr(args, f"hyper_{name}", None)
        if raw is None:
            continue
        option, kind = flag.option, flag.kind
        if kind == "bool":
            values[name] = True
        elif kind == "pair":
            values[name] = _pair(raw, option, "0.9,0.999")
        elif kind == "int":
            values[name] = _whole(raw, option, -(2 ** 31), 2 ** 31)
        else:
            values[name] = _number(raw, option)
    return values


_FIELD_OPTIONS = {"optimizer": "--optimizer", "start": "--start", "noise.sigma": "--noise",
                  "noise.batch_size": "--batch-size", "noise.schedule": "--noise-schedule",
                  "noise.decay": "--noise-decay", "particles": "--particles", "spread": "--spread",
                  "clip": "--clip", "hyperparameters": "--optimizer"}


def _as_option_error(error: DownhillError) -> DownhillError:
    """A BallSpec error (field 'hyperparameters.lr') in command-line words ('--lr: ...')."""
    place = error.field or ""
    if place.startswith("hyperparameters."):
        option = _flag(place.split(".", 1)[1])
    else:
        option = _FIELD_OPTIONS.get(place, "")
    return DownhillError(f"{option}: {error.message}" if option else error.message)


def _ball_from_arguments(args: argparse.Namespace, surface: Any) -> BallSpec:
    from physics.optimizers.base import get_optimizer

    if not args.optimizer:
        raise DownhillError("--optimizer NAME is required (for example --optimizer gd)")
    spec = get_optimizer(args.optimizer)
    given = _given_hyperparameters(args)
    known = [h.name for h in spec.hyperparameters]
    for name in given:
        if name not in known:
            raise DownhillError(f"{_flag(name)}: the optimiser '{spec.name}' has no hyper-parameter '{name}'; "
                                f"it has {', '.join(_flag(k) for k in known) or 'none'}")
    start = _start(args, surface)
    model = args.noise_model
    if model is not None and model not in NOISE_MODELS:
        raise DownhillError(f"--noise-model: unknown model '{model}'; choose one of {', '.join(NOISE_MODELS)}")
    batch = None
    if args.batch_size is not None:
        if model == "gaussian":
            raise DownhillError("--batch-size needs --noise-model minibatch")
        batch = _whole(args.batch_size, "--batch-size", 1, 10 ** 6)
    elif model == "minibatch":
        raise DownhillError("--noise-model minibatch needs --batch-size N")
    schedule = args.noise_schedule or "constant"
    if schedule not in SCHEDULES:
        raise DownhillError(f"--noise-schedule: unknown schedule '{schedule}'; choose one of {', '.join(SCHEDULES)}")
    noise = NoiseSettings(
        sigma=_number(args.noise, "--noise") if args.noise is not None else 0.0,
        schedule=schedule,
        decay=_number(args.noise_decay, "--noise-decay") if args.noise_decay is not None else 0.0,
        batch_size=batch)
    ball = BallSpec(
        name=spec.name, color=ball_color(0), optimizer=spec.name, hyperparameters=tuple(given.items()), start=start,
        noise=noise,
        particles=_whole(args.particles, "--particles", 1, MAX_PARTICLES) if args.particles is not None else 1,
        spread=_number(args.spread, "--spread") if args.spread is not None else 0.0,
        clip=_number(args.clip, "--clip") if args.clip is not None else None)
    try:
        ball.check("", surface)
    except DownhillError as error:
        raise _as_option_error(error) from None
    return ball


def _start(args: argparse.Namespace, surface: Any) -> tuple[float, float]:
    if args.start is not None:
        return _pair(args.start, "--start", "-1.2,0.8")
    from surfaces.presets import PRESETS

    preset = PRESETS.get(surface.name) if surface.name else None
    starts = getattr(preset, "starts", None) if preset is not None else None
    if starts:
        x, y = starts[0]
        return (float(x), float(y))
    raise DownhillError("--start X,Y is required (for example --start 1,0)")


def _surface(args: argparse.Namespace) -> Any:
    from surfaces.presets import parse_parameter_options, resolve_surface
    from surfaces.surface import Domain

    if not args.surface:
        raise DownhillError("--surface EXPR_OR_PRESET is required (a formula such as 'x^2 - y^2', or a preset's name)")
    surface = resolve_surface(args.surface, parameters=parse_parameter_options(args.param))
    if args.domain:
        try:
            domain = Domain.parse(args.domain)
        except DownhillError as error:
            raise DownhillError(f"--domain: {error.message}") from None
        surface = surface.with_domain(domain)
    return surface


# --------------------------------------------------------------------------------------------- rows


def _text(value: float) -> str:
    """A float at full precision (repr reads back bit for bit)."""
    return repr(float(value))


def ball_rows(simulation: Simulation, ball: int, start: int = 0) -> Iterator[list[str]]:
    """One-ball rows (BALL_COLUMNS) of a single-particle ball's history, from its record ``start`` on."""
    history = simulation.history(ball)
    for k in range(start, len(history.steps)):
        x, y = history.positions[k]
        gx, gy = history.gradient[k]
        yield [str(int(history.steps[k])), _text(x), _text(y), _text(history.loss[k]), _text(gx), _text(gy),
               _text(history.gradient_norm[k]), _text(history.step_size[k]), _text(history.lr[k]),
               _text(history.lambda_min[k]), _text(history.lambda_max[k]), history.regimes[k]]


def swarm_rows(simulation: Simulation, ball: int, start: int = 0) -> Iterator[list[str]]:
    """Swarm rows (SWARM_COLUMNS) of a ball from its record ``start`` on; a single particle is a swarm of one."""
    history = simulation.history(ball)
    summary = history.summary
    for k in range(start, len(history.steps)):
        if summary is not None:
            x, y = summary.mean_position[k]
            values = [summary.mean_loss[k], summary.median_loss[k], summary.min_loss[k], summary.max_loss[k],
                      summary.mean_gradient_norm[k], summary.mean_step_size[k], summary.mean_lr[k],
                      summary.fraction_active[k]]
            counts = summary.regime_counts[k]
        else:
            x, y = history.positions[k]
            loss = history.loss[k]
            active = bool(history.particles.active[k, 0])
            values = [loss, loss, loss, loss, history.gradient_norm[k], history.step_size[k], history.lr[k],
                      1.0 if active else 0.0]
            counts = [1 if code == history.regime_codes[k] else 0 for code in range(len(REGIMES))]
        yield [str(int(history.steps[k])), _text(x), _text(y), *(_text(v) for v in values), history.regimes[k],
               *(str(int(c)) for c in counts)]


class _Plan(NamedTuple):
    """A run ready to go: the simulation, the CSV header, and the rows of ball i from record k on."""

    simulation: Simulation
    header: tuple[str, ...]
    rows: Callable[[int, int], Iterator[list[str]]]
    balls: int
    particles: int


def _stream(plan: _Plan, steps: int, out: TextIO) -> None:
    """Run ``steps`` updates in chunks of CHUNK, writing the first ball's new rows after each chunk
    (so a long run shows progress and a reader such as ``head`` can stop it early), then the rows of
    the other balls (they come ball after ball, so they can only follow the whole run)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(plan.header)
    written = done = 0
    while True:
        writer.writerows(plan.rows(0, written))
        written = done + 1
        out.flush()
        if done >= steps:
            break
        count = min(CHUNK, steps - done)
        plan.simulation.step(count)
        done += count
    for ball in range(1, plan.balls):
        writer.writerows(plan.rows(ball, 0))


def same_file(first: str, second: str) -> bool:
    """Whether two paths name one existing file: spelled otherwise, through a symbolic link, or a hard link."""
    try:
        return os.path.samefile(first, second)
    except (OSError, ValueError):  # one of them does not exist (or is no path at all): not the same file
        return False


def _refuse_overwriting_the_scene(args: argparse.Namespace) -> None:
    """Refuse a --csv that is the --scene file it runs (the CSV would replace the scene)."""
    from physics.preset_scenes import PRESET_SCENES

    scene = args.scene
    if scene is not None and scene not in PRESET_SCENES and same_file(args.csv, scene):
        raise DownhillError(f"--csv {args.csv}: that is the scene file given with --scene (it would be "
                            "overwritten); write the CSV to another file")


def _open_csv(name: str) -> TextIO:
    """The --csv file, opened for writing before the run (a bad name fails at once, not after it)."""
    if not name.strip():
        raise DownhillError("--csv: the file name is empty; give a file to write, or leave --csv out for "
                            "standard output")
    try:
        return open(name, "w", newline="", encoding="utf-8")
    except OSError as error:
        raise DownhillError(f"--csv: cannot write {name}: {error.strerror or error}") from None


# --------------------------------------------------------------------------------------------- command


def run_command(args: argparse.Namespace, out: TextIO) -> int:
    """Carry out ``main.py run``; returns the exit status (errors raise DownhillError)."""
    steps = _whole(args.steps, "--steps", 0, MAX_STEPS)
    if args.csv is not None:  # before the run's set-up, which takes a while
        _refuse_overwriting_the_scene(args)
    plan = _scene_plan(args, steps) if args.scene is not None else _single_plan(args, steps)
    if steps * plan.particles > MAX_PARTICLE_STEPS:
        raise DownhillError(f"--steps: {steps:,} steps of {plan.particles:,} particles would take too long; a run "
                            f"is limited to {MAX_PARTICLE_STEPS:,} particle-steps (use fewer steps or particles)")
    if args.csv is None:
        _stream(plan, steps, out)
        return 0
    stream = _open_csv(args.csv)
    try:
        with stream:
            _stream(plan, steps, stream)
    except OSError as error:
        raise DownhillError(f"--csv: cannot write {args.csv}: {error.strerror or error}") from None
    return 0


def _single_plan(args: argparse.Namespace, steps: int) -> _Plan:
    surface = _surface(args)
    ball = _ball_from_arguments(args, surface)
    seed = _whole(args.seed, "--seed", 0, 2 ** 63 - 1) if args.seed is not None else 0
    # The rows need a single particle's record or a swarm's summary, never every particle's record.
    simulation = Simulation(surface, [ball], seed=seed, capacity=steps + 1, full_history=1, compile_surface=True)
    if ball.particles == 1:
        return _Plan(simulation, BALL_COLUMNS, lambda index, start: ball_rows(simulation, index, start), 1, 1)
    return _Plan(simulation, SWARM_COLUMNS, lambda index, start: swarm_rows(simulation, index, start), 1,
                 ball.particles)


def _scene_plan(args: argparse.Namespace, steps: int) -> _Plan:
    from physics.scene_files import resolve_scene

    conflicting = [_flag(name) for name in ("surface", *_FIXED_OPTIONS) if getattr(args, name, None) is not None]
    conflicting += [_flag(name) for name in _given_hyperparameters(args)]
    if args.param:
        conflicting.append("--param")
    if conflicting:
        raise DownhillError(f"{conflicting[0]} cannot be combined with --scene (the scene sets it)")
    scene = resolve_scene(args.scene)
    seed = _whole(args.seed, "--seed", 0, 2 ** 63 - 1) if args.seed is not None else scene.seed
    if not scene.balls:
        raise DownhillError(f"the scene '{args.scene}' has no balls to run")
    if (steps + 1) * len(scene.balls) > MAX_ROWS:
        raise DownhillError(f"--steps: {steps} steps of {len(scene.balls)} balls would make more than "
                            f"{MAX_ROWS:,} rows; run fewer steps")
    simulation = Simulation(scene.surface(), scene.balls, seed=seed, capacity=steps + 1, full_history=1,
                            compile_surface=True)
    swarm = any(ball.particles > 1 for ball in scene.balls)
    header = ("ball", *(SWARM_COLUMNS if swarm else BALL_COLUMNS))
    rows_of = swarm_rows if swarm else ball_rows

    def rows(index: int, start: int) -> Iterator[list[str]]:
        name = scene.balls[index].name
        for row in rows_of(simulation, index, start):
            yield [name, *row]

    return _Plan(simulation, header, rows, len(scene.balls), sum(ball.particles for ball in scene.balls))
