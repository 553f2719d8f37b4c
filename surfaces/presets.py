"""The preset surfaces by name, built on demand, and the one door from text to a Surface.

``PRESETS`` maps each preset's kebab-case name to its :class:`Preset` (the catalogue is in
:mod:`surfaces.preset_catalogue`). :func:`preset_surface` builds a preset's Surface once and
caches it; :func:`resolve_surface` takes whatever a user typed after ``--surface`` (or into the
formula field): a preset's name or a formula.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType

from surfaces.errors import DownhillError, FormulaError
from surfaces.parsing import parse_formula
from surfaces.preset_catalogue import CATALOGUE, Preset, PresetParameter
from surfaces.surface import Surface, build_surface, surface_from_expression
from surfaces.vocabulary import CONSTANTS, FUNCTIONS, VARIABLES

__all__ = ["PRESETS", "Preset", "PresetParameter", "preset_surface", "resolve_surface", "preset_name"]

#: Every preset by name, in catalogue order (read-only).
PRESETS: Mapping[str, Preset] = MappingProxyType({preset.name: preset for preset in CATALOGUE})

_NAME_LIKE = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[-_ ][A-Za-z0-9]+)*$")


def preset_name(text: str) -> str | None:
    """The preset a text names (case, spaces and underscores forgiven), or None."""
    key = "-".join(re.split(r"[-_\s]+", text.strip().lower()))
    return key if key in PRESETS else None


@functools.cache
def preset_surface(name: str) -> Surface:
    """The Surface of the preset called ``name`` (built once, then cached; Surfaces are immutable).

    The surface carries the preset's name, its default domain and parameter values, and for a
    finite-sum loss one term per example.

    Raises:
        FormulaError: no preset has that name (the message suggests the closest one).
    """
    preset = PRESETS.get(name)
    if preset is None:
        raise FormulaError(_unknown_preset_message(name))
    values = {p.name: p.value for p in preset.parameters}
    if not preset.terms:
        return build_surface(preset.formula, parameters=values or None, domain=preset.domain, name=preset.name)
    parsed = parse_formula(preset.formula, parameters=tuple(values))
    terms = [parse_formula(term, parameters=tuple(values)).expression for term in preset.terms]
    return surface_from_expression(parsed.expression, text=preset.formula, parameters=values,
                                   domain=preset.domain, name=preset.name, terms=terms)


def parse_parameter_options(items: Sequence[str]) -> dict[str, float]:
    """Repeated command-line ``--param NAME=VALUE`` options -> {name: value} (finite floats)."""
    values: dict[str, float] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name, text = name.strip(), text.strip()
        if not sep or not name:
            raise DownhillError(f"--param '{item}' must look like NAME=VALUE, such as a=1.5")
        try:
            value = float(text)
        except ValueError:
            raise DownhillError(f"--param {name}: '{text}' is not a number") from None
        if not math.isfinite(value):
            raise DownhillError(f"--param {name}: the value must be a finite number")
        values[name] = value
    return values


def resolve_surface(text_or_name: str, parameters: Mapping[str, float] | None = None) -> Surface:
    """A Surface from a preset's name or a typed formula.

    Args:
        text_or_name: a preset's name (``"himmelblau"``; case, spaces and underscores forgiven)
            or a formula (``"x^2 + 3y^2"``).
        parameters: values of named parameters (``{"a": 1.5}``): for a preset, they override its
            defaults; for a formula, they are the only names beyond x and y it may use.

    Raises:
        FormulaError: the text is neither a preset's name nor a valid formula; when it looks like
            a misspelt preset name, the message names the closest preset.
    """
    name = preset_name(text_or_name) if isinstance(text_or_name, str) else None
    if name is not None:
        surface = preset_surface(name)
        return surface.with_parameters(parameters) if parameters else surface
    try:
        surface = build_surface(text_or_name, parameters=dict(parameters) if parameters else None)
    except FormulaError as error:
        suggestion = _closest_preset(text_or_name) if isinstance(text_or_name, str) else None
        if suggestion is None:
            raise
        raise FormulaError(f"'{text_or_name.strip()}' is not a preset and not a valid formula ({error.message}); "
                           f"did you mean the preset '{suggestion}'?", column=error.column) from None
    _check_all_used(parameters or {}, surface)
    return surface


def _check_all_used(parameters: Mapping[str, float], surface: Surface) -> None:
    """Refuse a given parameter the formula does not use (a typo, or a leftover), as a preset does.

    The parser would otherwise drop it silently: ``--param A=2`` for ``a x^2`` would be ignored.
    """
    for name in parameters:
        if name in surface.parameter_names:
            continue
        known = ", ".join(surface.parameter_names) or "none"
        if name in VARIABLES:
            why = f"{name} is one of its variables"
        elif name in CONSTANTS or name in FUNCTIONS:
            why = f"'{name}' is a {'constant' if name in CONSTANTS else 'function'} of the formula language"
        else:
            why = "it does not use that name"
        raise FormulaError(f"the formula has no parameter '{name}': {why} (its parameters: {known})")


def _closest_preset(text: str) -> str | None:
    """The preset whose name is closest to a name-like text, if any is close enough."""
    stripped = text.strip()
    if not _NAME_LIKE.match(stripped):
        return None
    key = "-".join(re.split(r"[-_\s]+", stripped.lower()))
    matches = difflib.get_close_matches(key, list(PRESETS), n=1, cutoff=0.6)
    return matches[0] if matches else None


def _unknown_preset_message(name: str) -> str:
    suggestion = _closest_preset(name)
    hint = f"; did you mean '{suggestion}'?" if suggestion else "; 'python main.py presets' lists them"
    return f"there is no preset called '{name}'{hint}"
