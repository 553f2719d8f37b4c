"""How the scene is shown, kept the same in the window and in the scene: overlays, layout, camera.

The scene (physics.scenes.ViewSettings) says which overlays of physics.overlays are on, which
views are shown ("both", "3d", "2d") and where the 3D camera looks from; the window shows that
when a scene arrives (apply_view) and reports every change back before a save (sync_view).
"""

from __future__ import annotations

import math
from dataclasses import replace

from PyQt6.QtGui import QAction

from physics.overlays import OVERLAY_NAMES


class ViewSync:
    """Overlays, layout and camera between window and scene, mixed into the QMainWindow. Reads
    ``controller``, ``map_view``, ``view3d``, ``splitter``, ``overlay_actions``,
    ``show_3d_action`` and ``show_map_action`` from the window."""

    def set_overlay(self, name: str, shown: bool) -> None:
        """Switch an overlay of the map (by its name in physics.overlays); the scene remembers it."""
        self.map_view.set_overlay(name, shown)
        if self.overlay_actions[name].isChecked() != shown:
            self.overlay_actions[name].setChecked(shown)
        self.sync_view()

    def sync_view(self) -> None:
        """Tell the controller how the scene is shown now: overlays, layout and the 3D camera."""
        view = self.controller.view
        overlays = dict(view.overlays)
        for name in OVERLAY_NAMES:
            overlays[name] = self.overlay_actions[name].isChecked()
        changes: dict[str, object] = {"overlays": tuple(overlays.items()), "layout": self._layout()}
        if self.view3d is not None:
            camera = self.view3d.camera()  # distance in surface units, as the scene file keeps it
            distance = camera["distance"]
            changes.update(azimuth=_angle(camera["azimuth"], 360.0), elevation=_angle(camera["elevation"], 90.0),
                           distance=distance if math.isfinite(distance) and distance > 0 else None)
        self.controller.set_view(replace(view, **changes))

    def apply_view(self) -> None:
        """Show the scene as its view settings say: overlays, which views, the 3D camera."""
        view = self.controller.view
        for name in OVERLAY_NAMES:
            shown = view.overlay(name)
            self.map_view.set_overlay(name, shown)
            action = self.overlay_actions[name]
            action.blockSignals(True)
            action.setChecked(shown)
            action.blockSignals(False)
        for action, shown in ((self.show_3d_action, view.layout in ("both", "3d")),
                              (self.show_map_action, view.layout in ("both", "2d"))):
            action.blockSignals(True)
            action.setChecked(shown)
            action.blockSignals(False)
        self._show_layout()
        if self.view3d is not None:
            self.view3d.reset_view()
            # The scene's angles, framed for them; then its own distance (surface units), if it has one.
            self.view3d.set_camera(azimuth=view.azimuth, elevation=view.elevation, distance=None)
            if view.distance is not None:
                self.view3d.set_camera(distance=view.distance)

    def _layout(self) -> str:
        """The scene file's name for which views are shown: "both", "3d" or "2d"."""
        three_d, two_d = self.show_3d_action.isChecked(), self.show_map_action.isChecked()
        return "both" if three_d == two_d else ("3d" if three_d else "2d")

    def _show_layout(self) -> None:
        layout = self._layout()
        self.splitter.widget(0).setVisible(layout in ("both", "3d"))
        self.splitter.widget(1).setVisible(layout in ("both", "2d"))

    def _on_layout_toggled(self, toggled: QAction) -> None:
        if not (self.show_3d_action.isChecked() or self.show_map_action.isChecked()):
            # One view at least: switching the last one off shows the other instead.
            other = self.show_map_action if toggled is self.show_3d_action else self.show_3d_action
            other.setChecked(True)
            return
        self._show_layout()
        self.sync_view()

    def reset_camera(self) -> None:
        if self.view3d is not None:
            self.view3d.reset_view()


def _angle(value: float, limit: float) -> float:
    """An angle in degrees brought into [-limit, limit] (azimuth wraps, elevation is clamped)."""
    value = float(value)
    if limit >= 360.0:
        return (value + 360.0) % 720.0 - 360.0 if abs(value) > 360.0 else value
    return max(-limit, min(limit, value))
