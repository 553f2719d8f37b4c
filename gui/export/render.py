"""The clip renderer: an export's own session, drawn frame by frame through the app's own views.

:class:`ClipRenderer` opens a :class:`physics.session.Session` of its own on the scene (with the
scene's seed, or the one asked for; never the live window's session), builds the same widgets
the window shows (gui.views.contour_map.ContourMapView, gui.views.landscape3d.Landscape3DView,
the plot panels of gui.window.docks.PANELS) on a stage that is never shown on a screen
(``WA_DontShowOnScreen``), and for each frame advances the simulation by the export's own clock
(``steps_per_frame``, not the wall clock or the screen's refresh), then paints the stage and the
annotations (gui.export.annotations) into an image of the asked size.

- **Any size, any screen.** The stage is laid out at a logical size 720 pixels tall (the width
  keeps the asked aspect) and painted into an image whose device-pixel ratio is the asked height
  / 720: a 4K frame has the 720p frame's layout and type sizes, drawn at four times the pixels
  (text, lines and the 3D view are drawn at full resolution, not scaled up).
- **Layouts** (:data:`LAYOUTS`): ``2d`` the contour map; ``3d`` the landscape; ``both`` the two
  side by side as in the window; ``app`` the two above the row of plots. The 3D view needs
  OpenGL (an X server, real or virtual, or EGL): :func:`gl_problem` says what is missing.
- **Deterministic.** Frame k shows the simulation after ``k * steps_per_frame`` steps from the
  scene's seed; nothing depends on time, so two exports give the same pixels bit for bit.
- **Length.** :func:`frames_until_rest`: until every ball is at rest (the same test as the
  app's, physics.session), plus a second's hold so the end reads, at most
  :data:`MAX_DEFAULT_SECONDS`.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtGui, QtWidgets

from gui.export.annotations import (
    HEADER_HEIGHT,
    LEGEND_ROW,
    THEMES,
    BallLine,
    Theme,
    header_shown,
    legend_rows,
    optimizer_words,
    paint_header,
    paint_legend,
)
from gui.export.link import SessionLink
from gui.export.options import (
    CLIP_LAYOUTS,
    FIGURE_LAYOUTS,
    MAX_DEFAULT_SECONDS,
    RenderSettings,
)
from gui.window.docks import BOTTOM, PANELS, PANELS_HEIGHT
from physics.scenes import Scene
from physics.session import REST_STEP_FRACTION, Session
from physics.simulation import Simulation
from surfaces.errors import DownhillError
from surfaces.surface import Surface

#: Clip layouts, and figure layouts (gui.export.options checks them).
LAYOUTS: tuple[str, ...] = CLIP_LAYOUTS
#: Logical height of the stage (pixels): every frame is laid out as a 720p frame is, except the
#: ``app`` layout, laid out as the window at its default size (gui.screen_fit.DEFAULT_SIZE, 900
#: tall): five plots and the map's legend need that room.
LOGICAL_HEIGHT = 720
APP_LOGICAL_HEIGHT = 900
#: Seconds a clip holds still after every ball came to rest.
REST_HOLD_SECONDS = 1.0


def frames_until_rest(scene: Scene, steps_per_frame: int, fps: float, seed: int | None = None,
                      surface: Surface | None = None, cap_seconds: float = MAX_DEFAULT_SECONDS) -> int:
    """Frames a clip needs to show the run until every ball is at rest, a second more, capped at ``cap_seconds``."""
    cap = max(1, round(cap_seconds * fps))
    rest = frames_to_rest(scene, steps_per_frame, cap - 1, seed, surface)
    return cap if rest is None else min(cap, rest + 1 + round(REST_HOLD_SECONDS * fps))


def frames_to_rest(scene: Scene, steps_per_frame: int, limit: int, seed: int | None = None,
                   surface: Surface | None = None) -> int | None:
    """After how many frames of ``steps_per_frame`` steps every ball is at rest (None: not within ``limit``).

    Runs the scene's simulation alone (no drawing), with the test of the app (physics.session): a
    ball is at rest when each of its particles has stopped or takes steps under
    REST_STEP_FRACTION of the domain's diagonal.
    """
    simulation = Simulation(surface if surface is not None else scene.surface(), scene.balls,
                            seed=scene.seed if seed is None else seed)
    tiny = REST_STEP_FRACTION * simulation.surface.domain.diameter
    for frame in range(1, limit + 1):
        simulation.step(steps_per_frame)
        if not any((state.active & (state.step_size > tiny)).any()
                   for state in (simulation.state(index) for index in range(len(simulation.balls)))):
            return frame
    return None


def gl_problem() -> str:
    """'' when the 3D view can be drawn here, else one sentence saying what is needed."""
    from gui.views import gl_status

    available, reason = gl_status()
    if available:
        return ""
    return (f"the 3D view needs OpenGL and {reason.rstrip('.')}: run under an X server (a virtual one will do: "
            "xvfb-run -a python main.py ...) with Mesa's OpenGL installed (libgl1-mesa-dri), "
            "or choose --layout 2d")


def _needs_gl(layout: str) -> bool:
    return layout in ("3d", "both", "app")


class ClipRenderer:
    """Frames of one scene, drawn through the app's views; see the module docstring.

    Args:
        scene: the scene (its surface is built here unless ``surface`` is given).
        settings: size, layout, theme, annotations, overlays, title and seed.
        steps_per_frame: simulation steps between two frames.
        process_events: let Qt handle pending events before each frame (the command line);
            the dialog, which renders from its event loop, passes False.
        figure: the layout is a figure's (FIGURE_LAYOUTS: ``both`` is then the map beside the plots).
        surface, critical_points: the scene's surface and its critical points when already known
            (the live window's), so that neither is computed again.

    Raises:
        DownhillError: the layout needs OpenGL and there is none, or an unknown layout/theme.
    """

    def __init__(self, scene: Scene, settings: RenderSettings, steps_per_frame: int = 1,
                 surface: Surface | None = None, process_events: bool = True, figure: bool = False,
                 critical_points: list | None = None):
        layouts = FIGURE_LAYOUTS if figure else LAYOUTS
        if settings.layout not in layouts:
            raise DownhillError(f"unknown layout '{settings.layout}'; the layouts are {', '.join(layouts)}")
        if settings.theme not in THEMES:
            raise DownhillError(f"unknown theme '{settings.theme}'; the themes are {', '.join(THEMES)}")
        self.figure = figure
        if not figure and _needs_gl(settings.layout):
            problem = gl_problem()
            if problem:
                raise DownhillError(problem)
        self.settings = settings
        self.theme: Theme = THEMES[settings.theme]
        self.steps_per_frame = max(1, int(steps_per_frame))
        self._process = process_events
        self.session = Session(scene, surface)
        if settings.seed is not None:
            self.session.set_seed(settings.seed)
        self.link = SessionLink(self.session, critical_points if surface is not None else None)
        self.title = scene.title if settings.title is None else settings.title
        logical_height = APP_LOGICAL_HEIGHT if settings.layout == "app" and not figure else LOGICAL_HEIGHT
        self.scale = settings.height / logical_height
        self.logical = QtCore.QSize(max(1, round(settings.width / self.scale)), logical_height)
        self.frame_index = -1
        self.map_view = None
        self.view3d = None
        self.panels: list[QtWidgets.QWidget] = []
        self._build_stage()

    # -- the stage -----------------------------------------------------------------------------
    def _build_stage(self) -> None:
        settings, theme = self.settings, self.theme
        stage = self.stage = QtWidgets.QWidget()
        stage.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen)
        stage.setAutoFillBackground(True)
        colours = stage.palette()
        colours.setColor(QtGui.QPalette.ColorRole.Window, QtGui.QColor(theme.background))
        stage.setPalette(colours)
        self.header = HEADER_HEIGHT if header_shown(settings.annotations, self.title) else 0
        rows = legend_rows(settings.annotations, len(self.session.balls), self.logical.width())
        self.footer = rows * LEGEND_ROW + 8 if rows else 0
        outer = QtWidgets.QVBoxLayout(stage)
        outer.setContentsMargins(0, self.header, 0, self.footer)
        outer.setSpacing(4)
        layout = settings.layout
        views = QtWidgets.QHBoxLayout()
        views.setSpacing(4)
        if not self.figure and layout in ("3d", "both", "app"):
            from gui.views.landscape3d import Landscape3DView

            self.view3d = Landscape3DView(self.link)
            views.addWidget(self.view3d, 1)
        if layout in ("2d", "both", "app"):
            from gui.views.contour_map import ContourMapView

            self.map_view = ContourMapView(self.link)
            overlays = dict(self.session.view.overlays)
            overlays.update(dict(settings.overlays))
            for name, shown in overlays.items():
                self.map_view.set_overlay(name, shown)
            # The map paints its still layers from a pixmap cache made at the widget's own pixels:
            # drawn at another scale (a 4K frame, a vector figure) they must be painted afresh.
            for item in self.map_view.plot_item.items:
                item.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.NoCache)
            views.addWidget(self.map_view, 1)
        if layout == "panels":
            outer.addLayout(self._plot_grid(2), 1)
        elif self.figure and layout == "both":  # the map beside the plots
            views.addLayout(self._plot_grid(2), 1)
            outer.addLayout(views, 1)
        else:
            outer.addLayout(views, 1)
        if layout == "app":
            row = QtWidgets.QHBoxLayout()
            row.setSpacing(4)
            for widget in self._make_panels(readout=True):
                row.addWidget(widget, 1)
            holder = QtWidgets.QWidget()
            holder.setLayout(row)
            holder.setFixedHeight(PANELS_HEIGHT)  # the window's row of plots
            outer.addWidget(holder)
        stage.resize(self.logical)
        apply_theme(stage, theme)
        stage.show()
        if self.map_view is not None:
            self.map_view.reset_view()
        self._settle()

    def _make_panels(self, readout: bool) -> list[QtWidgets.QWidget]:
        """The window's row of plots (and its read-outs), from its table of panels."""
        for panel in PANELS:
            if panel.area == BOTTOM and (panel.plot or readout):
                self.panels.append(panel.widget(self.link))
        return self.panels

    def _plot_grid(self, columns: int) -> QtWidgets.QGridLayout:
        grid = QtWidgets.QGridLayout()
        grid.setSpacing(4)
        for index, widget in enumerate(self._make_panels(readout=False)):
            grid.addWidget(widget, index // columns, index % columns)
        return grid

    def _settle(self) -> None:
        """Let the views finish what they do after a layout or a paint (queued by them), twice over."""
        if not self._process:
            return
        application = QtWidgets.QApplication.instance()
        for _ in range(3):
            application.processEvents()
            self._paint(QtGui.QImage(8, 8, QtGui.QImage.Format.Format_RGB32))
            application.processEvents()

    def prepare(self) -> None:
        """Paint one frame and throw it away: what a first paint computes once (the heat map's image,
        the typeset formula, fonts) is then done before the frames are timed."""
        self.image()

    # -- frames --------------------------------------------------------------------------------
    def advance(self) -> None:
        """Move on to the next frame: the first call shows the start, each later one ``steps_per_frame`` steps on."""
        self.frame_index += 1
        if self.frame_index > 0:
            self.session.advance(self.steps_per_frame)
        self.advance_events()

    def advance_events(self) -> None:
        """Let the views finish what they queued after a change (only when the renderer may process events)."""
        if self._process:
            QtWidgets.QApplication.instance().processEvents()

    def next_frame(self) -> np.ndarray:
        """The next frame as RGB pixels, shape (height, width, 3), uint8."""
        self.advance()
        return image_to_rgb(self.image())

    def image(self) -> QtGui.QImage:
        """The current frame as an image of the asked size."""
        settings = self.settings
        image = QtGui.QImage(settings.width, settings.height, QtGui.QImage.Format.Format_RGB32)
        image.setDevicePixelRatio(self.scale)
        image.fill(QtGui.QColor(self.theme.background))
        self._paint(image)
        return image

    def _paint(self, device: QtGui.QPaintDevice) -> None:
        painter = QtGui.QPainter(device)
        try:
            if device.width() > 8:
                self.paint(painter)
            else:
                self.stage.render(painter)
        finally:
            painter.end()

    def paint(self, painter: QtGui.QPainter) -> None:
        """Paint the frame in logical coordinates (an image with the scale as its pixel ratio, an SVG, a PDF)."""
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QtGui.QPainter.RenderHint.TextAntialiasing)
        self.stage.render(painter, QtCore.QPoint(0, 0), QtGui.QRegion(),
                          QtWidgets.QWidget.RenderFlag.DrawChildren)
        settings = self.settings
        width = float(self.logical.width())
        if self.header:
            surface = self.session.surface
            paint_header(painter, width, self.theme, settings.annotations, self.title, surface.latex,
                         " ".join(surface.text.split()), self.session.step_index, self.scale)
        if self.footer:
            paint_legend(painter, self.logical.height() - self.footer, width, self.theme, settings.annotations,
                         self.ball_lines())

    def ball_lines(self) -> list[BallLine]:
        """The legend's entries: each visible ball, its optimiser in words and its regime now."""
        lines = []
        for index, ball in enumerate(self.session.balls):
            if not ball.visible:
                continue
            regime = self.session.state(index).regime if self.session.step_index > 0 else ""
            lines.append(BallLine(ball.color, ball.name, optimizer_words(ball), regime))
        return lines

    def close(self) -> None:
        """Free the stage and stop listening to the session."""
        self.link.close()
        self.stage.hide()
        self.stage.deleteLater()


def image_to_rgb(image: QtGui.QImage) -> np.ndarray:
    """An image's pixels as an (height, width, 3) uint8 RGB array (a copy)."""
    converted = image.convertToFormat(QtGui.QImage.Format.Format_RGB888)
    height, width = converted.height(), converted.width()
    stride = converted.bytesPerLine()
    buffer = np.frombuffer(converted.constBits().asarray(stride * height), dtype=np.uint8)
    return buffer.reshape(height, stride)[:, : width * 3].reshape(height, width, 3).copy()


def apply_theme(root: QtWidgets.QWidget, theme: Theme) -> None:
    """Recolour the plots' backgrounds, axes and legends and the 3D view's background under ``root``.

    The dark theme is the app's own look: nothing changes.
    """
    if theme.name == "dark":
        return
    for view in root.findChildren(pg.GraphicsView):
        view.setBackground(theme.plot_background)
        for item in view.scene().items():
            if isinstance(item, pg.AxisItem):
                item.setPen(pg.mkPen(theme.axis))
                item.setTextPen(pg.mkPen(theme.foreground))
            elif isinstance(item, pg.LegendItem):
                item.setLabelTextColor(theme.foreground)
                for _sample, label in item.items:
                    label.setText(label.text, color=theme.foreground)
    from gui.views.gl_widget import LabelledGLView

    for view in root.findChildren(LabelledGLView):
        view.setBackgroundColor(theme.background)
        view.labels._color = QtGui.QColor(theme.foreground)
    for view3d in root.findChildren(QtWidgets.QWidget):
        for name in ("grid_item", "axes_item"):
            item = getattr(view3d, name, None)
            if item is not None and hasattr(item, "setData"):
                item.setData(color=(0.15, 0.15, 0.15, 0.5 if name == "grid_item" else 0.9))
