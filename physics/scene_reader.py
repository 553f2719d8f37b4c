"""Reading a scene from JSON data, defensively: every key, type and range checked, every error naming its field.

Scene files arrive from other people. :func:`parse_json` turns text into plain data without NaN,
Infinity or duplicate keys (and without the recursion a deeply nested file would cause);
:func:`read_scene` checks that data key by key against the format of :mod:`physics.scenes` and
builds the :class:`~physics.scenes.Scene`. Each problem raises
:class:`~surfaces.errors.SceneError` whose ``field`` is the dotted path of the offending key
(``balls[1].noise.sigma``). The formula, the optimiser names and hyper-parameters are checked
later by :func:`scene_from_dict` against the surface and the optimiser registry.
:func:`scene_from_json` does all of it for the text of a scene file (physics.scene_files reads the file).
"""

from __future__ import annotations

import json
import math
from typing import Any

from physics.balls import MAX_BALLS, MAX_COORDINATE, MAX_PARTICLES, BallSpec, ball_color
from physics.json_values import bounded_text, describe
from physics.noise import SCHEDULES, NoiseSettings
from physics.scenes import (
    LAYOUTS,
    MAX_FORMULA_LENGTH,
    MAX_SCENE_BYTES,
    MAX_SPEED,
    MAX_TEXT,
    MAX_TOTAL_PARTICLES,
    OVERLAYS,
    SCENE_VERSION,
    Scene,
    ViewSettings,
)
from surfaces.errors import DownhillError, SceneError
from surfaces.surface import Domain


def scene_from_json(text: str | bytes) -> Scene:
    """Parse and validate a scene (JSON text, or its UTF-8 bytes). Raises SceneError naming the offending field."""
    return scene_from_dict(parse_json(bounded_text(text, "scene", MAX_SCENE_BYTES)))


def scene_from_dict(data: Any) -> Scene:
    """Validate JSON-like data (dicts, lists, numbers, strings) and make the Scene, its balls checked
    against its surface (starts inside the domain, the optimiser and hyper-parameters known)."""
    scene = read_scene(data)
    surface = scene.surface()
    for index, ball in enumerate(scene.balls):
        try:
            ball.check_against(surface, f"balls[{index}]")
        except DownhillError as error:
            raise SceneError(error.message, field=error.field or f"balls[{index}]") from None
    return scene


def parse_json(text: str) -> Any:
    """JSON text -> plain data; SceneError for invalid JSON, NaN or Infinity, duplicate keys, deep nesting."""
    try:
        return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as error:
        raise SceneError(f"not valid JSON at line {error.lineno}, column {error.colno}: {error.msg}") from None
    except RecursionError:
        raise SceneError("the JSON is nested too deeply") from None
    except ValueError as error:
        raise SceneError(f"not valid JSON: {error}") from None


def read_scene(data: Any) -> Scene:
    """Check JSON data against the scene format and make the Scene (see physics.scenes)."""
    return _Reader().scene(data)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise SceneError(f"the key '{key}' appears twice in one object", field=key)
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise SceneError(f"{name} is not a number a scene may hold (numbers must be finite)")


class _Reader:
    """Checks JSON data key by key; every error names its field."""

    def scene(self, data: Any) -> Scene:
        self._object(data, "", required=("version", "formula"), allowed=(
            "version", "title", "description", "note", "formula", "parameters", "domain", "balls", "seed",
            "speed", "view", "experiments"))
        version = self._integer(data["version"], "version", 1, 10 ** 6)
        if version > SCENE_VERSION:
            raise SceneError(f"this scene is version {version}, newer than this Downhill reads ({SCENE_VERSION})",
                             field="version")
        if version < 1:
            raise SceneError("the version must be 1", field="version")
        texts = {key: self._text(data.get(key, ""), key, limit) for key, limit in MAX_TEXT.items()}
        formula = self._text(data["formula"], "formula", MAX_FORMULA_LENGTH)
        if not formula.strip():
            raise SceneError("the formula is empty", field="formula")
        parameters = self._parameters(data.get("parameters", {}))
        domain = self._domain(data.get("domain"))
        balls = self._balls(data.get("balls", []))
        seed = self._integer(data.get("seed", 0), "seed", 0, 2 ** 63 - 1)
        speed = self._integer(data.get("speed", 1), "speed", 1, MAX_SPEED)
        view = self._view(data.get("view", {}))
        experiments = self._experiments(data.get("experiments", []))
        return Scene(version=version, formula=formula, parameters=parameters, domain=domain, balls=balls,
                     seed=seed, speed=speed, view=view, experiments=experiments, **texts)

    # -- structure

    @staticmethod
    def _object(data: Any, where: str, required: tuple[str, ...], allowed: tuple[str, ...]) -> None:
        label = where or "the scene"
        if not isinstance(data, dict):
            raise SceneError(f"{label} must be a JSON object {{...}}, not {describe(data)}", field=where or None)
        for key in data:
            if key not in allowed:
                raise SceneError(f"unknown key '{key}'; {label} may have {', '.join(allowed)}",
                                 field=_join(where, str(key)))
        for key in required:
            if key not in data:
                raise SceneError(f"{label} needs '{key}'", field=_join(where, key))

    # -- values

    @staticmethod
    def _text(value: Any, where: str, limit: int) -> str:
        if not isinstance(value, str):
            raise SceneError(f"must be text, not {describe(value)}", field=where)
        if len(value) > limit:
            raise SceneError(f"is {len(value)} characters long; the limit is {limit}", field=where)
        return value

    @staticmethod
    def _number(value: Any, where: str, low: float = -math.inf, high: float = math.inf) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SceneError(f"must be a number, not {describe(value)}", field=where)
        try:
            number = float(value)
        except OverflowError:
            raise SceneError("is too large a number", field=where) from None
        if not math.isfinite(number):
            raise SceneError("must be a finite number", field=where)
        if not low <= number <= high:
            raise SceneError(f"{value!r} is out of range [{low:g}, {high:g}]", field=where)
        return number

    @staticmethod
    def _integer(value: Any, where: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer() and low <= value <= high:
                return int(value)
            raise SceneError(f"must be a whole number, not {describe(value)}", field=where)
        if not low <= value <= high:
            raise SceneError(f"{value} is out of range [{low}, {high}]", field=where)
        return value

    @staticmethod
    def _boolean(value: Any, where: str) -> bool:
        if not isinstance(value, bool):
            raise SceneError(f"must be true or false, not {describe(value)}", field=where)
        return value

    def _pair(self, value: Any, where: str, low: float = -math.inf, high: float = math.inf) -> tuple[float, float]:
        if not isinstance(value, list) or len(value) != 2:
            raise SceneError(f"must be a list of two numbers, not {describe(value)}", field=where)
        return (self._number(value[0], f"{where}[0]", low, high), self._number(value[1], f"{where}[1]", low, high))

    def _parameters(self, value: Any) -> tuple[tuple[str, float], ...]:
        if not isinstance(value, dict):
            raise SceneError(f"must be an object of name: value, not {describe(value)}", field="parameters")
        if len(value) > 32:
            raise SceneError("a formula has at most 32 parameters", field="parameters")
        values = {}
        for name, number in value.items():
            if not isinstance(name, str) or not name.isidentifier() or len(name) > 40:
                raise SceneError(f"'{name}' is not a parameter name", field=f"parameters.{name}")
            values[name] = self._number(number, f"parameters.{name}", -1e12, 1e12)
        return tuple(sorted(values.items()))

    def _domain(self, value: Any) -> Domain | None:
        if value is None:
            return None
        if not isinstance(value, list) or len(value) != 4:
            raise SceneError(f"must be [XMIN, XMAX, YMIN, YMAX] or null, not {describe(value)}", field="domain")
        numbers = [self._number(v, f"domain[{i}]", -1e6, 1e6) for i, v in enumerate(value)]
        try:
            return Domain(*numbers)
        except DownhillError as error:
            raise SceneError(error.message, field="domain") from None

    def _view(self, value: Any) -> ViewSettings:
        self._object(value, "view", required=(), allowed=(
            "azimuth", "elevation", "distance", "layout", "overlays", "height_clip"))
        defaults = ViewSettings()
        distance = value.get("distance")
        layout = value.get("layout", defaults.layout)
        if layout not in LAYOUTS:
            raise SceneError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}", field="view.layout")
        overlays = value.get("overlays", {})
        self._object(overlays, "view.overlays", required=(), allowed=OVERLAYS)
        shown = dict(defaults.overlays)
        for name, flag in overlays.items():
            shown[name] = self._boolean(flag, f"view.overlays.{name}")
        clip = value.get("height_clip")
        height_clip = None
        if clip is not None:
            height_clip = self._pair(clip, "view.height_clip", -1e12, 1e12)
            if not height_clip[0] < height_clip[1]:
                raise SceneError("needs its first number below its second", field="view.height_clip")
        return ViewSettings(
            azimuth=self._number(value.get("azimuth", defaults.azimuth), "view.azimuth", -360.0, 360.0),
            elevation=self._number(value.get("elevation", defaults.elevation), "view.elevation", -90.0, 90.0),
            distance=None if distance is None else self._number(distance, "view.distance", 1e-6, 1e9),
            layout=layout,
            overlays=tuple((name, shown[name]) for name in OVERLAYS),
            height_clip=height_clip,
        )

    def _balls(self, value: Any) -> tuple[BallSpec, ...]:
        if not isinstance(value, list):
            raise SceneError(f"must be a list of balls, not {describe(value)}", field="balls")
        if len(value) > MAX_BALLS:
            raise SceneError(f"{len(value)} balls; a scene holds at most {MAX_BALLS}", field="balls")
        balls = tuple(self._ball(item, index) for index, item in enumerate(value))
        total = sum(ball.particles for ball in balls)
        if total > MAX_TOTAL_PARTICLES:
            raise SceneError(f"{total} particles in all; a scene holds at most {MAX_TOTAL_PARTICLES}", field="balls")
        return balls

    def _ball(self, data: Any, index: int) -> BallSpec:
        where = f"balls[{index}]"
        self._object(data, where, required=("optimizer", "start"), allowed=(
            "name", "color", "optimizer", "hyperparameters", "start", "noise", "particles", "spread", "clip",
            "visible"))
        name = self._text(data.get("name", f"ball {index + 1}"), f"{where}.name", 60)
        color = self._text(data.get("color", ball_color(index)), f"{where}.color", 7)
        optimizer = self._text(data["optimizer"], f"{where}.optimizer", 60)
        hyper = data.get("hyperparameters", {})
        if not isinstance(hyper, dict):
            raise SceneError(f"must be an object of name: value, not {describe(hyper)}",
                             field=f"{where}.hyperparameters")
        if len(hyper) > 32:
            raise SceneError("too many hyper-parameters", field=f"{where}.hyperparameters")
        pairs = []
        for key, item in hyper.items():
            place = f"{where}.hyperparameters.{key}"
            if isinstance(item, list):
                pairs.append((key, self._pair(item, place)))
            elif isinstance(item, bool):
                pairs.append((key, item))
            else:
                pairs.append((key, self._number(item, place)))
        start = self._pair(data["start"], f"{where}.start", -MAX_COORDINATE, MAX_COORDINATE)
        noise = self._noise(data.get("noise", {}), f"{where}.noise")
        particles = self._integer(data.get("particles", 1), f"{where}.particles", 1, MAX_PARTICLES)
        spread = self._number(data.get("spread", 0.0), f"{where}.spread", 0.0, 1e6)
        clip = data.get("clip")
        clip_value = None if clip is None else self._number(clip, f"{where}.clip", 0.0, 1e12)
        if clip_value is not None and clip_value <= 0.0:
            raise SceneError("must be positive (the largest gradient norm) or null", field=f"{where}.clip")
        visible = self._boolean(data.get("visible", True), f"{where}.visible")
        ball = BallSpec(name=name, color=color, optimizer=optimizer, hyperparameters=tuple(pairs), start=start,
                        noise=noise, particles=particles, spread=spread, clip=clip_value, visible=visible)
        try:
            ball.check(where)
            settings = ball.settings(where)
        except DownhillError as error:
            raise SceneError(error.message, field=error.field or where) from None
        # Keep the values as the optimiser normalises them (1 -> 1.0), so the scene round-trips exactly.
        normalised = tuple((key, settings[key]) for key, _ in pairs)
        return BallSpec(name=name, color=color, optimizer=optimizer, hyperparameters=normalised, start=start,
                        noise=noise, particles=particles, spread=spread, clip=clip_value, visible=visible)

    def _experiments(self, value: Any) -> tuple:
        from physics.experiments.base import MAX_EXPERIMENTS, make_spec

        if not isinstance(value, list):
            raise SceneError(f"must be a list of experiments, not {describe(value)}", field="experiments")
        if len(value) > MAX_EXPERIMENTS:
            raise SceneError(f"{len(value)} experiments; a scene holds at most {MAX_EXPERIMENTS}", field="experiments")
        specs = []
        for index, item in enumerate(value):
            where = f"experiments[{index}]"
            self._object(item, where, required=("kind",), allowed=("kind", "settings"))
            specs.append(make_spec(item["kind"], item.get("settings", {}), where))
        return tuple(specs)

    def _noise(self, data: Any, where: str) -> NoiseSettings:
        self._object(data, where, required=(), allowed=("sigma", "schedule", "decay", "batch_size"))
        schedule = data.get("schedule", "constant")
        if schedule not in SCHEDULES:
            raise SceneError(f"unknown schedule {schedule!r}; choose one of {', '.join(SCHEDULES)}",
                             field=f"{where}.schedule")
        batch = data.get("batch_size")
        return NoiseSettings(
            sigma=self._number(data.get("sigma", 0.0), f"{where}.sigma", 0.0, 1e6),
            schedule=schedule,
            decay=self._number(data.get("decay", 0.0), f"{where}.decay", 0.0, 10.0),
            batch_size=None if batch is None else self._integer(batch, f"{where}.batch_size", 1, 10 ** 6),
        )


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key

