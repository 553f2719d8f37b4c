"""Pace: every preset scene and every built-in lesson scene tells its story in 10-30 s at the app's frame rate.

The story is told when the regime column says so (physics.story_pace: a ball reaching a minimum
or diverging, or the others' last change of label); it takes steps / speed frames, at 1000 /
FRAME_INTERVAL_MS frames a second.
"""

from __future__ import annotations

import math

import pytest

from gui.controller import FRAME_INTERVAL_MS
from physics.lessons import builtin_lessons
from physics.preset_scenes import PRESET_SCENES
from physics.scenes import Scene
from physics.story_pace import PACE_SECONDS, ball_story_steps, paced_speed, seconds, story_steps

FPS = 1000.0 / FRAME_INTERVAL_MS
SHORTEST, LONGEST = PACE_SECONDS
#: Preset scenes that make their point in a second or two even at the slowest speed (1 step a
#: frame), kept as they are: saddle-noise opens the app and many tests drive it; Newton's few steps
#: are newton-saddle's point; cliff-clipping's catapults go on for ever (no label ends them). The
#: lessons use slowed copies instead (scripts/make_lessons.py); each stays at speed 1, and the test
#: below fails once one of them is slow enough to leave this list.
TOO_QUICK = ("saddle-noise", "newton-saddle", "cliff-clipping")


def _lesson_scenes() -> list[tuple[str, Scene]]:
    seen: list[Scene] = []
    cases = []
    for name, lesson in builtin_lessons().items():
        for index, item in enumerate(lesson.scenes):
            if item.scene in seen or item.scene in PRESET_SCENES.values():
                continue  # told once (a preset scene is checked as a preset)
            seen.append(item.scene)
            cases.append((f"{name}[{index}]", item.scene))
    return cases


PACED = [(name, scene) for name, scene in PRESET_SCENES.items() if name not in TOO_QUICK] + _lesson_scenes()


@pytest.mark.parametrize(("name", "scene"), PACED, ids=[name for name, _ in PACED])
def test_each_scene_tells_its_story_in_10_to_30_seconds(name: str, scene: Scene) -> None:
    # Run a quarter past the longest pace: a story still unfolding after 30 s shows up as too slow.
    limit = math.ceil(1.25 * LONGEST * FPS * scene.speed)
    steps = story_steps(scene, limit)
    told = seconds(steps, scene.speed, FPS)
    assert SHORTEST <= told <= LONGEST, (f"{name}: story told after {steps} steps = {told:.1f} s at "
                                         f"{scene.speed} steps/frame; {paced_speed(steps, FPS)} would take "
                                         f"{seconds(steps, paced_speed(steps, FPS), FPS):.1f} s")


@pytest.mark.parametrize("name", TOO_QUICK)
def test_the_too_quick_presets_are_at_the_slowest_speed_and_no_lesson_uses_them(name: str) -> None:
    scene = PRESET_SCENES[name]
    assert scene.speed == 1
    steps = story_steps(scene, math.ceil(SHORTEST * FPS))
    assert seconds(steps, 1, FPS) < SHORTEST  # still too quick: otherwise it belongs in the paced list
    for lesson in builtin_lessons().values():
        assert all(item.source != name for item in lesson.scenes), lesson.title


def test_the_story_rule_on_hand_made_label_runs() -> None:
    import numpy as np

    from physics.regime import CODES

    steps = np.arange(10)
    d, m, s, o = CODES["descending"], CODES["minimum"], CODES["saddle"], CODES["oscillating"]
    assert ball_story_steps(steps, np.array([d, d, d, m, d, m, m, m, m, m])) == 3  # first minimum: told
    assert ball_story_steps(steps, np.array([d, d, s, s, s, d, d, o, o, o])) == 7  # the last run's start
    assert ball_story_steps(steps, np.array([d] * 10)) == 0  # never changes: nothing to wait for
    assert ball_story_steps(steps + 100, np.array([d, s, s, s, s, s, s, s, s, s])) == 101  # the steps' own numbers
    assert paced_speed(1125 * 4, 62.5) == 4 and paced_speed(10, 62.5) == 1
    assert seconds(1250, 2, 62.5) == 10.0
