"""The step-by-step explainer on screen (issue 15, section 3): E opens a ball's next update part by part.

``attach_explainer(window, contour_map, controller) -> ExplainerController`` (gui.explain.explainer)
installs it on any window with a contour map; the overlay (arrows, markers, lines on the map), the
card (the part's words and numbers) and the geometry (head to tail, magnified, clipped) are its parts.
"""

from gui.explain.explainer import ExplainerController, attach_explainer

__all__ = ["ExplainerController", "attach_explainer"]
