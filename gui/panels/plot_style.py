"""The look of the telemetry panels: fonts big enough for a lecture hall, pens in the ball's colour.

The panels sit beside the landscape views, whose ball colours (gui.palette) are chosen to stand
out on a dark landscape (they include white), so the plots are dark too. Sizes are in
points and were judged on screenshots at 1920 x 1080 for the back row of a lecture hall.
"""

from __future__ import annotations

import html

import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QColor, QFont, QFontMetrics, QPen
from PyQt6.QtWidgets import QLabel

BACKGROUND = "#16181c"
FOREGROUND = "#e8e8e8"
#: Axis and grid lines: light enough to read, dim enough to stay behind the curves.
AXIS_COLOR = "#b8b8b8"
GRID_ALPHA = 0.22

TICK_POINT_SIZE = 12
LABEL_POINT_SIZE = 13
LEGEND_POINT_SIZE = 11
#: Read-out table font (values the whole room reads).
TABLE_POINT_SIZE = 15

#: Widths of curve pens in pixels (cosmetic: independent of zoom).
SOLID_WIDTH = 2.5
DASHED_WIDTH = 2.0


def tick_font() -> QFont:
    font = QFont()
    font.setPointSize(TICK_POINT_SIZE)
    return font


def left_axis_width() -> int:
    """Pixels for a left axis with tick labels such as "−0.001" or "1e−10" and a rotated label."""
    return QFontMetrics(tick_font()).horizontalAdvance("\u22120.0001") + 34


def ball_pen(color: str, dashed: bool = False, lighten: float = 0.0, width: float | None = None) -> QPen:
    """A cosmetic pen in a ball's colour.

    Args:
        color: "#rrggbb".
        dashed: a dashed line (the companion series of a ball: lambda_min, the stability bound).
        lighten: 0..1, mix towards white so a companion series reads as "the same ball, secondary".
        width: pixels; SOLID_WIDTH or DASHED_WIDTH by default.
    """
    qcolor = QColor(color)
    if lighten > 0.0:
        qcolor = QColor.fromRgbF(*(c + (1.0 - c) * lighten for c in qcolor.getRgbF()[:3]))
    pen = pg.mkPen(qcolor, width=width if width is not None else (DASHED_WIDTH if dashed else SOLID_WIDTH))
    if dashed:
        pen.setStyle(Qt.PenStyle.CustomDashLine)
        pen.setDashPattern([5.0, 3.0])  # in pen widths: long dashes read better than Qt's default at 2 px
    pen.setCosmetic(True)
    return pen


def new_plot_widget() -> pg.GraphicsLayoutWidget:
    """An empty dark GraphicsLayoutWidget for a panel's plots."""
    widget = pg.GraphicsLayoutWidget()
    widget.setBackground(BACKGROUND)
    widget.ci.setContentsMargins(4, 4, 8, 4)
    return widget


def style_plot(plot: pg.PlotItem, y_label: str, x_label: str | None = "step") -> None:
    """Fonts, colours, grid and labels of one of a panel's plots.

    No title inside the plot: the dock's title names the panel, and in a dock 270 pixels high a
    title line costs a tenth of the plot.
    The plot's own context menu (log / FFT / downsampling transforms) is turned off because the
    panels transform and decimate their data themselves; the view box menu (view all, ranges,
    export) stays.
    """
    plot.showGrid(x=True, y=True, alpha=GRID_ALPHA)
    plot.setMenuEnabled(False, enableViewBoxMenu=True)
    font = tick_font()
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(AXIS_COLOR))
        axis.setTextPen(pg.mkPen(FOREGROUND))
        axis.setTickFont(font)
        # No "(x0.001)" rescaling of labels: a student reads the number on the tick as the value.
        axis.enableAutoSIPrefix(False)
    label_style = {"color": FOREGROUND, "font-size": f"{LABEL_POINT_SIZE}pt"}
    plot.setLabel("left", y_label, **label_style)
    if x_label:
        plot.setLabel("bottom", x_label, **label_style)
    else:
        # A plot above another shares its step axis (x-linked): no second row of step numbers.
        plot.getAxis("bottom").setStyle(showValues=False)
        plot.getAxis("bottom").setHeight(6)


def mix(color: str, ground: str, amount: float) -> str:
    """``color`` laid over ``ground`` at opacity ``amount`` (0..1), as "#rrggbb"."""
    top, bottom = QColor(color), QColor(ground)
    channels = (round(amount * a + (1.0 - amount) * b) for a, b in
                zip((top.red(), top.green(), top.blue()), (bottom.red(), bottom.green(), bottom.blue()), strict=True))
    return QColor(*channels).name()


def legend_sample(color: str, dashed: bool = False, band: bool = False) -> str:
    """Rich text drawing a short line in ``color``: solid, dashed, or a wide translucent band."""
    if band:
        return f'<span style="background-color: {color}; color: {color};">&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;</span>'
    glyphs = "╍╍" if dashed else "━━"  # heavy dashed / heavy solid box-drawing lines
    return f'<span style="color: {color}; font-weight: bold;">{glyphs}</span>'


def legend_html(entries: list[tuple[str, str]]) -> str:
    """Rich text of a legend strip: (sample, label) pairs side by side, wrapping as the width requires."""
    # Qt's rich text ignores white-space: nowrap on spans; non-breaking spaces and word joiners keep an entry whole.
    items = [sample + "&nbsp;" + html.escape(label).replace(" ", "&nbsp;").replace("/", "/\u2060")
             for sample, label in entries]
    return f'<span style="color: {FOREGROUND};">' + " &nbsp;&nbsp; ".join(items) + "</span>"


def new_legend_label() -> QLabel:
    """The legend strip above a panel's plots: it never covers a curve, and wraps in a narrow dock."""
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setWordWrap(True)
    font = QFont()
    font.setPointSize(LEGEND_POINT_SIZE)
    label.setFont(font)
    label.setContentsMargins(10, 4, 10, 2)
    label.setStyleSheet(f"QLabel {{ background: {BACKGROUND}; color: {FOREGROUND}; }}")
    return label
