"""BallSpec: the description of one ball (or swarm) of a simulation, and its validation.

A ball is a value: name, colour, optimiser and hyper-parameters, start, noise, particle count.
:meth:`BallSpec.check` validates it and raises :class:`~surfaces.errors.DownhillError` whose
``field`` names the offending key (``balls[1].optimizer`` when ``where="balls[1]"``), so the scene
loader and the command line report the same words. The limits every part reads are here too
(MAX_BALLS, MAX_PARTICLES), with the one ball palette (PALETTE, ball_color).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from physics.noise import NoiseSettings
from physics.optimizers.base import Optimizer, OptimizerSpec, get_optimizer
from surfaces.errors import DownhillError
from surfaces.surface import Surface

#: Particles in one ball: 1 is a ball, more a swarm.
MAX_PARTICLES = 100_000
#: Most balls in one scene: what a scene file may hold, and what the app lets a scene grow to (each
#: ball is a row in the ball list and the read-out, a legend entry and a trail). One limit, so a
#: scene the app saved always opens again and a scene that opens can still be edited.
MAX_BALLS = 32
#: The ball palette: the colours given to balls that do not name one (scene files, the command
#: line), to the preset scenes' balls and to the app's new balls, in this order, repeating after the
#: last (:func:`ball_color`). Okabe & Ito's colour-blind-safe set with white for its black (the
#: views are dark) and without its yellow and dark blue (lost on viridis' peaks and dark valleys):
#: orange, sky blue, bluish green, vermillion, reddish purple, white. gui.palette explains the
#: choice and tests/gui/test_palette.py checks that they stay apart from each other and from the
#: colours that carry meaning. Defined here, with no Qt, because scenes need it and physics
#: cannot import gui.
PALETTE: tuple[str, ...] = ("#e69f00", "#56b4e9", "#009e73", "#d55e00", "#cc79a7", "#ffffff")
#: Starts and scatter are limited to coordinates of this size.
MAX_COORDINATE = 1e6
MAX_NAME_LENGTH = 60
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True)
class BallSpec:
    """One ball (particles = 1) or swarm (particles > 1) and how it moves.

    Attributes:
        name: shown in legends and the CSV ``ball`` column.
        color: "#rrggbb".
        optimizer: a registry name ("adam", "sgd", ...).
        hyperparameters: overrides of the optimiser's defaults as (name, value) pairs; pairs of
            numbers (betas) are tuples.
        start: (x, y) where the ball starts (surface coordinates).
        noise: the gradient noise (see physics.noise).
        particles: 1 for a ball, up to MAX_PARTICLES for a swarm.
        spread: standard deviation of the particles' Gaussian scatter around ``start`` (0: all at start).
        clip: the maximum gradient norm (clipping by norm) for first-order methods; None for none.
        visible: drawn or hidden (a hidden ball still moves).
    """

    name: str
    color: str
    optimizer: str
    hyperparameters: tuple[tuple[str, Any], ...] = ()
    start: tuple[float, float] = (0.0, 0.0)
    noise: NoiseSettings = field(default_factory=NoiseSettings)
    particles: int = 1
    spread: float = 0.0
    clip: float | None = None
    visible: bool = True

    @property
    def hyperparameter_values(self) -> dict[str, Any]:
        return dict(self.hyperparameters)

    def dynamics(self) -> tuple:
        """Everything that decides the motion (not name, colour or visibility)."""
        return (self.optimizer, self.hyperparameters, self.start, self.noise, self.particles, self.spread, self.clip)

    def optimizer_spec(self, where: str = "") -> OptimizerSpec:
        try:
            return get_optimizer(self.optimizer)
        except DownhillError as error:
            raise DownhillError(error.message, field=_join(where, "optimizer")) from None

    def settings(self, where: str = "") -> dict[str, Any]:
        """The optimiser's complete, validated hyper-parameter values (defaults overlaid with ours)."""
        spec = self.optimizer_spec(where)
        known = {h.name: h for h in spec.hyperparameters}
        values = spec.defaults()
        for name, value in self.hyperparameters:
            place = _join(where, f"hyperparameters.{name}")
            if name not in known:
                raise DownhillError(f"the optimiser '{spec.name}' has no hyper-parameter '{name}'; "
                                    f"it has {', '.join(known) or 'none'}", field=place)
            try:
                values[name] = known[name].validate(value)
            except DownhillError as error:
                raise DownhillError(error.message, field=place) from None
        return values

    def make_optimizer(self, where: str = "") -> tuple[OptimizerSpec, dict[str, Any], Optimizer]:
        """The spec, the settings and the bound pair, or DownhillError naming the field."""
        spec = self.optimizer_spec(where)
        settings = self.settings(where)
        try:
            optimizer = spec.make(settings)
        except DownhillError as error:
            raise DownhillError(error.message, field=_join(where, "hyperparameters")) from None
        return spec, settings, optimizer

    def check(self, where: str = "", surface: Surface | None = None) -> None:
        """Validate every field; with a surface also the batch size and the start.

        Raises:
            DownhillError: with ``field`` naming the offending key (prefixed by ``where``).
        """
        if not isinstance(self.name, str) or not self.name.strip() or len(self.name) > MAX_NAME_LENGTH:
            raise DownhillError(f"a ball needs a name of 1 to {MAX_NAME_LENGTH} characters, not {self.name!r}",
                                field=_join(where, "name"))
        if not isinstance(self.color, str) or not _COLOUR.fullmatch(self.color):
            raise DownhillError(f"the colour must look like #1f77b4 (#rrggbb), not {self.color!r}",
                                field=_join(where, "color"))
        if not isinstance(self.optimizer, str):
            raise DownhillError(f"the optimiser must be a name, not {self.optimizer!r}",
                                field=_join(where, "optimizer"))
        spec, _, _ = self.make_optimizer(where)
        if (not isinstance(self.start, tuple) or len(self.start) != 2
                or not all(_is_number(v) and abs(v) <= MAX_COORDINATE for v in self.start)):
            raise DownhillError(f"the start must be two finite numbers within ±{MAX_COORDINATE:g}, not {self.start!r}",
                                field=_join(where, "start"))
        if not isinstance(self.noise, NoiseSettings):
            raise DownhillError("the noise must be noise settings", field=_join(where, "noise"))
        self.noise.check(_join(where, "noise"))
        if isinstance(self.particles, bool) or not isinstance(self.particles, int) \
                or not 1 <= self.particles <= MAX_PARTICLES:
            raise DownhillError(f"particles must be a whole number from 1 to {MAX_PARTICLES}, not {self.particles!r}",
                                field=_join(where, "particles"))
        if not _is_number(self.spread) or not 0.0 <= self.spread <= MAX_COORDINATE:
            raise DownhillError(f"the spread must be a finite number >= 0, not {self.spread!r}",
                                field=_join(where, "spread"))
        if self.clip is not None:
            if not _is_number(self.clip) or not self.clip > 0.0:
                raise DownhillError(f"clip must be a positive number (the largest gradient norm), not {self.clip!r}",
                                    field=_join(where, "clip"))
            if not spec.first_order:
                raise DownhillError(f"gradient clipping applies to first-order methods; '{spec.name}' is "
                                    f"{spec.family}", field=_join(where, "clip"))
        if not isinstance(self.visible, bool):
            raise DownhillError(f"visible must be true or false, not {self.visible!r}", field=_join(where, "visible"))
        if surface is not None:
            self.check_against(surface, where)

    def check_against(self, surface: Surface, where: str = "") -> None:
        """The checks that need the surface: a finite sum for mini-batches, a start where f is defined."""
        batch = self.noise.batch_size
        if batch is not None:
            if not surface.is_finite_sum:
                raise DownhillError("mini-batches need a surface that is a sum of terms (such as the neuron loss); "
                                    "this one is not", field=_join(where, "noise.batch_size"))
            if batch > len(surface.terms):
                raise DownhillError(f"the batch size {batch} is larger than the number of terms "
                                    f"({len(surface.terms)})", field=_join(where, "noise.batch_size"))
        why = surface.why_not_finite(self.start, where=f"at the start ({self.start[0]:g}, {self.start[1]:g})")
        if why:
            raise DownhillError(why, field=_join(where, "start"))


def ball_color(index: int) -> str:
    """The colour of ball ``index`` (0-based) as "#rrggbb": PALETTE[index mod len(PALETTE)]."""
    return PALETTE[int(index) % len(PALETTE)]


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


def hyperparameter_pairs(values: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    """Overrides as BallSpec stores them: (name, value) pairs, lists turned into tuples."""
    return tuple((name, tuple(value) if isinstance(value, list) else value) for name, value in values.items())
