"""Lessons: reading, validating, writing and the built-in lessons (physics.lessons)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from physics.lessons import (
    MAX_LESSON_BYTES,
    MAX_SCENES,
    PANEL_NAMES,
    Lesson,
    LessonScene,
    builtin_lessons,
    lesson_to_json,
    load_lesson,
    read_lesson,
    save_lesson,
    with_scene,
)
from physics.preset_scenes import PRESET_SCENES
from surfaces.errors import SceneError

MINIMAL = {"version": 1, "title": "T", "scenes": [{"title": "one", "scene": "saddle-noise"}]}


def _lesson(**changes) -> str:
    data = json.loads(json.dumps(MINIMAL))
    for path, value in changes.items():
        data["scenes"][0][path] = value
    return json.dumps(data)


def test_a_minimal_lesson_takes_defaults() -> None:
    lesson = read_lesson(json.dumps(MINIMAL))
    (item,) = lesson.scenes
    assert lesson.title == "T" and lesson.description == ""
    assert item.scene is PRESET_SCENES["saddle-noise"] and item.source == "saddle-noise"
    assert item.panels == ("loss",) and item.story == "" and item.notes == ""


def test_a_speed_overrides_the_preset_scenes_and_round_trips() -> None:
    lesson = read_lesson(_lesson(speed=7, panels=["eigenvalue", "readout"]))
    item = lesson.scenes[0]
    assert item.scene.speed == 7 and item.scene.balls == PRESET_SCENES["saddle-noise"].balls
    text = lesson_to_json(lesson)
    written = json.loads(text)["scenes"][0]
    assert written["scene"] == "saddle-noise" and written["speed"] == 7  # by name, not embedded
    assert read_lesson(text) == lesson and lesson_to_json(read_lesson(text)) == text


def test_an_embedded_scene_round_trips_bit_for_bit(tmp_path: Path) -> None:
    scene = replace(PRESET_SCENES["ravine-momentum"], title="my ravine", speed=4)
    lesson = Lesson("L", "d", (LessonScene("a", "story", "notes", scene, panels=("step_size",)),
                               LessonScene("b", "", "", PRESET_SCENES["plateau-trap"], source="plateau-trap")))
    path = tmp_path / "lesson.json"
    save_lesson(lesson, path)
    again = load_lesson(path)
    assert again == lesson
    assert json.loads(path.read_text())["scenes"][0]["scene"]["title"] == "my ravine"
    assert path.read_text() == lesson_to_json(again)
    assert [p.name for p in tmp_path.iterdir()] == ["lesson.json"]  # no temporary file left behind


def test_an_edited_scene_put_back_into_a_lesson_is_embedded() -> None:
    lesson = read_lesson(json.dumps(MINIMAL))
    edited = replace(PRESET_SCENES["saddle-noise"], seed=99)
    changed = with_scene(lesson, 0, edited)
    assert changed.scenes[0].source == "" and changed.scenes[0].title == "one"
    assert isinstance(json.loads(lesson_to_json(changed))["scenes"][0]["scene"], dict)
    assert read_lesson(lesson_to_json(changed)).scenes[0].scene == edited
    faster = with_scene(lesson, 0, replace(PRESET_SCENES["saddle-noise"], speed=5))
    assert faster.scenes[0].source == "saddle-noise"  # only the speed changed: still the preset, by name


@pytest.mark.parametrize(("text", "field", "words"), [
    ("{", None, "not valid JSON"),
    ("[]", None, "JSON object"),
    ('{"version": 1, "title": "T"}', "scenes", "needs 'scenes'"),
    ('{"version": 2, "title": "T", "scenes": []}', "version", "newer"),
    ('{"version": 1, "title": "T", "scenes": [], "x": 1}', "x", "unknown key"),
    ('{"version": 1, "title": "T", "scenes": []}', "scenes", "at least one"),
    ('{"version": 1, "title": 5, "scenes": []}', "title", "must be text"),
    ('{"version": 1, "title": "T", "scenes": {}}', "scenes", "must be a list"),
    ('{"version": 1, "title": "T", "scenes": [{"title": "a", "scene": "nope"}]}', "scenes[0].scene",
     "no preset scene is called 'nope'"),
    ('{"version": 1, "title": "T", "scenes": [{"title": "a", "scene": 3}]}', "scenes[0].scene", "preset scene's name"),
    ('{"version": 1, "title": "T", "scenes": [{"title": "a", "scene": "saddle-noise", "speed": 0}]}',
     "scenes[0].speed", "from 1 to"),
    ('{"version": 1, "title": "T", "scenes": [{"title": "a", "scene": "saddle-noise", "speed": true}]}',
     "scenes[0].speed", "whole number"),
    ('{"version": 1, "title": "T", "scenes": [{"title": "a", "scene": "saddle-noise", "panels": ["loss", "foo"]}]}',
     "scenes[0].panels[1]", "unknown panel 'foo'; the panels are eigenvalue"),
    ('{"version": 1, "title": "T", "scenes": [{"title": "a", "scene": "saddle-noise", "panels": []}]}',
     "scenes[0].panels", "1 to 3"),
    ('{"version": 1, "title": "T", "scenes": [{"title": "a", "scene": "saddle-noise", "panels": ["loss", "loss"]}]}',
     "scenes[0].panels", "twice"),
    ('{"version": 1, "title": "T", "scenes": [{"title": "a", "scene": "saddle-noise", "notes": "a\\u0000b"}]}',
     "scenes[0].notes", "control characters"),
    ('{"version": 1, "title": "T", "scenes": [{"title": "a", "scene": "saddle-noise", "speed": NaN}]}',
     None, "finite"),
    ('{"version": 1, "version": 1, "title": "T", "scenes": []}', "version", "twice"),
])
def test_hostile_lessons_are_refused_with_one_line_naming_the_field(text: str, field: str | None,
                                                                   words: str) -> None:
    with pytest.raises(SceneError) as caught:
        read_lesson(text)
    assert caught.value.field == field, str(caught.value)
    assert words in caught.value.message
    assert "\n" not in str(caught.value)
    if field:
        assert str(caught.value).startswith(f"{field}: ")


def _embedded(scene: dict) -> str:
    return json.dumps({"version": 1, "title": "T", "scenes": [{"title": "a"}, {"title": "b", "scene": scene}]}
                      ).replace('{"title": "a"}', '{"title": "a", "scene": "saddle-noise"}')


@pytest.mark.parametrize(("formula", "words"), [
    ("__import__('os').system('echo hacked')", ""),
    ("x^2 + (", ""),
    ("eval(x)", ""),
])
def test_an_embedded_scenes_formula_goes_through_the_safe_parser(formula: str, words: str, capfd) -> None:
    text = _embedded({"version": 1, "formula": formula, "balls": [{"optimizer": "gd", "start": [1, 1]}]})
    with pytest.raises(SceneError) as caught:
        read_lesson(text)
    assert caught.value.field == "scenes[1].scene.formula", str(caught.value)
    assert "\n" not in str(caught.value)
    assert "hacked" not in capfd.readouterr().out  # nothing was run


def test_an_embedded_scenes_errors_carry_the_scene_path() -> None:
    text = _embedded({"version": 1, "formula": "x^2 + y^2", "balls": [{"optimizer": "warp", "start": [1, 1]}]})
    with pytest.raises(SceneError) as caught:
        read_lesson(text)
    assert caught.value.field == "scenes[1].scene.balls[0].optimizer"
    assert str(caught.value).startswith("scenes[1].scene.balls[0].optimizer: ")


def test_sizes_are_bounded(tmp_path: Path) -> None:
    with pytest.raises(SceneError, match="the limit is"):
        read_lesson(b" " * (MAX_LESSON_BYTES + 1))
    many = {"version": 1, "title": "T", "scenes": [{"title": "a", "scene": "saddle-noise"}] * (MAX_SCENES + 1)}
    with pytest.raises(SceneError, match=f"the most is {MAX_SCENES}"):
        read_lesson(json.dumps(many))
    with pytest.raises(SceneError, match="the most is 1000") as caught:
        read_lesson(_lesson(story="x" * 1001))
    assert caught.value.field == "scenes[0].story"
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (MAX_LESSON_BYTES + 1))
    with pytest.raises(SceneError, match="a lesson is at most"):
        load_lesson(big)
    with pytest.raises(SceneError, match="not a regular file"):
        load_lesson(tmp_path)
    with pytest.raises(SceneError, match="cannot read the lesson"):
        load_lesson(tmp_path / "missing.json")
    deep = '{"version": 1, "title": "T", "scenes": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with pytest.raises(SceneError):
        read_lesson(deep)


def test_a_file_error_starts_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(_lesson(panels=["nope"]))
    with pytest.raises(SceneError) as caught:
        load_lesson(path)
    assert str(path) in str(caught.value) and caught.value.field == "scenes[0].panels[0]"


def test_the_builtin_lessons_load_and_every_scene_builds() -> None:
    lessons = builtin_lessons()
    assert list(lessons)[0] == "whole-story" and len(lessons) >= 8
    for name, lesson in lessons.items():
        assert lesson.title and lesson.description, name
        assert 2 <= len(lesson.scenes) <= 9 or name == "whole-story", name
        for item in lesson.scenes:
            assert item.title and item.story and item.notes, (name, item.title)
            assert len(item.story) <= 600 and 1 <= len(item.panels) <= 2, (name, item.title)
            assert set(item.panels) <= set(PANEL_NAMES)
            assert item.scene.surface() is not None and item.scene.balls
        # Each file is as the writer writes it, so a lesson saved from the app diffs cleanly against it.
        assert read_lesson(lesson_to_json(lesson)) == lesson


def test_the_whole_story_tells_its_points_in_order() -> None:
    lesson = builtin_lessons()["whole-story"]
    titles = [item.title.lower() for item in lesson.scenes]
    order = ["zero gradient", "saddle", "plateau", "2 / lambda_max", "momentum", "adaptive", "clipping",
             "newton", "mini-batch"]
    positions = [next(i for i, title in enumerate(titles) if word in title) for word in order]
    assert positions == sorted(positions), titles
    escape = lesson.scenes[1].scene
    sigmas = [ball.noise.sigma for ball in escape.balls]
    assert sigmas == [0.0, 1e-2, 1e-4, 1e-8]


def _scene_run(capsys, name: str, steps: int) -> dict[str, list[dict[str, str]]]:
    import csv
    import io

    import main

    assert main.main(["run", "--scene", name, "--steps", str(steps)]) == 0
    by_ball: dict[str, list[dict[str, str]]] = {}
    for row in csv.DictReader(io.StringIO(capsys.readouterr().out)):
        by_ball.setdefault(row["ball"], []).append(row)
    return by_ball


def test_zero_gradient_shows_a_minimum_a_saddle_and_a_maximum_by_their_eigenvalues(capsys) -> None:
    rows = _scene_run(capsys, "zero-gradient", 1000)
    ends = {name: ball_rows[-1] for name, ball_rows in rows.items()}
    assert [end["regime"] for end in ends.values()] == ["minimum", "saddle", "maximum"]
    signs = [(float(end["lambda_min"]) > 0, float(end["lambda_max"]) > 0) for end in ends.values()]
    assert signs == [(True, True), (False, True), (False, False)]
    for ball_rows in rows.values():  # the gradient heads for zero at all three: 30 times smaller
        assert float(ball_rows[-1]["grad_norm"]) < float(ball_rows[0]["grad_norm"]) / 30


def test_saddle_escape_times_grow_like_log_one_over_noise(capsys) -> None:
    rows = _scene_run(capsys, "saddle-escape-times", 2600)
    assert rows["no noise"][-1]["regime"] == "saddle" and abs(float(rows["no noise"][-1]["y"])) < 1e-12

    def escape(name: str) -> int:
        return next(int(r["step"]) for r in rows[name] if abs(float(r["y"])) > 0.5)

    times = [escape(name) for name in ("noise 1e-2", "noise 1e-4", "noise 1e-8")]
    assert times == sorted(times) and times[0] > 200
    # 2 decades then 4 decades less noise: the second wait is longer, ln(1/sigma)/lr ~ 460 steps a
    # factor 100, give or take the randomness of the first pushes.
    assert 150 < times[1] - times[0] < times[2] - times[1] < 1500
    assert all(rows[name][-1]["regime"] == "minimum" for name in ("noise 1e-2", "noise 1e-4", "noise 1e-8"))
