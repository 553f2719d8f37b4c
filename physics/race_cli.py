"""``python main.py race``: tune each optimiser's lr on a surface, race them, print both tables.

    python main.py race --surface EXPR_OR_PRESET --optimizers gd,momentum,adam [--start X,Y]
                        [--starts N] [--radius R] [--steps N] [--tune-steps K] [--noise F] [--seed N]

Prints the caption line (the lr chosen for each), the tuning table (each optimiser's grid of lrs
with its score: the median loss after K steps over the starts, "diverged" for a stopped ball, "*"
marking the choice) and the finish board after ``--steps`` steps of the race (rank, ball, steps to
reach the finish line, loss, regime). The rules are physics.race's.
"""

from __future__ import annotations

import argparse
from typing import TextIO

from physics.balls import MAX_BALLS
from physics.cli import MAX_STEPS, _number, _pair, _start, _surface, _whole
from physics.noise import NoiseSettings
from physics.race import (
    DEFAULT_OPTIMIZERS,
    FINISH_FRACTION,
    TUNING_GRID,
    TUNING_STEPS,
    FinishBoard,
    check_optimizers,
    finish_level,
    lr_text,
    race_balls,
    spread_starts,
    tune_learning_rates,
    tuning_caption,
)
from physics.simulation import Simulation
from surfaces.errors import DownhillError

#: The race's default length, steps.
RACE_STEPS = 1000
#: The longest sweep, steps (each candidate of each optimiser runs this many).
MAX_TUNE_STEPS = 10_000


def add_race_arguments(parser: argparse.ArgumentParser) -> None:
    """The race command's options."""
    parser.add_argument("--surface", metavar="EXPR_OR_PRESET", help="a formula or a preset's name")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="value of a named parameter of the formula (repeatable)")
    parser.add_argument("--domain", metavar="XMIN,XMAX,YMIN,YMAX")
    parser.add_argument("--optimizers", default=",".join(DEFAULT_OPTIMIZERS), metavar="NAME,NAME,...",
                        help=f"the optimisers to race (default {','.join(DEFAULT_OPTIMIZERS)})")
    parser.add_argument("--start", metavar="X,Y", help="the start (default: the preset's first suggested start)")
    parser.add_argument("--starts", default="1", metavar="N",
                        help="race from N starts: the start and N-1 seeded points within --radius of it")
    parser.add_argument("--radius", default="0.5", metavar="R", help="radius of the spread of starts (default 0.5)")
    parser.add_argument("--steps", default=str(RACE_STEPS), metavar="N",
                        help=f"steps of the race (default {RACE_STEPS})")
    parser.add_argument("--tune-steps", default=str(TUNING_STEPS), metavar="K",
                        help=f"steps each learning rate of the sweep runs (default {TUNING_STEPS})")
    parser.add_argument("--noise", metavar="F", help="std of Gaussian gradient noise, for the sweep and the race")
    parser.add_argument("--seed", default="0", metavar="N", help="the seed of the starts, the sweep and the race")


def race_command(args: argparse.Namespace, out: TextIO) -> int:
    """Carry out ``main.py race``; returns the exit status (errors raise DownhillError)."""
    names = [name.strip() for name in str(args.optimizers).split(",") if name.strip()]
    try:
        specs = check_optimizers(names)
    except DownhillError as error:
        raise DownhillError(f"--optimizers: {error.message}") from None
    steps = _whole(args.steps, "--steps", 1, MAX_STEPS)
    tune_steps = _whole(args.tune_steps, "--tune-steps", 1, MAX_TUNE_STEPS)
    seed = _whole(args.seed, "--seed", 0, 2 ** 63 - 1)
    count = _whole(args.starts, "--starts", 1, max(1, MAX_BALLS // len(specs)))
    radius = _number(args.radius, "--radius")
    if radius < 0:
        raise DownhillError(f"--radius: the radius must be 0 or more, not {args.radius}")
    sigma = _number(args.noise, "--noise") if args.noise is not None else 0.0
    if sigma < 0:
        raise DownhillError(f"--noise: the noise must be 0 or more, not {args.noise}")
    noise = NoiseSettings(sigma=sigma)
    surface = _surface(args)
    centre = _pair(args.start, "--start", "-1.2,0.8") if args.start is not None else _start(args, surface)
    try:
        starts = spread_starts(surface, centre, count, radius, seed)
    except DownhillError as error:
        raise DownhillError(f"--start: {error.message}") from None
    tunings = tune_learning_rates(surface, [spec.name for spec in specs], starts, noise=noise, seed=seed,
                                  steps=tune_steps)
    out.write(tuning_caption(tunings, TUNING_GRID, tune_steps, len(starts)) + "\n\n")
    over = f"median over {len(starts)} starts" if len(starts) > 1 else f"from ({centre[0]:g}, {centre[1]:g})"
    out.write(f"Tuning: loss after {tune_steps} steps ({over}, seed {seed}); * = chosen\n")
    width = max(len(t.name) for t in tunings) + 2
    out.write(f"  {'optimizer':<{width}}{'lr':>10}  {'loss':>14}\n")
    for tuning in tunings:
        if tuning.chosen is None:
            out.write(f"  {tuning.name:<{width}}{'-':>10}  {'-':>14}  {tuning.note}\n")
            continue
        for lr, score in zip(tuning.lrs, tuning.scores, strict=True):
            mark = " *" if lr == tuning.chosen else ""
            text = f"{score:.6g}" if score != float("inf") else "diverged"
            out.write(f"  {tuning.name:<{width}}{lr_text(lr):>10}  {text:>14}{mark}\n")
        if tuning.note:
            out.write(f"  {'':<{width}}{tuning.note}\n")
    balls = race_balls(tunings, starts, noise)
    simulation = Simulation(surface, balls, seed=seed, capacity=steps + 1, full_history=1)
    simulation.step(steps)
    from surfaces.critical import find_critical_points

    level = finish_level(find_critical_points(surface), simulation.floor)
    rows = FinishBoard().rows([ball.name for ball in balls], [simulation.history(i) for i in range(len(balls))],
                              level.value)
    out.write(f"\nFinish board after {steps} steps: the line is f_min + {FINISH_FRACTION:g} x (f(start) - f_min), "
              f"f_min = {level.words}\n")
    width = max(len(ball.name) for ball in balls) + 2
    out.write(f"  {'rank':>4}  {'ball':<{width}}{'steps to reach':>14}  {'loss':>14}  regime\n")
    for row in rows:
        reached = str(row.steps) if row.steps is not None else "-"
        out.write(f"  {row.rank:>4}  {row.name:<{width}}{reached:>14}  {row.loss:>14.6g}  {row.regime}\n")
    return 0
