"""Downhill's command line: open the app, or run headless (presets, critical, run, export).

    python main.py                         open the app on the default scene
    python main.py --scene FILE.json       open the app on a scene
    python main.py --screenshot FILE.png   open, run the scene briefly, save a screenshot, quit
    python main.py --lesson NAME_OR_FILE [--present]   open a lesson, optionally presenting (F5)
    python main.py presets                 list the preset surfaces and scenes
    python main.py critical --surface EXPR_OR_PRESET [--domain XMIN,XMAX,YMIN,YMAX] [--json]
    python main.py run ...                 CSV telemetry of a run (see README)
    python main.py export ...              render a clip
    python main.py figure ...              draw a still (SVG, PDF or PNG)
    python main.py race ...                tune each optimiser's lr on a surface, race them, print the board
    python main.py basins ...              colour a grid of starts by where each ends (CSV or a figure)
    python main.py stability ...           colour a grid of lr x momentum (...) by outcome, with the bound
    python main.py escape ...              saddle-escape times per noise level against the theory (CSV or a figure)
    python main.py highdim ...             the fraction of minima against n, index against loss (CSV or a figure)

Exit status: 0 when done (also when the reader of the output stops early, as with ``| head``);
2 with a one-line message for a bad argument or formula, or an output that cannot be written;
130 with "downhill: interrupted" after Ctrl+C. No traceback. Headless subcommands never import Qt.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn, TextIO

from surfaces.errors import DownhillError

if TYPE_CHECKING:  # imported where used: 'presets' and --help need no SymPy
    from surfaces.surface import Domain, Surface

#: Options whose value may start with '-': a negative coordinate ("--start -1.2,0.8") or a formula
#: ("--surface -x^2 - y^2"). argparse would take such a value for an unknown option. The run
#: command's pair-valued hyper-parameters ("--betas -0.5,0.9") come from the optimiser registry
#: (physics.cli.options_with_signed_values).
_OPTIONS_WITH_SIGNED_VALUES = {"--surface", "--start", "--domain", "--param"}
#: The exit status after Ctrl+C (128 + SIGINT, as a shell reports a process the signal stopped).
INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line and exit with status 2."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        #: The subcommands' parsers by name (filled by build_parser), for their own error messages.
        self.commands: dict[str, argparse.ArgumentParser] = {}

    def print_help(self, file: TextIO | None = None) -> None:
        """--help's text; argparse ignores a failed write, this says what happened (StandardOutput)."""
        if file is not None:
            super().print_help(file)
            return
        out = StandardOutput(sys.stdout)
        out.write(self.format_help())
        out.finish()

    def error(self, message: str) -> NoReturn:
        message = " ".join(message.split())  # argparse may wrap its own messages: keep one line
        self.exit(2, f"downhill: {message} (see 'python main.py {self.prog.split()[-1]} --help')\n"
                  if " " in self.prog else f"downhill: {message} (see 'python main.py --help')\n")


@dataclass(frozen=True)
class Command:
    """A table-driven subcommand: ``python main.py NAME ...``.

    ``module.add_arguments(parser)`` declares its options and ``module.run(args, out) -> int`` carries
    it out (errors raise DownhillError: one line, exit status 2). The module is imported only when
    the command line is parsed; a module not built yet leaves its command out.
    """

    name: str
    help: str
    module: str
    add_arguments: str
    run: str


#: The experiments' commands (one row each; physics.experiments and gui.experiments hold them).
COMMANDS: tuple[Command, ...] = (
    Command("basins", "colour a grid of starts by where each one ends (basins of attraction: CSV or a figure)",
            "gui.experiments.basins_cli", "add_basins_arguments", "basins_command"),
    Command("stability", "colour a grid of two hyper-parameters by each run's outcome, with the theory bound "
            "(stability map: CSV or a figure)", "gui.experiments.stability_cli", "add_stability_arguments",
            "stability_command"),
    Command("escape", "saddle-escape statistics: escape times per noise level against the theory (CSV or a figure)",
            "gui.experiments.escape_cli", "add_escape_arguments", "escape_command"),
    Command("highdim", "the high-dimensional picture: the fraction of minima against n and index against loss "
            "(CSV or a figure)", "gui.experiments.highdim_cli", "add_highdim_arguments", "highdim_command"),
)


def _join_signed_values(argv: Sequence[str]) -> list[str]:
    """Glue '--start' and a value such as '-1.2,0.8' so argparse does not read it as an option.

    A value that starts with a single '-' is glued; one that starts with '--' is left alone: it is
    the next option, and the missing value gets argparse's own message.
    """
    result: list[str] = []
    index = 0
    while index < len(argv):
        item = argv[index]
        following = argv[index + 1] if index + 1 < len(argv) else ""
        if len(following) > 1 and following.startswith("-") and not following.startswith("--") \
                and _takes_signed_value(item):
            result.append(f"{item}={following}")
            index += 2
            continue
        result.append(item)
        index += 1
    return result


def _takes_signed_value(option: str) -> bool:
    """Whether ``option``'s value may start with '-'; the registry is read only for an option not in
    _OPTIONS_WITH_SIGNED_VALUES that is followed by such a value (rare: the app's start-up skips it)."""
    if option in _OPTIONS_WITH_SIGNED_VALUES:
        return True
    if not option.startswith("--"):
        return False
    signed = _optional_command("physics.cli", "options_with_signed_values")
    return signed is not None and option in signed()


def _optional_command(module: str, function: str) -> Callable[..., object] | None:
    """``module.function`` of a command that may not be built yet, or None if its module does not exist.

    Only the module's own absence hides the command; any other import error inside it (a bug)
    is raised, rather than making the command silently disappear from the command line.
    """
    try:
        return getattr(importlib.import_module(module), function)
    except ModuleNotFoundError as error:
        if error.name is not None and (module == error.name or module.startswith(error.name + ".")):
            return None
        raise


def build_parser() -> _Parser:
    parser = _Parser(prog="downhill", description="A ball rolling down a loss landscape.")
    parser.add_argument("--scene", metavar="FILE_OR_PRESET", help="open the app on this scene")
    parser.add_argument("--screenshot", metavar="FILE.png",
                        help="open the scene, run it briefly, save a screenshot of the window and quit")
    parser.add_argument("--lesson", metavar="FILE_OR_NAME",
                        help="open a lesson (a lesson file, or a built-in lesson's name: whole-story, ...) "
                             "at its first scene")
    parser.add_argument("--present", action="store_true",
                        help="open in presentation mode (full screen, as F5 does)")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    parser.commands["presets"] = commands.add_parser("presets", help="list the preset surfaces and scenes")

    critical = commands.add_parser("critical", help="find and classify the critical points of a surface")
    parser.commands["critical"] = critical
    critical.add_argument("--surface", required=True, metavar="EXPR_OR_PRESET")
    critical.add_argument("--domain", metavar="XMIN,XMAX,YMIN,YMAX")
    critical.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                          help="value of a named parameter of the formula (repeatable)")
    critical.add_argument("--json", action="store_true", help="print a JSON list")

    add_run_arguments = _optional_command("physics.cli", "add_run_arguments")
    if add_run_arguments is not None:
        parser.commands["run"] = commands.add_parser("run", help="run optimisers headless and print CSV telemetry")
        add_run_arguments(parser.commands["run"])
    add_export_arguments = _optional_command("gui.export_cli", "add_export_arguments")
    if add_export_arguments is not None:
        parser.commands["export"] = commands.add_parser("export", help="render a clip (mp4, gif, webm or png)")
        add_export_arguments(parser.commands["export"])
    add_figure_arguments = _optional_command("gui.export_cli", "add_figure_arguments")
    if add_figure_arguments is not None:
        parser.commands["figure"] = commands.add_parser("figure", help="draw a still (svg, pdf or png)")
        add_figure_arguments(parser.commands["figure"])
    add_race_arguments = _optional_command("physics.race_cli", "add_race_arguments")
    if add_race_arguments is not None:
        parser.commands["race"] = commands.add_parser("race", help="tune each optimiser's lr, race them, rank them")
        add_race_arguments(parser.commands["race"])
    for command in COMMANDS:
        add_arguments = _optional_command(command.module, command.add_arguments)
        if add_arguments is not None:
            parser.commands[command.name] = commands.add_parser(command.name, help=command.help)
            add_arguments(parser.commands[command.name])
    return parser


def command_presets(out: TextIO) -> int:
    """List the preset surfaces by group (name, title, formula, teaching note), then the preset scenes."""
    import textwrap

    from surfaces.presets import PRESETS

    width = max(len(name) for name in PRESETS) + 2
    indent = " " * (2 + width)
    out.write("Preset surfaces (use the name with --surface NAME):\n")
    group = None
    for name, preset in PRESETS.items():
        if preset.group != group:
            group = preset.group
            out.write(f"\n{group}\n")
        out.write(f"  {name:<{width}}{preset.title}\n{indent}f = {preset.formula}\n")
        out.write(textwrap.fill(preset.note, width=110, initial_indent=indent, subsequent_indent=indent) + "\n")
    try:
        from physics.preset_scenes import PRESET_SCENES
    except ImportError:  # the physics package is not built yet
        return 0
    out.write("\nPreset scenes (use the name with --scene NAME):\n")
    width = max(len(name) for name in PRESET_SCENES) + 2
    indent = " " * (2 + width)
    for name, scene in PRESET_SCENES.items():
        balls = ", ".join(f"{ball.name} ({ball.optimizer}"
                          + (f", {ball.particles} particles" if ball.particles > 1 else "") + ")"
                          for ball in scene.balls)
        out.write(f"  {name:<{width}}{scene.title}\n")
        for line in (f"on {scene.formula}: {balls}", scene.note):
            out.write(textwrap.fill(line, width=110, initial_indent=indent, subsequent_indent=indent) + "\n")
    return 0


def command_critical(args: argparse.Namespace, out: TextIO) -> int:
    """Find, classify and print the critical points of a surface (a table, or JSON with --json)."""
    from surfaces.critical import DEGENERATE_RTOL, find_critical_points
    from surfaces.presets import parse_parameter_options, resolve_surface
    from surfaces.surface import Domain

    surface = resolve_surface(args.surface, parameters=parse_parameter_options(args.param))
    try:
        domain = Domain.parse(args.domain) if args.domain else surface.domain
    except DownhillError as error:
        raise DownhillError(f"--domain: {error.message}") from None
    points = find_critical_points(surface, domain)
    if args.json:
        rows = [{"x": p.x, "y": p.y, "f": p.value, "kind": p.kind,
                 "eigenvalues": [p.eigenvalues[0], p.eigenvalues[1]]} for p in points]
        out.write(json.dumps(rows, indent=2) + "\n")
        return 0
    xmin, xmax, ymin, ymax = domain.as_tuple()
    text = " ".join(surface.text.split())  # a formula typed over several lines still titles one line
    what = f"{surface.name}, f = {text}" if surface.name else f"f = {text}"
    out.write(f"{len(points)} critical point{'s' if len(points) != 1 else ''} of {what}\n"
              f"in [{xmin:g}, {xmax:g}] x [{ymin:g}, {ymax:g}]")
    plurals = {"minimum": "minima", "maximum": "maxima", "saddle": "saddles", "degenerate": "degenerate"}
    counts = {kind: sum(p.kind == kind for p in points) for kind in plurals}
    summary = ", ".join(f"{n} {kind if n == 1 else plurals[kind]}" for kind, n in counts.items() if n)
    out.write(f": {summary}\n" if summary else "\n")
    if points:
        out.write(f"  {'kind':<11} {'x':>12} {'y':>12} {'f':>14} {'lambda_min':>12} {'lambda_max':>12}\n")
    # Rounding noise around zero (1e-17 for an exact 0) is shown as 0 in the table (--json keeps it),
    # judged against the sizes in play: the domain, the largest |f| and |lambda| among the points.
    tiny_position = 1e-12 * domain.diameter
    tiny_value = 1e-14 * max((abs(p.value) for p in points), default=0.0)
    tiny_curvature = 1e-12 * max((abs(v) for p in points for v in p.eigenvalues), default=0.0)
    for p in points:
        x, y = (0.0 if abs(v) < tiny_position else v for v in (p.x, p.y))
        value = 0.0 if abs(p.value) < tiny_value else p.value
        low, high = (0.0 if abs(v) < tiny_curvature else v for v in p.eigenvalues)
        out.write(f"  {p.kind:<11} {x:>12.7g} {y:>12.7g} {value:>14.9g} {low:>12.5g} {high:>12.5g}\n")
    if counts["degenerate"]:
        out.write(f"degenerate: an eigenvalue is about zero (|lambda| <= {DEGENERATE_RTOL:g} x the curvature around "
                  "the point), so the second-derivative test cannot tell its kind\n")
    if not points:
        out.write(_why_none(surface, domain))
    return 0


def _why_none(surface: Surface, domain: Domain) -> str:
    """A line explaining an empty list when the reason is not 'there are none': '' otherwise."""
    import numpy as np

    if all(derivative == 0 for derivative in surface.gradient):
        return "f is constant: every point is critical, and none is isolated\n"
    xs, ys = domain.grid(41)
    if np.isnan(surface.value_grid(xs, ys)).all():
        return "f is undefined (not a real number) everywhere in this domain\n"
    return ""


def open_app(args: argparse.Namespace) -> int:
    """Open the app (the check that --screenshot would not overwrite the scene file comes first)."""
    if args.scene and args.lesson:
        raise DownhillError("--scene and --lesson: give one; a lesson opens at its own first scene")
    if args.scene and args.screenshot:
        from physics.cli import same_file

        if same_file(args.screenshot, args.scene):
            raise DownhillError(f"--screenshot {args.screenshot}: that is the scene file given with --scene "
                                "(it would be overwritten); save the screenshot to another file")
    from gui.app import run_app

    return run_app(scene=args.scene, screenshot=args.screenshot, lesson=args.lesson, present=args.present)


def _located(error: DownhillError) -> str:
    """The error's one-line message, with its formula column when the message does not say it."""
    text = str(error)
    if error.column is not None and f"column {error.column}" not in text:
        text = f"{text} (column {error.column})"
    return text


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python main.py`` and the ``downhill`` console script; returns the exit status.

    0: done, also when the reader of the output stopped early (``| head``), quietly, as Unix tools do.
    2: a bad argument or formula, or an output that cannot be written; one line on standard error.
    130 (128 + SIGINT): interrupted by Ctrl+C, at any moment from here on (the imports of NumPy,
    SymPy and Qt included); "downhill: interrupted" on standard error, and the rows written so far
    are whole.
    """
    _reserve_standard_descriptors()
    out = StandardOutput(sys.stdout)
    try:
        status = _run_command(argv, out)
        out.finish()  # here, not at the interpreter's exit, where a failure could not be reported
        return status
    except DownhillError as error:
        _say(_located(error))
        _settle_standard_output()
        return 2
    except BrokenPipeError:
        _settle_standard_output()
        return 0
    except KeyboardInterrupt:
        _stop_at_another_interrupt()
        _say("interrupted")
        _settle_standard_output()
        return INTERRUPTED


def _run_command(argv: Sequence[str] | None, out: StandardOutput) -> int:
    """Parse the arguments and carry out the command, writing to ``out``; its exit status (errors raise
    DownhillError)."""
    arguments = _join_signed_values(list(sys.argv[1:] if argv is None else argv))
    # The cyclic garbage collector is off while the commands' modules are imported (NumPy, SymPy, Numba,
    # the optimisers): of the 10^5 objects they make none is garbage, and collecting them over and over
    # as they are made cost about a tenth of the start-up (0.12-0.15 s of processor time, measured).
    gc.disable()
    try:
        parser = build_parser()
        args, unknown = parser.parse_known_args(arguments)
    finally:
        gc.enable()
    if unknown:  # named by the subcommand, whose --help lists what it takes
        parser.commands.get(args.command, parser).error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command == "presets":
        return command_presets(out)
    if args.command == "critical":
        return command_critical(args, out)
    if args.command == "run":
        from physics.cli import run_command
        from physics.memory import keep_freed_memory

        keep_freed_memory()  # a setting of the whole process, made by the program, not by a library
        return run_command(args, out)
    if args.command == "export":
        from gui.export_cli import export_command

        return export_command(args, out)
    if args.command == "figure":
        from gui.export_cli import figure_command

        return figure_command(args, out)
    if args.command == "race":
        from physics.race_cli import race_command

        return race_command(args, out)
    for command in COMMANDS:
        if args.command == command.name:
            from physics.memory import keep_freed_memory

            keep_freed_memory()  # (experiments step large swarms: see physics.memory)
            return getattr(importlib.import_module(command.module), command.run)(args, out)
    return open_app(args)


class StandardOutput:
    """Standard output as the commands write to it, saying in one line why it cannot take the text.

    A failed write (``> /dev/full``, a full disk) or no standard output at all (``>&-``) is a
    DownhillError; a reader that stopped reading (``| head``) stays a BrokenPipeError, which ends
    the command quietly.
    """

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream
        #: Whether text was written since the last flush.
        self.pending = False

    def write(self, text: str) -> int:
        try:
            written = self._open().write(text)
        except BrokenPipeError:
            raise
        except OSError as error:
            raise DownhillError(f"cannot write to standard output: {error.strerror or error}") from None
        self.pending = True
        return written

    def flush(self) -> None:
        try:
            self._open().flush()
        except BrokenPipeError:
            raise
        except OSError as error:
            raise DownhillError(f"cannot write to standard output: {error.strerror or error}") from None
        self.pending = False

    def finish(self) -> None:
        """Flush what was written since the last flush, if anything."""
        if self.pending:
            self.flush()

    def _open(self) -> TextIO:
        if self._stream is None:
            raise DownhillError("standard output is closed: give the output somewhere to go "
                                "(a file with > FILE, or --csv FILE for run)")
        return self._stream


def _stop_at_another_interrupt() -> None:
    """Let a second Ctrl+C end the process at once (SIGINT's default action), silently.

    Why: the first one is being reported and the output settled, which can wait on a pipe whose
    reader does not read; a second KeyboardInterrupt raised in the middle would print a traceback.
    """
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    except ValueError:  # not the main thread: no signal is delivered here anyway
        pass


def _settle_standard_output() -> None:
    """Write out what standard output still holds, or, if it cannot take it, throw it away.

    Python flushes standard output once more as it exits; text left over from a failed write
    (a broken pipe, a full disk) would fail again there, printing "Exception ignored ... Error" and
    turning the status into 120. Pointing the descriptor at /dev/null lets that last flush succeed.
    """
    if sys.stdout is None:
        return
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, sys.stdout.fileno())
            os.close(null)
        except (OSError, ValueError):
            pass


def _reserve_standard_descriptors() -> None:
    """Give a closed standard input, output or error descriptor (``>&-``) to /dev/null.

    Why: the next file opened would otherwise take that number: a CSV opened with --csv as
    descriptor 1 would receive whatever a library prints to standard output, and one opened as
    descriptor 2 every C-level warning.
    """
    for number in (0, 1, 2):
        try:
            os.fstat(number)
        except OSError:
            try:
                null = os.open(os.devnull, os.O_RDWR)
            except OSError:
                return
            if null != number:
                os.dup2(null, number)
                os.close(null)


def _say(line: str) -> None:
    """Write one line to standard error, as ``downhill: LINE``; nothing if standard error cannot take it."""
    try:
        if sys.stderr is not None:
            sys.stderr.write(f"downhill: {line}\n")
            sys.stderr.flush()
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
