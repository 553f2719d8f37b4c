"""Scenes: the saved description of a whole demo, as human-editable JSON, validated on load.

A scene holds the formula (or a preset surface's name) and its parameter values, the domain, the
balls, the seed, the playback speed and the view. It is a frozen value; a change makes a new one
(``dataclasses.replace``). It round-trips through JSON exactly: floats are written with ``repr``
and read back bit for bit.

Scene files arrive from other people, so loading is defensive: the file size is limited, JSON is
parsed without NaN or Infinity, every key is checked against the known ones and every value for
its type and range (physics.scene_reader), the formula goes through the safe parser
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
                 "particles": 1, "spread": 0, "clip": null, "visible": true}]
    }

Saving is atomic: the text goes to a temporary file in the same directory, is flushed to disk,
and replaces the target in one rename, so a crash never leaves half a scene.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from physics.balls import BallSpec
from surfaces.errors import DownhillError, SceneError
from surfaces.surface import Domain, Surface

SCENE_VERSION = 1
MAX_SCENE_BYTES = 1_000_000
MAX_BALLS = 32
MAX_TOTAL_PARTICLES = 400_000
MAX_SPEED = 1000
MAX_FORMULA_LENGTH = 2000
MAX_TEXT = {"title": 200, "description": 5000, "note": 500}
LAYOUTS = ("both", "3d", "2d")
OVERLAYS = ("gradient", "step", "velocity", "eigenvectors", "trails", "critical_points", "contours")
#: The ball palette: colours given to balls that do not name one, and to the preset scenes' and the
#: app's new balls (gui.palette.BALL_COLORS is this tuple; physics cannot import gui). Okabe & Ito's
#: colour-blind-safe set with white for its black (the views are dark) and without its yellow and
#: dark blue (lost on viridis' peaks and dark valleys); gui.palette explains and tests/gui/test_palette.py
#: checks that they stay apart from each other and from the colours that carry meaning.
PALETTE = ("#e69f00", "#56b4e9", "#009e73", "#d55e00", "#cc79a7", "#ffffff")


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
        return {
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

    def to_json(self) -> str:
        """Human-editable JSON text (indented; floats written exactly)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> Scene:
        """Parse and validate a scene. Raises SceneError naming the offending field."""
        if isinstance(text, bytes | bytearray):
            if len(text) > MAX_SCENE_BYTES:
                raise SceneError(f"the scene is {len(text)} bytes; the limit is {MAX_SCENE_BYTES}")
            try:
                text = bytes(text).decode("utf-8")
            except UnicodeDecodeError as error:
                raise SceneError(f"the scene is not UTF-8 text (byte {error.start})") from None
        if not isinstance(text, str):
            raise SceneError("a scene is JSON text")
        if len(text.encode("utf-8", errors="replace")) > MAX_SCENE_BYTES:
            raise SceneError(f"the scene is larger than the limit of {MAX_SCENE_BYTES} bytes")
        from physics.scene_reader import parse_json

        return cls.from_dict(parse_json(text))

    @classmethod
    def from_dict(cls, data: Any) -> Scene:
        """Validate JSON-like data (dicts, lists, numbers, strings) and make the Scene."""
        from physics.scene_reader import read_scene

        scene = read_scene(data)
        surface = scene.surface()
        for index, ball in enumerate(scene.balls):
            try:
                ball.check_against(surface, f"balls[{index}]")
            except DownhillError as error:
                raise SceneError(error.message, field=error.field or f"balls[{index}]") from None
        return scene


# ------------------------------------------------------------------------------------------- files


def save_scene(scene: Scene, path: str | os.PathLike[str]) -> None:
    """Write the scene's JSON to ``path`` atomically (temporary file, fsync, rename)."""
    target = Path(path)
    text = scene.to_json().encode("utf-8")
    directory = target.parent if str(target.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as error:
        raise DownhillError(f"cannot save the scene in {directory}: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except OSError as error:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise DownhillError(f"cannot save the scene to {target}: {error.strerror or error}") from None
    _sync_directory(directory)


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable where the platform allows it (POSIX)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def load_scene(path: str | os.PathLike[str]) -> Scene:
    """Read and validate a scene file. Raises SceneError (unreadable, too large, or invalid)."""
    target = Path(path)
    try:
        status = target.stat()
        # A FIFO, a device or a directory is refused before opening: opening a named pipe blocks forever.
        if not stat.S_ISREG(status.st_mode):
            raise SceneError(f"{target} is not a regular file; a scene is a JSON file")
        size = status.st_size
        if size > MAX_SCENE_BYTES:
            raise SceneError(f"{target} is {size} bytes; a scene is at most {MAX_SCENE_BYTES}")
        with open(target, "rb") as stream:
            data = stream.read(MAX_SCENE_BYTES + 1)
    except OSError as error:
        raise SceneError(f"cannot read the scene {target}: {error.strerror or error}") from None
    try:
        return Scene.from_json(data)
    except SceneError as error:
        raise SceneError(f"{target}: {error.message}", field=error.field, column=error.column) from None


def resolve_scene(name_or_path: str) -> Scene:
    """A preset scene by name, or a scene file by path."""
    from physics.preset_scenes import PRESET_SCENES

    if name_or_path in PRESET_SCENES:
        return PRESET_SCENES[name_or_path]
    if os.path.exists(name_or_path):
        return load_scene(name_or_path)
    raise SceneError(f"no preset scene or file named '{name_or_path}'; the preset scenes are "
                     f"{', '.join(PRESET_SCENES)}")


def __getattr__(name: str) -> Any:
    # PRESET_SCENES lives in physics.preset_scenes, which imports this module; load it on first use.
    if name == "PRESET_SCENES":
        from physics.preset_scenes import PRESET_SCENES

        return PRESET_SCENES
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
