"""Names and colours for the balls an editor adds: "Ball 1", "Ball 2", ... and the palette's next colour.

A new ball copies the selected ball's method (a teacher comparing starts wants the same
optimiser, hyper-parameters and noise) under a fresh name and the first palette colour no ball
of the scene uses yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from physics.balls import BallSpec, ball_color
from surfaces.surface import Domain


def unique_name(base: str, balls: Sequence[BallSpec]) -> str:
    """``base`` without its trailing number, numbered 1, 2, ... until no ball has the name."""
    names = {ball.name for ball in balls}
    stem = base.rstrip("0123456789 ") or "Ball"
    number = 1
    while f"{stem} {number}" in names:
        number += 1
    return f"{stem} {number}"


def next_color(balls: Sequence[BallSpec], limit: int) -> str:
    """The first of the first ``limit`` palette colours that no ball uses (any case), else the next in turn."""
    used = {ball.color.lower() for ball in balls}
    for index in range(limit):
        if ball_color(index).lower() not in used:
            return ball_color(index)
    return ball_color(len(balls))


def new_ball_spec(balls: Sequence[BallSpec], selected: int, domain: Domain,
                  start: tuple[float, float] | None, limit: int) -> BallSpec:
    """The ball an editor adds: the selected ball's method (or the last ball's) at ``start``.

    Without ``start`` the ball starts at the domain's centre; with no ball to copy it is gradient
    descent with lr = 0.1. ``limit`` is the most balls a scene may hold (the palette colours tried).
    """
    if 0 <= selected < len(balls):
        template: BallSpec | None = balls[selected]
    else:
        template = balls[-1] if balls else None
    if start is None:
        start = ((domain.xmin + domain.xmax) / 2, (domain.ymin + domain.ymax) / 2)
    start = (float(start[0]), float(start[1]))
    name = unique_name("Ball", balls)
    color = next_color(balls, limit)
    if template is None:
        return BallSpec(name=name, color=color, optimizer="gd", hyperparameters=(("lr", 0.1),), start=start)
    return replace(template, name=name, color=color, start=start, visible=True)
