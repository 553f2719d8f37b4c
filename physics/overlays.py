"""The contour map's overlays: one table that scene files, the View menu and the map all read.

Each row names an overlay once: the name is the scene file's key under ``view.overlays``, the name
the window and the map use for it (``MainWindow.set_overlay``, ``ContourMapView.set_overlay``),
and the key of its action in the View > Map overlays menu; the label is that menu entry's text
(``&`` marks the access key). The rows' order is the order a saved scene lists them in and the
menu's order.

Adding an overlay is a row here plus the code in ``gui.views.contour_map`` that draws it. No Qt
here: scenes (physics) validate the names.
"""

from __future__ import annotations

from typing import NamedTuple


class Overlay(NamedTuple):
    """One overlay of the contour map: ``name`` (scene key, map and menu name), ``label`` (menu text)."""

    name: str
    label: str


#: Every overlay, in the order scene files list them (saved scenes keep the same bytes).
OVERLAYS: tuple[Overlay, ...] = (
    Overlay("gradient", "&Gradient arrows (−∇f)"),
    Overlay("step", "Last &step"),
    Overlay("velocity", "&Velocity / first moment"),
    Overlay("eigenvectors", "&Eigen-directions of the Hessian"),
    Overlay("trails", "&Trails"),
    Overlay("critical_points", "&Critical points"),
    Overlay("contours", "Contour &lines"),
)
#: The overlays' names, in the table's order.
OVERLAY_NAMES: tuple[str, ...] = tuple(overlay.name for overlay in OVERLAYS)
