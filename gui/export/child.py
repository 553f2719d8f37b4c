"""The dialog's export in a process of its own: ``python -m gui.export.child JOBFILE [--watch-stdin]``.

File > Export clip... (gui.export.dialog) never renders a clip on the window's thread: it writes a
job file and starts this module as a child process (QProcess), which renders through the same
code as ``python main.py export`` (gui.export_cli.write_clip: gui.export.render.ClipRenderer into
gui.export.encoder.ClipWriter). Not a documented command: the dialog is its only caller.

**The job file** (JSON, UTF-8, at most :data:`MAX_JOB_BYTES`) is read as untrusted input: every
key is checked (unknown keys, wrong types refused), the scene by the scene reader
(physics.scene_reader.scene_from_json), the rest by the command line's own checks
(gui.export.options.clip_options); any problem is one ``error`` line. Keys::

    version 1; scene (a scene's JSON object); out (the clip, or a directory ending in / for PNGs);
    size "WxH"; fps; frames (null: until the balls rest); steps_per_frame; layout; theme; quality;
    title; hide (annotation names not drawn); overlays ({name: shown}); work (a directory the dialog
    made beside the clip: the clip's temporary files go there, so the dialog can remove whatever a
    killed child left); preview (optional: a PNG path: render the first frame only, into that file).

**What it prints** on standard output, one line each (anything else the process writes goes to
standard error): ``note TEXT`` (an adjustment, such as a size rounded to even), ``progress DONE
TOTAL`` (frames encoded; first ``progress 0 TOTAL`` once the length is known), then ``done PATH``
(exit status 0) or ``error MESSAGE`` (exit status 1; 2 for a job file that cannot be read).

The child runs at a lower priority (:data:`CHILD_NICENESS`): on a machine with one or two free
cores the window's thread comes first. ``--watch-stdin``: the dialog holds the child's standard
input open; when it closes (the app died), the child removes its work directory and exits, so
no orphan goes on rendering.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace
from typing import TextIO

from gui.export.options import ClipOptions, clip_options
from surfaces.errors import DownhillError

#: The largest job file read (bytes): a scene (physics.scenes.MAX_SCENE_BYTES) and a few settings.
MAX_JOB_BYTES = 4_000_000
JOB_VERSION = 1
#: Progress lines are sent at most this often (seconds), and always for the last frame.
PROGRESS_INTERVAL = 0.05
#: How much the child yields to other processes (the app's window) for the processor (Unix niceness).
CHILD_NICENESS = 5
#: The keys of a job file and the JSON types each may hold (None: null allowed).
_KEYS: dict[str, tuple[type | None, ...]] = {
    "version": (int,), "scene": (dict,), "out": (str,), "size": (str,), "fps": (int,), "frames": (int, None),
    "steps_per_frame": (int,), "layout": (str,), "theme": (str,), "quality": (str,), "title": (str,),
    "hide": (list,), "overlays": (dict,), "work": (str,), "preview": (str, None),
}
_REQUIRED = ("version", "scene", "out", "work")


@dataclass(frozen=True)
class Job:
    """A checked job: the clip's options, the work directory, and the preview's path (None: the whole clip)."""

    options: ClipOptions
    work: Path
    preview: Path | None = None


def read_job(path: str | os.PathLike[str]) -> Job:
    """Read and check a job file (see the module docstring). Raises DownhillError with one line."""
    from physics.overlays import OVERLAYS
    from physics.scene_reader import scene_from_json

    where = f"job file {path}"
    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_JOB_BYTES + 1)
    except OSError as error:
        raise DownhillError(f"cannot read the {where}: {error.strerror or error}") from None
    if len(data) > MAX_JOB_BYTES:
        raise DownhillError(f"{where}: larger than {MAX_JOB_BYTES} bytes")
    try:
        job = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DownhillError(f"{where}: not JSON ({error})") from None
    if not isinstance(job, dict):
        raise DownhillError(f"{where}: a job is a JSON object")
    for key, value in job.items():
        kinds = _KEYS.get(key)
        if kinds is None:
            raise DownhillError(f"{where}: unknown key '{key}'")
        if not any(value is None if kind is None else isinstance(value, kind) and not isinstance(value, bool)
                   for kind in kinds):
            raise DownhillError(f"{where}: '{key}' has the wrong type ({type(value).__name__})")
    missing = [key for key in _REQUIRED if key not in job]
    if missing:
        raise DownhillError(f"{where}: '{missing[0]}' is missing")
    if job["version"] != JOB_VERSION:
        raise DownhillError(f"{where}: version {job['version']}; this Downhill reads version {JOB_VERSION}")
    if not all(isinstance(name, str) for name in job.get("hide", [])):
        raise DownhillError(f"{where}: 'hide' holds something other than annotation names")
    known = {overlay.name for overlay in OVERLAYS}
    overlays = job.get("overlays", {})
    for name, shown in overlays.items():
        if name not in known or not isinstance(shown, bool):
            raise DownhillError(f"{where}: overlays: '{name}' is not an overlay shown (true) or hidden (false)")
    work = Path(job["work"])
    if not work.is_absolute() or not work.is_dir():
        raise DownhillError(f"{where}: work: {work} is not an existing directory")
    try:
        scene = scene_from_json(json.dumps(job["scene"]).encode("utf-8"))
    except DownhillError as error:
        raise DownhillError(f"{where}: scene: {error.describe()}") from None
    arguments = SimpleNamespace(**{key: job.get(key) for key in ("out", "size", "fps", "frames", "steps_per_frame",
                                                                  "layout", "theme", "quality", "title", "hide")})
    arguments.scene = scene
    options = clip_options(arguments)
    options = replace(options, render=replace(options.render, overlays=tuple(overlays.items())))
    preview = job.get("preview")
    return Job(options=options, work=work, preview=Path(preview) if preview else None)


class LineProgress:
    """``progress DONE TOTAL`` lines for the dialog (a gui.export_cli.Progress look-alike)."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self._last = -1.0

    def show(self, done: int, total: int, elapsed: float) -> None:
        if done < total and elapsed - self._last < PROGRESS_INTERVAL:
            return
        self._last = elapsed
        say(self.stream, "progress", f"{done} {total}")

    def finish(self) -> None:
        pass


def say(stream: TextIO, kind: str, text: str) -> None:
    """One protocol line: ``kind text`` (line breaks in the text become spaces: one line each)."""
    stream.write(f"{kind} {' '.join(str(text).split())}\n")
    stream.flush()


def run(job: Job, out: TextIO) -> None:
    """Render the job: the whole clip (progress, then done), or the first frame into the preview PNG."""
    from gui.export.render import ClipRenderer, frames_until_rest
    from gui.export_cli import _start_qt, write_clip

    options = job.options
    for note in options.notes:
        say(out, "note", note)
    _start_qt()
    if job.preview is not None:
        renderer = ClipRenderer(options.scene, options.render, 1)
        try:
            renderer.advance()
            image = renderer.image()
        finally:
            renderer.close()
        temporary = job.work / f".{job.preview.name}.part.png"
        if not image.save(str(temporary), "PNG"):
            raise DownhillError(f"cannot write the preview {job.preview}")
        os.replace(temporary, job.preview)
        say(out, "done", str(job.preview))
        return
    frames = options.frames
    if frames is None:
        frames = frames_until_rest(options.scene, options.steps_per_frame, options.fps, seed=options.render.seed,
                                   cap_seconds=options.max_frames / options.fps)
    say(out, "progress", f"0 {frames}")
    write_clip(replace(options, frames=frames), progress=LineProgress(out), temporary_dir=str(job.work))
    say(out, "done", str(options.out))


def _watch_stdin(work: Path | None) -> None:
    """Exit when standard input closes (the dialog's process is gone), removing the work directory."""
    def watch() -> None:
        try:  # the descriptor itself: a buffered sys.stdin's lock would hang the interpreter's exit
            while os.read(0, 4096):
                pass
        except OSError:
            pass
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
        os._exit(3)

    threading.Thread(target=watch, name="dialog watch", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    """Run a job file; returns the exit status (0 done, 1 failed, 2 unreadable job file)."""
    argv = sys.argv[1:] if argv is None else argv
    # The protocol has standard output to itself: whatever else writes there (a library's
    # message, C code) is sent to standard error instead.
    out = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    paths = [arg for arg in argv if not arg.startswith("--")]
    if len(paths) != 1 or any(arg not in ("--watch-stdin",) for arg in argv if arg.startswith("--")):
        say(out, "error", "usage: python -m gui.export.child JOBFILE [--watch-stdin]")
        return 2
    try:
        job = read_job(paths[0])
    except DownhillError as error:
        say(out, "error", str(error))
        return 2
    if "--watch-stdin" in argv:
        _watch_stdin(job.work)
    if hasattr(os, "nice"):  # the window that started it comes first when the two want one core
        try:
            os.nice(CHILD_NICENESS)
        except OSError:
            pass
    try:
        run(job, out)
    except DownhillError as error:
        say(out, "error", str(error))
        return 1
    except KeyboardInterrupt:
        say(out, "error", "interrupted; nothing was written")
        return 130
    except Exception as error:  # noqa: BLE001 (one line for the dialog, never a traceback)
        say(out, "error", f"the export failed: {type(error).__name__}: {error}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
