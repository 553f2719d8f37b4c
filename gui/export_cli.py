"""``python main.py export`` and ``python main.py figure``: clips and stills of a scene from the command line.

    python main.py export --scene FILE_OR_PRESET --out CLIP.mp4|.webm|.gif|DIR/ [--size WxH] [--fps N]
                          [--frames N | --duration S] [--steps-per-frame N] [--layout 2d|3d|both|app]
                          [--seed N] [--title TEXT] [--theme dark|light] [--quality draft|normal|high]
    python main.py figure --scene FILE_OR_PRESET --out FIG.svg|.pdf|.png [--at-step N]
                          [--layout 2d|panels|both] [--size WxH]

Everything given is checked before anything is rendered (a bad value exits 2 with one line).
The clip is rendered by gui.export.render (the app's own views, the export's own session and
clock) and written by gui.export.encoder.ClipWriter (atomic: Ctrl+C or a failure leaves no file).
On a terminal a progress line says frames done, the rate and the time left; otherwise nothing
is printed. Headless: without a display Qt's offscreen platform is used (the 2D layout and
figures need nothing more; the 3D view needs OpenGL, which is said plainly when missing).
File > Export clip... runs the same :func:`write_clip` in a child process (gui.export.child).
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import time
from collections.abc import Iterator
from typing import TextIO

from gui.export.options import (
    ANNOTATION_NAMES,
    ClipOptions,
    FigureOptions,
    clip_options,
    figure_options,
)
from gui.qt_start import start_qt as _start_qt  # (where it lives: the experiment commands start Qt too)

#: A progress line is redrawn at most this often (seconds).
PROGRESS_INTERVAL = 0.25


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    """The export command's options (the command line contract of /work/shared/DESIGN.md)."""
    parser.add_argument("--scene", required=True, metavar="FILE_OR_PRESET",
                        help="a scene file or a preset scene's name")
    parser.add_argument("--out", required=True, metavar="CLIP.mp4|.webm|.gif|DIR/",
                        help="the clip: H.264 .mp4, VP9 .webm, looping .gif, or a directory (ending in /) "
                             "for numbered PNG frames")
    parser.add_argument("--size", metavar="WxH", help="frame size in pixels (default 1280x720; even for mp4 and webm)")
    parser.add_argument("--fps", metavar="N", help="frames per second (default 30)")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--frames", metavar="N", help="number of frames")
    length.add_argument("--duration", metavar="S", help="length in seconds (default: until the balls come to "
                                                        "rest, at most 20 s)")
    parser.add_argument("--steps-per-frame", metavar="N", help="simulation steps between frames "
                                                               "(default: the scene's own speed)")
    parser.add_argument("--layout", metavar="2d|3d|both|app", help="what is drawn (default 2d: the contour map)")
    _add_common(parser)
    parser.add_argument("--quality", metavar="draft|normal|high", help="encoding quality (default normal)")


def add_figure_arguments(parser: argparse.ArgumentParser) -> None:
    """The figure command's options."""
    parser.add_argument("--scene", required=True, metavar="FILE_OR_PRESET",
                        help="a scene file or a preset scene's name")
    parser.add_argument("--out", required=True, metavar="FIG.svg|.pdf|.png",
                        help="the figure: vector .svg or .pdf (text stays text) or a .png image")
    parser.add_argument("--at-step", metavar="N", help="the step shown (default: where the balls come to rest, "
                                                       "at most 20 s of the scene's run)")
    parser.add_argument("--layout", metavar="2d|panels|both",
                        help="the contour map (2d, default), the plots (panels), or both")
    parser.add_argument("--size", metavar="WxH", help="size in pixels (default 1280x720)")
    _add_common(parser)


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", metavar="N", help="random seed (default: the scene's)")
    parser.add_argument("--title", metavar="TEXT", help="the title drawn (default: the scene's; '' for none)")
    parser.add_argument("--theme", metavar="dark|light", help="dark (the app's, default) or light (for a projector)")
    parser.add_argument("--hide", metavar="LIST", action="append", default=[],
                        help=f"annotations not drawn, comma-separated: {', '.join(ANNOTATION_NAMES)}")


def export_command(args: argparse.Namespace, out: TextIO) -> int:
    """Render and write the clip; 0 when done (errors raise DownhillError, Ctrl+C KeyboardInterrupt)."""
    options = clip_options(args)
    for note in options.notes:
        _note(note)
    _start_qt()
    write_clip(options, progress=Progress(sys.stderr) if _is_terminal(sys.stderr) else None)
    return 0


def figure_command(args: argparse.Namespace, out: TextIO) -> int:
    """Write the figure; 0 when done."""
    options = figure_options(args)
    for note in options.notes:
        _note(note)
    _start_qt()
    write_figure_file(options)
    return 0


def write_clip(options: ClipOptions, progress: Progress | None = None, temporary_dir: str | None = None) -> None:
    """Render every frame of ``options`` through the renderer into the clip writer (atomic).

    ``progress``: anything with show(done, total, elapsed seconds) and finish() (the terminal's
    line, or the dialog's child reporting to the dialog); ``temporary_dir``: where the clip is
    written before its rename (gui.export.encoder.ClipWriter; default beside the clip).
    """
    from gui.export.encoder import ClipWriter
    from gui.export.render import ClipRenderer, frames_until_rest

    frames = options.frames
    if frames is None:
        frames = frames_until_rest(options.scene, options.steps_per_frame, options.fps, seed=options.render.seed,
                                   cap_seconds=options.max_frames / options.fps)
    with ClipWriter(options.out, options.format, width=options.render.width, height=options.render.height,
                    fps=options.fps, quality=options.quality, temporary_dir=temporary_dir) as writer:
        renderer = ClipRenderer(options.scene, options.render, options.steps_per_frame)
        try:
            started = time.perf_counter()
            for index in range(frames):
                with _interrupts_between_frames():
                    frame = renderer.next_frame()
                writer.write(frame)
                if progress is not None:
                    progress.show(index + 1, frames, time.perf_counter() - started)
        finally:
            if progress is not None:
                progress.finish()
            renderer.close()


def write_figure_file(options: FigureOptions) -> None:
    """Render the still of ``options`` and write it (atomic)."""
    from gui.export.figure import write_figure
    from gui.export.options import DEFAULT_FPS, MAX_DEFAULT_SECONDS, default_steps_per_frame
    from gui.export.render import ClipRenderer, frames_to_rest

    at_step = options.at_step
    if at_step is None:  # where the story ends: the balls at rest, or 20 s of the scene's own pace
        steps = default_steps_per_frame(options.scene, DEFAULT_FPS)
        limit = round(MAX_DEFAULT_SECONDS * DEFAULT_FPS)
        rest = frames_to_rest(options.scene, steps, limit, seed=options.render.seed)
        at_step = steps * (limit if rest is None else rest)
    renderer = ClipRenderer(options.scene, options.render, 1, figure=True)
    try:
        write_figure(renderer, options.out, at_step)
    finally:
        renderer.close()


@contextlib.contextmanager
def _interrupts_between_frames() -> Iterator[None]:
    """Hold Ctrl+C while a frame is drawn and raise KeyboardInterrupt after it.

    Why: drawing runs Python code called back from Qt (paint events); an exception raised there
    does not reach this loop (PyQt reports it and Qt carries on), so Ctrl+C would be lost.
    """
    try:
        previous = signal.getsignal(signal.SIGINT)
        pressed: list[int] = []
        signal.signal(signal.SIGINT, lambda number, _frame: pressed.append(number))
    except ValueError:  # not the main thread: no signal arrives here anyway
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if pressed:
        raise KeyboardInterrupt


class Progress:
    """The progress line on a terminal: ``frame 40/150  23.5 frames/s  0:04 left``, redrawn in place."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self._last = -1.0
        self._shown = False

    def show(self, done: int, total: int, elapsed: float) -> None:
        if done < total and elapsed - self._last < PROGRESS_INTERVAL:
            return
        self._last = elapsed
        rate = done / elapsed if elapsed > 0 else 0.0
        left = (total - done) / rate if rate > 0 else 0.0
        minutes, seconds = divmod(round(left), 60)
        self._write(f"\rframe {done}/{total}  {rate:.1f} frames/s  {minutes}:{seconds:02d} left \x1b[K")
        self._shown = True

    def finish(self) -> None:
        if self._shown:
            self._write("\n")
            self._shown = False

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            pass


def _is_terminal(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (OSError, ValueError):
        return False


def _note(text: str) -> None:
    try:
        sys.stderr.write(f"downhill: {text}\n")
    except (OSError, ValueError):
        pass
