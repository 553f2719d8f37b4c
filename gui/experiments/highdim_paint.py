"""The high-dimensional picture as a painted figure: two plots side by side (or stacked when tall).

Left, "minima are rare": the fraction of random GOE Hessians with every eigenvalue > 0 against n
on a log axis: the sampled fraction with its 95 % interval (filled circles; the count of positives
written beside the rare ones; "none in M" as an open triangle at the 95 % bound with an arrow down),
the splitting estimate (open squares, +-2 standard errors), 2^-n (dashed) and exp(-theta n^2)
(solid). Right, "high loss, many downhill directions": each critical point of the random landscape
at (loss, index); minima as triangles, the mean index of each loss bin as a line, Bray and Dean's
large-n index (physics.experiments.random_landscape.bray_dean_index) dashed.

:func:`paint_highdim(painter, rect, result, ...)` draws into any QPainter in logical coordinates:
the dock's picture and the command line's figures (PNG, SVG, PDF through
gui.export.figure.write_painted_figure). Colours are Okabe and Ito's (told apart by colour-blind
viewers) and every series also differs by marker or dash.
"""

from __future__ import annotations

import math

import numpy as np
from PyQt6 import QtCore, QtGui

from gui.experiments.paint_common import begin_figure
from physics.experiments.random_landscape import bray_dean_index

BLUE = "#0072B2"
VERMILLION = "#D55E00"
GREEN = "#009E73"
ORANGE = "#E69F00"
GREY = "#6e6e6e"
#: Narrower than this (logical pixels), both plots are stacked.
NARROW = 600
#: What the picture can show: (key, words).
VIEWS = (("both", "Both plots"), ("fractions", "Fraction of minima"), ("index", "Index against loss"))
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
_LEFT = int(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter)
_RIGHT = int(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
_CENTRE = int(QtCore.Qt.AlignmentFlag.AlignCenter)


def power_of_ten(exponent: int) -> str:
    """"10⁻¹²" for -12; "1" for 0."""
    return "1" if exponent == 0 else "10" + str(exponent).translate(_SUPERSCRIPT)


def fraction_caption(result: object) -> str:
    """The left plot's second line: what was sampled."""
    return (f"{result.samples:,} random symmetric matrices per n sampled".replace(",", " ")
            + (f"; splitting: {result.settings['population']:,} per level × 8 runs".replace(",", " ")
               if result.settings["population"] else ""))


def census_caption(result: object) -> str:
    """The right plot's second line: the landscape, the solver, the count, the check."""
    census = result.census
    if census is None:
        return "no landscape (starts = 0)"
    correlation = census.correlation
    words = (f"f: {result.settings['features']} random Fourier features, variance 1; {len(census.losses)} "
             f"critical points from {census.starts} Newton starts ({census.duplicates} repeat finds dropped), "
             f"every one |∇f| < 1e-9")
    if not math.isnan(correlation):
        words += f"; correlation of index and loss {correlation:.2f}"
    return words


def paint_highdim(painter: QtGui.QPainter, rect: QtCore.QRectF, result: object, title: str = "",
                  background: str = "#ffffff", foreground: str = "#202020", font_size: float = 11.0,
                  stacked: bool | None = None, which: str = "both") -> None:
    """Draw ``result`` (physics.experiments.landscape_stats.HighDimPicture) into ``rect``; ``stacked``
    puts the plots one above the other (default: when ``rect`` is taller than wide or narrower than
    NARROW); ``which``: "both", "fractions" (the left plot alone) or "index" (the right alone)."""
    fonts = begin_figure(painter, rect, background, foreground, font_size)
    ink, font, line = fonts.ink, fonts.font, fonts.line
    top = rect.top() + 4
    if title:
        bold = QtGui.QFont(font)
        bold.setBold(True)
        bold.setPointSizeF(font_size * 1.3)
        painter.setFont(bold)
        painter.setPen(ink)
        painter.drawText(QtCore.QRectF(rect.left() + 8, top, rect.width() - 16, line * 1.6), _LEFT, title)
        top += line * 1.7
    body = QtCore.QRectF(rect.left(), top, rect.width(), rect.bottom() - top)
    if which == "fractions":
        paint_fractions(painter, body.adjusted(4, 0, -8, -4), result, font, ink)
        painter.restore()
        return
    if which == "index":
        paint_index(painter, body.adjusted(4, 0, -8, -4), result, font, ink)
        painter.restore()
        return
    if stacked is None:
        stacked = body.height() > body.width() * 1.1 or body.width() < NARROW
    if stacked:
        first = QtCore.QRectF(body.left(), body.top(), body.width(), body.height() / 2)
        second = first.translated(0, body.height() / 2)
    else:
        first = QtCore.QRectF(body.left(), body.top(), body.width() / 2, body.height())
        second = first.translated(body.width() / 2, 0)
    paint_fractions(painter, first.adjusted(4, 0, -8, -4), result, font, ink)
    paint_index(painter, second.adjusted(4, 0, -8, -4), result, font, ink)
    painter.restore()


def _heading(painter: QtGui.QPainter, area: QtCore.QRectF, heading: str, caption: str, font: QtGui.QFont,
             ink: QtGui.QColor) -> float:
    """Write a plot's heading and caption; returns the y below them."""
    line = QtGui.QFontMetricsF(font).height()
    bold = QtGui.QFont(font)
    bold.setBold(True)
    wide = QtGui.QFontMetricsF(bold).horizontalAdvance(heading)
    if wide > area.width() - 8:  # a narrow plot: the heading shrinks to fit (to 70 %), then is cut
        bold.setPointSizeF(font.pointSizeF() * max(0.7, (area.width() - 8) / wide))
        heading = QtGui.QFontMetricsF(bold).elidedText(heading, QtCore.Qt.TextElideMode.ElideRight, area.width() - 8)
    painter.setPen(ink)
    painter.setFont(bold)
    painter.drawText(QtCore.QRectF(area.left() + 4, area.top(), area.width() - 8, line * 1.2), _LEFT, heading)
    small = QtGui.QFont(font)
    small.setPointSizeF(font.pointSizeF() * 0.85)
    painter.setFont(small)
    painter.setPen(QtGui.QColor(GREY))
    small_line = QtGui.QFontMetricsF(small).height()
    painter.drawText(QtCore.QRectF(area.left() + 4, area.top() + line * 1.2, area.width() - 8, small_line * 2.1),
                     int(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignTop
                         | QtCore.Qt.TextFlag.TextWordWrap), caption)
    painter.setFont(font)
    return area.top() + line * 1.3 + small_line * 2.1


def paint_fractions(painter: QtGui.QPainter, area: QtCore.QRectF, result: object, font: QtGui.QFont,
                    ink: QtGui.QColor) -> None:
    """The left plot: the fraction of minima against n, log axis (module docstring)."""
    line = QtGui.QFontMetricsF(font).height()
    top = _heading(painter, area, "Minima are rare: P(every eigenvalue of a random Hessian > 0)",
                   fraction_caption(result), font, ink)
    plot = QtCore.QRectF(area.left() + line * 3.4, top + line * 0.3, area.width() - line * 4.0,
                         area.bottom() - top - line * 2.9)
    if plot.width() < 40 or plot.height() < 40:
        return
    ns = np.asarray(result.ns, dtype=float)
    candidates = [result.coin, result.large_deviation, result.fraction[result.fraction > 0], [result.bound]]
    if np.isfinite(result.split_mean).any():
        candidates.append(result.split_mean[result.split_mean > 0])
    smallest = min(float(np.min(values)) for values in candidates if len(values))
    low_decade = max(-40, math.floor(math.log10(max(smallest, 1e-40))) - 1) if smallest > 0 else -10
    high_decade = 0

    def at(n: float, p: float) -> QtCore.QPointF:
        x = plot.left() + (n - 0.5) / (len(ns)) * plot.width()
        exponent = math.log10(p) if p > 0 else low_decade
        exponent = min(max(exponent, low_decade), high_decade)
        return QtCore.QPointF(x, plot.bottom() - (exponent - low_decade) / (high_decade - low_decade) * plot.height())

    _frame(painter, plot, ink)
    # Decades: at most about 8 labels.
    every = max(1, math.ceil((high_decade - low_decade) / 8))
    painter.setFont(font)
    for exponent in range(high_decade, low_decade - 1, -1):
        y = at(1, 10.0 ** exponent).y()
        if (high_decade - exponent) % every == 0:
            painter.setPen(QtGui.QPen(QtGui.QColor(0, 0, 0, 30), 1))
            painter.drawLine(QtCore.QPointF(plot.left(), y), QtCore.QPointF(plot.right(), y))
            painter.setPen(ink)
            painter.drawText(QtCore.QRectF(area.left(), y - line / 2, line * 3.2, line), _RIGHT, power_of_ten(exponent))
    step = 1 if len(ns) <= 12 else 2
    for n in ns[::step]:
        x = at(n, 1).x()
        painter.drawText(QtCore.QRectF(x - line, plot.bottom() + 2, 2 * line, line), _CENTRE, f"{int(n)}")
    painter.drawText(QtCore.QRectF(plot.left(), plot.bottom() + line, plot.width(), line * 1.2), _CENTRE,
                     "n, the number of dimensions")
    painter.save()
    painter.setClipRect(plot.adjusted(-6, -6, 6, 6))
    _curve(painter, [at(n, p) for n, p in zip(ns, result.coin, strict=True)], GREY, QtCore.Qt.PenStyle.DashLine)
    fine = np.linspace(ns[0], ns[-1], 200)
    _curve(painter, [at(n, math.exp(-result.theta * n * n)) for n in fine], GREEN, QtCore.Qt.PenStyle.SolidLine)
    radius = max(4.0, line * 0.32)
    if np.isfinite(result.split_mean).any():
        painter.setPen(QtGui.QPen(QtGui.QColor(ORANGE), 2.0))
        painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        for n, mean, error in zip(ns, result.split_mean, result.split_error, strict=True):
            if not mean > 0:
                continue
            centre = at(n + 0.12, mean)
            if np.isfinite(error):
                painter.drawLine(at(n + 0.12, mean + 2 * error), at(n + 0.12, max(mean - 2 * error, mean * 1e-3)))
            painter.drawRect(QtCore.QRectF(centre.x() - radius, centre.y() - radius, 2 * radius, 2 * radius))
    blue = QtGui.QColor(BLUE)
    labels: list[tuple[QtCore.QRectF, str]] = []
    small = QtGui.QFont(font)
    small.setPointSizeF(font.pointSizeF() * 0.8)
    for n, count, p, low, high in zip(ns, result.positives, result.fraction, result.low, result.high, strict=True):
        centre = at(n - 0.12, p if count else result.bound)
        painter.setPen(QtGui.QPen(blue, 2.0))
        if count:
            painter.drawLine(at(n - 0.12, high), at(n - 0.12, max(low, p * 1e-3)))
            painter.setBrush(blue)
            painter.drawEllipse(centre, radius, radius)
            if count < 10_000:  # written after the clip is lifted: a label may reach past the frame
                labels.append((QtCore.QRectF(centre.x() - 5 * line, centre.y() - line * 0.5, 5 * line - radius - 3,
                                             line), f"{int(count)}"))
        else:
            painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
            painter.drawPolygon(_triangle_down(centre, radius * 1.2))
            painter.drawLine(QtCore.QPointF(centre.x(), centre.y() + radius), QtCore.QPointF(centre.x(),
                                                                                               centre.y() + line * 1.3))
    painter.restore()
    painter.setFont(small)
    painter.setPen(blue)
    for box, words in labels:
        painter.drawText(box, _RIGHT, words)
    painter.setFont(font)
    rows = [("dot", BLUE, "sampled, 95 % interval (positives counted beside)"),
            ("open", BLUE, f"none in {result.samples:,} (95 % bound)".replace(",", " ")),
            ("dash", GREY, "2⁻ⁿ: n coin flips"),
            ("line", GREEN, "exp(−θn²), θ = ln 3 / 4 (Dean & Majumdar 2006, large n)")]
    if np.isfinite(result.split_mean).any():
        rows.insert(2, ("square", ORANGE, "splitting estimate ± 2 s.e."))
    _legend(painter, QtCore.QPointF(plot.left() + 8, plot.bottom() - 8), rows, font, ink, anchor_bottom=True,
            max_width=plot.width() * 0.7)


def paint_index(painter: QtGui.QPainter, area: QtCore.QRectF, result: object, font: QtGui.QFont,
                ink: QtGui.QColor) -> None:
    """The right plot: index (fraction of negative eigenvalues) against loss at critical points."""
    line = QtGui.QFontMetricsF(font).height()
    census = result.census
    dim = result.settings["dim"]
    top = _heading(painter, area, f"Critical points of a random Gaussian landscape in {dim} dimensions",
                   census_caption(result), font, ink)
    plot = QtCore.QRectF(area.left() + line * 3.4, top + line * 0.3, area.width() - line * 4.0,
                         area.bottom() - top - line * 2.9)
    if plot.width() < 40 or plot.height() < 40:
        return
    _frame(painter, plot, ink)
    if census is None or len(census.losses) == 0:
        painter.setPen(ink)
        painter.drawText(plot, _CENTRE, "no critical points")
        return
    losses, indices = census.losses, census.indices
    low, high = float(losses.min()), float(losses.max())
    pad = max(0.05 * (high - low), 1e-6)
    low, high = low - pad, high + pad

    def at(loss: float, index: float) -> QtCore.QPointF:
        return QtCore.QPointF(plot.left() + (loss - low) / (high - low) * plot.width(),
                              plot.bottom() - (0.04 + 0.92 * index) * plot.height())

    painter.setFont(font)
    for value, words in ((0.0, "0"), (0.5, "½"), (1.0, "1")):
        y = at(low, value).y()
        painter.setPen(QtGui.QPen(QtGui.QColor(0, 0, 0, 30), 1))
        painter.drawLine(QtCore.QPointF(plot.left(), y), QtCore.QPointF(plot.right(), y))
        painter.setPen(ink)
        painter.drawText(QtCore.QRectF(area.left(), y - line / 2, line * 3.2, line), _RIGHT, words)
    for tick in _nice_ticks(low, high):
        x = at(tick, 0).x()
        painter.drawText(QtCore.QRectF(x - 2 * line, plot.bottom() + 2, 4 * line, line), _CENTRE, f"{tick:g}")
    painter.drawText(QtCore.QRectF(plot.left(), plot.bottom() + line, plot.width(), line * 1.2), _CENTRE,
                     "loss f at the critical point")
    painter.save()
    painter.translate(area.left() + line * 0.6, plot.center().y())
    painter.rotate(-90)
    label = "index: share of downhill directions"
    if QtGui.QFontMetricsF(font).horizontalAdvance(label) > plot.height():
        label = "index"
    painter.drawText(QtCore.QRectF(-plot.height() / 2, -line * 0.6, plot.height(), line * 1.2), _CENTRE, label)
    painter.restore()
    radius = max(3.0, line * 0.22)
    dots = QtGui.QColor(BLUE)
    dots.setAlpha(110)
    painter.setPen(QtCore.Qt.PenStyle.NoPen)
    painter.setBrush(dots)
    minima = indices == 0
    for loss, index in zip(losses[~minima], indices[~minima], strict=True):
        painter.drawEllipse(at(loss, index), radius, radius)
    painter.setPen(QtGui.QPen(QtGui.QColor("#101010"), 1.2))
    painter.setBrush(QtGui.QColor(VERMILLION))
    for loss in losses[minima]:
        painter.drawPolygon(_triangle_down(at(loss, 0.0), radius * 2.2))
    # The mean index in 12 equal loss bins (bins with at least 3 points).
    edges = np.linspace(losses.min(), losses.max(), 13)
    which = np.clip(np.digitize(losses, edges) - 1, 0, 11)
    means = [(losses[which == b].mean(), indices[which == b].mean()) for b in range(12) if (which == b).sum() >= 3]
    _curve(painter, [at(loss, index) for loss, index in means], "#202020", QtCore.Qt.PenStyle.SolidLine, width=2.5)
    fine = np.linspace(low, high, 120)
    _curve(painter, [at(loss, index) for loss, index in zip(fine, bray_dean_index(fine, dim), strict=True)],
           GREEN, QtCore.Qt.PenStyle.DashLine, width=2.5)
    rows = [("dot", BLUE, "a saddle (or maximum)"), ("min", VERMILLION, f"a minimum: {int(minima.sum())} found"),
            ("line", "#202020", "mean index by loss"),
            ("dash", GREEN, "Bray & Dean 2007, large n")]
    _legend(painter, QtCore.QPointF(plot.left() + 8, plot.top() + 8), rows, font, ink, anchor_bottom=False,
            max_width=plot.width() * 0.55)


def _frame(painter: QtGui.QPainter, plot: QtCore.QRectF, ink: QtGui.QColor) -> None:
    painter.setPen(QtGui.QPen(ink, 1.2))
    painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
    painter.drawRect(plot)


def _curve(painter: QtGui.QPainter, points: list[QtCore.QPointF], color: str, style: QtCore.Qt.PenStyle,
           width: float = 2.2) -> None:
    if len(points) < 2:
        return
    pen = QtGui.QPen(QtGui.QColor(color), width)
    pen.setStyle(style)
    painter.setPen(pen)
    painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
    painter.drawPolyline(QtGui.QPolygonF(points))


def _triangle_down(centre: QtCore.QPointF, r: float) -> QtGui.QPolygonF:
    return QtGui.QPolygonF([QtCore.QPointF(centre.x() - r, centre.y() - r * 0.6),
                            QtCore.QPointF(centre.x() + r, centre.y() - r * 0.6),
                            QtCore.QPointF(centre.x(), centre.y() + r)])


def _nice_ticks(low: float, high: float) -> list[float]:
    span = high - low
    step = 10 ** math.floor(math.log10(span / 4)) if span > 0 else 1.0
    for factor in (1, 2, 5, 10):
        if span / (step * factor) <= 6:
            step *= factor
            break
    first = math.ceil(low / step) * step
    return [round(first + k * step, 10) for k in range(int((high - first) / step) + 1)]


def _legend(painter: QtGui.QPainter, corner: QtCore.QPointF, rows: list[tuple[str, str, str]], font: QtGui.QFont,
            ink: QtGui.QColor, anchor_bottom: bool, max_width: float = math.inf) -> None:
    """A legend on a white plate, its top-left (or bottom-left) at ``corner``; its words shrink (to
    60 % of the plot's font) to keep it within ``max_width``."""
    small = QtGui.QFont(font)
    small.setPointSizeF(font.pointSizeF() * 0.88)
    metrics = QtGui.QFontMetricsF(small)
    needed = max(metrics.horizontalAdvance(text) for _, _, text in rows) + metrics.height() * 1.15 * 2.2
    if needed > max_width:
        small.setPointSizeF(font.pointSizeF() * max(0.6, 0.88 * max_width / needed))
        metrics = QtGui.QFontMetricsF(small)
    line = metrics.height() * 1.15
    width = max(metrics.horizontalAdvance(text) for _, _, text in rows) + line * 2.2
    height = line * len(rows) + 8
    top = corner.y() - height if anchor_bottom else corner.y()
    box = QtCore.QRectF(corner.x(), top, width, height)
    painter.setPen(QtGui.QPen(QtGui.QColor(0, 0, 0, 60), 1))
    painter.setBrush(QtGui.QColor(255, 255, 255, 235))
    painter.drawRoundedRect(box, 4, 4)
    painter.setFont(small)
    for row, (shape, color, text) in enumerate(rows):
        y = top + 4 + line * (row + 0.5)
        mark = QtCore.QPointF(box.left() + line * 0.9, y)
        colour = QtGui.QColor(color)
        r = line * 0.27
        if shape in ("line", "dash"):
            pen = QtGui.QPen(colour, 2.2)
            pen.setStyle(QtCore.Qt.PenStyle.DashLine if shape == "dash" else QtCore.Qt.PenStyle.SolidLine)
            painter.setPen(pen)
            painter.drawLine(QtCore.QPointF(mark.x() - line * 0.6, y), QtCore.QPointF(mark.x() + line * 0.6, y))
        elif shape == "square":
            painter.setPen(QtGui.QPen(colour, 2.0))
            painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
            painter.drawRect(QtCore.QRectF(mark.x() - r, y - r, 2 * r, 2 * r))
        elif shape == "open":
            painter.setPen(QtGui.QPen(colour, 2.0))
            painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
            painter.drawPolygon(_triangle_down(mark, r * 1.3))
        elif shape == "min":
            painter.setPen(QtGui.QPen(QtGui.QColor("#101010"), 1.2))
            painter.setBrush(colour)
            painter.drawPolygon(_triangle_down(mark, r * 1.6))
        else:
            painter.setPen(QtCore.Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawEllipse(mark, r, r)
        painter.setPen(ink)
        painter.drawText(QtCore.QRectF(box.left() + line * 1.8, y - line / 2, width, line), _LEFT, text)
