"""What ``export`` and ``figure`` were asked, checked whole before anything is rendered (no Qt).

:func:`clip_options` and :func:`figure_options` read an argparse namespace (strings as typed, or
typed values from the dialog: any object with the attributes below) and return frozen values,
:class:`ClipOptions` and :class:`FigureOptions`. Every bad input raises one :class:`DownhillError`
whose one line names the option and what is wrong: an unknown extension, a size that is not WxH,
too small or too large (at most :data:`MAX_WIDTH` x :data:`MAX_HEIGHT` pixels), zero or negative
frames, a frame rate out of range, a directory that does not exist or cannot be written, an
existing directory given as a file (or a file as a directory), the scene file itself as the
output. What is adjusted rather than refused is said in ``notes`` (an odd size for H.264 or VP9
is rounded up to even).

Defaults (issue 14): 1280x720, 30 frames a second, the scene's own speed, and a length decided
by the renderer (``frames`` None: until the balls come to rest, at most MAX_DEFAULT_SECONDS).

Attributes read (all optional but scene and out): scene (a name, or a Scene already read), out,
size, fps, frames, duration, steps_per_frame, layout, seed, title, theme, quality, hide (a list of
comma-separated annotation names) and, for figures, at_step.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gui.export.formats import CLIP_FORMATS, QUALITIES, ClipFormat, even_size, holds_only_frames
from physics.cli import same_file
from physics.preset_scenes import PRESET_SCENES
from physics.scene_files import resolve_scene
from physics.scenes import Scene
from surfaces.errors import DownhillError

#: The annotations a frame can carry, each switchable (the renderer's gui.export.annotations.ANNOTATIONS).
ANNOTATION_NAMES: tuple[str, ...] = ("title", "formula", "legend", "step", "badges")
#: Clip layouts (the renderer's gui.export.render.LAYOUTS) and figure layouts (FIGURE_LAYOUTS).
CLIP_LAYOUTS: tuple[str, ...] = ("2d", "3d", "both", "app")
FIGURE_LAYOUTS: tuple[str, ...] = ("2d", "panels", "both")
#: Colour themes (the keys of gui.export.annotations.THEMES).
THEMES: tuple[str, ...] = ("dark", "light")
#: Figure formats: the file extension and what it holds.
FIGURE_FORMATS: dict[str, str] = {".svg": "vector SVG", ".pdf": "vector PDF", ".png": "PNG image"}

DEFAULT_WIDTH, DEFAULT_HEIGHT = 1280, 720
DEFAULT_FPS = 30
#: The longest clip made when no length is given (seconds); the renderer decides below it.
MAX_DEFAULT_SECONDS = 20.0
#: The app's animation rate (frames a second: gui.controller ticks every 16 ms); a scene's speed
#: is steps per app frame, so its own pace in a clip at F fps is speed x 62.5 / F steps per frame.
APP_FRAME_RATE = 62.5
#: Size limits: 8K UHD at most (a frame of it is 100 MB of RGB), and at least a thumbnail.
MAX_WIDTH, MAX_HEIGHT = 7680, 4320
MIN_SIDE = 16
MAX_FPS = 120
#: The longest clip (seconds) and, at the highest rate, its frames.
MAX_SECONDS = 600
MAX_FRAMES = MAX_SECONDS * MAX_FPS
MAX_STEPS_PER_FRAME = 10_000
MAX_AT_STEP = 1_000_000
MAX_SEED = 2 ** 63 - 1
MAX_TITLE = 200
#: Extensions of still images: an export to one of them is a mistake worth explaining.
_STILL_SUFFIXES = (".png", ".svg", ".pdf", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")


@dataclass(frozen=True)
class RenderSettings:
    """How frames look (not how they are encoded); read by gui.export.render.ClipRenderer.

    Attributes:
        width, height: frame size in pixels.
        layout: one of :data:`CLIP_LAYOUTS` (clips) or :data:`FIGURE_LAYOUTS` (figures).
        theme: one of :data:`THEMES`.
        annotations: the annotations drawn (a subset of :data:`ANNOTATION_NAMES`).
        overlays: (name, shown) pairs that override the scene's map overlays.
        title: the title drawn; None for the scene's own, '' for none.
        seed: the random seed; None for the scene's own.
    """

    width: int = DEFAULT_WIDTH
    height: int = DEFAULT_HEIGHT
    layout: str = "2d"
    theme: str = "dark"
    annotations: frozenset[str] = frozenset(ANNOTATION_NAMES)
    overlays: tuple[tuple[str, bool], ...] = field(default=())
    title: str | None = None
    seed: int | None = None


@dataclass(frozen=True)
class ClipOptions:
    """A checked ``export``.

    Attributes:
        scene: the scene, read (its surface is not built yet).
        scene_name: the --scene text (a preset's name or a path; "" for a Scene given whole).
        out: the clip file, or the directory of a PNG sequence.
        format: a key of gui.export.formats.CLIP_FORMATS.
        fps: frames per second.
        frames: the number of frames, or None: decided by the renderer (until the balls come to
            rest, at most :attr:`max_frames`).
        steps_per_frame: simulation steps between two frames.
        quality: one of gui.export.formats.QUALITIES.
        render: how frames look.
        notes: what was adjusted, one sentence each (the command line prints them).
    """

    scene: Scene
    scene_name: str
    out: Path
    format: str
    fps: int
    frames: int | None
    steps_per_frame: int
    quality: str
    render: RenderSettings
    notes: tuple[str, ...] = ()

    @property
    def clip_format(self) -> ClipFormat:
        return CLIP_FORMATS[self.format]

    @property
    def max_frames(self) -> int:
        """The frames of the longest clip made when none is asked (MAX_DEFAULT_SECONDS)."""
        return max(1, round(MAX_DEFAULT_SECONDS * self.fps))


@dataclass(frozen=True)
class FigureOptions:
    """A checked ``figure``.

    Attributes:
        scene, scene_name: as in ClipOptions.
        out: the figure file.
        format: its extension: ``.svg``, ``.pdf`` or ``.png``.
        at_step: the step shown, or None: decided by the renderer (where the balls come to rest).
        render: how it looks (layout one of FIGURE_LAYOUTS).
        notes: what was adjusted.
    """

    scene: Scene
    scene_name: str
    out: Path
    format: str
    at_step: int | None
    render: RenderSettings
    notes: tuple[str, ...] = ()


def default_steps_per_frame(scene: Scene, fps: float) -> int:
    """The scene's own pace in a clip: speed x APP_FRAME_RATE / fps steps per frame, at least 1."""
    return max(1, round(scene.speed * APP_FRAME_RATE / fps))


# --------------------------------------------------------------------------------------------- commands


def clip_options(args: Any) -> ClipOptions:
    """Check everything ``export`` was given; see the module docstring. Raises DownhillError."""
    notes: list[str] = []
    scene_name, scene = _scene(_get(args, "scene"))
    out, clip = _clip_target(_get(args, "out"), scene_name, notes)
    width, height = _size(_get(args, "size"))
    if clip.even_size and (width % 2 or height % 2):
        rounded = even_size(width, height)
        notes.append(f"--size {width}x{height}: {clip.title} needs an even width and height; "
                     f"using {rounded[0]}x{rounded[1]}")
        width, height = rounded
    fps = _whole(_get(args, "fps"), "--fps", 1, clip.max_fps, DEFAULT_FPS,
                 why=f" for {clip.title}" if clip.max_fps < MAX_FPS else "")
    frames = _frames(_get(args, "frames"), _get(args, "duration"), fps)
    steps = _get(args, "steps_per_frame")
    steps_per_frame = (default_steps_per_frame(scene, fps) if _absent(steps)
                       else _whole(steps, "--steps-per-frame", 1, MAX_STEPS_PER_FRAME))
    quality = _choice(_get(args, "quality"), "--quality", QUALITIES, "normal")
    render = _render_settings(args, width, height, CLIP_LAYOUTS)
    return ClipOptions(scene=scene, scene_name=scene_name, out=out, format=clip.name, fps=fps, frames=frames,
                       steps_per_frame=steps_per_frame, quality=quality, render=render, notes=tuple(notes))


def figure_options(args: Any) -> FigureOptions:
    """Check everything ``figure`` was given; see the module docstring. Raises DownhillError."""
    scene_name, scene = _scene(_get(args, "scene"))
    out, suffix = _figure_target(_get(args, "out"), scene_name)
    width, height = _size(_get(args, "size"))
    at_step = _get(args, "at_step")
    render = _render_settings(args, width, height, FIGURE_LAYOUTS)
    return FigureOptions(scene=scene, scene_name=scene_name, out=out, format=suffix,
                         at_step=None if _absent(at_step) else _whole(at_step, "--at-step", 0, MAX_AT_STEP),
                         render=render)


# --------------------------------------------------------------------------------------------- parts


def _render_settings(args: Any, width: int, height: int, layouts: tuple[str, ...]) -> RenderSettings:
    """What export and figure both draw: the size given, a layout of ``layouts`` (default 2d), the
    theme, the annotations not hidden, the title and the seed."""
    seed = _get(args, "seed")
    return RenderSettings(width=width, height=height, layout=_choice(_get(args, "layout"), "--layout", layouts, "2d"),
                          theme=_choice(_get(args, "theme"), "--theme", THEMES, "dark"),
                          annotations=_annotations(_get(args, "hide")), title=_title(_get(args, "title")),
                          seed=None if _absent(seed) else _whole(seed, "--seed", 0, MAX_SEED))


def _get(args: Any, name: str) -> Any:
    return getattr(args, name, None)


def _absent(value: Any) -> bool:
    return value is None


def _scene(name: Any) -> tuple[str, Scene]:
    if isinstance(name, Scene):  # already read and checked (the dialog's copy, from its job file)
        return "", name  # no file name: nothing to overwrite
    if _absent(name) or not str(name).strip():
        raise DownhillError("--scene: give a scene file or a preset scene's name (python main.py presets lists them)")
    name = str(name)
    try:
        return name, resolve_scene(name)
    except DownhillError as error:
        raise DownhillError(f"--scene {name}: {error.describe()}") from None


def _clip_target(value: Any, scene_name: str, notes: list[str]) -> tuple[Path, ClipFormat]:
    """The clip's path and format; a directory (ending in /, or existing) is a PNG sequence."""
    text = _path_text(value, "--out")
    path = Path(text)
    suffixes = ", ".join(clip.suffix for clip in CLIP_FORMATS.values() if clip.suffix)
    as_directory = text.endswith(("/", os.sep)) or (path.is_dir() and not path.suffix)
    if as_directory:
        if Path(os.path.normpath(text)).name in ("", ".", ".."):
            raise DownhillError(f"--out {text}: name the directory for the PNG sequence (it is made, or replaced "
                                "whole), such as frames/")
        if path.exists() and not path.is_dir():
            raise DownhillError(f"--out {text}: that is a file, not a directory; a PNG sequence is written "
                                "into a directory")
        if path.is_dir():
            if not holds_only_frames(path):
                raise DownhillError(f"--out {text}: the directory holds other files than frame_NNNNN.png; "
                                    "give a new or empty directory for the PNG sequence")
            if any(path.iterdir()):
                notes.append(f"--out {text}: the frames already there are replaced")
        _writable_parent(path, text)
        return path, CLIP_FORMATS["png"]
    suffix = path.suffix.lower()
    clip = next((clip for clip in CLIP_FORMATS.values() if clip.suffix and clip.suffix == suffix), None)
    if clip is None:
        if suffix in _STILL_SUFFIXES:
            raise DownhillError(f"--out {text}: '{suffix}' is a still image; a clip is {suffixes}, or a directory "
                                "ending in / for numbered PNG frames (for a still use: python main.py figure)")
        what = f"'{suffix}' is not a clip format" if suffix else "there is no extension"
        raise DownhillError(f"--out {text}: {what}; give {suffixes}, or a directory ending in / for numbered "
                            "PNG frames")
    _file_target(path, text, scene_name)
    return path, clip


def _figure_target(value: Any, scene_name: str) -> tuple[Path, str]:
    text = _path_text(value, "--out")
    path = Path(text)
    suffix = path.suffix.lower()
    if text.endswith(("/", os.sep)) or suffix not in FIGURE_FORMATS:
        what = f"'{suffix}' is not a figure format" if suffix and not text.endswith(("/", os.sep)) else \
            "there is no extension"
        raise DownhillError(f"--out {text}: {what}; give .svg or .pdf (vectors, text stays text) or .png")
    _file_target(path, text, scene_name)
    return path, suffix


def _path_text(value: Any, option: str) -> str:
    if _absent(value) or not str(value).strip():
        raise DownhillError(f"{option}: the file name is empty; give the file to write")
    text = os.fspath(value) if isinstance(value, os.PathLike) else str(value)
    if "\0" in text:
        raise DownhillError(f"{option}: the file name holds a NUL character")
    return text


def _file_target(path: Path, text: str, scene_name: str) -> None:
    """A file to be written (by rename): not a directory, not the scene file, in a writable directory."""
    if path.is_dir():
        raise DownhillError(f"--out {text}: that is a directory; give a file name inside it")
    if scene_name not in PRESET_SCENES and same_file(text, scene_name):
        raise DownhillError(f"--out {text}: that is the scene file given with --scene (it would be overwritten); "
                            "write to another file")
    _writable_parent(path, text)


def _writable_parent(path: Path, text: str) -> None:
    """The directory the output (and its hidden temporary) is made in exists and can be written."""
    parent = path.absolute().parent
    if not parent.exists():
        raise DownhillError(f"--out {text}: the directory {parent} does not exist")
    if not parent.is_dir():
        raise DownhillError(f"--out {text}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise DownhillError(f"--out {text}: the directory {parent} cannot be written")


_SIZE = re.compile(r"\s*(\d{1,6})\s*[xX×]\s*(\d{1,6})\s*")


def _size(value: Any) -> tuple[int, int]:
    """WxH in pixels, checked against MIN_SIDE and MAX_WIDTH x MAX_HEIGHT (either orientation)."""
    if _absent(value):
        return DEFAULT_WIDTH, DEFAULT_HEIGHT
    if isinstance(value, tuple | list) and len(value) == 2:
        value = f"{value[0]}x{value[1]}"
    match = _SIZE.fullmatch(str(value))
    if match is None:
        raise DownhillError(f"--size: '{value}' is not a size; write width x height in pixels, such as 1280x720")
    width, height = int(match.group(1)), int(match.group(2))
    if min(width, height) < MIN_SIDE:
        raise DownhillError(f"--size {width}x{height}: each side must be at least {MIN_SIDE} pixels")
    if max(width, height) > MAX_WIDTH or min(width, height) > MAX_HEIGHT:
        raise DownhillError(f"--size {width}x{height}: too large; at most {MAX_WIDTH}x{MAX_HEIGHT} "
                            f"(or {MAX_HEIGHT}x{MAX_WIDTH})")
    return width, height


def _whole(value: Any, option: str, low: int, high: int, default: int | None = None, why: str = "") -> int:
    if _absent(value) and default is not None:
        return default
    if isinstance(value, bool):
        raise DownhillError(f"{option}: '{value}' is not a whole number")
    if isinstance(value, int):
        number = value
    else:
        try:
            number = int(str(value).strip())
        except ValueError:
            raise DownhillError(f"{option}: '{value}' is not a whole number") from None
    if not low <= number <= high:
        raise DownhillError(f"{option}: {number} is out of range [{low}, {high}]{why}")
    return number


def _frames(frames: Any, duration: Any, fps: int) -> int | None:
    """The frame count from --frames or --duration (seconds x fps, rounded); None when neither is given."""
    if not _absent(frames) and not _absent(duration):
        raise DownhillError("--frames and --duration: give one of them, not both")
    if not _absent(frames):
        return _whole(frames, "--frames", 1, MAX_FRAMES)
    if _absent(duration):
        return None
    try:
        seconds = float(str(duration).strip())
    except ValueError:
        raise DownhillError(f"--duration: '{duration}' is not a number of seconds") from None
    if not math.isfinite(seconds) or not 0 < seconds <= MAX_SECONDS:
        raise DownhillError(f"--duration: {duration} is out of range; give seconds above 0 and at most {MAX_SECONDS}")
    count = round(seconds * fps)
    if count < 1:
        raise DownhillError(f"--duration {duration}: shorter than one frame at {fps} frames per second")
    return count


def _choice(value: Any, option: str, choices: tuple[str, ...], default: str) -> str:
    if _absent(value):
        return default
    text = str(value).strip().lower()
    if text not in choices:
        raise DownhillError(f"{option}: '{value}' is not one of {', '.join(choices)}")
    return text


def _annotations(hidden: Any) -> frozenset[str]:
    """ANNOTATION_NAMES without those named in --hide (each a comma-separated list; 'all' hides every one)."""
    if _absent(hidden):
        return frozenset(ANNOTATION_NAMES)
    texts = [hidden] if isinstance(hidden, str) else list(hidden)
    names = {name.strip().lower() for text in texts for name in str(text).split(",") if name.strip()}
    if "all" in names:
        return frozenset()
    unknown = sorted(names - set(ANNOTATION_NAMES))
    if unknown:
        raise DownhillError(f"--hide: '{unknown[0]}' is not an annotation; they are {', '.join(ANNOTATION_NAMES)} "
                            "(or all)")
    return frozenset(ANNOTATION_NAMES) - names


def _title(value: Any) -> str | None:
    if _absent(value):
        return None
    text = str(value)
    if len(text) > MAX_TITLE:
        raise DownhillError(f"--title: {len(text)} characters; a title is at most {MAX_TITLE}")
    if any(ord(character) < 32 or ord(character) == 127 for character in text):
        raise DownhillError("--title: the title holds a control character (a line break or tab); give one line")
    return text.strip()
