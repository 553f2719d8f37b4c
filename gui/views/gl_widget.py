"""The OpenGL pieces of the 3D view: a GLViewWidget with text pinned to 3D points, a lit-sphere shader, a sphere mesh.

pyqtgraph's GLTextItem paints its text inside the GL frame, which QWidget.grab() (screenshots,
clip export) does not capture; :class:`LabelledGLView` paints labels in an ordinary transparent
child widget instead, re-projected after every repaint of the GL view.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph.opengl as gl
from PyQt6 import QtCore, QtGui, QtWidgets
from pyqtgraph.opengl import shaders

from gui.palette import readable_on_dark

#: A shader for lit spheres: a headlight above the viewer's left shoulder, diffuse plus a
#: specular highlight, in eye coordinates, so a ball looks round from every camera angle.
LIT_SHADER = shaders.ShaderProgram("downhill-lit", [
    shaders.VertexShader("""
        uniform mat4 u_mvp;
        uniform mat3 u_normal;
        attribute vec4 a_position;
        attribute vec3 a_normal;
        attribute vec4 a_color;
        varying vec4 v_color;
        varying vec3 v_normal;
        void main() {
            v_normal = normalize(u_normal * a_normal);
            v_color = a_color;
            gl_Position = u_mvp * a_position;
        }
    """),
    shaders.FragmentShader("""
        #ifdef GL_ES
        precision mediump float;
        #endif
        varying vec4 v_color;
        varying vec3 v_normal;
        void main() {
            vec3 n = normalize(v_normal);
            vec3 light = normalize(vec3(-0.4, 0.6, 0.7));
            float diffuse = max(dot(n, light), 0.0);
            vec3 halfway = normalize(light + vec3(0.0, 0.0, 1.0));
            float specular = pow(max(dot(n, halfway), 0.0), 48.0);
            vec3 rgb = v_color.rgb * (0.30 + 0.75 * diffuse) + vec3(0.55 * specular);
            gl_FragColor = vec4(min(rgb, vec3(1.0)), v_color.a);
        }
    """),
])


#: Words about balls ("left the map"): size (points) and the dark patch under them.
MARK_POINT_SIZE = 11
MARK_BACKING = QtGui.QColor(15, 15, 20, 215)


class LabelledGLView(gl.GLViewWidget):
    """A GLViewWidget that tells its label overlay to follow the camera after every repaint."""

    painted = QtCore.pyqtSignal()

    def __init__(self, background: str = "#000000", label_color: tuple[int, int, int, int] = (235, 235, 235, 255)):
        super().__init__()
        self.setBackgroundColor(background)
        self.labels = LabelOverlay(self, label_color)

    def paintGL(self) -> None:  # noqa: N802 (Qt naming)
        super().paintGL()
        self.labels.update()
        self.painted.emit()

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.labels.setGeometry(self.rect())


class LabelOverlay(QtWidgets.QWidget):
    """Text pinned to 3D points, painted as an ordinary transparent widget over the GL view."""

    def __init__(self, view: gl.GLViewWidget, color: tuple[int, int, int, int]):
        super().__init__(view)
        self._view = view
        self._color = QtGui.QColor(*color)
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_TranslucentBackground)
        self.labels: list[tuple[QtGui.QVector4D, str, QtGui.QFont, bool]] = []
        self.marks: list[tuple[QtGui.QVector4D, str, QtGui.QColor]] = []
        self._mark_font = QtGui.QFont()
        self._mark_font.setPointSize(MARK_POINT_SIZE)
        self._mark_font.setBold(True)
        self.setGeometry(view.rect())

    def set_labels(self, labels: list[tuple[tuple[float, float, float], str, QtGui.QFont, bool]]) -> None:
        """Labels as (world point, text, font, right-aligned); centred on the point otherwise."""
        self.labels = [(QtGui.QVector4D(float(x), float(y), float(z), 1.0), text, font, right)
                       for (x, y, z), text, font, right in labels]
        self.update()

    def set_marks(self, marks: list[tuple[tuple[float, float, float], str, str]]) -> None:
        """Words about balls, (world point, text, "#rrggbb") each: over the point, in the colour, on a dark patch."""
        self.marks = [(QtGui.QVector4D(float(x), float(y), float(z), 1.0), text, QtGui.QColor(readable_on_dark(color)))
                      for (x, y, z), text, color in marks]
        self.update()

    def project(self, point: tuple[float, float, float]) -> QtCore.QPointF | None:
        """Widget coordinates of a world point as the camera now shows it (None behind the camera)."""
        return self._project(QtGui.QVector4D(*map(float, point), 1.0))

    def _project(self, point: QtGui.QVector4D) -> QtCore.QPointF | None:
        width, height = max(self.width(), 1), max(self.height(), 1)
        viewport = (0, 0, width, height)
        mvp = self._view.projectionMatrix(viewport, viewport) * self._view.viewMatrix()
        clip = mvp.map(point)
        if clip.w() <= 1e-9:
            return None
        return QtCore.QPointF((clip.x() / clip.w() + 1.0) * 0.5 * width, (1.0 - clip.y() / clip.w()) * 0.5 * height)

    def paintEvent(self, _event: QtGui.QPaintEvent) -> None:  # noqa: N802
        painter = QtGui.QPainter(self)
        painter.setRenderHint(QtGui.QPainter.RenderHint.TextAntialiasing)
        painter.setPen(self._color)
        for point, text, font, right in self.labels:
            where = self._project(point)
            if where is None:
                continue
            painter.setFont(font)
            box = QtGui.QFontMetricsF(font).boundingRect(text)
            x = where.x() - box.width() if right else where.x() - box.width() / 2
            painter.drawText(QtCore.QPointF(x, where.y() + box.height() / 2 - QtGui.QFontMetricsF(font).descent()),
                             text)
        if self.marks:
            self._paint_marks(painter)
        painter.end()

    def _paint_marks(self, painter: QtGui.QPainter) -> None:
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        painter.setFont(self._mark_font)
        metrics = QtGui.QFontMetricsF(self._mark_font)
        for point, text, color in self.marks:
            where = self._project(point)
            if where is None:
                continue
            width, height = metrics.horizontalAdvance(text) + 12.0, metrics.height() + 4.0
            # The patch's bottom edge on the point: the words sit just above the ball.
            rect = QtCore.QRectF(where.x() - width / 2, where.y() - height, width, height)
            painter.setPen(QtGui.QPen(color, 1.2))
            painter.setBrush(MARK_BACKING)
            painter.drawRoundedRect(rect, 4.0, 4.0)
            painter.drawText(rect, int(QtCore.Qt.AlignmentFlag.AlignCenter), text)


def sphere_mesh(radius: float) -> gl.MeshData:
    """A sphere mesh whose triangles wind counter-clockwise seen from outside (outward normals).

    pyqtgraph's MeshData.sphere winds them the other way, which makes its normals point inward
    and a lit sphere dark on the side facing the light.
    """
    sphere = gl.MeshData.sphere(rows=18, cols=28, radius=radius)
    return gl.MeshData(vertexes=sphere.vertexes(), faces=np.ascontiguousarray(sphere.faces()[:, ::-1]))
