"""Lessons: an ordered list of scenes, each with a title, a story for the audience and speaker notes.

A lesson is a JSON file (the form is documented in ``read_lesson``); the built-in lessons ship
with the app. This module holds the values and the reader/writer; it never imports Qt.
"""

from __future__ import annotations

from dataclasses import dataclass

from physics.scenes import Scene


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
