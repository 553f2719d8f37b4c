"""Scenes: exact JSON round trips, validation of hostile files with clear messages, atomic saving, presets."""

from __future__ import annotations

import io
import itertools
import json
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import main
from physics.balls import PALETTE, BallSpec
from physics.noise import NoiseSettings
from physics.preset_scenes import DEFAULT_SCENE, PRESET_SCENES
from physics.scene_files import load_scene, resolve_scene, save_scene
from physics.scene_reader import scene_from_json
from physics.scenes import MAX_SCENE_BYTES, Scene, ViewSettings
from surfaces.errors import SceneError
from surfaces.presets import PRESETS
from surfaces.surface import Domain


def _scene() -> Scene:
    return Scene(
        title="Test", description="a description", note="a note", formula="a x^2 + b y^2",
        parameters=(("a", 0.1 + 0.2), ("b", 1e-300)), domain=Domain(-2.5, 2.5, -1.0, 1.0),
        balls=(BallSpec("one", "#1f77b4", "adam", (("lr", 0.1 + 0.7), ("betas", (0.9, 0.999))), (-1.2, 0.8),
                        NoiseSettings(sigma=1 / 3, schedule="exponential", decay=0.01), particles=5, spread=0.1),
               BallSpec("two", "#ff7f0e", "sgd", (("lr", 0.01), ("momentum", 0.9), ("nesterov", True)), (1.0, 0.0),
                        clip=2.5, visible=False)),
        seed=2 ** 62 + 1, speed=7,
        view=ViewSettings(azimuth=-30.5, elevation=12.25, distance=9.0, layout="2d",
                          overlays=tuple((name, name != "trails") for name, _ in ViewSettings().overlays),
                          height_clip=(-1.5, 40.0)))


def test_a_scene_round_trips_through_json_exactly() -> None:
    scene = _scene()
    text = scene.to_json()
    again = scene_from_json(text)
    assert again == scene
    assert again.to_json() == text
    assert again.parameters[0][1] == 0.30000000000000004 and again.parameters[1][1] == 1e-300
    assert again.balls[0].hyperparameters == (("lr", 0.7999999999999999), ("betas", (0.9, 0.999)))
    assert json.loads(text)["balls"][1]["hyperparameters"]["nesterov"] is True


def test_every_preset_scene_is_valid_and_round_trips() -> None:
    assert DEFAULT_SCENE in PRESET_SCENES and len(PRESET_SCENES) >= 8
    for name, scene in PRESET_SCENES.items():
        again = scene_from_json(scene.to_json())
        assert again == scene, name
        assert scene.title and scene.note and scene.description, name
        assert scene.formula in PRESETS, name  # every preset scene stands on a preset surface
        assert resolve_scene(name) is scene


def test_minimal_scenes_take_defaults() -> None:
    scene = scene_from_json('{"version": 1, "formula": "x^2 + y^2", "balls": [{"optimizer": "gd", "start": [1, 2]}]}')
    assert scene.balls[0].name == "ball 1" and scene.balls[0].color == PALETTE[0]
    assert scene.balls[0].start == (1.0, 2.0) and scene.seed == 0 and scene.speed == 1
    assert scene.view == ViewSettings() and scene.domain is None
    assert scene.surface().domain == Domain(-3, 3, -3, 3)


def _with(path: str, value: object) -> str:
    """A valid scene's JSON with one field replaced (path like 'balls.0.noise.sigma'; None value deletes)."""
    data = _scene().to_dict()
    keys = [int(k) if k.isdigit() else k for k in path.split(".")]
    target = data
    for key in keys[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[keys[-1]]
    else:
        target[keys[-1]] = value
    return json.dumps(data)


_DELETE = object()

HOSTILE = [
    # (scene text, the field the error names, words the message contains)
    ("not json at all", None, "not valid JSON at line 1"),
    ("[1, 2, 3]", None, "must be a JSON object"),
    ('{"version": 1, "formula": "x", "formula": "y"}', "formula", "appears twice"),
    ('{"version": 1, "formula": "x^2", "seed": NaN}', None, "NaN is not a number"),
    ('{"version": 1, "formula": "x^2", "speed": 1e400}', "speed", "whole number"),
    ("[" * 100_000 + "]" * 100_000, None, "nested too deeply"),
    (_with("version", 2), "version", "newer than this Downhill"),
    (_with("version", _DELETE), "version", "needs 'version'"),
    (_with("colour", "red"), "colour", "unknown key 'colour'"),
    (_with("formula", "__import__('os').system('echo pwned')"), "formula", ""),
    (_with("formula", "x.__class__"), "formula", ""),
    (_with("formula", "9**9**9**9"), "formula", ""),
    (_with("formula", "x^2 + z"), "formula", "'z'"),
    (_with("formula", 42), "formula", "must be text"),
    (_with("parameters", {"a": 1.0, "b": 2.0, "c": 3.0}), "parameters.c", "no parameter 'c'"),
    (_with("parameters", {"a": "one", "b": 1.0}), "parameters.a", "must be a number"),
    (_with("domain", [3, -3, -3, 3]), "domain", "XMIN < XMAX"),
    (_with("domain", [0, 1, 2]), "domain", "XMIN, XMAX, YMIN, YMAX"),
    (_with("seed", -1), "seed", "out of range"),
    (_with("seed", True), "seed", "whole number"),
    (_with("speed", 0), "speed", "out of range"),
    (_with("view.layout", "4d"), "view.layout", "unknown layout"),
    (_with("view.overlays.lasers", True), "view.overlays.lasers", "unknown key 'lasers'"),
    (_with("view.elevation", 91), "view.elevation", "out of range"),
    (_with("view.height_clip", [5, 1]), "view.height_clip", "below its second"),
    (_with("balls", {"a": 1}), "balls", "must be a list"),
    (_with("balls", [{"optimizer": "gd", "start": [0, 0]}] * 33), "balls", "at most 32"),
    (_with("balls.1.optimizer", "adamm"), "balls[1].optimizer", "unknown optimiser 'adamm'; choose one of"),
    (_with("balls.0.hyperparameters.lr", 50.0), "balls[0].hyperparameters.lr", "out of range"),
    (_with("balls.0.hyperparameters.momentum", 0.9), "balls[0].hyperparameters.momentum",
     "has no hyper-parameter 'momentum'"),
    (_with("balls.0.hyperparameters.betas", [0.9]), "balls[0].hyperparameters.betas", "two numbers"),
    (_with("balls.0.particles", 100_001), "balls[0].particles", "out of range"),
    (_with("balls.0.particles", 2.5), "balls[0].particles", "whole number"),
    (_with("balls.0.noise.sigma", -0.1), "balls[0].noise.sigma", "out of range"),
    (_with("balls.0.noise.schedule", "cosine"), "balls[0].noise.schedule", "unknown schedule"),
    (_with("balls.0.noise.batch_size", 4), "balls[0].noise.batch_size", "larger than the number of terms (2)"),
    (_with("balls.0.noise.temperature", 4), "balls[0].noise.temperature", "unknown key"),
    (_with("balls.0.color", "blue"), "balls[0].color", "#rrggbb"),
    (_with("balls.0.color", "#12345g"), "balls[0].color", "#rrggbb"),
    (_with("balls.0.name", ""), "balls[0].name", "name"),
    (_with("balls.0.start", [0, "1"]), "balls[0].start[1]", "must be a number"),
    (_with("balls.0.start", _DELETE), "balls[0].start", "needs 'start'"),
    (_with("balls.0.spread", -1), "balls[0].spread", "out of range"),
    (_with("balls.1.clip", 0), "balls[1].clip", "positive"),
    (_with("balls.1.visible", "yes"), "balls[1].visible", "true or false"),
    (_with("balls.1.hyperparameters.nesterov", 1), "balls[1].hyperparameters.nesterov", "true or false"),
    (_with("balls.1.hyperparameters.momentum", 0.0), "balls[1].hyperparameters", "nesterov"),
]


@pytest.mark.parametrize(("text", "field", "words"), HOSTILE)
def test_hostile_scene_files_are_refused_with_clear_messages(text: str, field: str | None, words: str) -> None:
    with pytest.raises(SceneError) as caught:
        scene_from_json(text)
    error = caught.value
    assert error.field == field, str(error)
    assert words in str(error), str(error)
    assert "\n" not in str(error) and len(str(error)) < 400
    if field:
        assert str(error).startswith(field + ":")


def test_oversized_scenes_are_refused(tmp_path: Path) -> None:
    padding = " " * (MAX_SCENE_BYTES + 1)
    with pytest.raises(SceneError, match="limit"):
        scene_from_json(_scene().to_json() + padding)
    path = tmp_path / "huge.json"
    path.write_text(_scene().to_json() + padding)
    with pytest.raises(SceneError, match="at most"):
        load_scene(path)
    with pytest.raises(SceneError, match="UTF-8"):
        scene_from_json(b'{"version": 1, "formula": "\xff"}')


def test_nothing_in_a_hostile_formula_is_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = _with("formula", f"__import__('os').system('touch {marker}')")
    with pytest.raises(SceneError):
        scene_from_json(text)
    assert not marker.exists()


def test_save_is_atomic_and_load_gives_the_same_scene(tmp_path: Path) -> None:
    path = tmp_path / "scene.json"
    save_scene(_scene(), path)
    assert load_scene(path) == _scene()
    assert sorted(os.listdir(tmp_path)) == ["scene.json"]  # no temporary file left behind
    changed = replace(_scene(), title="Changed")
    save_scene(changed, path)
    assert load_scene(path).title == "Changed"
    assert sorted(os.listdir(tmp_path)) == ["scene.json"]


def test_a_failed_save_leaves_the_old_file_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "scene.json"
    save_scene(_scene(), path)
    original = path.read_bytes()

    def broken_replace(source: str, target: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(Exception, match="No space left"):
        save_scene(replace(_scene(), title="new"), path)
    assert path.read_bytes() == original
    assert sorted(os.listdir(tmp_path)) == ["scene.json"]


def test_resolve_scene_by_name_or_path(tmp_path: Path) -> None:
    path = tmp_path / "mine.json"
    save_scene(_scene(), path)
    assert resolve_scene(str(path)) == _scene()
    with pytest.raises(SceneError, match="no preset scene or file named 'nope'; the preset scenes are saddle-noise"):
        resolve_scene("nope")
    bad = tmp_path / "bad.json"
    bad.write_text(_with("balls.1.optimizer", "adamm"))
    with pytest.raises(SceneError) as caught:
        resolve_scene(str(bad))
    assert caught.value.field == "balls[1].optimizer" and str(bad) in str(caught.value)


def test_a_scene_builds_its_simulation() -> None:
    scene = _scene()
    simulation = scene.simulation()
    assert simulation.seed == scene.seed and len(simulation.balls) == 2
    assert simulation.surface.parameter_values == {"a": 0.30000000000000004, "b": 1e-300}
    assert simulation.surface.domain == Domain(-2.5, 2.5, -1.0, 1.0)
    simulation.step(3)
    assert np.isfinite(simulation.state(0).positions).all()


def test_the_presets_command_lists_every_scene_wrapped_and_indented() -> None:
    out = io.StringIO()
    assert main.command_presets(out) == 0
    text = out.getvalue()
    scenes = text[text.index("Preset scenes"):].splitlines()[1:]
    assert all(len(line) <= 112 for line in scenes)  # wrapped like the surfaces, not one long line each
    for name, scene in PRESET_SCENES.items():
        start = next(i for i, line in enumerate(scenes) if line.startswith(f"  {name} "))
        assert scenes[start].endswith(scene.title)
        entry = itertools.takewhile(lambda line: line.startswith(" " * 6), scenes[start + 1:])
        block = " ".join(line.strip() for line in entry)
        assert f"on {scene.formula}:" in block and all(ball.name in block for ball in scene.balls)
        assert scene.note.split()[-1] in block


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need POSIX")
def test_a_named_pipe_or_a_directory_is_refused_without_blocking(tmp_path: Path) -> None:
    pipe = tmp_path / "scene.json"
    os.mkfifo(pipe)  # opening it for reading would block until a writer came: it must never be opened
    for target in (pipe, tmp_path):
        with pytest.raises(SceneError, match="not a regular file") as caught:
            load_scene(target)
        assert "\n" not in caught.value.message
    with pytest.raises(SceneError, match="not a regular file"):
        resolve_scene(str(pipe))
