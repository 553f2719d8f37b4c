"""``python main.py stability``: the stability map of a surface, a start and an optimiser, as CSV or a figure.

    python main.py stability --surface ravine --optimizer momentum --start -4,1.5 --out map.png
    python main.py stability --surface S --optimizer O --start X,Y [--x-param lr --y-param momentum]
        [--x-range A,B --y-range C,D] [--grid N] [--steps K] [--seed N] [hyper-parameter flags as `run`]
        [--noise SIGMA] [--clip F] [--bound-at minimum|start] --out FILE.csv|.png|.svg|.pdf
        [--size WxH] [--title TEXT]

The CSV is physics.experiments.stability.to_csv's (one row per cell); a figure is
gui.experiments.stability_paint's drawing through gui.export.figure.write_painted_figure. Qt is
imported only for a figure. Every bad argument is one line and exit status 2 (main.py).
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
_OPTIONS = {"optimizer": "--optimizer", "sigma": "--noise", "clip": "--clip", "grid": "--grid", "steps": "--steps",
            "start": "--start", "x_param": "--x-param", "y_param": "--y-param", "x_range": "--x-range",
            "y_range": "--y-range", "bound_at": "--bound-at"}


def add_stability_arguments(parser: argparse.ArgumentParser) -> None:
    """The stability command's options (the hyper-parameter flags are the run command's)."""
    from physics.experiments import stability
    from physics.optimizers.base import registry

    add_surface_arguments(parser, "the surface's rectangle")
    parser.add_argument("--optimizer", metavar="NAME",
                        help=f"optimiser name (default momentum): {', '.join(registry())}")
    parser.add_argument("--start", metavar="X,Y", help="the ball's start (default: a preset's first suggested start)")
    parser.add_argument("--x-param", metavar="NAME", help=f"the x axis: {', '.join(stability.PARAMS)} (default lr)")
    parser.add_argument("--y-param", metavar="NAME",
                        help="the y axis (default momentum, or beta1 for Adam, alpha for RMSProp, else noise)")
    parser.add_argument("--x-range", metavar="LOW,HIGH", help="the x axis's range (default: automatic)")
    parser.add_argument("--y-range", metavar="LOW,HIGH", help="the y axis's range (default: automatic)")
    parser.add_argument("--grid", metavar="N", help=f"N x N settings (default {stability.DEFAULT_GRID}, "
                                                    f"at most {stability.MAX_GRID})")
    parser.add_argument("--steps", metavar="K", help=f"steps of each run (default {stability.DEFAULT_STEPS})")
    parser.add_argument("--noise", metavar="SIGMA", help="sigma of Gaussian gradient noise of every cell (default 0)")
    parser.add_argument("--clip", metavar="F", help="clip each gradient to this norm")
    parser.add_argument("--bound-at", metavar="WHERE", help="the theory line's quadratic: minimum (default) or start")
    parser.add_argument("--seed", metavar="N", help="seed (default 0)")
    add_output_arguments(parser, "one row per cell")
    add_hyperparameter_arguments(parser)


def _range(text: str, option: str) -> list[float]:
    from physics.cli import _number

    parts = str(text).split(",")
    if len(parts) != 2:
        raise DownhillError(f"{option}: '{str(text)[:40]}' is not a range; write LOW,HIGH such as 0.001,0.5")
    return [_number(parts[0], option), _number(parts[1], option)]


def stability_settings(args: argparse.Namespace, surface: object) -> dict:
    """The raw settings the options give (validated by physics.experiments.stability.validate)."""
    from physics.cli import _given_hyperparameters, _number, _start, _whole
    from physics.experiments import stability

    settings: dict = {"optimizer": args.optimizer or "momentum",
                      "hyperparameters": {name: list(value) if isinstance(value, tuple) else value
                                          for name, value in _given_hyperparameters(args).items()},
                      "start": list(_start(args, surface))}
    for key in ("x_param", "y_param", "bound_at"):
        value = getattr(args, key)
        if value is not None:
            settings[key] = str(value)[:40]
    for key, option in (("x_range", "--x-range"), ("y_range", "--y-range")):
        value = getattr(args, key)
        if value is not None:
            settings[key] = _range(value, option)
    if args.grid is not None:
        settings["grid"] = _whole(args.grid, "--grid", 2, stability.MAX_GRID)
    if args.steps is not None:
        settings["steps"] = _whole(args.steps, "--steps", 2, stability.MAX_STEPS)
    if args.noise is not None:
        settings["sigma"] = _number(args.noise, "--noise")
    if args.clip is not None:
        settings["clip"] = _number(args.clip, "--clip")
    return settings


def _spec(args: argparse.Namespace, surface: object):
    return experiment_spec("stability", stability_settings(args, surface), _OPTIONS)


def stability_command(args: argparse.Namespace, out: TextIO) -> int:
    """Carry out ``main.py stability``; 0 when done (errors raise DownhillError)."""
    from physics.cli import _surface
    from physics.experiments.base import run_experiment

    target = out_path(args)
    size = figure_size(args.size)
    surface = _surface(args)
    spec = _spec(args, surface)
    seed = seed_argument(args)
    result = run_experiment(spec, surface, None, seed, cache=None)
    if target.suffix.lower() == ".csv":
        from physics.experiments.stability import to_csv

        write_csv(result, target, to_csv)
    else:
        title = args.title if args.title is not None else f"Stability map: {surface.name or surface.text}"
        write_stability_figure(result, target, size, title)
    return 0


def write_stability_figure(result: object, target: Path, size: tuple[int, int], title: str) -> Path:
    """The figure of ``result`` at ``size`` (logical pixels) to ``target`` (.png, .svg or .pdf)."""
    from gui.experiments.stability_paint import paint_stability_map

    font = max(9.0, size[1] / 70)
    return write_figure(lambda painter, rect: paint_stability_map(painter, rect, result, title, font_size=font),
                        target, size, title, "stability")
