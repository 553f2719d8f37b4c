"""The basin map as a painted figure: the coloured grid of starts, the critical points numbered with
their kind's marker shape, axes, and a legend of outcomes with each one's share.

:func:`paint_basin_map(painter, rect, result, ...)` draws into any QPainter in logical
coordinates (a widget, an image, an SVG or PDF through gui.export.figure.write_painted_figure):
the command line's figures (gui.experiments.basins_cli) and the Basins dock's side-by-side maps
use it. :func:`basin_caption` and :func:`legend_rows` are the words it writes.
"""

from __future__ import annotations

import math

from PyQt6 import QtCore, QtGui

from gui import palette
from gui.experiments.basin_colors import basin_rgba, outcome_color
from gui.experiments.paint_common import begin_figure, draw_title, percent, short_number

#: Marker shape of each critical-point kind (gui.palette.CRITICAL_SYMBOLS' shapes, drawn here).
_SHAPES = {"minimum": "down", "maximum": "up", "saddle": "cross", "degenerate": "star"}


def basin_caption(result: object) -> str:
    """"GD lr 0.01 · 200 × 200 starts · 500 steps" (and the noise and repeats when there is noise)."""
    settings = result.settings
    hyper = ", ".join(f"{name} {short_number(value)}" for name, value in settings["hyperparameters"].items())
    n = len(result.xs)
    words = f"{settings['optimizer']}{' ' + hyper if hyper else ''} · {n} × {n} starts · {settings['steps']} steps"
    if settings["sigma"] > 0:
        words += f" · noise σ {short_number(settings['sigma'])}, {result.repeats} seeded repeats"
    return words


def legend_rows(result: object, short: bool = False) -> list[tuple[int, str]]:
    """(outcome code, "minimum 1 at (3, 2): 25.9 %") for each outcome, largest share first; ``short``:
    "minimum 1: 25.9 %" (the number labels the point on the map)."""
    shares = result.shares
    order = sorted(range(len(result.outcomes)), key=lambda m: -shares[m])
    name = (lambda code: short_name(result, code)) if short else result.name
    return [(result.outcomes[m], f"{name(result.outcomes[m])}: {percent(shares[m])}") for m in order]


def short_name(result: object, code: int) -> str:
    """"minimum 2" for a listed point (its number on the map), else the outcome's word."""
    if 0 <= code < len(result.points):
        return f"{result.points[code].kind} {code + 1}"
    return result.name(code)


def noise_note(result: object) -> str:
    """How a cell's colour is chosen under noise ("" without noise)."""
    if result.repeats <= 1:
        return ""
    return f"colour = likeliest end; opacity = its chance ({result.repeats} runs)"


def paint_basin_map(painter: QtGui.QPainter, rect: QtCore.QRectF, result: object, title: str = "",
                    background: str = "#ffffff", foreground: str = "#202020", font_size: float = 11.0,
                    legend: bool = True, caption: bool = True, contours: object = None) -> None:
    """Draw ``result`` (a physics.experiments.basins.BasinMap) into ``rect`` (logical pixels); without
    ``legend`` and ``caption`` only the title, the map and its axes (a small picture with its words beside).
    ``contours``: a gui.views.contours.ContourSet of f drawn over the basins in thin dark lines (where
    the valleys are)."""
    fonts = begin_figure(painter, rect, background, foreground, font_size)
    ink, font, line = fonts.ink, fonts.font, fonts.line
    top = draw_title(painter, rect, rect.top() + 6, title, fonts)
    painter.setFont(font)
    if caption:
        painter.drawText(QtCore.QRectF(rect.left() + 8, top, rect.width() - 16, line * 1.3),
                         int(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter),
                         basin_caption(result))
        top += line * 1.5
    rows = legend_rows(result) if legend else []
    legend_width = 0.0
    if rows:
        metrics = QtGui.QFontMetricsF(font)
        legend_width = min(rect.width() * 0.45, max(metrics.horizontalAdvance(text) for _, text in rows) + 3 * line)
    # The map: square cells (the domain's aspect), below the words, left of the legend, room for the axes.
    xmin, xmax, ymin, ymax = result.domain
    margin_left, margin_bottom = line * 3.2, line * 2.6
    area = QtCore.QRectF(rect.left() + margin_left, top, rect.width() - margin_left - legend_width - 24,
                         rect.bottom() - top - margin_bottom - (line * 1.3 if caption and noise_note(result) else 0))
    aspect = (xmax - xmin) / (ymax - ymin)
    width = min(area.width(), area.height() * aspect)
    height = width / aspect
    plot = QtCore.QRectF(area.left(), area.top(), max(width, 1.0), max(height, 1.0))
    rgba = basin_rgba(result)[::-1].copy()   # image row 0 is the top (y max)
    image = QtGui.QImage(rgba.data, rgba.shape[1], rgba.shape[0], rgba.shape[1] * 4,
                         QtGui.QImage.Format.Format_RGBA8888).copy()
    painter.fillRect(plot, QtGui.QColor("#ffffff"))
    painter.drawImage(plot, image)
    if contours is not None:
        _contour_lines(painter, plot, result.domain, contours)
    painter.setPen(QtGui.QPen(ink, 1.2))
    painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
    painter.drawRect(plot)
    _axes(painter, plot, result.domain, font, ink, line)
    _points(painter, plot, result, font, line)
    if caption and noise_note(result):
        painter.setPen(ink)
        painter.drawText(QtCore.QRectF(rect.left() + 8, rect.bottom() - line * 1.4, rect.width() - 16, line * 1.3),
                         int(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter),
                         noise_note(result))
    if rows:
        _legend(painter, QtCore.QPointF(plot.right() + 20, plot.top()), rows, result, font, ink, line)
    painter.restore()


def _axes(painter: QtGui.QPainter, plot: QtCore.QRectF, domain: tuple, font: QtGui.QFont, ink: QtGui.QColor,
          line: float) -> None:
    xmin, xmax, ymin, ymax = domain
    painter.setFont(font)
    painter.setPen(ink)
    left = int(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignTop)
    right = int(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignTop)
    centre = int(QtCore.Qt.AlignmentFlag.AlignHCenter | QtCore.Qt.AlignmentFlag.AlignTop)
    below = plot.bottom() + 4
    painter.drawText(QtCore.QRectF(plot.left(), below, plot.width() / 3, line), left, f"{xmin:g}")
    painter.drawText(QtCore.QRectF(plot.right() - plot.width() / 3, below, plot.width() / 3, line), right, f"{xmax:g}")
    painter.drawText(QtCore.QRectF(plot.left(), below + line * 0.9, plot.width(), line * 1.2), centre, "x")
    side = QtCore.QRectF(plot.left() - line * 3.1, 0, line * 2.9, line)
    painter.drawText(side.translated(0, plot.top()), right, f"{ymax:g}")
    painter.drawText(side.translated(0, plot.bottom() - line), right, f"{ymin:g}")
    painter.drawText(side.translated(0, plot.center().y() - line / 2), right, "y")


def _contour_lines(painter: QtGui.QPainter, plot: QtCore.QRectF, domain: tuple, contours: object) -> None:
    """The contour lines of f (minor thin, major heavier), clipped to the map."""
    painter.save()
    painter.setClipRect(plot)
    painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
    for points, pen in ((contours.minor_path, QtGui.QPen(QtGui.QColor(30, 30, 30, 70), 0.8)),
                        (contours.major_path, QtGui.QPen(QtGui.QColor(30, 30, 30, 130), 1.2))):
        path = QtGui.QPainterPath()
        drawing = False
        for x, y in points:
            if not (math.isfinite(x) and math.isfinite(y)):
                drawing = False
                continue
            at = _to_plot(plot, domain, x, y)
            if drawing:
                path.lineTo(at)
            else:
                path.moveTo(at)
                drawing = True
        painter.setPen(pen)
        painter.drawPath(path)
    painter.restore()


def _to_plot(plot: QtCore.QRectF, domain: tuple, x: float, y: float) -> QtCore.QPointF:
    xmin, xmax, ymin, ymax = domain
    return QtCore.QPointF(plot.left() + (x - xmin) / (xmax - xmin) * plot.width(),
                          plot.bottom() - (y - ymin) / (ymax - ymin) * plot.height())


def marker_path(kind: str, centre: QtCore.QPointF, radius: float) -> QtGui.QPainterPath:
    """The marker of a critical point's kind: a triangle down (minimum), up (maximum), a cross
    (saddle) or a star (degenerate): the map's shapes."""
    shape = _SHAPES.get(kind, "star")
    path = QtGui.QPainterPath()
    cx, cy, r = centre.x(), centre.y(), radius
    if shape in ("down", "up"):
        sign = 1 if shape == "down" else -1
        corner = QtCore.QPointF(cx - r, cy - sign * r * 0.6)
        path.addPolygon(QtGui.QPolygonF([corner, QtCore.QPointF(cx + r, cy - sign * r * 0.6),
                                         QtCore.QPointF(cx, cy + sign * r), corner]))
    elif shape == "cross":
        w = r * 0.35
        for angle in (45.0, -45.0):
            bar = QtGui.QPainterPath()
            bar.addRect(QtCore.QRectF(-r, -w / 2, 2 * r, w))
            path = path.united(QtGui.QTransform().translate(cx, cy).rotate(angle).map(bar))
    else:
        points = []
        for k in range(10):
            a = math.radians(-90 + 36 * k)
            rr = r if k % 2 == 0 else r * 0.45
            points.append(QtCore.QPointF(cx + rr * math.cos(a), cy + rr * math.sin(a)))
        path.addPolygon(QtGui.QPolygonF([*points, points[0]]))
    return path


def _points(painter: QtGui.QPainter, plot: QtCore.QRectF, result: object, font: QtGui.QFont, line: float) -> None:
    radius = max(5.0, line * 0.55)
    label_font = QtGui.QFont(font)
    label_font.setBold(True)
    painter.setFont(label_font)
    for index, point in enumerate(result.points):
        centre = _to_plot(plot, result.domain, point.x, point.y)
        path = marker_path(point.kind, centre, radius)
        painter.setPen(QtGui.QPen(QtGui.QColor("#ffffff"), 4.0))
        painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        painter.drawPath(path)
        painter.setPen(QtGui.QPen(QtGui.QColor(palette.OUTLINE_COLOR), 1.5))
        painter.setBrush(QtGui.QColor(palette.CRITICAL_COLORS.get(point.kind, palette.NEUTRAL_COLOR)))
        painter.drawPath(path)
        _plate_text(painter, QtCore.QPointF(centre.x() + radius + 3, centre.y() - radius - 2), str(index + 1), line)


def _plate_text(painter: QtGui.QPainter, at: QtCore.QPointF, text: str, line: float) -> None:
    """Dark text on a white plate (readable on any basin colour)."""
    metrics = QtGui.QFontMetricsF(painter.font())
    box = QtCore.QRectF(at.x(), at.y() - line * 0.5, metrics.horizontalAdvance(text) + 6, line)
    painter.setPen(QtCore.Qt.PenStyle.NoPen)
    painter.setBrush(QtGui.QColor(255, 255, 255, 225))
    painter.drawRoundedRect(box, 3, 3)
    painter.setPen(QtGui.QColor("#101010"))
    painter.drawText(box, int(QtCore.Qt.AlignmentFlag.AlignCenter), text)


def _legend(painter: QtGui.QPainter, origin: QtCore.QPointF, rows: list[tuple[int, str]], result: object,
            font: QtGui.QFont, ink: QtGui.QColor, line: float) -> None:
    painter.setFont(font)
    y = origin.y()
    swatch = line * 0.9
    for code, text in rows:
        box = QtCore.QRectF(origin.x(), y + (line * 1.3 - swatch) / 2, swatch, swatch)
        painter.setPen(QtGui.QPen(ink, 1.0))
        painter.setBrush(QtGui.QColor(outcome_color(code)))
        painter.drawRect(box)
        if code >= 0 and code < len(result.points):  # the point's own marker beside its swatch
            kind = result.points[code].kind
            painter.setPen(QtGui.QPen(QtGui.QColor(palette.OUTLINE_COLOR), 1.2))
            painter.setBrush(QtGui.QColor(palette.CRITICAL_COLORS.get(kind, palette.NEUTRAL_COLOR)))
            painter.drawPath(marker_path(kind, QtCore.QPointF(box.right() + swatch * 0.9, box.center().y()),
                                         swatch * 0.45))
        painter.setPen(ink)
        painter.drawText(QtCore.QRectF(box.right() + swatch * 1.7, y, 2000, line * 1.3),
                         int(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter), text)
        y += line * 1.35


