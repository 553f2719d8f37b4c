"""What the experiment figures' painters (basin_paint, stability_paint, escape_paint, highdim_paint)
share: starting a figure (background, ink, fonts), its bold title line, and the short number words
of their captions and legends. QPainter only; sizes in logical pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

from PyQt6 import QtCore, QtGui

#: Text aligned left and centred vertically in its box.
ALIGN_LEFT = int(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter)


@dataclass(frozen=True)
class FigureFonts:
    """The figure's ink, its body font, the title's bold font (1.25 times larger) and the body's
    line height (pixels)."""

    ink: QtGui.QColor
    font: QtGui.QFont
    bold: QtGui.QFont
    line: float


def begin_figure(painter: QtGui.QPainter, rect: QtCore.QRectF, background: str, foreground: str,
                 font_size: float) -> FigureFonts:
    """Save the painter's state (the caller restores it), antialias shapes and text, fill ``rect``
    with ``background`` and set the pen to ``foreground``; the fonts at ``font_size`` points."""
    painter.save()
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QtGui.QPainter.RenderHint.TextAntialiasing)
    painter.fillRect(rect, QtGui.QColor(background))
    ink = QtGui.QColor(foreground)
    font = QtGui.QFont()
    font.setPointSizeF(font_size)
    bold = QtGui.QFont(font)
    bold.setBold(True)
    bold.setPointSizeF(font_size * 1.25)
    painter.setPen(ink)
    return FigureFonts(ink, font, bold, QtGui.QFontMetricsF(font).height())


def draw_title(painter: QtGui.QPainter, rect: QtCore.QRectF, top: float, title: str, fonts: FigureFonts) -> float:
    """The bold ``title`` on one line 1.5 lines high at ``top``, 8 px in from ``rect``'s sides; returns
    the top of what follows (``top`` itself when there is no title)."""
    if not title:
        return top
    painter.setFont(fonts.bold)
    painter.drawText(QtCore.QRectF(rect.left() + 8, top, rect.width() - 16, fonts.line * 1.5), ALIGN_LEFT, title)
    return top + fonts.line * 1.5


def short_number(value: object) -> str:
    """A setting's value in few characters: floats to 3 significant digits, lists joined by commas."""
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, tuple | list):
        return ",".join(short_number(v) for v in value)
    return str(value)


def percent(share: float) -> str:
    """A share (0..1) as a percentage with one decimal; a share under 0.1 % but not 0 as "< 0.1 %"."""
    value = 100.0 * float(share)
    if 0 < value < 0.1:
        return "< 0.1 %"
    return f"{value:.1f} %"
