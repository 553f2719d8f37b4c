"""Scenes: the saved description of a whole demo, as human-editable JSON, validated on load.

A scene holds the formula (or a preset surface's name) and its parameter values, the domain, the
balls, the seed, the playback speed and the view. It is a frozen value; a change makes a new one
(``dataclasses.replace``). It round-trips through JSON exactly: floats are written with ``repr``
and read back bit for bit.

Scene files arrive from other people, so loading is defensive: the file size is limited, JSON is
parsed without NaN or Infinity, every key is checked against the known ones and every value for
its type and range (physics.scene_reader, whose scene_from_json reads a scene's text; physics.scene_files
saves, loads and finds scene files, physics.preset_scenes holds the presets), the formula goes through the safe parser
(surfaces.parsing; nothing is ever evaluated), and hyper-parameters through the optimiser's own
ranges. Any problem raises
:class:`~surfaces.errors.SceneError` whose ``field`` names the key (``balls[1].optimizer``) and
whose message says what is wrong.

The file format (version 1; every key but ``version`` and ``formula`` is optional)::

    {
      "version": 1,
      "title": "Noise escapes a saddle", "description": "...", "note": "...",
      "formula": "x^2 - y^2",                 (or a preset surface's name)
      "parameters": {"a": 1.5},               (values of the formula's named parameters)
      "domain": [-3, 3, -3, 3],               (XMIN, XMAX, YMIN, YMAX; null: the surface's own)
      "seed": 0, "speed": 1,                  (speed: simulation steps per animation frame)
      "view": {"azimuth": 45, "elevation": 30, "distance": null, "layout": "both",
               "overlays": {"gradient": true, ...}, "height_clip": null},
      "balls": [{"name": "SGD", "color": "#1f77b4", "optimizer": "sgd",
                 "hyperparameters": {"lr": 0.1, "momentum": 0.9}, "start": [1, 0],
                 "noise": {"sigma": 0.01, "schedule": "constant", "decay": 0, "batch_size": null},
                 "particles": 1, "spread": 0, "clip": null, "visible": true}],
      "experiments": [{"kind": "basins", "settings": {"optimizer": "sgd", "grid": 200, ...}}]
    }

(``experiments``: the experiments shown with the scene, physics.experiments.base; the key is
written only when there are some, so a scene without any reads and writes as before.)

This module holds only the value: it reads no file and knows no preset, so the modules that do
can import it without importing each other.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from physics.balls import BallSpec
from physics.experiments.base import ExperimentSpec
from physics.overlays import OVERLAY_NAMES
from surfaces.errors import DownhillError, SceneError
from surfaces.surface import Domain, Surface

SCENE_VERSION = 1
MAX_SCENE_BYTES = 1_000_000
MAX_TOTAL_PARTICLES = 400_000
MAX_SPEED = 1000
MAX_FORMULA_LENGTH = 2000
MAX_TEXT = {"title": 200, "description": 5000, "note": 500}
LAYOUTS = ("both", "3d", "2d")
OVERLAYS = OVERLAY_NAMES  # the overlays' scene keys (physics.overlays holds the one table)


@dataclass(frozen=True)
class ViewSettings:
    """How the scene is shown.

    Attributes:
        azimuth: the 3D camera's azimuth, degrees (-360 to 360).
        elevation: the 3D camera's elevation, degrees (-90 to 90).
        distance: the 3D camera's distance in surface units, or None to fit the domain.
        layout: "both" (3D view and map side by side), "3d" or "2d".
        overlays: (name, shown) for each of OVERLAYS, in that order.
        height_clip: (zmin, zmax) the displayed height range, or None for automatic.
    """

    azimuth: float = 45.0
    elevation: float = 30.0
    distance: float | None = None
    layout: str = "both"
    overlays: tuple[tuple[str, bool], ...] = tuple((name, True) for name in OVERLAYS)
    height_clip: tuple[float, float] | None = None

    def overlay(self, name: str) -> bool:
        return dict(self.overlays).get(name, True)


@dataclass(frozen=True)
class Scene:
    """A whole demo: surface, balls, seed, speed and view (see the module for the JSON form).

    Attributes:
        version: the file format's version (SCENE_VERSION).
        title, description, note: words for the gallery and the audience (note: one line).
        formula: the formula text, or a preset surface's name.
        parameters: values of the formula's named parameters, sorted (name, value) pairs.
        domain: the view rectangle, or None for the surface's own.
        balls: the balls and swarms.
        seed: the seed every random stream derives from.
        speed: simulation steps per animation frame.
        view: camera, layout and overlays.
        experiments: the experiments shown with the scene (physics.experiments.base.ExperimentSpec).
    """

    version: int = SCENE_VERSION
    title: str = ""
    description: str = ""
    note: str = ""
    formula: str = "x^2 + y^2"
    parameters: tuple[tuple[str, float], ...] = ()
    domain: Domain | None = None
    balls: tuple[BallSpec, ...] = ()
    seed: int = 0
    speed: int = 1
    view: ViewSettings = field(default_factory=ViewSettings)
    experiments: tuple[ExperimentSpec, ...] = ()
    _surface: Surface | None = field(default=None, init=False, compare=False, repr=False)

    # --------------------------------------------------------------------------------- surface, simulation

    def surface(self) -> Surface:
        """The scene's Surface (built once, then remembered). Raises SceneError naming the field."""
        if self._surface is None:
            object.__setattr__(self, "_surface", _build_surface(self.formula, dict(self.parameters), self.domain))
        return self._surface  # type: ignore[return-value]

    def simulation(self, capacity: int = 4096):
        """A fresh Simulation of this scene."""
        from physics.simulation import Simulation

        return Simulation(self.surface(), self.balls, seed=self.seed, capacity=capacity)

    # --------------------------------------------------------------------------------- JSON

    def to_dict(self) -> dict[str, Any]:
        """The scene as JSON-ready data (the form of the module docstring)."""
        data = {
            "version": self.version,
            "title": self.title,
            "description": self.description,
            "note": self.note,
            "formula": self.formula,
            "parameters": {name: value for name, value in self.parameters},
            "domain": list(self.domain.as_tuple()) if self.domain is not None else None,
            "seed": self.seed,
            "speed": self.speed,
            "view": {
                "azimuth": self.view.azimuth,
                "elevation": self.view.elevation,
                "distance": self.view.distance,
                "layout": self.view.layout,
                "overlays": {name: shown for name, shown in self.view.overlays},
                "height_clip": list(self.view.height_clip) if self.view.height_clip is not None else None,
            },
            "balls": [_ball_to_dict(ball) for ball in self.balls],
        }
        if self.experiments:  # (omitted when empty: scenes without experiments stay as they were)
            data["experiments"] = [spec.to_dict() for spec in self.experiments]
        return data

    def to_json(self) -> str:
        """Human-editable JSON text (indented; floats written exactly)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# ------------------------------------------------------------------------------------------- helpers


def _build_surface(formula: str, parameters: Mapping[str, float], domain: Domain | None) -> Surface:
    from surfaces.presets import resolve_surface

    try:
        surface = resolve_surface(formula, parameters=dict(parameters))
    except DownhillError as error:
        message = error.message
        unknown = [name for name in parameters if f"'{name}'" in message and "no parameter" in message]
        place = f"parameters.{unknown[0]}" if unknown else "formula"
        if error.column is not None and place == "formula":
            message = f"{message} (column {error.column})" if "column" not in message else message
        raise SceneError(message, field=place, column=error.column) from None
    for name in parameters:
        if name not in surface.parameter_names:
            raise SceneError(f"the formula has no parameter '{name}'"
                             + (f"; its parameters are {', '.join(surface.parameter_names)}"
                                if surface.parameter_names else ""), field=f"parameters.{name}")
    return surface.with_domain(domain) if domain is not None else surface


def _ball_to_dict(ball: BallSpec) -> dict[str, Any]:
    return {
        "name": ball.name,
        "color": ball.color,
        "optimizer": ball.optimizer,
        "hyperparameters": {name: list(value) if isinstance(value, tuple) else value
                            for name, value in ball.hyperparameters},
        "start": list(ball.start),
        "noise": {"sigma": ball.noise.sigma, "schedule": ball.noise.schedule, "decay": ball.noise.decay,
                  "batch_size": ball.noise.batch_size},
        "particles": ball.particles,
        "spread": ball.spread,
        "clip": ball.clip,
        "visible": ball.visible,
    }
