"""Balls made to fit a new surface: the preset's suggested starts, and the repairs a switch needs.

A surface switch keeps the balls the teacher set up where it can. Two things can stop a ball
from running on the new surface, and each is repaired (and said in words) rather than refused:

- a mini-batch ball on a surface that is not a sum of terms (or has fewer terms than the batch)
  goes full-batch;
- a ball whose start is undefined there (f, grad f or H not finite) moves to the nearest point of
  a RELOCATION_GRID x RELOCATION_GRID grid over the domain where all three are finite.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from physics.balls import BallSpec
from surfaces.errors import DownhillError, FormulaError
from surfaces.presets import PRESETS
from surfaces.surface import Surface

#: Grid on which a ball whose start became undefined looks for the nearest defined point.
RELOCATION_GRID = 61


def adapt_balls(surface: Surface, balls: Sequence[BallSpec]) -> tuple[tuple[BallSpec, ...], list[str]]:
    """The balls made runnable on ``surface``, and what was changed, in words (one per change).

    Raises:
        FormulaError: f is undefined everywhere in the domain.
    """
    adapted: list[BallSpec] = []
    changes: list[str] = []
    for ball in balls:
        batch = ball.noise.batch_size
        if batch is not None and (not surface.is_finite_sum or batch > len(surface.terms)):
            ball = replace(ball, noise=replace(ball.noise, batch_size=None))
            changes.append(f"{ball.name} now uses the full gradient (this surface is not a sum of terms)")
        try:
            ball.check_against(surface)
        except DownhillError:
            start = nearest_defined_point(surface, ball.start)
            ball = replace(ball, start=start)
            changes.append(f"{ball.name}'s start moved to ({start[0]:.3g}, {start[1]:.3g}), where f is defined")
        adapted.append(ball)
    return tuple(adapted), changes


def preset_starts(name: str, balls: Sequence[BallSpec]) -> tuple[BallSpec, ...]:
    """The balls moved to the suggested starts of preset ``name``: ball i to start i, cycling.

    A preset without suggested starts leaves the balls where they are; a ball already at its
    suggested start is returned as it is (the same object).
    """
    starts = [(float(x), float(y)) for x, y in PRESETS[name].starts]
    if not starts:
        return tuple(balls)
    return tuple(ball if tuple(ball.start) == starts[index % len(starts)]
                 else replace(ball, start=starts[index % len(starts)])
                 for index, ball in enumerate(balls))


def nearest_defined_point(surface: Surface, point: tuple[float, float]) -> tuple[float, float]:
    """The grid point of the domain nearest ``point`` (Euclidean) where f, grad f and H are all finite.

    Raises:
        FormulaError: there is none (f is undefined over the whole domain).
    """
    xs, ys = surface.domain.grid(RELOCATION_GRID)
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    evaluation = surface.evaluate(grid)
    finite = (np.isfinite(evaluation.value) & np.isfinite(evaluation.gradient).all(axis=1)
              & np.isfinite(evaluation.hessian).all(axis=(1, 2)))
    if not finite.any():
        raise FormulaError("f is undefined everywhere in the domain", column=1)
    candidates = grid[finite]
    distance = np.hypot(candidates[:, 0] - point[0], candidates[:, 1] - point[1])
    best = candidates[int(np.argmin(distance))]
    return (float(best[0]), float(best[1]))
