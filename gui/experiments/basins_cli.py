"""``python main.py basins``: the basin map of a surface and an optimiser, as CSV or a figure.

    python main.py basins --surface himmelblau --optimizer gd --lr 0.01 --grid 200 --steps 500 --out b.png
    python main.py basins --surface S --optimizer O [hyper-parameter flags as `run` has them]
        [--grid N] [--steps K] [--noise SIGMA --repeats R] [--clip F] [--seed N] [--domain ...] [--param ...]
        --out FILE.csv|.png|.svg|.pdf [--size WxH] [--title TEXT]

The CSV is physics.experiments.basins.to_csv's (one row per start); a figure is
gui.experiments.basin_paint's drawing through gui.export.figure.write_painted_figure (SVG and PDF
vectors, PNG pixels; written atomically). Qt is imported only for a figure. Every bad argument is
one line and exit status 2 (main.py).
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
            "repeats": "--repeats"}


def add_basins_arguments(parser: argparse.ArgumentParser) -> None:
    """The basins command's options (the hyper-parameter flags are the run command's)."""
    from physics.experiments import basins
    from physics.optimizers.base import registry

    add_surface_arguments(parser, "the grid's rectangle (default: the surface's)")
    parser.add_argument("--optimizer", metavar="NAME", help=f"optimiser name (default gd): {', '.join(registry())}")
    parser.add_argument("--grid", metavar="N", help=f"N x N starts (default {basins.DEFAULT_GRID}, "
                                                    f"at most {basins.MAX_GRID})")
    parser.add_argument("--steps", metavar="K", help=f"steps from each start (default {basins.DEFAULT_STEPS})")
    parser.add_argument("--noise", metavar="SIGMA", help="sigma of Gaussian gradient noise (default 0)")
    parser.add_argument("--repeats", metavar="R", help=f"seeded repeats with noise (default {basins.DEFAULT_REPEATS})")
    parser.add_argument("--clip", metavar="F", help="clip each gradient to this norm")
    parser.add_argument("--seed", metavar="N", help="seed of the first repeat (default 0)")
    add_output_arguments(parser, "one row per start")
    add_hyperparameter_arguments(parser)


def basins_settings(args: argparse.Namespace) -> dict:
    """The raw settings the options give (validated by physics.experiments.basins.validate)."""
    from physics.cli import _given_hyperparameters, _number, _whole
    from physics.experiments import basins

    settings: dict = {"optimizer": args.optimizer or "gd",
                      "hyperparameters": {name: list(value) if isinstance(value, tuple) else value
                                          for name, value in _given_hyperparameters(args).items()}}
    if args.grid is not None:
        settings["grid"] = _whole(args.grid, "--grid", 2, basins.MAX_GRID)
    if args.steps is not None:
        settings["steps"] = _whole(args.steps, "--steps", 1, basins.MAX_STEPS)
    if args.repeats is not None:
        settings["repeats"] = _whole(args.repeats, "--repeats", 1, basins.MAX_REPEATS)
    if args.noise is not None:
        settings["sigma"] = _number(args.noise, "--noise")
    if args.clip is not None:
        settings["clip"] = _number(args.clip, "--clip")
    return settings


def _spec(args: argparse.Namespace):
    return experiment_spec("basins", basins_settings(args), _OPTIONS)


def basins_command(args: argparse.Namespace, out: TextIO) -> int:
    """Carry out ``main.py basins``; 0 when done (errors raise DownhillError)."""
    from physics.cli import _surface
    from physics.experiments.base import run_experiment

    target = out_path(args)
    size = figure_size(args.size)
    surface = _surface(args)
    spec = _spec(args)
    seed = seed_argument(args)
    result = run_experiment(spec, surface, None, seed, cache=None)
    if target.suffix.lower() == ".csv":
        from physics.experiments.basins import to_csv

        write_csv(result, target, to_csv)
    else:
        title = args.title if args.title is not None else f"Basins of attraction: {surface.name or surface.text}"
        write_basin_figure(result, target, size, title, surface)
    return 0


def contour_lines(surface: object) -> object:
    """The map's contour lines of ``surface`` over its domain (gui.views.contours), or None if f cannot
    be sampled there."""
    from gui.views.contours import contours_for
    from gui.views.sampling import sample_surface

    try:
        return contours_for(sample_surface(surface))
    except (DownhillError, ValueError):
        return None


def write_basin_figure(result: object, target: Path, size: tuple[int, int], title: str,
                       surface: object = None) -> Path:
    """The figure of ``result`` at ``size`` (logical pixels) to ``target`` (.png, .svg or .pdf), with
    the contour lines of ``surface`` when given."""
    from gui.experiments.basin_paint import paint_basin_map

    font = max(9.0, size[1] / 70)
    lines = contour_lines(surface) if surface is not None else None
    return write_figure(lambda painter, rect: paint_basin_map(painter, rect, result, title, font_size=font,
                                                              contours=lines),
                        target, size, title, "basins")
