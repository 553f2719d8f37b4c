"""What the explainer walks through and says about each part, read from an Explanation (no Qt).

- :func:`parts_to_walk`: the explanation's parts, ending on the whole step (a part of key "step" is
  added, carrying ``Explanation.step``, when the last part is not one), so the last Right always
  shows the whole step before it takes it;
- :func:`kind_words`: the card's line saying which kind of arrow the part is (colour is never the
  only carrier: the line names the style and the role);
- :func:`eigen_signs`: the curvature's sign along each of a part's eigen-directions, matched to the
  Hessian's eigenvectors at the ball, so they are drawn as the map draws them (solid up, dashed down).
"""

from __future__ import annotations

import numpy as np

from physics.explain.parts import Explanation, Part

LAST_WORDS = "Solid yellow: the whole step; faint: its terms, head to tail."
SUMMAND_WORDS = "A term of the step (solid yellow arrow, added head to tail)."
CONTEXT_WORDS = "What the step is built from (dashed white arrow, not added)."


def parts_to_walk(explanation: Explanation) -> tuple[Part, ...]:
    """The explanation's parts, ending on the whole step (see the module docstring)."""
    parts = tuple(explanation.parts)
    if parts and parts[-1].key == "step":
        return parts
    position = np.asarray(explanation.position, dtype=float)
    step = np.asarray(explanation.step, dtype=float)
    end = position + step
    whole = Part(key="step", title="The whole step",
                 sentence=f"Added head to tail, the terms make the step the ball takes next: from "
                          f"({position[0]:.4g}, {position[1]:.4g}) to ({end[0]:.4g}, {end[1]:.4g}).",
                 vector=step, origin=position, summand=False,
                 numbers=(("step", (float(step[0]), float(step[1]))), ("length", float(np.hypot(*step)))))
    return (*parts, whole)


def kind_words(part: Part, last: bool) -> str:
    """Which kind of arrow ``part`` is, in words ("" for a part without an arrow)."""
    if last:
        return LAST_WORDS
    if part.summand:
        return SUMMAND_WORDS
    if part.vector is not None:
        return CONTEXT_WORDS
    return ""


def eigen_signs(directions: np.ndarray | None, eigenvalues: np.ndarray, eigenvectors: np.ndarray
                ) -> tuple[float, ...] | None:
    """The sign of the curvature along each column of ``directions`` (2, k): the eigenvalue (2,) of
    the eigenvector (columns of (2, 2) ``eigenvectors``) it lies along; None when one matches none
    (|cos| <= 0.99) or there are no directions."""
    if directions is None:
        return None
    directions = np.asarray(directions, dtype=float).reshape(2, -1)
    signs = []
    for column in range(directions.shape[1]):
        dots = np.abs(np.asarray(eigenvectors, dtype=float).T @ directions[:, column])
        best = int(np.argmax(dots))
        if not dots[best] > 0.99:
            return None
        signs.append(float(np.sign(eigenvalues[best])))
    return tuple(signs)
