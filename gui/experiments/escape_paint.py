"""The saddle-escape statistics as a painted figure: a histogram of escape times per noise level,
the median against sigma (log axis) with the theory line, and where the runs went.

:func:`paint_escape(painter, rect, result, ...)` draws into any QPainter in logical coordinates
(the Saddle escape dock, and the command line's PNG, SVG and PDF through
gui.export.figure.write_painted_figure). Colour is never the only carrier: the histograms are
labelled with their sigma, medians and censored counts; the theory line is dashed and named; the
destination bars carry their share as text and a legend names each destination.
"""

from __future__ import annotations

import math

import numpy as np
from PyQt6 import QtCore, QtGui

from gui.experiments.basin_colors import outcome_color
from gui.experiments.paint_common import begin_figure, draw_title
from physics.experiments import outcomes
from physics.experiments.escape import CENSORED

#: Paul Tol's bright blue (the histograms and measured medians) and orange (the theory line): distinct
#: for colour-blind viewers and on a projector.
BAR_COLOR = "#4477aa"
THEORY_COLOR = "#ee7733"
CENSORED_COLOR = "#bbbbbb"
BINS = 30
#: Clearer words for named destinations than the bare outcome word.
_NAMED_WORDS = {outcomes.MINIMUM: "near a minimum, outside the match radius of a listed one",
                outcomes.MOVING: "still moving at the end", outcomes.SADDLE: "settled at another saddle"}
_LEFT = int(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter)
_RIGHT = int(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
_CENTRE = int(QtCore.Qt.AlignmentFlag.AlignCenter)


def sigma_text(sigma: float) -> str:
    """"1e-8", "3.2e-5", "0.01", "0.1": decimals from 0.01 to 1000, powers of ten below and above."""
    if 0.01 <= sigma < 1000:
        return f"{sigma:.2g}"
    exponent = math.floor(math.log10(sigma))
    mantissa = sigma / 10.0 ** exponent
    if mantissa >= 9.95:
        mantissa, exponent = 1.0, exponent + 1
    return f"1e{exponent}" if abs(mantissa - 1.0) < 5e-3 else f"{mantissa:.2g}e{exponent}"


def nice_ticks(high: float, count: int = 4) -> list[float]:
    """Round ticks 0, t, 2t, ... up to ``high``: t the smallest of 1, 2, 5 x 10^k giving at most
    ``count`` + 1 intervals."""
    if not math.isfinite(high) or high <= 0:
        return [0.0]
    raw = high / (count + 1)
    base = 10.0 ** math.floor(math.log10(raw))
    tick = next(m * base for m in (1, 2, 5, 10) if m * base >= raw)
    return [k * tick for k in range(int(high / tick + 1e-9) + 1)]


def escape_caption(result: object) -> str:
    """"gd lr 0.1 · saddle 3 at (0, 0), λmin −1 · 500 runs per σ · escape: farther than r 0.25 ..."""
    settings = result.settings
    hyper = ", ".join(f"{name} {value:.3g}" if isinstance(value, float) else f"{name} {value}"
                      for name, value in settings["hyperparameters"].items())
    point = result.points[result.saddle]
    drop = "" if result.drop is None else f" or loss below f(saddle) − {result.drop:.3g}"
    return (f"{settings['optimizer']}{' ' + hyper if hyper else ''} · saddle {result.saddle + 1} at "
            f"({point.x:.3g}, {point.y:.3g}), λmin {result.lam_min:.3g} · {result.times.shape[1]} runs per σ · "
            f"escape: farther than r = {result.radius:.3g}{drop} · at most {result.steps} steps")


def theory_words(result: object, short: bool = False) -> str:
    """The theory line's formula and offset in words (what stands in for it when the optimiser has none)."""
    if result.rho is None:
        return "no theory line: this optimiser's step is not linear in the gradient"
    if short:
        return f"theory: (ln(1/σ) + c) / ln ρ, ρ {result.rho:.4g}, c {result.offset:.3g} " \
               f"({'fitted' if result.offset_fitted else 'derived'})"
    how = "fitted to the medians" if result.offset_fitted else "derived: ln(r √(ρ²−1) / (lr · 0.674))"
    return f"theory: (ln(1/σ) + c) / ln ρ, ρ = {result.rho:.4g}, c = {result.offset:.3g} ({how})"


def slope_words(result: object, short: bool = False) -> str:
    measured = result.measured_slope()
    seen = "—" if measured is None else f"{measured:.3g}"
    if result.slope is None:
        return f"slope of the medians against ln(1/σ): {seen} steps"
    if short:
        return f"slope: measured {seen}, theory {result.slope:.3g}"
    return f"slope against ln(1/σ): measured {seen}, theory 1/ln ρ = {result.slope:.3g} steps"


#: Below this width (logical pixels) the words are the short ones.
NARROW = 560


def paint_escape(painter: QtGui.QPainter, rect: QtCore.QRectF, result: object, title: str = "",
                 background: str = "#ffffff", foreground: str = "#202020", font_size: float = 11.0,
                 caption: bool = True, selected: int | None = None) -> None:
    """Draw ``result`` (a physics.experiments.escape.EscapeResult) into ``rect`` (logical pixels).

    Landscape (wider than tall): every level's histogram on the left, the medians and where the runs
    went on the right. Portrait (a dock at the window's side): one above the other, and with
    ``selected`` (a level's index) only that level's histogram, drawn large (the dock's selector).
    """
    fonts = begin_figure(painter, rect, background, foreground, font_size)
    ink, font, line = fonts.ink, fonts.font, fonts.line
    top = draw_title(painter, rect, rect.top() + 6, title, fonts)
    painter.setFont(font)
    if caption:
        painter.drawText(QtCore.QRectF(rect.left() + 8, top, rect.width() - 16, line * 1.3), _LEFT,
                         escape_caption(result))
        top += line * 1.5
    body = QtCore.QRectF(rect.left() + 8, top, rect.width() - 16, rect.bottom() - top - 4)
    if body.width() >= 1.15 * body.height():  # landscape: histograms left, the two summaries right
        left = QtCore.QRectF(body.left(), body.top(), body.width() * 0.5, body.height())
        right = QtCore.QRectF(left.right() + line, body.top(), body.right() - left.right() - line, body.height())
        _histograms(painter, left, result, font, ink, line, range(len(result.sigmas)), columns=2)
        medians_box = QtCore.QRectF(right.left(), right.top(), right.width(), right.height() * 0.58)
    else:  # portrait (a dock at the side): one above the other
        one = selected is not None and 0 <= selected < len(result.sigmas)
        left = QtCore.QRectF(body.left(), body.top(), body.width(), body.height() * (0.27 if one else 0.36))
        shown = [selected] if one else range(len(result.sigmas))
        _histograms(painter, left, result, font, ink, line, shown, columns=4)
        right = QtCore.QRectF(body.left(), left.bottom() + line * 0.6, body.width(),
                              body.bottom() - left.bottom() - line * 0.6)
        medians_box = QtCore.QRectF(right.left(), right.top(), right.width(), right.height() * 0.56)
    shares_box = QtCore.QRectF(right.left(), medians_box.bottom() + line * 0.6, right.width(),
                               right.bottom() - medians_box.bottom() - line * 0.6)
    _medians(painter, medians_box, result, font, ink, line)
    _destinations(painter, shares_box, result, font, ink, line)
    painter.restore()


# ------------------------------------------------------------------------------------------- histograms


def _histograms(painter: QtGui.QPainter, box: QtCore.QRectF, result: object, font: QtGui.QFont,
                ink: QtGui.QColor, line: float, shown: object, columns: int = 2) -> None:
    shown = list(shown)
    count = len(shown)
    columns = max(1, min(columns, count))
    rows = math.ceil(count / columns)
    painter.setFont(font)
    painter.setPen(ink)
    heading = ("Escape time (steps): a histogram per σ, each to its own height; solid line: the median, "
               "dashed: the theory's" if count > 1
               else "Escape time (steps) at one σ (choose it above); solid line: the median, dashed: the theory's")
    top = box.top() + wrapped(painter, QtCore.QRectF(box.left(), box.top(), box.width(), line), heading) + line * 0.2
    bottom_axis = line * 1.3
    cell_w = box.width() / columns
    cell_h = (box.bottom() - top - bottom_axis) / rows
    finite = result.times[result.times >= 0]
    high = float(finite.max()) if finite.size else float(result.steps)
    edges = np.linspace(0.0, max(high, 1.0) + 1.0, BINS + 1)
    medians = result.medians
    theory = result.theory(result.sigmas)
    censored = result.censored
    for place, level in enumerate(shown):
        row, column = place // columns, place % columns
        cell = QtCore.QRectF(box.left() + column * cell_w, top + row * cell_h, cell_w - line * 0.8, cell_h - 2)
        label_h = line * 1.05
        plot = QtCore.QRectF(cell.left(), cell.top() + label_h, cell.width(), cell.height() - label_h - 2)
        times = result.times[level]
        counts, _ = np.histogram(times[times >= 0], bins=edges)
        peak = max(int(counts.max()) if counts.size else 0, 1)
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        painter.setBrush(QtGui.QColor(BAR_COLOR))
        width = plot.width() / BINS
        for index, count in enumerate(counts):
            if count:
                h = plot.height() * count / peak
                painter.drawRect(QtCore.QRectF(plot.left() + index * width, plot.bottom() - h, width * 0.9, h))
        painter.setPen(QtGui.QPen(ink, 1.0))
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())
        if theory is not None and math.isfinite(theory[level]) and edges[0] <= theory[level] <= edges[-1]:
            x = plot.left() + (theory[level] - edges[0]) / (edges[-1] - edges[0]) * plot.width()
            painter.setPen(QtGui.QPen(QtGui.QColor(THEORY_COLOR), 2.0, QtCore.Qt.PenStyle.DashLine))
            painter.drawLine(QtCore.QPointF(x, plot.top()), QtCore.QPointF(x, plot.bottom()))
        median = medians[level]
        if math.isfinite(median):
            x = plot.left() + (median - edges[0]) / (edges[-1] - edges[0]) * plot.width()
            painter.setPen(QtGui.QPen(ink, 2.0))
            painter.drawLine(QtCore.QPointF(x, plot.top()), QtCore.QPointF(x, plot.bottom()))
        words = f"σ {sigma_text(result.sigmas[level])}: median {_number(median)}"
        if censored[level]:
            words += f", {int(censored[level])} censored"
        if QtGui.QFontMetricsF(font).horizontalAdvance(words) > cell.width():
            words = f"σ {sigma_text(result.sigmas[level])}" + (f" ({int(censored[level])} cens.)"
                                                               if censored[level] else "")
        painter.setPen(ink)
        painter.drawText(QtCore.QRectF(cell.left(), cell.top(), cell.width(), label_h), _LEFT, words)
    # The shared time axis under the last row of each column (the words only where they fit).
    axis_top = top + rows * cell_h
    metrics = QtGui.QFontMetricsF(font)
    for column in range(columns):
        x0 = box.left() + column * cell_w
        x1 = x0 + cell_w - line * 0.8
        end = f"{edges[-1]:.0f}"
        painter.drawText(QtCore.QRectF(x0, axis_top, line * 3, line), _LEFT, "0")
        painter.drawText(QtCore.QRectF(x1 - line * 4, axis_top, line * 4, line), _RIGHT, end)
        if metrics.horizontalAdvance(f"0  steps  {end}") * 1.2 < x1 - x0:
            painter.drawText(QtCore.QRectF(x0, axis_top, x1 - x0, line), _CENTRE, "steps")


# ------------------------------------------------------------------------------------------- medians


def _medians(painter: QtGui.QPainter, box: QtCore.QRectF, result: object, font: QtGui.QFont,
             ink: QtGui.QColor, line: float) -> None:
    painter.setFont(font)
    painter.setPen(ink)
    painter.drawText(QtCore.QRectF(box.left(), box.top(), box.width(), line * 1.2), _LEFT,
                     "Median escape time (steps) against σ")
    below = line * 2.3 + legend_height(painter, box.width() - line * 1.6 - 6, result)
    plot = QtCore.QRectF(box.left() + line * 3.2, box.top() + line * 1.5, box.width() - line * 3.6,
                         max(box.height() - line * 1.5 - below, line * 3))
    sigmas = result.sigmas
    medians = result.medians
    dense = np.geomspace(sigmas[0], sigmas[-1], 60) if len(sigmas) > 1 else sigmas
    theory = result.theory(dense)
    values = [v for v in medians if math.isfinite(v)]
    if theory is not None:
        values += [float(v) for v in theory if math.isfinite(v)]
    high = max(values) * 1.08 if values else float(result.steps)
    low = 0.0
    lo_x, hi_x = math.log10(sigmas[0]), math.log10(sigmas[-1])
    if hi_x - lo_x < 1e-9:
        lo_x, hi_x = lo_x - 0.5, hi_x + 0.5

    def at(sigma: float, value: float) -> QtCore.QPointF:
        return QtCore.QPointF(plot.left() + (math.log10(sigma) - lo_x) / (hi_x - lo_x) * plot.width(),
                              plot.bottom() - (value - low) / (high - low) * plot.height())

    painter.setPen(QtGui.QPen(QtGui.QColor("#dddddd"), 1.0))
    for decade in range(math.ceil(lo_x), math.floor(hi_x) + 1):
        x = at(10.0 ** decade, 0.0).x()
        painter.drawLine(QtCore.QPointF(x, plot.top()), QtCore.QPointF(x, plot.bottom()))
    painter.setPen(QtGui.QPen(ink, 1.0))
    painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
    painter.drawRect(plot)
    decade_px = plot.width() / (hi_x - lo_x)
    step = max(1, math.ceil(QtGui.QFontMetricsF(font).horizontalAdvance("1e-10") * 1.3 / max(decade_px, 1.0)))
    for decade in range(math.ceil(lo_x), math.floor(hi_x) + 1, step):
        x = at(10.0 ** decade, 0.0).x()
        painter.drawText(QtCore.QRectF(x - line * 2, plot.bottom() + 2, line * 4, line), _CENTRE, f"1e{decade}")
    painter.drawText(QtCore.QRectF(plot.left(), plot.bottom() + line, plot.width(), line * 1.1), _CENTRE,
                     "σ (log scale)")
    for value in nice_ticks(high):
        y = plot.bottom() - (value - low) / (high - low) * plot.height()
        painter.drawText(QtCore.QRectF(box.left(), y - line / 2, line * 3.0, line), _RIGHT, f"{value:g}")
        painter.drawLine(QtCore.QPointF(plot.left() - 4, y), QtCore.QPointF(plot.left(), y))
    if theory is not None:
        pen = QtGui.QPen(QtGui.QColor(THEORY_COLOR), 2.5, QtCore.Qt.PenStyle.DashLine)
        painter.setPen(pen)
        path = QtGui.QPainterPath(at(dense[0], theory[0]))
        for sigma, value in zip(dense[1:], theory[1:], strict=True):
            path.lineTo(at(sigma, value))
        painter.drawPath(path)
    painter.setPen(QtGui.QPen(ink, 1.2))
    painter.setBrush(QtGui.QColor(BAR_COLOR))
    radius = max(3.5, line * 0.3)
    for sigma, value in zip(sigmas, medians, strict=True):
        if math.isfinite(value):
            painter.drawEllipse(at(sigma, value), radius, radius)
    # The legend and the slope check under the axis words (wrapped in a narrow dock).
    y = plot.bottom() + line * 2.2
    key = QtCore.QRectF(box.left(), y, line * 1.6, line)
    painter.drawEllipse(key.center(), radius, radius)
    painter.setPen(ink)
    text_box = QtCore.QRectF(key.right() + 6, y, box.right() - key.right() - 6, line)
    y += wrapped(painter, text_box, _measured_words(box.width()))
    if theory is not None:
        painter.setPen(QtGui.QPen(QtGui.QColor(THEORY_COLOR), 2.5, QtCore.Qt.PenStyle.DashLine))
        painter.drawLine(QtCore.QPointF(key.left(), y + line / 2), QtCore.QPointF(key.right(), y + line / 2))
    painter.setPen(ink)
    short = box.width() < NARROW
    y += wrapped(painter, QtCore.QRectF(text_box.left(), y, text_box.width(), line), theory_words(result, short))
    wrapped(painter, QtCore.QRectF(text_box.left(), y, text_box.width(), line), slope_words(result, short))


def _measured_words(width: float) -> str:
    return "measured median" if width < NARROW else "measured median (runs censored at K count as later)"


def legend_height(painter: QtGui.QPainter, width: float, result: object) -> float:
    """The height the medians' legend needs at ``width`` (the plot above it gets the rest)."""
    metrics = QtGui.QFontMetricsF(painter.font())
    flags = int(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.TextFlag.TextWordWrap)
    short = width + metrics.height() * 1.6 + 6 < NARROW  # (the box's width, as _medians tests it)
    return sum(metrics.boundingRect(QtCore.QRectF(0, 0, max(width, 10.0), 1e6), flags, text).height()
               for text in (_measured_words(width + metrics.height() * 1.6 + 6), theory_words(result, short),
                            slope_words(result, short)))


def wrapped(painter: QtGui.QPainter, box: QtCore.QRectF, text: str) -> float:
    """Draw ``text`` from ``box``'s top-left, wrapped at its width; returns the height used."""
    flags = int(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignTop | QtCore.Qt.TextFlag.TextWordWrap)
    used = QtGui.QFontMetricsF(painter.font()).boundingRect(QtCore.QRectF(0, 0, max(box.width(), 10.0), 1e6),
                                                            flags, text)
    painter.drawText(QtCore.QRectF(box.left(), box.top(), max(box.width(), 10.0), used.height() + 2), flags, text)
    return used.height()


# ------------------------------------------------------------------------------------------- destinations


def destination_rows(result: object) -> list[tuple[int, str]]:
    """(code, "minimum 1 at (0, -1)") of each destination, then censored when any run was."""
    rows = [(code, result.name(code) if code >= 0 or code not in _NAMED_WORDS else _NAMED_WORDS[code])
            for code in result.destinations()]
    if (result.outcomes == CENSORED).any():
        rows.append((CENSORED, "censored (not escaped within K steps)"))
    return rows


def _destinations(painter: QtGui.QPainter, box: QtCore.QRectF, result: object, font: QtGui.QFont,
                  ink: QtGui.QColor, line: float) -> None:
    painter.setFont(font)
    painter.setPen(ink)
    painter.drawText(QtCore.QRectF(box.left(), box.top(), box.width(), line * 1.2), _LEFT,
                     "Where the runs went (share of all runs per σ)")
    rows = destination_rows(result)
    words = [f"{name}: {float((result.outcomes == code).sum()) / result.outcomes.size * 100:.1f} % of all runs"
             for code, name in rows]
    metrics = QtGui.QFontMetricsF(font)
    flags = int(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.TextFlag.TextWordWrap)
    text_width = max(box.width() - line * 3.2 - line * 0.9 - 6, 10.0)
    heights = [max(metrics.boundingRect(QtCore.QRectF(0, 0, text_width, 1e6), flags, text).height(), line)
               for text in words]
    legend_h = sum(heights) + line * 0.1 * len(rows)
    plot = QtCore.QRectF(box.left() + line * 3.2, box.top() + line * 1.4, box.width() - line * 3.6,
                         max(box.height() - line * 1.4 - legend_h - line * 0.4, line * 2))
    levels = len(result.sigmas)
    n = result.outcomes.shape[1]
    bar_h = plot.height() / max(levels, 1)
    every = max(1, math.ceil(line * 1.05 / max(bar_h, 1e-6)))  # label every k-th bar when they are thin
    for level in range(levels):
        y = plot.top() + level * bar_h
        painter.setPen(ink)
        if level % every == 0:
            painter.drawText(QtCore.QRectF(box.left(), y + bar_h / 2 - line / 2, line * 3.0, line), _RIGHT,
                             sigma_text(result.sigmas[level]))
        x = plot.left()
        for code, _words in rows:
            share = float((result.outcomes[level] == code).sum()) / n
            if share <= 0.0:
                continue
            width = share * plot.width()
            segment = QtCore.QRectF(x, y + bar_h * 0.1, width, bar_h * 0.8)
            painter.setPen(QtGui.QPen(QtGui.QColor("#ffffff"), 1.0))
            painter.setBrush(QtGui.QColor(_color(code)))
            painter.drawRect(segment)
            if width > line * 2.6 and segment.height() >= line * 0.8:
                painter.setPen(QtGui.QColor("#101010"))
                painter.drawText(segment, _CENTRE, f"{share * 100:.0f} %")
            x += width
    y = plot.bottom() + line * 0.4
    for (code, _name), text, height in zip(rows, words, heights, strict=True):
        swatch = QtCore.QRectF(box.left() + line * 3.2, y + line * 0.1, line * 0.9, line * 0.8)
        painter.setPen(QtGui.QPen(ink, 1.0))
        painter.setBrush(QtGui.QColor(_color(code)))
        painter.drawRect(swatch)
        painter.setPen(ink)
        wrapped(painter, QtCore.QRectF(swatch.right() + 6, y, text_width, line), text)
        y += height + line * 0.1


def _color(code: int) -> str:
    return CENSORED_COLOR if code == CENSORED else outcome_color(code)


def _number(value: float) -> str:
    return "—" if not math.isfinite(value) else f"{value:.4g}"
