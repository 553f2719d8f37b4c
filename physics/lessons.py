"""Lessons: an ordered list of scenes, each with a title, a story for the audience and speaker notes.

A lesson is a JSON file; the built-in lessons ship with the app (physics/lesson_data/*.json,
read through importlib.resources). This module holds the values and the reader/writer; it never
imports Qt. The file format (version 1; ``version``, ``title`` and ``scenes`` are required)::

    {
      "version": 1,
      "title": "Why gradient descent gets stuck",           (at most 200 characters)
      "description": "One line for the Lessons menu.",        (at most 1000)
      "scenes": [                                              (1 to MAX_SCENES)
        {"title": "A zero gradient is not a minimum",         (at most 200)
         "story": "For the audience: 1-3 sentences.",         (at most 1000)
         "notes": "For the speaker: what to say and ask.",    (at most 5000)
         "scene": "zero-gradient",                             (a preset scene's name, or a whole
                                                                scene object as physics.scenes writes it)
         "speed": 4,                                           (optional: steps per frame, overrides the scene's)
         "panels": ["eigenvalue", "loss"]}                     (optional, 1-3 of PANEL_NAMES; default ["loss"])
      ]
    }

Lesson files arrive from other people, so reading is defensive, as for scenes: the size is
bounded (MAX_LESSON_BYTES, MAX_SCENES, the text lengths), JSON is parsed without NaN, Infinity
or duplicate keys, every key and type is checked, and an embedded scene goes through the scene
reader (physics.scene_reader: its formula through the safe parser; nothing is ever evaluated).
Every problem raises :class:`~surfaces.errors.SceneError` whose ``field`` is the path of the
offending key (``scenes[3].panels[1]``, ``scenes[0].scene.balls[1].optimizer``) and whose
message says what is wrong on one line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from physics.json_values import bounded_text, describe
from physics.preset_scenes import PRESET_SCENES
from physics.scene_files import read_bounded_file, write_atomically
from physics.scene_reader import parse_json, scene_from_dict
from physics.scenes import MAX_SPEED, Scene
from surfaces.errors import DownhillError, SceneError

LESSON_VERSION = 1
#: The largest lesson file read (bytes): room for MAX_SCENES small embedded scenes.
MAX_LESSON_BYTES = 2_000_000
#: The most scenes a lesson may hold.
MAX_SCENES = 40
#: The longest texts (characters) of a lesson and of its scenes.
MAX_LESSON_TEXT = {"title": 200, "description": 1000}
MAX_SCENE_TEXT = {"title": 200, "story": 1000, "notes": 5000}
#: The panels a lesson scene may ask for, by the keys of gui.window.docks.PANELS (a GUI test
#: checks that the table has them all).
PANEL_NAMES = ("eigenvalue", "step_size", "loss", "gradient_norm", "readout")
#: The most panels a lesson scene shows beside its views.
MAX_PANELS = 3


@dataclass(frozen=True)
class LessonScene:
    """One stop of a lesson.

    Attributes:
        title: the caption's heading ("A zero gradient is not a minimum").
        story: a short paragraph for the audience, shown as a caption that stays.
        notes: speaker notes, shown only on the presenter's screen.
        scene: the scene to load (its speed is the pace that tells the story in 10-30 s).
        source: the preset scene's name it was made from, or "" when the scene is embedded.
        panels: the one or two panels that carry the lesson in presentation mode, by the keys of
            gui.window.docks.PANELS ("eigenvalue", "step_size", "loss", "gradient_norm", "readout").
    """

    title: str
    story: str
    notes: str
    scene: Scene
    source: str = ""
    panels: tuple[str, ...] = ("loss",)


@dataclass(frozen=True)
class Lesson:
    """An ordered list of LessonScene, with a title and a one-line description."""

    title: str
    description: str
    scenes: tuple[LessonScene, ...]


# ------------------------------------------------------------------------------------------- reading


def read_lesson(text: str | bytes) -> Lesson:
    """Parse and validate a lesson (JSON text or its UTF-8 bytes; the format of the module docstring).

    Raises:
        SceneError: too large, not JSON, or a key, type or value not allowed; ``field`` names it.
    """
    return lesson_from_dict(parse_json(bounded_text(text, "lesson", MAX_LESSON_BYTES)))


def lesson_from_dict(data: Any) -> Lesson:
    """Validate JSON-like data against the lesson format and make the Lesson (every scene built)."""
    _check_object(data, "", required=("version", "title", "scenes"),
                  allowed=("version", "title", "description", "scenes"))
    version = data["version"]
    if isinstance(version, bool) or not isinstance(version, int):
        raise SceneError(f"the version must be a whole number, not {describe(version)}", field="version")
    if version > LESSON_VERSION:
        raise SceneError(f"this lesson is version {version}, newer than this Downhill reads ({LESSON_VERSION})",
                         field="version")
    if version < 1:
        raise SceneError("the version must be 1", field="version")
    title = _text(data["title"], "title", MAX_LESSON_TEXT["title"])
    if not title.strip():
        raise SceneError("the lesson needs a title", field="title")
    description = _text(data.get("description", ""), "description", MAX_LESSON_TEXT["description"])
    scenes = data["scenes"]
    if not isinstance(scenes, list):
        raise SceneError(f"the scenes must be a list [...], not {describe(scenes)}", field="scenes")
    if not scenes:
        raise SceneError("a lesson needs at least one scene", field="scenes")
    if len(scenes) > MAX_SCENES:
        raise SceneError(f"the lesson has {len(scenes)} scenes; the most is {MAX_SCENES}", field="scenes")
    return Lesson(title=title, description=description,
                  scenes=tuple(_lesson_scene(item, f"scenes[{index}]") for index, item in enumerate(scenes)))


def _lesson_scene(data: Any, where: str) -> LessonScene:
    _check_object(data, where, required=("title", "scene"),
                  allowed=("title", "story", "notes", "scene", "speed", "panels"))
    texts = {key: _text(data.get(key, ""), f"{where}.{key}", limit) for key, limit in MAX_SCENE_TEXT.items()}
    if not texts["title"].strip():
        raise SceneError("the scene needs a title", field=f"{where}.title")
    reference = data["scene"]
    if isinstance(reference, str):
        if reference not in PRESET_SCENES:
            raise SceneError(f"no preset scene is called {reference[:60]!r}; the preset scenes are "
                             f"{', '.join(PRESET_SCENES)}", field=f"{where}.scene")
        scene, source = PRESET_SCENES[reference], reference
    elif isinstance(reference, dict):
        try:
            scene = scene_from_dict(reference)
        except DownhillError as error:
            inner = f"{where}.scene.{error.field}" if error.field else f"{where}.scene"
            raise SceneError(error.message, field=inner, column=error.column) from None
        source = ""
    else:
        raise SceneError(f"the scene must be a preset scene's name or a scene object {{...}}, not "
                         f"{describe(reference)}", field=f"{where}.scene")
    if "speed" in data:
        speed = data["speed"]
        if isinstance(speed, bool) or not isinstance(speed, int) or not 1 <= speed <= MAX_SPEED:
            raise SceneError(f"the speed must be a whole number of steps per frame from 1 to {MAX_SPEED}, "
                             f"not {describe(speed)}", field=f"{where}.speed")
        if speed != scene.speed:
            scene = replace(scene, speed=speed)
    panels = _panels(data.get("panels", ["loss"]), f"{where}.panels")
    return LessonScene(scene=scene, source=source, panels=panels, **texts)


def _panels(data: Any, where: str) -> tuple[str, ...]:
    if not isinstance(data, list):
        raise SceneError(f"the panels must be a list [...] of names, not {describe(data)}", field=where)
    if not 1 <= len(data) <= MAX_PANELS:
        raise SceneError(f"a scene shows 1 to {MAX_PANELS} panels, not {len(data)}", field=where)
    for index, name in enumerate(data):
        if name not in PANEL_NAMES:
            shown = f"{name[:40]!r}" if isinstance(name, str) else describe(name)
            raise SceneError(f"unknown panel {shown}; the panels are {', '.join(PANEL_NAMES)}",
                             field=f"{where}[{index}]")
    if len(set(data)) != len(data):
        raise SceneError("a panel is named twice", field=where)
    return tuple(data)


def _check_object(data: Any, where: str, required: tuple[str, ...], allowed: tuple[str, ...]) -> None:
    label = where or "the lesson"
    if not isinstance(data, dict):
        raise SceneError(f"{label} must be a JSON object {{...}}, not {describe(data)}", field=where or None)
    for key in data:
        if key not in allowed:
            raise SceneError(f"unknown key {str(key)[:40]!r}; {label} may have {', '.join(allowed)}",
                             field=f"{where}.{key}" if where else str(key)[:40])
    for key in required:
        if key not in data:
            raise SceneError(f"{label} needs '{key}'", field=f"{where}.{key}" if where else key)


def _text(value: Any, where: str, limit: int) -> str:
    if not isinstance(value, str):
        raise SceneError(f"must be text, not {describe(value)}", field=where)
    if len(value) > limit:
        raise SceneError(f"the text is {len(value)} characters; the most is {limit}", field=where)
    if any(ord(c) < 32 and c not in "\n\t" for c in value):
        raise SceneError("the text holds control characters", field=where)
    return value



def load_lesson(path: str | os.PathLike[str]) -> Lesson:
    """Read and validate a lesson file. Raises SceneError (unreadable, too large, or invalid),
    its message starting with the file's path."""
    target = Path(path)
    data = read_bounded_file(target, "lesson", MAX_LESSON_BYTES)
    try:
        return read_lesson(data)
    except SceneError as error:
        raise SceneError(f"{target}: {error.message}", field=error.field, column=error.column) from None


# ------------------------------------------------------------------------------------------- writing


def lesson_to_dict(lesson: Lesson) -> dict[str, Any]:
    """The lesson as JSON-ready data. A scene still equal to its preset (its speed aside) is written
    by the preset's name (and its speed when it differs); any other scene is embedded whole."""
    scenes = []
    for item in lesson.scenes:
        entry: dict[str, Any] = {"title": item.title, "story": item.story, "notes": item.notes}
        preset = PRESET_SCENES.get(item.source) if item.source else None
        if preset is not None and replace(preset, speed=item.scene.speed) == item.scene:
            entry["scene"] = item.source
            if item.scene.speed != preset.speed:
                entry["speed"] = item.scene.speed
        else:
            entry["scene"] = item.scene.to_dict()
        entry["panels"] = list(item.panels)
        scenes.append(entry)
    return {"version": LESSON_VERSION, "title": lesson.title, "description": lesson.description, "scenes": scenes}


def lesson_to_json(lesson: Lesson) -> str:
    """Human-editable JSON text of the lesson (indented; floats written exactly)."""
    return json.dumps(lesson_to_dict(lesson), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def save_lesson(lesson: Lesson, path: str | os.PathLike[str]) -> None:
    """Write the lesson's JSON to ``path`` atomically (temporary file, fsync, rename), as save_scene does.

    Raises:
        DownhillError: the directory or file cannot be written.
    """
    write_atomically(path, lesson_to_json(lesson).encode("utf-8"), "lesson")


def with_scene(lesson: Lesson, index: int, scene: Scene) -> Lesson:
    """The lesson with scene ``index`` replaced by ``scene`` (its texts and panels kept; the preset
    name kept while ``scene`` still equals that preset but for its speed)."""
    item = lesson.scenes[index]
    preset = PRESET_SCENES.get(item.source) if item.source else None
    source = item.source if preset is not None and replace(preset, speed=scene.speed) == scene else ""
    scenes = list(lesson.scenes)
    scenes[index] = replace(item, scene=scene, source=source)
    return replace(lesson, scenes=tuple(scenes))


# ------------------------------------------------------------------------------------------- built-ins


#: The built-in lessons' files (physics/lesson_data/NAME.json), the whole story first.
BUILTIN_ORDER = ("whole-story", "saddles-and-noise", "plateaus", "learning-rate", "momentum",
                 "adaptive-and-clipping", "second-order", "mini-batches")


def resolve_lesson(name_or_path: str) -> Lesson:
    """A built-in lesson by its name (``whole-story``, ...) or a lesson file by its path (``--lesson``).

    Raises:
        SceneError: neither a built-in lesson's name nor a readable, valid lesson file; the message
            names the argument and lists the built-in lessons.
    """
    text = str(name_or_path).strip()
    if text in BUILTIN_ORDER:
        return builtin_lessons()[text]
    path = Path(text)
    if not text or not path.exists():
        raise SceneError(f"'{text}' is neither a built-in lesson nor a file; the built-in lessons are "
                         f"{', '.join(BUILTIN_ORDER)}")
    return load_lesson(path)


@cache
def builtin_lessons() -> Mapping[str, Lesson]:
    """The lessons shipped with the app, by name (the file's stem), the whole story first (read-only).

    Raises:
        SceneError: a shipped file is missing or invalid (a broken installation; the tests read them all).
    """
    from importlib.resources import files

    folder = files("physics.lesson_data")
    lessons: dict[str, Lesson] = {}
    for name in BUILTIN_ORDER:
        resource = folder.joinpath(f"{name}.json")
        try:
            data = resource.read_bytes()
        except OSError as error:
            raise SceneError(f"the built-in lesson {name} is missing: {error}") from None
        try:
            lessons[name] = read_lesson(data)
        except SceneError as error:
            raise SceneError(f"built-in lesson {name}: {error.message}", field=error.field) from None
    return MappingProxyType(lessons)


@cache
def builtin_lesson_titles() -> Mapping[str, tuple[str, str]]:
    """(title, description) of each built-in lesson by name, read without building any scene (for menus)."""
    from importlib.resources import files

    folder = files("physics.lesson_data")
    titles: dict[str, tuple[str, str]] = {}
    for name in BUILTIN_ORDER:
        try:
            data = json.loads(folder.joinpath(f"{name}.json").read_text(encoding="utf-8"))
            titles[name] = (str(data["title"]), str(data.get("description", "")))
        except (OSError, ValueError, KeyError, TypeError):
            titles[name] = (name, "")  # opening it will say what is wrong
    return MappingProxyType(titles)
