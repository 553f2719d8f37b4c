"""The 3D view: the landscape as a shaded surface, balls as lit spheres resting on it, trails, swarms.

:class:`Landscape3DView` wraps a pyqtgraph ``GLViewWidget`` (orbit with the left mouse button,
zoom with the wheel, pan with the middle button or Ctrl+left) and observes a SceneController:

- ``surfaceChanged``: the surface is resampled (shared with the map, see
  :func:`gui.views.sampling.sample_surface`), meshed with NaN holes left open, coloured by height
  and shaded (:mod:`gui.views.mesh`); contour lines at the map's levels are laid on it; the
  base grid, axes and tick labels are rebuilt; a new domain resets the camera.
- ``criticalPointsChanged``: dots in the kinds' colours on the surface.
- ``ballsChanged``: a sphere and a trail per ball, a point cloud per swarm (created here only).
- ``stepped``: spheres move by ``setTransform``, trails and clouds by ``setData`` (no new items).
- ``selectionChanged``: the selected ball is drawn larger.

Heights are drawn through the surface's HeightScale (the same as the map's) and scaled so the
displayed range stands 0.6 times the domain's width tall; ``display_note`` and
``displayNoteChanged`` say when heights are compressed, and the note is shown in the corner.

Everything a ball draws stays in the displayed box (the domain, from the lowest to the highest
displayed height): a trail that leaves it is cut where it crosses a face (gui.views.off_map),
swarm particles outside it are not drawn, and a ball off the map rests on the domain's edge where
it last left it, labelled "left the map" (or "diverged", once the simulation stopped it) in its
colour, as on the contour map.

A ball rests on the displayed surface: its centre is the surface point under it raised by one
radius along the surface normal there (the normal comes from the exact gradient in
BallState.gradient, mapped through the display scale), so on a steep wall the sphere touches
the wall instead of sinking into it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
import pyqtgraph.opengl as gl
from OpenGL import GL
from PyQt6 import QtCore, QtGui, QtWidgets

from gui import palette
from gui.controller_link import ControllerLink
from gui.views.contours import choose_levels, contours_for, format_height, round_step
from gui.views.gl_widget import LIT_SHADER, LabelledGLView, sphere_mesh
from gui.views.mesh import BOX, WorldFrame, surface_mesh
from gui.views.off_map import DIVERGED, LEFT_THE_MAP, ExitTracker, clip_segments, inside_box
from gui.views.point_cloud import cloud_layers
from gui.views.sampling import SurfaceSample, sample_surface
from gui.views.trail_buffer import TrailBuffer
from gui.views.trail_line import TrailLine

#: At most this many particles of a swarm are drawn in 3D (an evenly spread subset beyond it). Fewer than
#: the map's: the map draws a large swarm as its density, and in software OpenGL each 3D dot costs
#: (20 000 dots: about 90 ms a frame, 5 000: about 40 ms).
MAX_3D_POINTS = 5_000

#: Sphere radius, world units (the domain's longer side is BOX = 10).
BALL_RADIUS = 0.03 * BOX
SELECTED_SCALE = 1.35
#: Trails, contour lines and critical points float this far (world units) above the surface,
#: so they do not flicker in and out of it (z-fighting).
LIFT = 0.012 * BOX
MAX_TRAIL_POINTS = 3000
#: The displayed box reaches this fraction of the relief below the lowest and above the highest
#: displayed height: trails are cut at it.
BOX_HEIGHT_MARGIN = 0.05
#: Default camera: elevation and azimuth (degrees) and distance per world radius of the scene.
ELEVATION = 32.0
AZIMUTH = -60.0
DISTANCE_FACTOR = 2.3
#: The framed scene fills this fraction of the widget, plus room (pixels) for label text beyond
#: the labels' anchor points.
FILL = 0.94
LABEL_ROOM = (45, 12)
BACKGROUND = "#1b1b1f"
LABEL_COLOR = (235, 235, 235, 255)

class Landscape3DView(QtWidgets.QWidget):
    """The 3D landscape of the controller's surface and balls (see the module docstring)."""

    displayNoteChanged = QtCore.pyqtSignal(str)

    def __init__(self, controller: ControllerLink, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self._sample: SurfaceSample | None = None
        self._frame: WorldFrame | None = None
        self._display_note = ""
        self._balls: tuple = ()
        self._spheres: list[gl.GLMeshItem | None] = []
        self._trails: list[TrailLine] = []
        self._trail_buffers: list[TrailBuffer] = []
        self._exits: list[ExitTracker] = []
        self._edge_heights: dict[int, tuple[tuple[float, float], float, np.ndarray]] = {}
        self._marks: list[tuple[tuple[float, float, float], str, str]] = []
        self._placed: dict[int, tuple[float, ...]] = {}
        self._clouds: dict[int, list[gl.GLScatterPlotItem]] = {}   # a swarm's layers: halo, edge, dot
        self._ball_centres = np.empty((0, 3))
        self._labels: list[tuple[tuple[float, float, float], str, QtGui.QFont, bool]] = []
        self._label_scale = 1.0  # set_presentation_scale: the axes' labels this many times larger
        self._sphere_data = sphere_mesh(BALL_RADIUS)

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.gl_widget = LabelledGLView(BACKGROUND, LABEL_COLOR)
        layout.addWidget(self.gl_widget)

        self.surface_item = gl.GLMeshItem(smooth=True, computeNormals=False, glOptions="opaque")
        self.contour_item = gl.GLLinePlotItem(mode="lines", color=(1.0, 1.0, 1.0, 0.4), width=1.0,
                                              antialias=False, glOptions="translucent")
        self.grid_item = gl.GLLinePlotItem(mode="lines", color=(1.0, 1.0, 1.0, 0.22), width=1.0,
                                           antialias=True, glOptions="translucent")
        self.axes_item = gl.GLLinePlotItem(mode="lines", color=(0.85, 0.85, 0.85, 0.9), width=2.0,
                                           antialias=True, glOptions="translucent")
        self.critical_item = gl.GLScatterPlotItem(size=14.0, pxMode=True, glOptions="opaque")
        for item in (self.grid_item, self.axes_item, self.surface_item, self.contour_item, self.critical_item):
            self.gl_widget.addItem(item)

        self.note_label = QtWidgets.QLabel(self.gl_widget)
        self.note_label.setStyleSheet(palette.DISPLAY_NOTE_STYLE)
        self.note_label.setToolTip(palette.DISPLAY_NOTE_TIP)
        self.note_label.hide()

        self._axes_sides = (1, -1, -1, -1)
        self._fitted_camera: tuple | None = None
        # Queued: the axes are rebuilt after the paint that showed the camera moved, not during it.
        self.gl_widget.painted.connect(self._follow_camera, QtCore.Qt.ConnectionType.QueuedConnection)
        controller.surfaceChanged.connect(self._on_surface_changed)
        controller.criticalPointsChanged.connect(self._on_critical_points_changed)
        controller.ballsChanged.connect(self._on_balls_changed)
        controller.stepped.connect(self._on_stepped)
        controller.selectionChanged.connect(self._on_selection_changed)  # bound: dropped with the view
        self._on_surface_changed(getattr(controller, "surface", None))
        self._on_critical_points_changed(getattr(controller, "critical_points", []))
        self._on_balls_changed()

    def sizeHint(self) -> QtCore.QSize:  # noqa: N802 (Qt naming)
        # A GL widget hints nothing by itself, and a layout would squeeze it to zero width.
        return QtCore.QSize(640, 600)

    # -- public --------------------------------------------------------------------------------
    @property
    def display_note(self) -> str:
        """What the display does to the heights ("heights above 16.5 compressed (log scale)"), or ""."""
        return self._display_note

    @property
    def sample(self) -> SurfaceSample | None:
        return self._sample

    @property
    def frame(self) -> WorldFrame | None:
        """The map from surface coordinates and display heights to world coordinates."""
        return self._frame

    @property
    def ball_centres(self) -> np.ndarray:
        """(balls, 3) world centres of the spheres as last drawn (NaN for swarms and hidden balls)."""
        return self._ball_centres.copy()

    def _on_selection_changed(self, _index: int) -> None:
        self._on_stepped()

    def set_presentation_scale(self, factor: float) -> None:
        """Draw the axes' tick labels and names ``factor`` times their usual size (presentation mode).

        1 is the window's own look.
        """
        self._label_scale = float(factor)
        if self._sample is not None and self._frame is not None:
            self._draw_axes(self._sample, self._frame)

    def reset_view(self) -> None:
        """The default framing: from 32 degrees up at azimuth -60 degrees, the whole scene in the picture."""
        if self._frame is None:
            return
        frame = self._frame
        d = self._sample.domain
        radius = 0.5 * math.sqrt((d.width * frame.k) ** 2 + (d.height * frame.k) ** 2 + frame.relief**2)
        self.gl_widget.setCameraPosition(pos=QtGui.QVector3D(0.0, 0.0, 0.3 * frame.relief),
                                         distance=DISTANCE_FACTOR * radius, elevation=ELEVATION, azimuth=AZIMUTH)
        self.fit_camera()

    def fit_camera(self) -> None:
        """Keep the camera's angles; move and zoom it so the surface, the axes and their labels fill the picture.

        The picture's size depends on the widget's shape (pyqtgraph's field of view is
        horizontal), so this is worked out on the projected points, a few times over (the
        projection is not linear in the distance, but nearly).
        """
        view = self.gl_widget
        width, height = view.width(), view.height()
        if self._frame is None or width < 80 or height < 80:
            return
        if self._camera_sides() != self._axes_sides:
            self._draw_axes(self._sample, self._frame)   # the labels to frame are on the camera's side
        points = self._framing_points()
        for _ in range(4):
            projected = [self.project(p) for p in points]
            if any(p is None for p in projected):
                view.opts["distance"] *= 1.5
                continue
            xs = np.array([p.x() for p in projected])
            ys = np.array([p.y() for p in projected])
            # Centre the picture, then zoom so it fills FILL of the widget, leaving room for label text.
            # pyqtgraph's "view" pan moves the picture by (dx, -dy) pixels (it is what a mouse drag does).
            view.pan(width / 2 - 0.5 * (xs.min() + xs.max()), height / 2 - 0.5 * (ys.min() + ys.max()), 0.0,
                     relative="view")
            scale = max((xs.max() - xs.min()) / (FILL * width - 2 * LABEL_ROOM[0]),
                        (ys.max() - ys.min()) / (FILL * height - 2 * LABEL_ROOM[1]))
            view.opts["distance"] *= float(np.clip(scale, 0.2, 5.0))
        view.update()
        self._fitted_camera = self._camera_state()

    def _framing_points(self) -> list[tuple[float, float, float]]:
        """The corners of the box around the surface and the anchors of every label."""
        frame, d = self._frame, self._sample.domain
        half_u, half_v = 0.5 * d.width * frame.k, 0.5 * d.height * frame.k
        corners = [(su * half_u, sv * half_v, w) for su in (-1, 1) for sv in (-1, 1) for w in (0.0, frame.relief)]
        return corners + [position for position, _text, _font, _right in self._labels]

    def _camera_state(self) -> tuple:
        opts = self.gl_widget.opts
        centre = opts["center"]
        return (centre.x(), centre.y(), centre.z(), opts["distance"], opts["elevation"], opts["azimuth"])

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802 (Qt naming)
        super().resizeEvent(event)
        # Refit while the camera is where the last fit left it (the user has not moved it).
        if self._fitted_camera is None or self._fitted_camera == self._camera_state():
            QtCore.QTimer.singleShot(0, self.fit_camera)

    def camera(self) -> dict[str, float]:
        """The camera as a scene file keeps it: azimuth and elevation (degrees), distance in surface units."""
        opts = self.gl_widget.opts
        k = self._frame.k if self._frame is not None else 1.0
        return {"azimuth": float(opts["azimuth"]), "elevation": float(opts["elevation"]),
                "distance": float(opts["distance"]) / k}

    def set_camera(self, azimuth: float | None = None, elevation: float | None = None,
                   distance: float | None = None) -> None:
        """Turn the camera to these angles (degrees); ``distance`` in surface units, or None to frame the scene."""
        k = self._frame.k if self._frame is not None else 1.0
        self.gl_widget.setCameraPosition(azimuth=azimuth, elevation=elevation,
                                         distance=None if distance is None else float(distance) * k)
        if distance is None:
            self.fit_camera()

    @property
    def axis_labels(self) -> list[tuple[tuple[float, float, float], str]]:
        """The labels pinned in the scene (world point, text): ticks, axis names."""
        return [(position, text) for position, text, _font, _right in self._labels]

    def project(self, point: tuple[float, float, float]) -> QtCore.QPointF | None:
        """Where a world point appears in the GL widget now (None if behind the camera)."""
        return self.gl_widget.labels.project(point)

    def render_image(self) -> QtGui.QImage:
        """The current picture with labels and note (what a screenshot or a clip frame shows)."""
        return self.grab().toImage()

    # -- surface -------------------------------------------------------------------------------
    def _on_surface_changed(self, surface: Any) -> None:
        if surface is None:
            return
        previous = self._sample
        sample = self._sample = sample_surface(surface)
        self._frame = WorldFrame.for_sample(sample)
        self._set_boxes()  # new heights, new world frame: recompute the trails
        frame = self._frame
        mesh = surface_mesh(sample, frame)
        self.surface_item.setMeshData(vertexes=mesh.vertexes, faces=mesh.faces, vertexColors=mesh.colors)
        self._draw_contours(sample, frame)
        self._draw_axes(sample, frame)
        self._set_note(sample.scale.note)
        self._on_critical_points_changed(getattr(self.controller, "critical_points", []))
        if previous is None or previous.domain != sample.domain:
            self.reset_view()
        self._on_stepped()

    def _draw_contours(self, sample: SurfaceSample, frame: WorldFrame) -> None:
        contours = contours_for(sample)
        path = np.concatenate([contours.major_path, np.full((1, 2), np.nan), contours.minor_path])
        heights = np.concatenate([contours.major_heights, [np.nan], contours.minor_heights])
        world = frame.world_points(path, sample.scale.apply(heights), lift=LIFT * 0.5)
        # GL "lines" mode wants pairs of endpoints: every segment whose two ends are defined.
        good = np.isfinite(world).all(axis=1)
        segment = good[:-1] & good[1:]
        pairs = np.empty((2 * int(segment.sum()), 3), dtype=np.float32)
        pairs[0::2] = world[:-1][segment]
        pairs[1::2] = world[1:][segment]
        self.contour_item.setData(pos=pairs)

    def _draw_axes(self, sample: SurfaceSample, frame: WorldFrame) -> None:
        """Base grid under the surface, tick labels along the edges nearest the camera, a vertical f axis.

        Which edges and which corner depend on where the camera is: the x ticks run along the
        edge y = const nearest the camera, the y ticks along the nearest edge x = const, and the
        f axis stands at the corner furthest left on the screen, clear of the surface.
        """
        d = sample.domain
        half_u, half_v = 0.5 * d.width * frame.k, 0.5 * d.height * frame.k
        step = round_step(max(d.width, d.height) / 6)
        xs, ys = _ticks(d.xmin, d.xmax, step), _ticks(d.ymin, d.ymax, step)
        us, vs = (xs - frame.x_centre) * frame.k, (ys - frame.y_centre) * frame.k
        grid = [((u, -half_v, 0.0), (u, half_v, 0.0)) for u in (*us, -half_u, half_u)]
        grid += [((-half_u, v, 0.0), (half_u, v, 0.0)) for v in (*vs, -half_v, half_v)]
        self.grid_item.setData(pos=np.array(grid, dtype=np.float32).reshape(-1, 3))

        sides = self._camera_sides()
        self._axes_sides = sides
        side_u, side_v, corner_u, corner_v = sides
        self._labels = []
        font = QtGui.QFont()
        font.setPointSizeF(12 * self._label_scale)
        big = QtGui.QFont()
        big.setPointSizeF(16 * self._label_scale)
        big.setItalic(True)
        gap = 0.05 * BOX
        edge_v = side_v * (half_v + gap)
        edge_u = side_u * (half_u + gap)
        for x, u in zip(xs, us, strict=True):
            self._add_label((u, edge_v, 0.0), format_height(x), font)
        for y, v in zip(ys, vs, strict=True):
            self._add_label((edge_u, v, 0.0), format_height(y), font)
        self._add_label((0.0, side_v * (half_v + 3 * gap), 0.0), "x", big)
        self._add_label((side_u * (half_u + 3 * gap), 0.0, 0.0), "y", big)

        # Two gaps out, so its labels clear the tick labels that end at the same corner.
        corner = (corner_u * (half_u + 2 * gap), corner_v * (half_v + 2 * gap))
        out = (0.4 * gap * corner_u, 0.4 * gap * corner_v)
        segments = [(corner[0], corner[1], 0.0), (corner[0], corner[1], frame.relief * 1.05)]
        for level in choose_levels(sample, 4):
            w = float(frame.world_z(sample.scale.apply(level)))
            segments += [(corner[0], corner[1], w), (corner[0] + out[0], corner[1] + out[1], w)]
            self._add_label((corner[0] + 1.5 * out[0], corner[1] + 1.5 * out[1], w), format_height(float(level)),
                            font, right=True)
        self._add_label((corner[0], corner[1], frame.relief * 1.12), "f", big)
        self.axes_item.setData(pos=np.array(segments, dtype=np.float32))
        self.gl_widget.labels.set_labels(self._labels)

    def _camera_sides(self) -> tuple[int, int, int, int]:
        """(sign of u, sign of v) of the edges nearest the camera, and of the corner furthest left on screen."""
        azimuth = math.radians(float(self.gl_widget.opts["azimuth"]))
        towards_camera = (math.cos(azimuth), math.sin(azimuth))
        screen_left = (math.sin(azimuth), -math.cos(azimuth))
        return (1 if towards_camera[0] >= 0 else -1, 1 if towards_camera[1] >= 0 else -1,
                1 if screen_left[0] >= 0 else -1, 1 if screen_left[1] >= 0 else -1)

    def _follow_camera(self) -> None:
        """After a repaint: move the ticks and the f axis if the camera went round to another side."""
        if self._sample is not None and self._camera_sides() != self._axes_sides:
            self._draw_axes(self._sample, self._frame)

    def _add_label(self, position: tuple[float, float, float], text: str, font: QtGui.QFont,
                   right: bool = False) -> None:
        self._labels.append((position, text, font, right))

    def _set_note(self, note: str) -> None:
        self.note_label.setText(note)
        self.note_label.adjustSize()
        self.note_label.move(8, 8)
        self.note_label.setVisible(bool(note))
        if note != self._display_note:
            self._display_note = note
            self.displayNoteChanged.emit(note)

    # -- critical points -----------------------------------------------------------------------
    def _on_critical_points_changed(self, points: Any) -> None:
        points = list(points or [])
        if self._frame is None or self._sample is None or not points:
            self.critical_item.setData(pos=np.empty((0, 3), dtype=np.float32))
            return
        xy = np.array([(p.x, p.y) for p in points], dtype=float)
        display = self._sample.scale.apply(np.array([p.value for p in points], dtype=float))
        colors = np.array([pg.mkColor(palette.CRITICAL_COLORS.get(p.kind, "#ffffff")).getRgbF() for p in points],
                          dtype=np.float32)
        # Lifted twice as high as trails: a dot 14 pixels wide would otherwise sink into a curved surface.
        self.critical_item.setData(pos=self._frame.world_points(xy, display, lift=2 * LIFT), color=colors)

    # -- balls ---------------------------------------------------------------------------------
    def _on_balls_changed(self) -> None:
        layers = [item for cloud in self._clouds.values() for item in cloud]
        for item in [*(s for s in self._spheres if s is not None), *self._trails, *layers]:
            self.gl_widget.removeItem(item)
        self._spheres, self._trails, self._clouds = [], [], {}
        self._balls = tuple(getattr(self.controller, "balls", ()) or ())
        self._trail_buffers = [TrailBuffer(3, MAX_TRAIL_POINTS) for _ in self._balls]
        self._set_boxes()
        for index, ball in enumerate(self._balls):
            rgba = pg.mkColor(ball.color).getRgbF()
            trail = TrailLine(color=rgba, width=3.0, antialias=True, mode="line_strip", glOptions="opaque")
            trail.setVisible(ball.visible and ball.particles == 1)
            self.gl_widget.addItem(trail)
            self._trails.append(trail)
            if ball.particles > 1:
                self._clouds[index] = self._add_cloud(ball)
                self._spheres.append(None)
            else:
                sphere = gl.GLMeshItem(meshdata=self._sphere_data, smooth=True, shader=LIT_SHADER, color=rgba,
                                       glOptions="opaque")
                sphere.setVisible(False)  # shown once it has a position
                self.gl_widget.addItem(sphere)
                self._spheres.append(sphere)
        self._ball_centres = np.full((len(self._balls), 3), np.nan)
        self._placed = {}   # where each sphere was put last (centre, radius)
        self._on_stepped()

    def world_box(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(lo, hi) world corners of the displayed box: the domain, from just under the lowest to just
        over the highest displayed height (room for the lift of trails and for grid sampling)."""
        if self._frame is None or self._sample is None:
            return None
        frame, d = self._frame, self._sample.domain
        half_u, half_v = 0.5 * d.width * frame.k, 0.5 * d.height * frame.k
        margin = BOX_HEIGHT_MARGIN * frame.relief
        return (np.array([-half_u, -half_v, -margin]), np.array([half_u, half_v, frame.relief + LIFT + margin]))

    def _set_boxes(self) -> None:
        """Cut trails to the displayed box, and follow each ball's exits from the domain, from scratch."""
        box = self.world_box()
        for buffer in self._trail_buffers:
            buffer.set_box(*(box or (None, None)))
        self._edge_heights.clear()
        if self._sample is None:
            self._exits = []
            return
        d = self._sample.domain
        self._exits = [ExitTracker(np.array([d.xmin, d.ymin]), np.array([d.xmax, d.ymax])) for _ in self._balls]

    @property
    def off_map_labels(self) -> list[tuple[tuple[float, float, float], str, str]]:
        """The labels of balls off the map or diverged now: (world point, text, colour)."""
        return list(self._marks)

    def _add_cloud(self, ball: Any) -> list[gl.GLScatterPlotItem]:
        """A swarm's point cloud, as on the map: light halos, then dark edges, then the dots on top.

        The surface hides all three (depth test), but the halos and edges do not write depth, so
        a nearer particle's halo never covers a farther particle's dot: a dense cluster shows as a
        patch of the swarm's colour with a dark and a light rim. The dots, drawn last, write depth
        again (and so restore the depth mask for the items after them).
        """
        layers = []
        for rgba, width in cloud_layers(ball.color):
            opaque = rgba[3] == 255
            options = {GL.GL_DEPTH_TEST: True, GL.GL_BLEND: not opaque, GL.GL_CULL_FACE: False,
                       "glDepthMask": (GL.GL_TRUE if opaque else GL.GL_FALSE,)}
            if not opaque:
                options["glBlendFunc"] = (GL.GL_SRC_ALPHA, GL.GL_ONE_MINUS_SRC_ALPHA)
            item = gl.GLScatterPlotItem(size=width, pxMode=True, color=tuple(c / 255 for c in rgba), glOptions=options)
            item.setVisible(ball.visible)
            self.gl_widget.addItem(item)
            layers.append(item)
        return layers

    def _on_stepped(self) -> None:
        """Move spheres, trails and clouds to the latest state (setData / setTransform only)."""
        frame, sample = self._frame, self._sample
        if frame is None or sample is None:
            return
        selected = getattr(self.controller, "selected", -1)
        scale = sample.scale
        moved: list[tuple[int, list[float], float, list[float]]] = []   # (ball, position, loss, gradient)
        words: dict[int, str] = {}
        visible: list[tuple[int, Any, Any, Any]] = []   # (ball, spec, state, history)
        for index, ball in enumerate(self._balls):
            if not ball.visible:
                continue
            try:
                visible.append((index, ball, self.controller.state(index), self.controller.history(index)))
            except (IndexError, KeyError):
                continue  # the simulation has not caught up with the ball list yet
        # The newest point of every trail, converted to world coordinates at once (one conversion a
        # frame, not one per ball: most frames add just that point to each trail).
        ends = [history for _i, ball, _s, history in visible if ball.particles == 1 and len(history.steps)]
        newest = iter(self._trail_world(np.array([history.positions[-1] for history in ends]),
                                        np.array([history.loss[-1] for history in ends])) if ends else ())
        for index, ball, state, history in visible:
            if ball.particles > 1:
                # No trail: a swarm's history holds its mean position and mean loss, and the mean
                # loss is not the height of the surface under the mean position.
                stride = max(1, -(-len(state.positions) // MAX_3D_POINTS))
                shown, losses = state.positions[::stride], state.loss[::stride]
                d = sample.domain
                on_map = inside_box(shown, np.array([d.xmin, d.ymin]), np.array([d.xmax, d.ymax]))
                if not on_map.all():
                    shown, losses = shown[on_map], losses[on_map]
                world = frame.world_points(shown, scale.apply(losses), lift=0.5 * LIFT)
                for layer in self._clouds[index]:
                    layer.setData(pos=world)
                continue
            buffer = self._trail_buffers[index]
            positions = history.positions
            end = next(newest)[None] if len(positions) else None
            points = buffer.update(positions, history.loss, self._trail_world, end)
            if points is not None:   # None: the ball has not moved, its trail is not uploaded again
                if buffer.leaves and buffer.box is not None:
                    self._trails[index].set_points(clip_segments(points, *buffer.box), "lines")
                else:
                    self._trails[index].set_points(points, "line_strip")
            if self._spheres[index] is None:
                continue
            active = bool(state.active[0])
            exits = self._exits[index] if index < len(self._exits) else None
            if exits is not None:
                exits.update(positions)
            if exits is not None and exits.outside:
                where = exits.marker_point()
                loss, gradient = self._edge_height(index, where)
                moved.append((index, where.tolist(), loss, gradient.tolist()))
                words[index] = LEFT_THE_MAP if active else DIVERGED
                continue
            moved.append((index, state.positions[0].tolist(), float(state.loss[0]), state.gradient[0].tolist()))
            if not active:
                words[index] = DIVERGED
        marks = []
        if moved:
            indices = [m[0] for m in moved]
            radii = [BALL_RADIUS * (SELECTED_SCALE if i == selected else 1.0) for i in indices]
            centres = self.resting_centres(np.array([m[1] for m in moved]), np.array([m[2] for m in moved]),
                                           np.array([m[3] for m in moved]), np.array(radii))
            self._ball_centres[indices] = centres
            placed_before = self._placed
            for index, centre, radius in zip(indices, centres.tolist(), radii, strict=True):
                sphere = self._spheres[index]
                placed = (*centre, radius)
                if placed == placed_before.get(index):
                    pass   # a ball at rest: its sphere is where it was
                elif not (math.isfinite(centre[0]) and math.isfinite(centre[1]) and math.isfinite(centre[2])):
                    sphere.setVisible(False)
                    self._placed.pop(index, None)
                    continue
                else:
                    matrix = QtGui.QMatrix4x4()
                    matrix.translate(*centre)
                    if radius != BALL_RADIUS:
                        matrix.scale(radius / BALL_RADIUS)
                    sphere.setTransform(matrix)
                    if not sphere.visible():
                        sphere.setVisible(True)
                    self._placed[index] = placed
                if index in words:
                    above = (centre[0], centre[1], centre[2] + 2.2 * radius)
                    marks.append((above, words[index], self._balls[index].color))
        if marks != self._marks:
            self._marks = marks
            self.gl_widget.labels.set_marks(marks)

    def _edge_height(self, index: int, point: np.ndarray) -> tuple[float, np.ndarray]:
        """f and grad f at the point of the edge where ball ``index`` is marked (to rest its sphere there).

        Asked of the surface once per new point: the ball itself is far away, its state says
        nothing about the edge.
        """
        key = (float(point[0]), float(point[1]))
        known = self._edge_heights.get(index)
        if known is None or known[0] != key:
            evaluation = self.controller.surface.evaluate(np.asarray(point, dtype=float).reshape(1, 2))
            known = self._edge_heights[index] = (key, float(evaluation.value[0]), evaluation.gradient[0].copy())
        return known[1], known[2]

    def _trail_world(self, positions: np.ndarray, losses: np.ndarray) -> np.ndarray:
        return self._frame.world_points(positions, self._sample.scale.apply(losses), lift=LIFT)

    def resting_centres(self, positions: np.ndarray, losses: np.ndarray, gradients: np.ndarray,
                        radii: np.ndarray) -> np.ndarray:
        """World centres (m, 3) of spheres of ``radii`` (m,) touching the displayed surface at ``positions`` (m, 2).

        ``losses`` (m,) and ``gradients`` (m, 2) are f and grad f there. The displayed surface is
        w(u, v) = world_z(scale(f(x, y))); its slope in world units is
        dw/du = relief / (d_max - d_min) * scale'(f) * df/dx / k (likewise for v), and a centre is
        the contact point plus its radius times the unit normal (-dw/du, -dw/dv, 1) / norm.
        """
        frame, scale = self._frame, self._sample.scale
        contact = frame.world_points(positions, scale.apply(losses)).astype(float)
        factor = frame.relief / (frame.d_max - frame.d_min) / frame.k * scale.slope(losses)
        slope = gradients * factor[:, None]
        slope = np.where(np.isfinite(slope), slope, 0.0)
        normal = np.empty((len(slope), 3))
        normal[:, :2] = -slope
        normal[:, 2] = 1.0
        length = np.sqrt(1.0 + slope[:, 0] * slope[:, 0] + slope[:, 1] * slope[:, 1])
        return contact + normal * (radii / length)[:, None]


def _ticks(lo: float, hi: float, step: float) -> np.ndarray:
    """Multiples of ``step`` within [lo, hi]."""
    return np.arange(math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9) + 1) * step
