"""The Oracle over a Surface: f, grad f and H at any points, remembering the evaluation of the current ones.

An optimiser's ``update(grads, state, params, oracle)`` may ask for the Hessian at ``params``
(Newton) or for values at trial points (line searches, adaptive-rate rules). The simulation has
already evaluated the surface at ``params``; :meth:`SurfaceOracle.remember` hands that evaluation
over so asking for it again costs nothing.
"""

from __future__ import annotations

import numpy as np

from surfaces.surface import Evaluation, Surface


class SurfaceOracle:
    """What an optimiser may ask of a Surface (implements physics.optimizers.base.Oracle).

    The remembered evaluation is returned only for the very array it was remembered with, or an
    array equal to it element for element; every other request evaluates the surface.
    """

    def __init__(self, surface: Surface):
        self.surface = surface
        self._points: np.ndarray | None = None
        self._evaluation: Evaluation | None = None

    def remember(self, points: np.ndarray, evaluation: Evaluation) -> None:
        """Remember that ``evaluation`` is the surface at ``points`` (n, 2)."""
        self._points = points
        self._evaluation = evaluation

    def forget(self) -> None:
        self._points = None
        self._evaluation = None

    def _remembered(self, points: np.ndarray) -> Evaluation | None:
        known = self._points
        if known is None:
            return None
        if points is known:
            return self._evaluation
        if isinstance(points, np.ndarray) and points.shape == known.shape and np.array_equal(points, known):
            return self._evaluation
        return None

    def evaluate(self, points: np.ndarray) -> Evaluation:
        """f (n,), grad f (n, 2) and H (n, 2, 2) at points (n, 2); NaN where undefined."""
        remembered = self._remembered(points)
        return remembered if remembered is not None else self.surface.evaluate(points)

    def value(self, points: np.ndarray) -> np.ndarray:
        """f at points (n, 2) -> (n,)."""
        remembered = self._remembered(points)
        return remembered.value if remembered is not None else self.surface.value(points)

    def gradient(self, points: np.ndarray) -> np.ndarray:
        """The true grad f at points (n, 2) -> (n, 2)."""
        return self.evaluate(points).gradient

    def hessian(self, points: np.ndarray) -> np.ndarray:
        """H at points (n, 2) -> (n, 2, 2)."""
        return self.evaluate(points).hessian
