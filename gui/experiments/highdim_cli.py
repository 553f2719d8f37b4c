"""``python main.py highdim``: the high-dimensional picture as CSV or a figure.

    python main.py highdim --out highdim.png
    python main.py highdim [--n-max N] [--samples M] [--population P] [--dim D] [--starts S]
        [--features K] [--seed S] --out FILE.csv|.png|.svg|.pdf [--size WxH] [--title TEXT]

The CSV is physics.experiments.landscape_stats.to_csv's (the fractions per n, a blank line, the
critical points); a figure is gui.experiments.highdim_paint's drawing through
gui.export.figure.write_painted_figure (SVG and PDF vectors, PNG pixels; written atomically). Qt is
imported only for a figure. Every bad argument is one line and exit status 2 (main.py).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from gui.experiments.cli_common import (
    DEFAULT_SIZE,
    add_output_arguments,
    experiment_spec,
    figure_size,
    out_path,
    seed_argument,
    write_csv,
    write_figure,
)

#: The settings and their options: (setting, option, attribute).
_OPTIONS = (("n_max", "--n-max", "n_max"), ("samples", "--samples", "samples"),
            ("population", "--population", "population"), ("dim", "--dim", "dim"),
            ("starts", "--starts", "starts"), ("features", "--features", "features"))
DEFAULT_TITLE = "The high-dimensional picture: critical points are almost all saddles"


def add_highdim_arguments(parser: argparse.ArgumentParser) -> None:
    """The highdim command's options."""
    from physics.experiments import landscape_stats as stats

    parser.add_argument("--n-max", metavar="N", help=f"largest Hessian size n (default {stats.DEFAULT_N_MAX}, "
                                                     f"at most {stats.MAX_N})")
    parser.add_argument("--samples", metavar="M", help=f"random matrices sampled per n (default "
                                                       f"{stats.DEFAULT_SAMPLES}, at most {stats.MAX_SAMPLES})")
    parser.add_argument("--population", metavar="P", help=f"splitting estimate's samples per level, 0 for none "
                                                          f"(default {stats.DEFAULT_POPULATION})")
    parser.add_argument("--dim", metavar="D", help=f"dimensions of the random landscape (default {stats.DEFAULT_DIM}, "
                                                   f"2 to {stats.MAX_DIM})")
    parser.add_argument("--starts", metavar="S", help=f"Newton starts on the landscape, 0 for none "
                                                      f"(default {stats.DEFAULT_STARTS})")
    parser.add_argument("--features", metavar="K", help=f"random Fourier features of the landscape "
                                                        f"(default {stats.DEFAULT_FEATURES})")
    parser.add_argument("--seed", metavar="N", help="seed of every random draw (default 0)")
    add_output_arguments(parser, "two tables", "a figure's title")


def highdim_settings(args: argparse.Namespace) -> dict:
    """The raw settings the options give (validated by landscape_stats.validate)."""
    from physics.cli import _whole

    settings: dict = {}
    for setting, option, attribute in _OPTIONS:
        text = getattr(args, attribute, None)
        if text is not None:
            settings[setting] = _whole(text, option, 0, 10 ** 12)
    return settings


def highdim_command(args: argparse.Namespace, out: TextIO) -> int:
    """Carry out ``main.py highdim``; 0 when done (errors raise DownhillError)."""
    from physics.experiments.base import no_progress
    from physics.experiments.landscape_stats import run, to_csv

    target = out_path(args)
    size = figure_size(args.size) if args.size is not None else DEFAULT_SIZE
    spec = experiment_spec("highdim", highdim_settings(args), {setting: option for setting, option, _ in _OPTIONS})
    seed = seed_argument(args)
    result = run(None, None, spec.settings_dict(), seed, no_progress)
    if target.suffix.lower() == ".csv":
        write_csv(result, target, to_csv)
    else:
        write_highdim_figure(result, target, size, args.title if args.title is not None else DEFAULT_TITLE)
    return 0


def write_highdim_figure(result: object, target: Path, size: tuple[int, int], title: str) -> Path:
    """The figure of ``result`` at ``size`` (logical pixels) to ``target`` (.png, .svg or .pdf)."""
    from gui.experiments.highdim_paint import paint_highdim

    font = max(9.0, min(size[1] / 60, size[0] / 110))
    return write_figure(lambda painter, rect: paint_highdim(painter, rect, result, title, font_size=font),
                        target, size, title, "highdim")
