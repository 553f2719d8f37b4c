"""``python main.py escape``: saddle-escape statistics of a surface and an optimiser, as CSV or a figure.

    python main.py escape --surface "x^2 + y^4/4 - y^2/2" --optimizer gd --lr 0.1 --out escape.png
    python main.py escape --surface S [--saddle INDEX | --start X,Y] [--optimizer O] [hyper-parameter flags]
        [--sigmas LOW,HIGH,LEVELS] [--runs N] [--steps K] [--radius R] [--drop DELTA] [--seed N]
        [--domain ...] [--param ...] --out FILE.csv|.png|.svg|.pdf [--size WxH] [--title TEXT]

The CSV is physics.experiments.escape.to_csv's (one row per run); a figure is
gui.experiments.escape_paint's drawing through gui.export.figure.write_painted_figure (SVG and
PDF vectors, PNG pixels; written atomically). Qt is imported only for a figure. Every bad argument
is one line and exit status 2 (main.py).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from gui.experiments.cli_common import (
    add_hyperparameter_arguments,
    add_output_arguments,
    add_surface_arguments,
    experiment_spec,
    figure_size,
    out_path,
    seed_argument,
    write_csv,
    write_figure,
)
from surfaces.errors import DownhillError

#: The settings' names as options (for messages in the command line's words).
_OPTIONS = {"optimizer": "--optimizer", "saddle": "--saddle", "start": "--start", "sigma_low": "--sigmas",
            "sigma_high": "--sigmas", "levels": "--sigmas", "runs": "--runs", "steps": "--steps",
            "radius": "--radius", "drop": "--drop"}


def add_escape_arguments(parser: argparse.ArgumentParser) -> None:
    """The escape command's options (the hyper-parameter flags are the run command's)."""
    from physics.experiments import escape
    from physics.optimizers.base import registry

    add_surface_arguments(parser, "where to look for critical points")
    parser.add_argument("--optimizer", metavar="NAME", help=f"optimiser name (default gd): {', '.join(registry())}")
    parser.add_argument("--saddle", metavar="INDEX", help="the saddle's number on the map (default: the first, "
                                                          "or the one nearest --start)")
    parser.add_argument("--start", metavar="X,Y", help="a start that flows into the saddle (default: the saddle "
                                                       "plus r/2 along its stable eigenvector)")
    parser.add_argument("--sigmas", metavar="LOW,HIGH,LEVELS",
                        help=f"noise levels, log-spaced (default {escape.DEFAULT_SIGMAS[0]:g},"
                             f"{escape.DEFAULT_SIGMAS[1]:g},{escape.DEFAULT_LEVELS})")
    parser.add_argument("--runs", metavar="N", help=f"seeded runs per noise level (default {escape.DEFAULT_RUNS})")
    parser.add_argument("--steps", metavar="K", help=f"steps before a run counts as censored "
                                                     f"(default {escape.DEFAULT_STEPS})")
    parser.add_argument("--radius", metavar="R", help="escape radius around the saddle (default: a quarter of "
                                                      "the distance to the nearest minimum)")
    parser.add_argument("--drop", metavar="DELTA", help="escape also when the loss is below f(saddle) - DELTA "
                                                        "(default: half the drop to the nearest minimum)")
    parser.add_argument("--seed", metavar="N", help="seed (default 0)")
    add_output_arguments(parser, "one row per run")
    add_hyperparameter_arguments(parser)


def escape_settings(args: argparse.Namespace) -> dict:
    """The raw settings the options give (validated by physics.experiments.escape.validate)."""
    from physics.cli import _given_hyperparameters, _number, _pair, _whole
    from physics.experiments import escape

    settings: dict = {"optimizer": args.optimizer or "gd",
                      "hyperparameters": {name: list(value) if isinstance(value, tuple) else value
                                          for name, value in _given_hyperparameters(args).items()}}
    if args.saddle is not None:
        settings["saddle"] = _whole(args.saddle, "--saddle", 1, 10_000)
    if args.start is not None:
        settings["start"] = list(_pair(args.start, "--start", "0.1,0"))
    if args.sigmas is not None:
        parts = str(args.sigmas).split(",")
        if len(parts) != 3:
            raise DownhillError(f"--sigmas: '{args.sigmas}' must be LOW,HIGH,LEVELS, such as 1e-8,1e-1,8")
        settings["sigma_low"] = _number(parts[0].strip(), "--sigmas")
        settings["sigma_high"] = _number(parts[1].strip(), "--sigmas")
        settings["levels"] = _whole(parts[2], "--sigmas", 1, escape.MAX_LEVELS)
    if args.runs is not None:
        settings["runs"] = _whole(args.runs, "--runs", 1, 100_000)
    if args.steps is not None:
        settings["steps"] = _whole(args.steps, "--steps", 1, escape.MAX_STEPS)
    if args.radius is not None:
        settings["radius"] = _number(args.radius, "--radius")
    if args.drop is not None:
        settings["drop"] = _number(args.drop, "--drop")
    return settings


def _spec(args: argparse.Namespace):
    return experiment_spec("escape", escape_settings(args), _OPTIONS, _name_the_sigma_part)


def _name_the_sigma_part(place: str, message: str) -> str:
    """--sigmas carries three settings: say which of them is wrong."""
    return f"{place.replace('_', ' ')} {message}" if place in ("sigma_low", "sigma_high", "levels") else message


def escape_command(args: argparse.Namespace, out: TextIO) -> int:
    """Carry out ``main.py escape``; 0 when done (errors raise DownhillError)."""
    from physics.cli import _surface
    from physics.experiments.base import run_experiment

    target = out_path(args)
    size = figure_size(args.size)
    surface = _surface(args)
    spec = _spec(args)
    seed = seed_argument(args)
    try:
        result = run_experiment(spec, surface, None, seed, cache=None)
    except DownhillError as error:
        option = _OPTIONS.get(error.field or "", "")
        raise DownhillError(f"{option}: {error.message}" if option else error.message) from None
    if target.suffix.lower() == ".csv":
        from physics.experiments.escape import to_csv

        write_csv(result, target, to_csv)
    else:
        title = args.title if args.title is not None else f"Saddle escape: {surface.name or surface.text}"
        write_escape_figure(result, target, size, title)
    return 0


def write_escape_figure(result: object, target: Path, size: tuple[int, int], title: str) -> Path:
    """The figure of ``result`` at ``size`` (logical pixels) to ``target`` (.png, .svg or .pdf)."""
    from gui.experiments.escape_paint import paint_escape

    font = max(9.0, size[1] / 75)
    return write_figure(lambda painter, rect: paint_escape(painter, rect, result, title, font_size=font),
                        target, size, title, "escape")
