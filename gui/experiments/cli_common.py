"""What the experiment commands (basins, stability, escape, highdim) share: the --out and --size
checks, the settings made into a spec with its errors in the command line's words, the seed, and
writing the result, as CSV or as a painted figure, atomically.

Qt is imported only when a figure is written, so a CSV run never starts it.
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TextIO

from surfaces.errors import DownhillError, SceneError

FORMATS = (".csv", ".png", ".svg", ".pdf")
#: A figure's default size in logical pixels (width, height).
DEFAULT_SIZE = (1280, 800)
MAX_SIDE = 8000
_SIZE = re.compile(r"\s*(\d{1,5})\s*[xX×]\s*(\d{1,5})\s*")


def out_path(args: argparse.Namespace) -> Path:
    """``--out`` checked before any work: a known suffix, in a writable directory, not a directory."""
    if not args.out or not str(args.out).strip():
        raise DownhillError("--out FILE is required: FILE.csv, or a figure FILE.png, .svg or .pdf")
    target = Path(args.out)
    if target.suffix.lower() not in FORMATS:
        raise DownhillError(f"--out {args.out}: the file must end in {', '.join(FORMATS)}")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise DownhillError(f"--out {args.out}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise DownhillError(f"--out {args.out}: the directory {parent} cannot be written")
    if target.is_dir():
        raise DownhillError(f"--out {args.out}: that is a directory")
    return target


def experiment_spec(kind: str, settings: dict, options: Mapping[str, str],
                    reword: Callable[[str, str], str] | None = None):
    """The ExperimentSpec of ``kind`` from ``settings``; a bad setting raises DownhillError naming the
    option it came from (``options``: setting name -> option; a hyper-parameter -> its flag), its
    message passed through ``reword(setting, message)`` when given."""
    from physics.cli import _flag
    from physics.experiments.base import make_spec

    try:
        return make_spec(kind, settings, kind)
    except SceneError as error:
        place = (error.field or "").removeprefix(f"{kind}.settings.")
        if place.startswith("hyperparameters."):
            option = _flag(place.split(".", 1)[1])
        else:
            option = options.get(place, "")
        message = reword(place, error.message) if reword is not None else error.message
        raise DownhillError(f"{option}: {message}" if option else message) from None


def seed_argument(args: argparse.Namespace) -> int:
    """``--seed`` as a whole number in [0, 2^63 - 1]; 0 when not given."""
    from physics.cli import _whole

    return _whole(args.seed, "--seed", 0, 2 ** 63 - 1) if args.seed is not None else 0


def figure_size(text: str | None) -> tuple[int, int]:
    """``--size WxH`` as (width, height) pixels, each side 200..MAX_SIDE; DEFAULT_SIZE when not given."""
    if text is None:
        return DEFAULT_SIZE
    match = _SIZE.fullmatch(str(text))
    if match is None:
        raise DownhillError(f"--size: '{text}' is not a size; write width x height in pixels, such as 1280x800")
    width, height = int(match.group(1)), int(match.group(2))
    if min(width, height) < 200 or max(width, height) > MAX_SIDE:
        raise DownhillError(f"--size {width}x{height}: each side must be from 200 to {MAX_SIDE} pixels")
    return width, height


def write_csv(result: object, target: Path, to_csv: Callable[[object, TextIO], None]) -> None:
    """``to_csv(result, stream)`` into ``target`` atomically (a temporary file beside it, then one
    rename), with the permissions a new file gets under the umask; nothing is left on failure."""
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent or ".")
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as stream:
            to_csv(result, stream)
        # mkstemp makes the file 0600; a written result is as readable as any file the user makes.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(name, 0o666 & ~umask)
        os.replace(name, target)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def write_figure(draw: Callable[[object, object], None], target: Path, size: tuple[int, int], title: str,
                 command: str) -> Path:
    """Paint ``draw(painter, rect)`` at ``size`` (logical pixels) to ``target`` (.png, .svg or .pdf)
    through gui.export.figure.write_painted_figure; ``rect`` is the whole figure's QRectF and
    ``command`` names the main.py command in the file's description. A write error is one line."""
    from gui.qt_start import start_qt

    start_qt()
    from PyQt6 import QtCore

    from gui.export.figure import write_painted_figure

    width, height = size
    rect = QtCore.QRectF(0, 0, width, height)
    try:
        return write_painted_figure(lambda painter: draw(painter, rect), QtCore.QSize(width, height), target,
                                    title=title, description=f"Made by Downhill (python main.py {command})")
    except OSError as error:
        raise DownhillError(f"--out {target}: cannot write it ({error.strerror or error})") from None


def add_surface_arguments(parser: argparse.ArgumentParser, domain_help: str) -> None:
    """--surface, --param (repeatable) and --domain, as ``run`` reads them (physics.cli._surface)."""
    parser.add_argument("--surface", metavar="EXPR_OR_PRESET", help="a formula in x and y, or a preset's name")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="value of a named parameter of the formula (repeatable)")
    parser.add_argument("--domain", metavar="XMIN,XMAX,YMIN,YMAX", help=domain_help)


def add_output_arguments(parser: argparse.ArgumentParser, csv_help: str,
                         title_help: str = "a figure's title (default: the surface's name or formula)") -> None:
    """--out (``csv_help`` says what the CSV holds), --size and --title."""
    parser.add_argument("--out", metavar="FILE", help=f"FILE.csv ({csv_help}) or a figure: .png, .svg, .pdf")
    parser.add_argument("--size", metavar="WxH", help="a figure's size in pixels (default 1280x800)")
    parser.add_argument("--title", metavar="TEXT", help=title_help)


def add_hyperparameter_arguments(parser: argparse.ArgumentParser) -> None:
    """The run command's hyper-parameter flags (--lr, --momentum, ...) in their own group."""
    from physics.cli import _METAVARS, hyperparameter_flags

    hyper = parser.add_argument_group("hyper-parameters (as for run; a flag the optimiser does not have is refused)")
    for flag in hyperparameter_flags().values():
        if flag.kind == "bool":
            hyper.add_argument(flag.option, dest=f"hyper_{flag.name}", action="store_const", const=True,
                               default=None, help=flag.help())
        else:
            hyper.add_argument(flag.option, dest=f"hyper_{flag.name}", metavar=_METAVARS[flag.kind], default=None,
                               help=flag.help())
