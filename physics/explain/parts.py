"""What an explanation of one update is made of: parts, each an arrow with a sentence and numbers.

The explainer (issue 15, section 3) takes a ball's *next* update apart. Every part is one idea a
student can follow (the gradient, the noise, weight decay, clipping, momentum's decay and add,
Adam's moments, Newton's H^-1 g, a line search's trials, ...), drawn on the contour map as an
arrow from ``origin`` with ``vector``, and told by ``sentence`` with its ``numbers``.

Two kinds of part:

- a *summand* (``summand=True``) is one term of the step. The summands of an Explanation, added
  in order to a zero vector (``((0 + s1) + s2) + ...``, float64), equal the step the simulation
  takes, bit for bit (:func:`sum_of_summands`). Their arrows are drawn head to tail from the ball.
- a *context* part (``summand=False``) shows a quantity the step is built from (the true
  gradient, the noise draw, a momentum buffer, a second moment, an eigenvector, the line
  search's trial points); its vector, if any, is drawn from its own origin and is not summed.

Units: ``origin`` is a position (x, y); ``vector`` is in position units (a displacement),
already scaled the way it is drawn (for a gradient: -lr * g, the step it alone would make,
with ``scale_note`` saying so); numbers are plain floats in the units their label states.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Part:
    """One idea of one update.

    Attributes:
        key: a stable identifier, such as "gradient", "noise", "weight_decay", "clip",
            "momentum_decay", "momentum_add", "lookahead", "moments", "bias_correction",
            "scaling", "sign_rule", "accept", "newton", "eigen", "saddle_free", "bfgs_update",
            "cg_direction", "line_search", "step".
        title: a short heading for the part ("Momentum: the buffer decays").
        sentence: one to three sentences for a student, with the numbers in them.
        vector: (2,) displacement in position units, or None when the part has no arrow.
        origin: (2,) position the arrow starts from.
        summand: True when ``vector`` is a term of the step (see the module docstring).
        numbers: (label, value) pairs shown beside the sentence; a value is a float or a pair.
        squares: per-coordinate squares to draw (Adam/RMSProp/AdaGrad's running moments): (label,
            (2,) values) pairs; the view draws, for each coordinate, a square of side |value|
            (scaled per label), so the student sees which coordinate's average is large.
        points: (k, 2) positions to mark (a line search's trial points, a Newton target), or None.
        point_labels: one short label per row of ``points`` ("accepted", "rejected", ...).
        directions: (2, 2) unit vectors as columns (the Hessian's eigenvectors) drawn through
            ``origin``, with ``direction_labels``; or None.
        direction_labels: one label per column of ``directions`` ("lambda = -1.0 (downhill)").
        scale_note: how the arrow is scaled for drawing when that is not obvious ("drawn as
            -lr * g, the step it alone would make").
    """

    key: str
    title: str
    sentence: str
    vector: np.ndarray | None
    origin: np.ndarray
    summand: bool = False
    numbers: tuple[tuple[str, float | tuple[float, float]], ...] = ()
    squares: tuple[tuple[str, np.ndarray], ...] = ()
    points: np.ndarray | None = None
    point_labels: tuple[str, ...] = ()
    directions: np.ndarray | None = None
    direction_labels: tuple[str, ...] = ()
    scale_note: str = ""


@dataclass(frozen=True)
class Explanation:
    """A ball's next update, taken apart.

    Attributes:
        ball: the ball's index in the simulation; particle: the particle's index within it (0 for
            a single ball).
        optimizer: the registry name; title: what the explainer's header says ("Adam, step 12").
        step_index: the simulation step the update will make (the step counter after it).
        position: (2,) where the particle is now.
        step: (2,) the step the simulation will take, exactly (position + step is the next position).
        parts: the parts in the order they are walked through.
    """

    ball: int
    particle: int
    optimizer: str
    title: str
    step_index: int
    position: np.ndarray
    step: np.ndarray
    parts: tuple[Part, ...] = field(default_factory=tuple)

    def summands(self) -> tuple[Part, ...]:
        return tuple(part for part in self.parts if part.summand)


def sum_of_summands(parts: tuple[Part, ...] | list[Part]) -> np.ndarray:
    """The summands' vectors added in order to a zero (2,) float64 vector: ((0 + s1) + s2) + ..."""
    total = np.zeros(2)
    for part in parts:
        if part.summand and part.vector is not None:
            total = total + part.vector
    return total
