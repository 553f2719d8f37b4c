"""The slow half of the editors' surface commands: SymPy builds and scene-file reads, and their results.

Each function here may take seconds (SymPy) and touches no session, so the GUI runs it on a worker
thread and hands the result, one small dataclass per kind of build, to the session on the UI
thread; a headless user calls it directly. The results:

- :class:`FormulaBuilt`: a surface for typed text (``Session.apply_formula``);
- :class:`PresetBuilt`: a preset surface, whose suggested starts the balls take (``Session.apply_preset``);
- :class:`SceneBuilt`: a whole scene with its surface, and the file it came from ("" for none)
  (``Session.apply_scene``);
- :class:`SceneFileFailed`: a scene file that could not be read or is not a valid scene;
- :class:`CriticalPointsFound`: the critical points of a surface (``Session.critical_points_found``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from physics.scene_files import load_scene
from physics.scenes import Scene
from surfaces.critical import find_critical_points
from surfaces.errors import DownhillError, FormulaError
from surfaces.parsing import X, Y
from surfaces.presets import preset_name, preset_surface, resolve_surface
from surfaces.surface import Domain, Surface, build_surface


@dataclass(frozen=True)
class FormulaBuilt:
    surface: Surface


@dataclass(frozen=True)
class PresetBuilt:
    surface: Surface


@dataclass(frozen=True)
class SceneBuilt:
    scene: Scene
    surface: Surface
    path: str = ""


@dataclass(frozen=True)
class SceneFileFailed:
    path: str
    error: DownhillError


BuildResult = FormulaBuilt | PresetBuilt | SceneBuilt | SceneFileFailed


def build_surface_for(text: str, parameters: dict[str, float], domain: Domain | None) -> Surface:
    """The surface for text typed into the formula field (a formula or a preset's name).

    A preset's name brings the preset itself (its domain, parameters and terms). A formula may use
    named parameters beyond x and y (they become sliders); those already known keep their values,
    so a slider does not jump while the formula is edited, and the current domain is kept, so the
    view does not jump either. A formula that uses neither x nor y is refused: it would be a flat
    landscape, and is usually a misspelt preset's name.

    Raises:
        FormulaError: with the column of the problem where there is one.
    """
    name = preset_name(text)
    if name is not None:
        return preset_surface(name)
    surface = build_surface(text, parameters=True, domain=domain)  # type: ignore[arg-type]
    if not (surface.expression.has(X) or surface.expression.has(Y)):
        resolve_surface(text)  # raises with "did you mean the preset ...?" when the text is a near miss
        raise FormulaError(f"f(x, y) = {text.strip()} does not depend on x or y: the landscape would be flat",
                           column=1)
    kept = {key: value for key, value in parameters.items() if key in surface.parameter_names}
    return surface.with_parameters(kept) if kept else surface


def build_preset(name: str) -> PresetBuilt:
    """The preset surface ``name`` (a registry key, as ``preset_name`` returns)."""
    return PresetBuilt(preset_surface(name))


def build_scene(scene: Scene, path: str = "") -> SceneBuilt:
    """``scene`` with its surface built (``path``: the file it was read from, "" for none)."""
    return SceneBuilt(scene, scene.surface(), path)


def read_scene_file(path: str | Path) -> SceneBuilt | SceneFileFailed:
    """Read, validate and build the scene file at ``path``; an unreadable or invalid file is a result too."""
    target = str(path)
    try:
        scene = load_scene(target)
    except DownhillError as error:
        return SceneFileFailed(target, error)
    return build_scene(scene, target)


@dataclass(frozen=True)
class CriticalPointsFound:
    """The critical points of ``surface`` (for ``Session.critical_points_found``)."""

    surface: Surface
    points: list


def find_critical_points_of(surface: Surface) -> CriticalPointsFound:
    """The critical points of ``surface`` over its domain (a numeric search: may take a second)."""
    return CriticalPointsFound(surface, find_critical_points(surface, surface.domain))
