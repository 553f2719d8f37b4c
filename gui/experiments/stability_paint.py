"""The stability map as a painted figure: the grid of hyper-parameter cells coloured by outcome, the
regions labelled in words, the theory line, axes (log for lr and noise), a legend with shares.

:func:`paint_stability_map(painter, rect, result, ...)` draws into any QPainter in logical
coordinates (the Stability dock's widget, an image, SVG or PDF through
gui.export.figure.write_painted_figure) and returns the plot's rectangle, which
:func:`cell_at_point` reads to turn a click into a cell. Colours: the Okabe-Ito scheme (distinct
for colour-blind viewers), diverged near black and still moving pale grey as in the basin map;
colour is never the only carrier: the largest region of each outcome is labelled with its word
and the legend names every outcome with its share.
"""

from __future__ import annotations

import math

import numpy as np
from PyQt6 import QtCore, QtGui

from gui.experiments.paint_common import begin_figure, draw_title, percent, short_number
from physics.experiments.stability import OUTCOMES

#: Colour of each outcome (physics.experiments.stability.OUTCOMES' order).
OUTCOME_COLORS: tuple[str, ...] = ("#56b4e9", "#e69f00", "#cc79a7", "#262626", "#b8a089", "#dddddd")
#: The outcome words as a legend and the regions say them.
WORDS: tuple[str, ...] = ("converges", "ends on a saddle", "oscillates", "diverges", "stalls on a plateau",
                          "still moving")
#: An outcome's region gets its word when it holds at least this share of the cells.
LABEL_SHARE = 0.03
#: The theory line's colour (on every outcome colour: a white halo under it).
BOUND_COLOR = "#000000"
_ALIGN_LEFT = int(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter)
_ALIGN_RIGHT = int(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
_ALIGN_CENTRE = int(QtCore.Qt.AlignmentFlag.AlignCenter)


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def stability_rgba(result: object) -> np.ndarray:
    """(ny, nx, 4) uint8 RGBA of a StabilityMap, row 0 at the top (the largest y), column 0 at xs[0]."""
    table = np.array([(*_rgb(color), 255) for color in OUTCOME_COLORS], dtype=np.uint8)
    rgba = table[result.outcome.T[::-1]]  # (ny, nx, 4)
    return np.ascontiguousarray(rgba)


def caption(result: object) -> str:
    """"momentum lr 0.01 · 60 × 60 settings · 500 steps from (-4, 1.5)"."""
    settings = result.settings
    hyper = ", ".join(f"{name} {short_number(value)}" for name, value in settings["hyperparameters"].items()
                      if name not in (result.x_param, result.y_param))
    n = len(result.xs)
    words = (f"{settings['optimizer']}{' ' + hyper if hyper else ''} · {n} × {n} settings · {settings['steps']} steps "
             f"from ({result.start[0]:.3g}, {result.start[1]:.3g})")
    if settings["sigma"] > 0 and "noise" not in (result.x_param, result.y_param):
        words += f" · noise σ {short_number(settings['sigma'])}"
    return words


def bound_words(result: object) -> str:
    """The theory line in words, or why there is none."""
    bound = result.bound
    if bound is None:
        if "lr" not in (result.x_param, result.y_param):
            return "no theory line: neither axis is lr"
        return "no theory line: this optimiser's rate adapts (no bound in lr alone), or no curvature there"
    return (f"dashed line: {bound.formula.replace('lambda_max', 'λmax')}, λmax = {bound.lambda_max:.4g} "
            f"on the local quadratic {bound.where_words}")


def legend_rows(result: object) -> list[tuple[int, str]]:
    """(outcome code, "converges: 61.9 %") for each outcome present, largest share first."""
    shares = result.shares
    order = sorted((k for k in range(len(OUTCOMES)) if shares[k] > 0), key=lambda k: -shares[k])
    return [(k, f"{WORDS[k]}: {percent(shares[k])}") for k in order]


def axis_label(param: str) -> str:
    return {"lr": "learning rate lr", "momentum": "momentum μ", "beta1": "β1 (first moment)",
            "beta2": "β2 (second moment)", "alpha": "α (RMSProp smoothing)", "noise": "noise σ"}.get(param, param)


def paint_stability_map(painter: QtGui.QPainter, rect: QtCore.QRectF, result: object, title: str = "",
                        background: str = "#ffffff", foreground: str = "#202020", font_size: float = 11.0,
                        legend: bool = True, marker: tuple[float, float] | None = None,
                        highlight: tuple[int, int] | None = None) -> QtCore.QRectF:
    """Draw ``result`` (a physics.experiments.stability.StabilityMap) into ``rect`` (logical pixels);
    ``marker``: the ball's own (x, y) parameter values, ringed; ``highlight``: a cell (i, j) outlined.
    The legend goes right of the map, or under it in a narrow rectangle (a dock), where the words
    above the map wrap. Returns the plot's rectangle (the cells' area)."""
    fonts = begin_figure(painter, rect, background, foreground, font_size)
    ink, font, line = fonts.ink, fonts.font, fonts.line
    metrics = QtGui.QFontMetricsF(font)
    top = draw_title(painter, rect, rect.top() + 6, title, fonts)
    painter.setFont(font)
    wrap = int(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignTop) | \
        int(QtCore.Qt.TextFlag.TextWordWrap)
    for words in (caption(result), bound_words(result)):
        box = QtCore.QRectF(rect.left() + 8, top, rect.width() - 16, line * 4)
        used = painter.boundingRect(box, wrap, words)
        painter.drawText(box, wrap, words)
        top += used.height() + line * 0.15
    top += line * 0.4
    rows = legend_rows(result) if legend else []
    legend_width = legend_height = 0.0
    below = False
    if rows:
        widest = max(metrics.horizontalAdvance(text) for _, text in rows) + 2.5 * line
        below = rect.width() < 3.2 * widest  # (a narrow dock: the map takes the width, the legend goes under it)
        if below:
            legend_height = line * 1.35 * ((len(rows) + 1) // 2 + (1 if result.bound is not None else 0)) + line * 0.5
        else:
            legend_width = min(rect.width() * 0.4, widest)
    margin_left, margin_bottom = line * 4.2, line * 2.8
    plot = QtCore.QRectF(rect.left() + margin_left, top, max(rect.width() - margin_left - legend_width - 28, 10.0),
                         max(rect.bottom() - top - margin_bottom - legend_height, 10.0))
    image = QtGui.QImage(stability_rgba(result).data, len(result.xs), len(result.ys), len(result.xs) * 4,
                         QtGui.QImage.Format.Format_RGBA8888).copy()
    painter.drawImage(plot, image)
    painter.setPen(QtGui.QPen(ink, 1.2))
    painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
    painter.drawRect(plot)
    _axes(painter, plot, result, font, ink, line)
    _bound(painter, plot, result)
    _labels(painter, plot, result, font, line)
    if highlight is not None:
        cell = cell_rect(plot, result, *highlight)
        painter.setPen(QtGui.QPen(QtGui.QColor("#ffffff"), 3.0))
        painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        painter.drawRect(cell)
        painter.setPen(QtGui.QPen(QtGui.QColor("#000000"), 1.5))
        painter.drawRect(cell)
    if marker is not None:
        _marker(painter, plot, result, marker, line)
    if rows and below:
        _legend(painter, QtCore.QPointF(rect.left() + 8, plot.bottom() + margin_bottom), rows, font, ink, line,
                bool(result.bound), columns=2, column_width=(rect.width() - 16) / 2)
    elif rows:
        _legend(painter, QtCore.QPointF(plot.right() + 20, plot.top()), rows, font, ink, line, bool(result.bound))
    painter.restore()
    return plot


# ------------------------------------------------------------------------------------------- geometry


def _fraction(value: float, low: float, high: float, log: bool) -> float:
    if log:
        if value <= 0:
            return -math.inf
        return (math.log(value) - math.log(low)) / (math.log(high) - math.log(low))
    return (value - low) / (high - low)


def to_plot(plot: QtCore.QRectF, result: object, x: float, y: float) -> QtCore.QPointF:
    """The point of parameter values (x, y) in the plot's rectangle."""
    fx = _fraction(x, *result.x_range, result.x_log)
    fy = _fraction(y, *result.y_range, result.y_log)
    return QtCore.QPointF(plot.left() + fx * plot.width(), plot.bottom() - fy * plot.height())


def from_plot(plot: QtCore.QRectF, result: object, point: QtCore.QPointF) -> tuple[float, float] | None:
    """The parameter values (x, y) at a point of the plot, or None outside it."""
    if not plot.contains(point):
        return None
    fx = (point.x() - plot.left()) / plot.width()
    fy = (plot.bottom() - point.y()) / plot.height()
    values = []
    for fraction, (low, high), log in ((fx, result.x_range, result.x_log), (fy, result.y_range, result.y_log)):
        if log:
            values.append(math.exp(math.log(low) + fraction * (math.log(high) - math.log(low))))
        else:
            values.append(low + fraction * (high - low))
    return values[0], values[1]


def cell_at_point(plot: QtCore.QRectF, result: object, point: QtCore.QPointF) -> tuple[int, int] | None:
    """The cell (i, j) under a point of the plot (a click), or None outside the cells."""
    if not plot.contains(point):
        return None
    n_x, n_y = len(result.xs), len(result.ys)
    i = int((point.x() - plot.left()) / plot.width() * n_x)
    j = int((plot.bottom() - point.y()) / plot.height() * n_y)
    return min(max(i, 0), n_x - 1), min(max(j, 0), n_y - 1)


def cell_rect(plot: QtCore.QRectF, result: object, i: int, j: int) -> QtCore.QRectF:
    """Cell (i, j)'s rectangle in the plot."""
    w, h = plot.width() / len(result.xs), plot.height() / len(result.ys)
    return QtCore.QRectF(plot.left() + i * w, plot.bottom() - (j + 1) * h, w, h)


# ------------------------------------------------------------------------------------------- parts


def ticks(low: float, high: float, log: bool) -> list[float]:
    """Tick values inside [low, high]: decades (and 2, 5 between them when the range is short) on a
    log axis, a 1-2-5 step on a linear one."""
    if log:
        first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
        span = math.log10(high / low)
        steps = (1.0,) if span > 3.5 else (1.0, 2.0, 5.0) if span > 1.2 else (1.0, 2.0, 3.0, 5.0)
        values = [m * 10.0 ** e for e in range(first, last + 1) for m in steps]
        return [v for v in values if low * (1 - 1e-9) <= v <= high * (1 + 1e-9)]
    raw = (high - low) / 5.0
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1.0, 2.0, 5.0, 10.0) if m * power >= raw)
    start = math.ceil(low / step - 1e-9) * step
    values = []
    value = start
    while value <= high + step * 1e-9:
        values.append(round(value, 12))
        value += step
    return values


def _axes(painter: QtGui.QPainter, plot: QtCore.QRectF, result: object, font: QtGui.QFont, ink: QtGui.QColor,
          line: float) -> None:
    painter.setFont(font)
    metrics = QtGui.QFontMetricsF(font)
    last_right = -math.inf
    for value in ticks(*result.x_range, result.x_log):
        x = to_plot(plot, result, value, result.ys[0]).x()
        painter.setPen(QtGui.QPen(ink, 1.0))
        painter.drawLine(QtCore.QPointF(x, plot.bottom()), QtCore.QPointF(x, plot.bottom() + 4))
        text = f"{value:g}"
        width = metrics.horizontalAdvance(text)
        if x - width / 2 > last_right + 4:
            painter.drawText(QtCore.QRectF(x - width / 2 - 2, plot.bottom() + 5, width + 4, line), _ALIGN_CENTRE, text)
            last_right = x + width / 2
    painter.drawText(QtCore.QRectF(plot.left(), plot.bottom() + line * 1.3, plot.width(), line * 1.3),
                     _ALIGN_CENTRE, axis_label(result.x_param) + ("  (log scale)" if result.x_log else ""))
    last_top = math.inf
    for value in ticks(*result.y_range, result.y_log):
        y = to_plot(plot, result, result.xs[0], value).y()
        painter.setPen(QtGui.QPen(ink, 1.0))
        painter.drawLine(QtCore.QPointF(plot.left() - 4, y), QtCore.QPointF(plot.left(), y))
        if y + line / 2 < last_top - 2:
            painter.drawText(QtCore.QRectF(plot.left() - line * 3.3, y - line / 2, line * 3.1, line), _ALIGN_RIGHT,
                             f"{value:g}")
            last_top = y - line / 2
    painter.save()
    painter.translate(plot.left() - line * 3.7, plot.center().y())
    painter.rotate(-90)
    painter.drawText(QtCore.QRectF(-plot.height() / 2, -line * 0.7, plot.height(), line * 1.4), _ALIGN_CENTRE,
                     axis_label(result.y_param) + ("  (log scale)" if result.y_log else ""))
    painter.restore()


def _bound(painter: QtGui.QPainter, plot: QtCore.QRectF, result: object) -> None:
    bound = result.bound
    if bound is None:
        return
    points = [to_plot(plot, result, float(x), float(y)) for x, y in bound.points]
    points = [p for p in points if math.isfinite(p.x()) and math.isfinite(p.y())]
    if len(points) < 2:
        return
    path = QtGui.QPainterPath(points[0])
    for p in points[1:]:
        path.lineTo(p)
    painter.save()
    painter.setClipRect(plot)
    painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
    painter.setPen(QtGui.QPen(QtGui.QColor("#ffffff"), 5.0))
    painter.drawPath(path)
    dashed = QtGui.QPen(QtGui.QColor(BOUND_COLOR), 2.2)
    dashed.setDashPattern([5.0, 3.0])
    painter.setPen(dashed)
    painter.drawPath(path)
    painter.restore()


def _labels(painter: QtGui.QPainter, plot: QtCore.QRectF, result: object, font: QtGui.QFont, line: float) -> None:
    """Each outcome's word on a plate at the cell of its region nearest the region's centre."""
    label_font = QtGui.QFont(font)
    label_font.setBold(True)
    painter.setFont(label_font)
    metrics = QtGui.QFontMetricsF(label_font)
    shares = result.shares
    for code in range(len(OUTCOMES)):
        if shares[code] < LABEL_SHARE:
            continue
        cells = np.argwhere(result.outcome == code)
        centre = cells.mean(axis=0)
        i, j = cells[np.argmin(((cells - centre) ** 2).sum(axis=1))]
        at = cell_rect(plot, result, int(i), int(j)).center()
        text = WORDS[code]
        width = metrics.horizontalAdvance(text) + 8
        box = QtCore.QRectF(at.x() - width / 2, at.y() - line * 0.6, width, line * 1.2)
        box.moveLeft(min(max(box.left(), plot.left() + 2), plot.right() - width - 2))
        box.moveTop(min(max(box.top(), plot.top() + 2), plot.bottom() - box.height() - 2))
        painter.setPen(QtGui.QPen(QtGui.QColor("#202020"), 1.0))
        painter.setBrush(QtGui.QColor(255, 255, 255, 230))
        painter.drawRoundedRect(box, 4, 4)
        painter.setPen(QtGui.QColor("#101010"))
        painter.drawText(box, _ALIGN_CENTRE, text)


def _marker(painter: QtGui.QPainter, plot: QtCore.QRectF, result: object, marker: tuple[float, float],
            line: float) -> None:
    at = to_plot(plot, result, *marker)
    if not plot.adjusted(-1, -1, 1, 1).contains(at):
        return
    radius = max(6.0, line * 0.5)
    painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
    painter.setPen(QtGui.QPen(QtGui.QColor("#ffffff"), 4.5))
    painter.drawEllipse(at, radius, radius)
    painter.setPen(QtGui.QPen(QtGui.QColor("#000000"), 2.0))
    painter.drawEllipse(at, radius, radius)


def _legend(painter: QtGui.QPainter, origin: QtCore.QPointF, rows: list[tuple[int, str]], font: QtGui.QFont,
            ink: QtGui.QColor, line: float, bound: bool, columns: int = 1, column_width: float = 0.0) -> None:
    painter.setFont(font)
    y = origin.y()
    swatch = line * 0.9
    for index, (code, text) in enumerate(rows):
        x = origin.x() + (index % columns) * column_width
        box = QtCore.QRectF(x, y + (line * 1.3 - swatch) / 2, swatch, swatch)
        painter.setPen(QtGui.QPen(ink, 1.0))
        painter.setBrush(QtGui.QColor(OUTCOME_COLORS[code]))
        painter.drawRect(box)
        painter.setPen(ink)
        painter.drawText(QtCore.QRectF(box.right() + swatch * 0.7, y, 2000, line * 1.3), _ALIGN_LEFT, text)
        if index % columns == columns - 1 or index == len(rows) - 1:
            y += line * 1.35
    if bound:
        y += line * 0.3
        dashed = QtGui.QPen(QtGui.QColor(BOUND_COLOR), 2.2)
        dashed.setDashPattern([5.0, 3.0])
        painter.setPen(dashed)
        middle = y + line * 0.65
        painter.drawLine(QtCore.QPointF(origin.x(), middle), QtCore.QPointF(origin.x() + swatch, middle))
        painter.setPen(ink)
        painter.drawText(QtCore.QRectF(origin.x() + swatch * 1.7, y, 2000, line * 1.3), _ALIGN_LEFT, "theory bound")


