"""The 2D map: a heat map of f with labelled contour lines, trails, balls, critical points and overlays.

:class:`ContourMapView` observes a SceneController (see docs/internals.md, "gui"):

- ``surfaceChanged`` resamples the surface (shared with the 3D view through
  :func:`gui.views.sampling.sample_surface`), recolours the image and retraces the contours;
- ``criticalPointsChanged`` re-marks the critical points (symbol and colour by kind, legend);
- ``ballsChanged`` re-reads the balls (colours, starts, visibility, swarms: dots, or from
  gui.views.swarm_density.DENSITY_FROM particles a density under the critical points' markers);
- ``stepped`` moves balls, trails and overlays with ``setData`` calls on existing items;
- ``selectionChanged`` enlarges the selected ball and thickens its trail.

Heights are drawn through the surface's :class:`~gui.views.height_scale.HeightScale`: the image
holds ``scale.apply(f)``, the colours span its range, and when heights are compressed a note
says so (``display_note``, ``displayNoteChanged``) in the map's corner. NaN (undefined) regions
are transparent over a grey hatching.

Overlays at each ball (not at each particle of a swarm), switched with :meth:`set_overlay`:

- ``gradient``: the descent direction -grad f, of length ``L * clip(1 + log10(|grad f| / g0) / 4, 0, 1)``
  where L is 12 % of the domain's diagonal and g0 the large end of |grad f| on this surface (its
  99th percentile): each factor 10 less steep is a quarter shorter, so the crawl on a plateau
  (1e-4 of the steepest slope) is a stub and a wall does not draw across the map.
- ``step``: the last step taken, at true scale (it is a displacement).
- ``velocity``: the optimiser's velocity (BallState.velocity: a displacement per step pointing
  the way the method pushes the ball), drawn dashed as +v, its length by the gradient's logarithmic
  rule with a displacement of 5 % of the diagonal as the large end.
- ``eigenvectors``: the Hessian's eigen-directions, segments through the ball reaching
  ``L' * clip(1 + log10(|lambda| / c0) / 4, 0, 1)`` beyond the edge of its marker (L' = 8 % of
  the diagonal, c0 the large end of |H| on this surface), solid pale cyan where the surface
  curves up (λ > 0), dashed violet where it curves down (λ < 0: dashed so that colour-blind
  viewers need not tell the two apart by colour); a flat direction has no segment.
- ``trails``, ``critical_points`` and ``contours`` (lines and labels).

The map stays framed on the domain whatever the balls do (nothing a ball draws counts for the
view's range). A ball that leaves the domain, by a learning rate past its bound or a catapult off
a cliff, is not followed: its trail is cut where it crosses the edge (gui.views.off_map), its
arrows are not drawn, and an arrowhead on the edge where it last left, labelled "left the map"
in its colour, stands for it (gui.views.edge_markers); one the simulation stopped as diverging
is labelled "diverged" (at the edge, or beside its marker if it stopped inside the map). Such a
mark can be clicked to select the ball.

Mouse (every marker lets clicks through; the ViewBox decides by distance in pixels): a left
click on the map emits ``pointClicked(x, y)``; a click on a ball or its start
selects that ball; pressing on a start marker (hollow circle) and dragging moves it with live
feedback and emits ``startDragged(index, x, y)`` on release. Right-drag and the wheel zoom,
left-drag elsewhere pans (pyqtgraph's defaults); :meth:`reset_view` frames the domain again.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtGui, QtWidgets

from gui import palette
from gui.controller_link import ControllerLink
from gui.views.arrows import ArrowLayer
from gui.views.contours import ContourSet, contours_for
from gui.views.edge_markers import EdgeMark, EdgeMarkerLayer
from gui.views.ghost_path import attach_ghost
from gui.views.map_legend import MapLegend
from gui.views.map_mouse import MapViewBox, PassiveScatter
from gui.views.markers import MarkerLayer, ball_shape
from gui.views.off_map import (
    DIVERGED,
    LEFT_THE_MAP,
    ExitTracker,
    clip_segments,
    outward_direction,
)
from gui.views.overlay_geometry import overlay_arrows, step_arrows
from gui.views.point_cloud import PointCloudItem
from gui.views.sampling import SurfaceSample, sample_surface
from gui.views.swarm_density import DENSITY_FROM, SwarmDensityItem
from gui.views.trail_buffer import TrailBuffer
from gui.views.trail_layer import Trail, TrailLayer
from physics.overlays import OVERLAY_NAMES

#: A displacement per step of this fraction of the domain diagonal gets a full-length velocity arrow.
VELOCITY_REFERENCE = 0.05

#: Trails longer than this are drawn with every k-th point (plus the newest one): stroking thick
#: outlined polylines is what a frame of the map spends most on.
MAX_TRAIL_POINTS = 1500
#: Pixels within which a press hits a ball or a start marker.
HIT_RADIUS = 14.0
#: Full arrow lengths as fractions of the domain's diagonal (see gui.views.overlay_geometry).
ARROW_FRACTION = 0.12
EIGEN_FRACTION = 0.08

STATIC_CACHE = QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache

BALL_SIZE = 18
SELECTED_BALL_SIZE = 26
START_SIZE = 22
CRITICAL_SIZE = 20
FONT_POINT_SIZE = 12


class ContourMapView(QtWidgets.QWidget):
    """The contour map of the controller's surface, balls and critical points (module docstring)."""

    pointClicked = QtCore.pyqtSignal(float, float)
    startDragged = QtCore.pyqtSignal(int, float, float)
    displayNoteChanged = QtCore.pyqtSignal(str)

    def __init__(self, controller: ControllerLink, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self._overlays = {name: True for name in OVERLAY_NAMES}
        self._sample: SurfaceSample | None = None
        self._contours: ContourSet | None = None
        self._display_note = ""
        self._balls: tuple = ()
        self._trails: list[Trail] = []
        self._swarms: dict[int, PointCloudItem | SwarmDensityItem] = {}
        self._label_items: list[pg.TextItem] = []
        self._labels_shown = 0
        self._critical_points: list = []
        self._ball_positions = np.empty((0, 2))   # current (first-particle) position per ball
        self._starts = np.empty((0, 2))
        self._has_velocity = False
        self._trail_buffers: list[TrailBuffer] = []
        self._exits: list[ExitTracker] = []
        self._marker_order = np.empty(0, dtype=int)
        self._presentation_scale = 1.0  # set_presentation_scale: markers and trails this many times larger
        self.marker_scale = 1.0  # the ball and start markers' own (set_presentation_scale's markers)
        self._legend_beside = False  # set_legend_beside
        self._shaped_balls = False  # set_ball_shapes: each ball's marker its own shape (gui.views.markers.SHAPES)

        self._build_plot()
        self._connect(controller)
        self.ghost = attach_ghost(self)  # the what-if preview's path (gui.views.ghost_path)
        self._on_surface_changed(getattr(controller, "surface", None))
        self._on_critical_points_changed(getattr(controller, "critical_points", []))
        self._on_balls_changed()

    # -- construction --------------------------------------------------------------------------
    def _build_plot(self) -> None:
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.view_box = MapViewBox(self)
        # The map frames the domain (reset_view) and follows only the user's pan and zoom.
        self.view_box.disableAutoRange()
        self.plot_widget = pg.GraphicsLayoutWidget()
        self.plot_widget.setBackground("#1b1b1f")
        layout.addWidget(self.plot_widget)
        plot = self.plot_item = self.plot_widget.addPlot(row=0, col=0, viewBox=self.view_box)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        font = QtGui.QFont()
        font.setPointSize(FONT_POINT_SIZE)
        for name in ("bottom", "left"):
            axis = plot.getAxis(name)
            axis.setTickFont(font)
            axis.setTextPen(pg.mkPen("#e0e0e0"))
            axis.setPen(pg.mkPen("#9e9e9e"))
        label_style = {"color": "#f0f0f0", "font-size": f"{FONT_POINT_SIZE + 3}pt", "font-style": "italic"}
        plot.setLabel("bottom", "x", **label_style)
        plot.setLabel("left", "y", **label_style)

        # Holes (NaN) show this hatching through the transparent pixels of the image.
        self.hatch = QtWidgets.QGraphicsRectItem()
        hatch_brush = QtGui.QBrush(pg.mkColor(palette.NAN_HATCH_COLOR), QtCore.Qt.BrushStyle.BDiagPattern)
        self.hatch.setBrush(hatch_brush)
        self.hatch.setPen(pg.mkPen(None))
        self.hatch.setZValue(-30)
        plot.addItem(self.hatch, ignoreBounds=True)

        self.image = pg.ImageItem(axisOrder="col-major")
        self.image.setLookupTable(palette.height_lookup_table(256))
        self.image.setZValue(-20)
        plot.addItem(self.image)

        self.minor_contours = pg.PlotCurveItem(pen=pg.mkPen(255, 255, 255, 90, width=1.2), connect="finite")
        self.major_contours = pg.PlotCurveItem(pen=pg.mkPen(255, 255, 255, 170, width=2.0), connect="finite")
        for item in (self.minor_contours, self.major_contours):
            item.setZValue(-10)
            plot.addItem(item, ignoreBounds=True)

        self.critical_items: dict[str, pg.ScatterPlotItem] = {}
        for kind in palette.CRITICAL_COLORS:
            item = PassiveScatter(symbol=palette.CRITICAL_SYMBOLS[kind], size=CRITICAL_SIZE,
                                      brush=pg.mkBrush(palette.CRITICAL_COLORS[kind]),
                                      pen=pg.mkPen(palette.OUTLINE_COLOR, width=2.0), pxMode=True)
            item.setZValue(5)
            plot.addItem(item, ignoreBounds=True)
            self.critical_items[kind] = item

        # Every ball's trail, in one item (gui.views.trail_layer); it never moves the view.
        self.trail_layer = TrailLayer()
        self.trail_layer.setZValue(10)
        plot.addItem(self.trail_layer, ignoreBounds=True)

        self.start_markers = MarkerLayer(hollow=True, outline=palette.OUTLINE_COLOR)
        self.start_markers.setZValue(15)
        plot.addItem(self.start_markers, ignoreBounds=True)

        self.drag_line = pg.PlotCurveItem(pen=pg.mkPen("#ffffff", width=2.5, style=QtCore.Qt.PenStyle.DashLine))
        self.drag_line.setZValue(16)
        plot.addItem(self.drag_line, ignoreBounds=True)
        self.drag_label = pg.TextItem("", color="#ffffff", fill=pg.mkBrush(0, 0, 0, 170), anchor=(0, 1.2))
        self.drag_label.setZValue(40)
        self.drag_label.hide()
        plot.addItem(self.drag_label, ignoreBounds=True)

        gap = SELECTED_BALL_SIZE / 2
        self.eigen_positive = ArrowLayer(palette.POSITIVE_CURVATURE_COLOR, width=4.0, head=0, extend=gap)
        # Dashed as well as violet: "curves down" must not rest on colour alone (colour-blind viewers).
        self.eigen_negative = ArrowLayer(palette.NEGATIVE_CURVATURE_COLOR, width=4.0, head=0, extend=gap, dash=True)
        self.step_arrows = ArrowLayer(palette.STEP_COLOR, width=4.0, head=16)
        self.velocity_arrows = ArrowLayer(palette.VELOCITY_COLOR, width=4.0, head=16, dash=True)
        self.descent_arrows = ArrowLayer(palette.DESCENT_COLOR, width=4.5, head=20)
        for z, item in enumerate((self.eigen_positive, self.eigen_negative, self.step_arrows,
                                  self.velocity_arrows, self.descent_arrows)):
            item.setZValue(20 + z)
            plot.addItem(item, ignoreBounds=True)

        self.ball_markers = MarkerLayer(outline=palette.OUTLINE_COLOR)
        self.ball_markers.setZValue(30)
        plot.addItem(self.ball_markers, ignoreBounds=True)

        self.edge_markers = EdgeMarkerLayer()
        self.edge_markers.setZValue(32)
        plot.addItem(self.edge_markers, ignoreBounds=True)

        self.legend = MapLegend(FONT_POINT_SIZE)
        self.plot_widget.addItem(self.legend, row=1, col=0)

        self.note_label = QtWidgets.QLabel(self.plot_widget)
        self.note_label.setStyleSheet(palette.DISPLAY_NOTE_STYLE)
        self.note_label.setToolTip(palette.DISPLAY_NOTE_TIP)
        self.note_label.hide()
        self.view_box.sigResized.connect(self._place_note)

        # The layers that change only with the surface are painted from a pixmap cache; each
        # frame then repaints just the balls, trails and arrows over them.
        for item in (self.hatch, self.image, self.minor_contours, self.major_contours, *self.critical_items.values()):
            item.setCacheMode(STATIC_CACHE)

    def _connect(self, controller: ControllerLink) -> None:
        controller.surfaceChanged.connect(self._on_surface_changed)
        controller.criticalPointsChanged.connect(self._on_critical_points_changed)
        controller.ballsChanged.connect(self._on_balls_changed)
        controller.stepped.connect(self._on_stepped)
        controller.selectionChanged.connect(self._on_selection_changed)

    def sizeHint(self) -> QtCore.QSize:  # noqa: N802 (Qt naming)
        return QtCore.QSize(640, 600)

    # -- public --------------------------------------------------------------------------------
    @property
    def display_note(self) -> str:
        """What the display does to the heights ("heights above 179 compressed (log scale)"), or ""."""
        return self._display_note

    @property
    def sample(self) -> SurfaceSample | None:
        """The grid sample drawn (heights, display heights, scale)."""
        return self._sample

    @property
    def contours(self) -> ContourSet | None:
        return self._contours

    @property
    def contour_label_items(self) -> list[pg.TextItem]:
        """The text items showing contour values now."""
        return self._label_items[: self._labels_shown]

    def overlay(self, name: str) -> bool:
        return self._overlays[name]

    def set_overlay(self, name: str, on: bool) -> None:
        """Show or hide one overlay, by its name in physics.overlays (the scene file's key)."""
        if name not in self._overlays:
            raise ValueError(f"unknown overlay {name!r}; the overlays are {', '.join(OVERLAY_NAMES)}")
        self._overlays[name] = bool(on)
        for buffer in self._trail_buffers:
            buffer.restart()   # trails not drawn while hidden are redrawn whole
        for item in (self.minor_contours, self.major_contours, *self.contour_label_items):
            item.setVisible(self._overlays["contours"])
        self.trail_layer.setVisible(self._overlays["trails"])
        for item in self.critical_items.values():
            item.setVisible(self._overlays["critical_points"])
        self.descent_arrows.setVisible(self._overlays["gradient"])
        self.step_arrows.setVisible(self._overlays["step"])
        self.velocity_arrows.setVisible(self._overlays["velocity"])
        self.eigen_positive.setVisible(self._overlays["eigenvectors"])
        self.eigen_negative.setVisible(self._overlays["eigenvectors"])
        self._update_legend()
        self._on_stepped()

    def set_presentation_scale(self, factor: float, legend: float | None = None, markers: float | None = None) -> None:
        """Draw ball and start markers, trails and the axes' text ``factor`` times their usual size, and
        the legend ``legend`` times (by default 0.7 x factor, at least 1); the ball and start markers
        ``markers`` times if given (a small map caps them).

        Presentation mode's hook (gui.present): 1 is the window's own look.
        """
        self._presentation_scale = float(factor)
        self.marker_scale = float(factor if markers is None else markers)
        font = QtGui.QFont()
        font.setPointSizeF(FONT_POINT_SIZE * factor)
        for name in ("bottom", "left"):
            axis = self.plot_item.getAxis(name)
            axis.setTickFont(font)
            axis.setLabel(axis.labelText, **{**axis.labelStyle, "font-size": f"{(FONT_POINT_SIZE + 3) * factor:g}pt"})
        # The legend grows less: under the map it takes height the map needs (read as its entries are made).
        legend = max(1.0, 0.7 * factor) if legend is None else legend
        self.legend.opts["labelTextSize"] = f"{FONT_POINT_SIZE * legend:g}pt"
        self._on_balls_changed()

    def set_legend_beside(self, beside: bool) -> None:
        """The legend in a column right of the map, one entry a line (presentation mode on a low screen: the
        map keeps the height), or in its row under the map (False: the window's own look)."""
        if beside == self._legend_beside:
            return
        self._legend_beside = beside
        self.plot_widget.removeItem(self.legend)
        self.plot_widget.addItem(self.legend, row=0 if beside else 1, col=1 if beside else 0)
        self.legend.max_columns = 1 if beside else 3
        # Beside the map, its entries at the top of the column (not spread over the map's height).
        self.plot_widget.ci.layout.setAlignment(self.legend, QtCore.Qt.AlignmentFlag.AlignTop)
        policy = QtWidgets.QSizePolicy.Policy
        self.legend.setSizePolicy(policy.Preferred, policy.Maximum if beside else policy.Preferred)
        self.legend.fit(self.plot_widget.width())

    def set_ball_shapes(self, shaped: bool) -> None:
        """Give each ball's marker its own shape (ball_shape(i): disc, square, diamond, ...), or discs for all."""
        self._shaped_balls = bool(shaped)
        self._style_balls()
        self.ball_markers.update()

    def reset_view(self) -> None:
        """Frame the surface's domain (after the user panned or zoomed)."""
        if self._sample is None:
            return
        d = self._sample.domain
        self.view_box.setRange(xRange=(d.xmin, d.xmax), yRange=(d.ymin, d.ymax), padding=0.02)

    def data_to_widget(self, x: float, y: float) -> QtCore.QPoint:
        """The pixel of the plot widget's viewport that shows the data point (x, y) (for tests and tools)."""
        scene = self.view_box.mapViewToScene(QtCore.QPointF(x, y))
        return self.plot_widget.mapFromScene(scene)

    # -- surface -------------------------------------------------------------------------------
    def _on_surface_changed(self, surface: Any) -> None:
        if surface is None:
            return
        previous = self._sample
        sample = sample_surface(surface)
        self._sample = sample
        d = sample.domain
        dx = (d.xmax - d.xmin) / max(len(sample.xs) - 1, 1)
        dy = (d.ymax - d.ymin) / max(len(sample.ys) - 1, 1)
        # Pixel centres sit on the grid points.
        rect = QtCore.QRectF(d.xmin - dx / 2, d.ymin - dy / 2, d.width + dx, d.height + dy)
        self.image.setImage(sample.display, levels=sample.display_range, autoLevels=False)
        self.image.setRect(rect)
        self.hatch.setRect(rect)
        self._draw_contours(sample)
        self._set_note(sample.scale.note)
        if previous is None or previous.domain != d:
            self.reset_view()
            self._set_boxes()
        self._on_stepped()

    def _domain_box(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(lo, hi) corners of the domain, or None before the first surface."""
        if self._sample is None:
            return None
        d = self._sample.domain
        return np.array([d.xmin, d.ymin]), np.array([d.xmax, d.ymax])

    def _set_boxes(self) -> None:
        """Trails are cut, and balls count as off the map, at the domain's edge.

        So every trail lies in the domain: that is the extent of the trails' layer, told once (not
        found from the points after every step).
        """
        box = self._domain_box()
        self._exits = [ExitTracker(*box) for _ in self._balls] if box is not None else []
        for buffer in self._trail_buffers:
            buffer.set_box(*(box or (None, None)))
        self.trail_layer.set_box(*(box or (None, None)))
        # Where the markers and arrows stay (a ball off the map has none): the domain, and around it
        # as far as an arrow reaches. Told once, so moving them asks Qt only for a repaint.
        self.ball_markers.set_extent(*(box or (None, None)))
        if box is None:
            reach_box = (None, None)
        else:
            reach = max(ARROW_FRACTION, EIGEN_FRACTION) * self._sample.domain.diameter
            reach_box = (box[0] - reach, box[1] + reach)
        for layer in (self.descent_arrows, self.step_arrows, self.velocity_arrows, self.eigen_positive,
                      self.eigen_negative):
            layer.set_extent(*reach_box)

    def _draw_contours(self, sample: SurfaceSample) -> None:
        contours = self._contours = contours_for(sample)
        self.minor_contours.setData(contours.minor_path[:, 0], contours.minor_path[:, 1], connect="finite")
        self.major_contours.setData(contours.major_path[:, 0], contours.major_path[:, 1], connect="finite")
        self._draw_contour_labels()

    def _draw_contour_labels(self) -> None:
        """Write the major levels' values on their lines, away from the critical points' markers.

        The text items are a pool, reused from surface to surface (a slider drag changes the
        surface many times a second); the ones not needed are hidden.
        """
        labels = ()
        if self._contours is not None:
            avoid = np.array([(p.x, p.y) for p in self._critical_points], dtype=float).reshape(-1, 2)
            labels = self._contours.labels(avoid)
        while len(self._label_items) < len(labels):
            item = pg.TextItem("", color="#ffffff", fill=pg.mkBrush(15, 15, 20, 170), anchor=(0.5, 0.5))
            font = QtGui.QFont()
            font.setPointSize(FONT_POINT_SIZE - 1)
            item.setFont(font)
            item.setZValue(-5)
            self.plot_item.addItem(item, ignoreBounds=True)
            self._label_items.append(item)
        for index, item in enumerate(self._label_items):
            if index < len(labels):
                item.setText(labels[index].text)
                item.setPos(labels[index].x, labels[index].y)
            item.setVisible(index < len(labels) and self._overlays["contours"])
        self._labels_shown = len(labels)

    def _set_note(self, note: str) -> None:
        self.note_label.setText(note)
        self.note_label.setVisible(bool(note))
        self.note_label.adjustSize()
        self._place_note()
        if note != self._display_note:
            self._display_note = note
            self.displayNoteChanged.emit(note)

    def _place_note(self) -> None:
        """Keep the note in the top-left corner of the plotting area."""
        corner = self.plot_widget.mapFromScene(self.view_box.sceneBoundingRect().topLeft())
        self.note_label.move(corner.x() + 6, corner.y() + 6)

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.legend.fit(self.plot_widget.width())
        QtCore.QTimer.singleShot(0, self._place_note)

    # -- critical points -----------------------------------------------------------------------
    def _on_critical_points_changed(self, points: Any) -> None:
        self._critical_points = list(points or [])
        for kind, item in self.critical_items.items():
            chosen = [p for p in self._critical_points if p.kind == kind]
            item.setData(x=[p.x for p in chosen], y=[p.y for p in chosen],
                         data=[p for p in chosen])
        self._draw_contour_labels()
        self._update_legend()

    # -- balls ---------------------------------------------------------------------------------
    def _on_balls_changed(self) -> None:
        balls = tuple(getattr(self.controller, "balls", ()) or ())
        self._balls = balls
        for cloud in self._swarms.values():
            self.plot_item.removeItem(cloud)
        self._trail_buffers = [TrailBuffer(2, MAX_TRAIL_POINTS, np.float64) for _ in balls]
        selected = getattr(self.controller, "selected", -1)
        self.trail_layer.set_trails([(*self._trail_pens(ball, index == selected, self._presentation_scale),
                                      bool(ball.visible))
                                     for index, ball in enumerate(balls)])
        self._trails = self.trail_layer.trails
        self._swarms = {}
        for index, ball in enumerate(balls):
            if ball.particles > 1:
                # A large swarm as its density (dots would saturate), a small one as dots. The density
                # is a field: under the critical points' markers, which it would otherwise bury.
                dense = ball.particles >= DENSITY_FROM
                cloud = SwarmDensityItem(ball.color) if dense else PointCloudItem(ball.color)
                cloud.setZValue(4 if dense else 12)
                cloud.setVisible(ball.visible)
                self.plot_item.addItem(cloud, ignoreBounds=True)
                self._swarms[index] = cloud
        self._set_boxes()
        self._starts = np.array([ball.start for ball in balls], dtype=float).reshape(-1, 2)
        self.start_markers.set_style([ball.color for ball in balls],
                                     [START_SIZE * self.marker_scale] * len(balls))
        self._draw_starts(self._starts)
        self._style_balls()
        self._ball_positions = self._starts.copy()
        self._update_legend()
        self._on_stepped()

    def _draw_starts(self, starts: np.ndarray) -> None:
        shown = np.array([ball.visible for ball in self._balls], dtype=bool)
        self.start_markers.set_positions(np.where(shown[:, None], starts, np.nan) if len(starts) else starts)

    def _style_balls(self) -> None:
        """Colours and sizes of the ball markers; the selected ball is larger, ringed in white, drawn last."""
        selected = getattr(self.controller, "selected", -1)
        order = sorted(range(len(self._balls)), key=lambda i: i == selected)
        self._marker_order = np.array(order, dtype=int)
        self.ball_markers.set_style([self._balls[i].color for i in order],
                                    [(SELECTED_BALL_SIZE if i == selected else BALL_SIZE) * self.marker_scale
                                     for i in order],
                                    ["#ffffff" if i == selected else palette.OUTLINE_COLOR for i in order], order,
                                    [ball_shape(i) for i in order] if self._shaped_balls else None)

    def _on_selection_changed(self, _index: int = -1) -> None:
        self._style_balls()
        selected = getattr(self.controller, "selected", -1)
        for index, ball in enumerate(self._balls):
            self.trail_layer.set_style(index, *self._trail_pens(ball, index == selected, self._presentation_scale))
        self._on_stepped()

    @staticmethod
    def _trail_pens(ball: Any, selected: bool, scale: float = 1.0) -> tuple[QtGui.QPen, QtGui.QPen]:
        """A trail's pen and the dark outline under it: the selected ball's trail is thicker."""
        width = (5.0 if selected else 3.0) * scale
        return pg.mkPen(ball.color, width=width), pg.mkPen(palette.OUTLINE_COLOR, width=width + 2.5)

    def _on_stepped(self) -> None:
        """Move every ball, trail and overlay to the simulation's latest state (cheap: setData only)."""
        balls = self._balls
        if not balls or self._sample is None:
            self.ball_markers.set_positions(np.empty((0, 2)))
            self.edge_markers.set_marks(())
            for layer in (self.descent_arrows, self.step_arrows, self.velocity_arrows,
                          self.eigen_positive, self.eigen_negative):
                layer.clear()
            return
        n = len(balls)
        positions = np.full((n, 2), np.nan)
        gradients = np.full((n, 2), np.nan)
        steps = np.full((n, 2), np.nan)
        velocities = np.full((n, 2), np.nan)
        eigenvalues = np.full((n, 2), np.nan)
        eigenvectors = np.full((n, 2, 2), np.nan)
        clickable = np.full((n, 2), np.nan)   # where a click selects the ball: its marker, or its mark on the edge
        marks: list[EdgeMark] = []
        has_velocity = False
        trails = self._overlays["trails"]
        moved_trails = False
        for index, ball in enumerate(balls):
            try:
                state = self.controller.state(index)
                history = self.controller.history(index)
            except (IndexError, KeyError):
                continue  # the simulation has not caught up with the ball list yet
            if trails and ball.visible:
                moved_trails = self._update_trail(index, history.positions) or moved_trails
            if not ball.visible:
                continue
            if ball.particles > 1:
                self._swarms[index].set_state(state)
                continue
            position = state.positions[0]
            active = bool(state.active[0])
            exits = self._exits[index] if index < len(self._exits) else None
            if exits is not None:
                exits.update(history.positions)
            if exits is not None and exits.outside:
                # Off the map: an arrowhead where it left stands for it; no marker, no arrows from far away.
                where = exits.marker_point()
                out = outward_direction(where, exits.lo, exits.hi)
                marks.append(EdgeMark(float(where[0]), float(where[1]), float(out[0]), float(out[1]), ball.color,
                                      LEFT_THE_MAP if active else DIVERGED))
                clickable[index] = where
                continue
            positions[index] = clickable[index] = position
            if not active:
                # Stopped inside the map (f undefined there): its marker stays, with the word.
                marks.append(EdgeMark(float(position[0]), float(position[1]), 0.0, 0.0, ball.color, DIVERGED))
                continue
            gradients[index] = state.gradient[0]
            steps[index] = state.step[0]
            eigenvalues[index] = state.eigenvalues[0]
            eigenvectors[index] = state.eigenvectors[0]
            if state.velocity is not None:
                velocities[index] = state.velocity[0]
                has_velocity = True
        if moved_trails:
            self.trail_layer.changed()
        self._ball_positions = clickable
        if has_velocity != self._has_velocity:
            self._has_velocity = has_velocity
            self._update_legend()
        self._draw_balls(positions)
        self.edge_markers.set_marks(marks)
        self._draw_overlays(positions, gradients, steps, velocities, eigenvalues, eigenvectors)

    @property
    def off_map_marks(self) -> tuple[EdgeMark, ...]:
        """The marks of the balls drawn off the map or diverged now (for tests and tools)."""
        return self.edge_markers.marks

    def _update_trail(self, index: int, positions: np.ndarray) -> bool:
        """Extend a trail by the ball's new steps; False if it has none (a resting ball costs nothing).

        A trail that ever left the domain is cut to it (drawn as separate segments); one that
        stayed inside is handed over as it is.
        """
        buffer = self._trail_buffers[index]
        # (The map draws the positions themselves: the newest one needs no converting either.)
        points = buffer.update(positions, positions[:, 0], _positions_only, positions[-1:] if len(positions) else None)
        if points is None:
            return False
        if buffer.leaves and buffer.box is not None:
            pairs = clip_segments(points, *buffer.box)
            self.trail_layer.set_points(index, pairs[:, 0], pairs[:, 1], "pairs")
        else:
            self.trail_layer.set_points(index, points[:, 0], points[:, 1], "all")
        return True

    def _draw_balls(self, positions: np.ndarray) -> None:
        # (Hidden balls and swarms have NaN rows already; a ball off the map too: the rest are on it.)
        self.ball_markers.set_positions(positions[self._marker_order], within_extent=True)

    def _draw_overlays(self, positions: np.ndarray, gradients: np.ndarray, steps: np.ndarray,
                       velocities: np.ndarray, eigenvalues: np.ndarray, eigenvectors: np.ndarray) -> None:
        sample = self._sample
        assert sample is not None
        diagonal = sample.domain.diameter
        overlays = self._overlays
        if overlays["gradient"] or overlays["velocity"] or overlays["eigenvectors"]:
            # BallState.velocity is a displacement per step pointing the way the method pushes the ball
            # (physics/optimizers/base.py). Steps are small beside the map, so its length is drawn on the
            # same logarithmic rule as the gradient, with a step of VELOCITY_REFERENCE x the diagonal as "long".
            arrows = overlay_arrows(positions, gradients, velocities, eigenvalues, eigenvectors,
                                    sample.gradient_scale, VELOCITY_REFERENCE * diagonal, sample.curvature_scale,
                                    ARROW_FRACTION * diagonal, EIGEN_FRACTION * diagonal)
            # Every arrow starts at (or is centred on) a ball on the map and is at most the full length
            # long: it lies in the layers' extent (_set_boxes), which is then not measured again.
            if overlays["gradient"]:
                self.descent_arrows.set_ends(arrows.descent, within_extent=True)
            if overlays["velocity"]:
                self.velocity_arrows.set_ends(arrows.velocity, within_extent=True)
            if overlays["eigenvectors"]:
                self.eigen_positive.set_ends(arrows.curving_up, within_extent=True)
                self.eigen_negative.set_ends(arrows.curving_down, within_extent=True)
        if overlays["step"]:
            # (A step that brought the ball back onto the map is drawn from where it came in: both ends on it.)
            d = sample.domain
            self.step_arrows.set_ends(step_arrows(positions, steps, (d.xmin, d.ymin), (d.xmax, d.ymax)),
                                      within_extent=True)

    # -- legend --------------------------------------------------------------------------------
    def _update_legend(self) -> None:
        entries: list[str] = []
        if self._overlays["critical_points"]:
            entries += [p.kind for p in self._critical_points]
        if any(b.visible and b.particles == 1 for b in self._balls):
            overlays = self._overlays
            shown = {"gradient": overlays["gradient"], "step": overlays["step"],
                     "velocity": overlays["velocity"] and self._has_velocity,
                     "eigen+": overlays["eigenvectors"], "eigen-": overlays["eigenvectors"]}
            entries += [name for name, on in shown.items() if on]
        self.legend.show_entries(entries)

    # -- mouse ---------------------------------------------------------------------------------
    def _nearest_marker(self, scene_pos: QtCore.QPointF, points: np.ndarray) -> int | None:
        """Index of the ball whose point (data coordinates) is within HIT_RADIUS pixels of ``scene_pos``."""
        best, best_distance = None, HIT_RADIUS
        for index, ball in enumerate(self._balls):
            if index >= len(points) or not ball.visible or not np.isfinite(points[index]).all():
                continue
            where = self.view_box.mapViewToScene(QtCore.QPointF(*points[index]))
            distance = math.hypot(where.x() - scene_pos.x(), where.y() - scene_pos.y())
            if distance <= best_distance:
                best, best_distance = index, distance
        return best

    def start_at(self, scene_pos: QtCore.QPointF) -> int | None:
        """The ball whose start marker is under ``scene_pos`` (within HIT_RADIUS pixels), or None."""
        return self._nearest_marker(scene_pos, self._starts)

    def clicked(self, scene_pos: QtCore.QPointF) -> None:
        """A left click: select the ball whose start or marker was hit, else emit pointClicked."""
        index = self._nearest_marker(scene_pos, self._starts)
        if index is None:
            index = self._nearest_marker(scene_pos, self._ball_positions)
        if index is not None and hasattr(self.controller, "select"):
            self.controller.select(index)
            return
        point = self.view_box.mapSceneToView(scene_pos)
        self.pointClicked.emit(float(point.x()), float(point.y()))

    def drag_to(self, index: int, x: float, y: float) -> None:
        """Live feedback while a start marker is dragged: the marker follows, a dashed line shows the move."""
        starts = self._starts.copy()
        starts[index] = (x, y)
        self._draw_starts(starts)
        origin = self._starts[index]
        self.drag_line.setData([origin[0], x], [origin[1], y])
        self.drag_line.show()
        self.drag_label.setText(f"start ({x:.3g}, {y:.3g})")
        self.drag_label.setPos(x, y)
        self.drag_label.show()

    def cancel_drag(self, index: int) -> None:
        """A start drag was cancelled (Esc): the marker goes back, nothing is emitted."""
        self.drag_line.hide()
        self.drag_label.hide()
        self._draw_starts(self._starts)

    def finish_drag(self, index: int, x: float, y: float) -> None:
        """The start marker was let go at (x, y): keep it there and tell the shell (startDragged)."""
        self.drag_line.hide()
        self.drag_label.hide()
        self._starts[index] = (x, y)
        self._draw_starts(self._starts)
        self.startDragged.emit(index, float(x), float(y))


def _positions_only(positions: np.ndarray, _values: np.ndarray) -> np.ndarray:
    return positions
