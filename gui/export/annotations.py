"""What a clip frame or a figure draws around the views: title, formula, step counter, legend of balls, badges.

Each annotation can be switched off (:data:`ANNOTATIONS`). They are painted with a QPainter in
logical pixels (the frame's own size divided by its scale, gui.export.render), so a 4K clip
shows them as a 720p one does, only sharper; painted on an SVG or PDF device the words stay text.

    header band (HEADER_HEIGHT):  title            f(x, y) = ... (typeset)            step 1,200
    the views
    legend band (LEGEND_ROW per row): ● name  Adam · lr 0.05 · betas 0.9, 0.999  [saddle]   ● ...

The legend gives each ball its optimiser's display name and key hyper-parameters (lr always,
the others where the ball sets them), its noise and particle count when it has them; the badge
is the ball's regime now, in the regime's colour (gui.palette.REGIME_COLORS), as on the
read-out panel.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen

from gui import palette
from gui.screen_text import on_screen
from gui.typeset import render_math
from physics.balls import BallSpec
from physics.optimizers.base import get_optimizer

#: The annotations, each switchable: the scene's title, its formula typeset, the legend of balls,
#: the step counter, each ball's regime badge.
ANNOTATIONS: tuple[str, ...] = ("title", "formula", "legend", "step", "badges")

#: Logical pixels of the header band, and of one row of the legend band.
HEADER_HEIGHT = 56
LEGEND_ROW = 30
#: Widest a legend entry is drawn (logical pixels), and the most rows the band holds.
LEGEND_ENTRY_WIDTH = 470
LEGEND_MAX_ROWS = 3
#: Font pixel sizes (logical) of the title, the counter and legend words.
TITLE_PIXELS = 24
COUNTER_PIXELS = 20
LEGEND_PIXELS = 15
#: Point size of the typeset formula (gui.typeset at 96 dpi: points x 4/3 = pixels).
FORMULA_POINTS = 17.0


@dataclass(frozen=True)
class Theme:
    """The colours of a frame: ``dark`` is the app's own; ``light`` reads on a washed-out projector."""

    name: str
    background: str
    foreground: str
    muted: str
    plot_background: str
    axis: str


THEMES: dict[str, Theme] = {
    "dark": Theme("dark", "#1b1b1f", "#f0f0f0", "#b8b8b8", "#16181c", "#b8b8b8"),
    "light": Theme("light", "#ffffff", "#111111", "#444444", "#ffffff", "#333333"),
}


@dataclass(frozen=True)
class BallLine:
    """One ball in the legend: colour, name, the optimiser in words, and its regime now ("" if unknown)."""

    color: str
    name: str
    words: str
    regime: str


def _number(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, tuple):
        return ", ".join(_number(item) for item in value)
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def optimizer_words(ball: BallSpec) -> str:
    """``Adam · lr 0.05 · betas 0.9, 0.999``: the display name, lr, and each hyper-parameter the ball sets."""
    spec = get_optimizer(ball.optimizer)
    settings = ball.settings()
    parts = [spec.display_name.split(" (")[0]]
    overridden = {name for name, _ in ball.hyperparameters}
    for parameter in spec.hyperparameters:
        name = parameter.name
        if name in settings and (name == "lr" or name in overridden):
            parts.append(f"{name} {_number(settings[name])}")
    if ball.noise.sigma > 0:
        parts.append(f"noise σ {_number(float(ball.noise.sigma))}")
    if ball.noise.batch_size:
        parts.append(f"batch {ball.noise.batch_size}")
    if ball.clip is not None:
        parts.append(f"clip {_number(float(ball.clip))}")
    if ball.particles > 1:
        parts.append(f"{ball.particles:,} particles")
    return " · ".join(parts)


def header_shown(annotations: frozenset[str], title: str) -> bool:
    """Whether the header band is drawn (something in it to show)."""
    return bool(("title" in annotations and title) or "formula" in annotations or "step" in annotations)


def legend_rows(annotations: frozenset[str], balls: int, width: float) -> int:
    """Rows of the legend band for ``balls`` balls in ``width`` logical pixels (0: no band)."""
    if not balls or not ({"legend", "badges"} & annotations):
        return 0
    columns = max(1, int(width // LEGEND_ENTRY_WIDTH))
    return min(LEGEND_MAX_ROWS, math.ceil(balls / columns))


def _font(pixels: float, bold: bool = False) -> QFont:
    font = QFont()
    font.setPixelSize(max(1, round(pixels)))
    font.setBold(bold)
    return font


def paint_header(painter: QPainter, width: float, theme: Theme, annotations: frozenset[str], title: str,
                 latex: str, formula_text: str, step: int, scale: float, title_share: float = 0.55) -> None:
    """The header band, ``width`` x HEADER_HEIGHT logical pixels at the painter's origin; the title takes at most
    ``title_share`` of what the step counter leaves (the formula the rest)."""
    painter.save()
    painter.fillRect(QRectF(0, 0, width, HEADER_HEIGHT), QColor(theme.background))
    left = 16.0
    right = width - 16.0
    if "step" in annotations:
        painter.setFont(_font(COUNTER_PIXELS))
        painter.setPen(QColor(theme.muted))
        text = f"step {step:,}"
        metrics = QFontMetricsF(painter.font())
        # Room for six digits whatever the step: the counter never pushes the formula about.
        room = metrics.horizontalAdvance("step 000,000")
        painter.drawText(QRectF(right - room, 0, room, HEADER_HEIGHT),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)
        right -= room + 20
    if "title" in annotations and title:
        painter.setFont(_font(TITLE_PIXELS, bold=True))
        painter.setPen(QColor(theme.foreground))
        metrics = QFontMetricsF(painter.font())
        room = max(0.0, (right - left) * title_share)
        shown = metrics.elidedText(on_screen(title), Qt.TextElideMode.ElideRight, room)
        painter.drawText(QRectF(left, 0, right - left, HEADER_HEIGHT),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, shown)
        left += metrics.horizontalAdvance(shown) + 28
    if "formula" in annotations:
        _paint_formula(painter, QRectF(left, 0, max(0.0, right - left), HEADER_HEIGHT), theme, latex,
                       formula_text, scale)
    painter.restore()


def _paint_formula(painter: QPainter, box: QRectF, theme: Theme, latex: str, text: str, scale: float) -> None:
    """f(x, y) = the formula, typeset as the formula editor does (gui.typeset), or as text if it cannot be."""
    if box.width() < 40:
        return
    rendered = render_math(f"f(x, y) = {latex}", point_size=FORMULA_POINTS, scale=max(1.0, scale),
                           color=theme.foreground) if latex else None
    if rendered is not None:
        image, _depth = rendered
        ratio = image.devicePixelRatio() or 1.0
        w, h = image.width() / ratio, image.height() / ratio
        if w > box.width() or h > box.height() - 4:  # too long: shrink to fit, never past half size
            shrink = max(0.5, min(box.width() / w, (box.height() - 4) / h))
            if w * shrink <= box.width():
                w, h = w * shrink, h * shrink
            else:
                rendered = None
        if rendered is not None:
            painter.drawImage(QRectF(box.left(), box.center().y() - h / 2, w, h), image)
            return
    painter.setFont(_font(COUNTER_PIXELS))
    painter.setPen(QColor(theme.foreground))
    metrics = QFontMetricsF(painter.font())
    painter.drawText(box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                     metrics.elidedText(f"f(x, y) = {text}", Qt.TextElideMode.ElideRight, box.width()))


def paint_legend(painter: QPainter, top: float, width: float, theme: Theme, annotations: frozenset[str],
                 lines: Sequence[BallLine]) -> None:
    """The legend band: one entry per ball (swatch, name, optimiser words, regime badge), in columns."""
    rows = legend_rows(annotations, len(lines), width)
    if not rows:
        return
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.fillRect(QRectF(0, top, width, rows * LEGEND_ROW + 8), QColor(theme.background))
    columns = max(1, int(width // LEGEND_ENTRY_WIDTH))
    entry = (width - 16) / columns
    font = _font(LEGEND_PIXELS)
    bold = _font(LEGEND_PIXELS, bold=True)
    badge_font = _font(LEGEND_PIXELS - 1, bold=True)
    shown = rows * columns
    for index, line in enumerate(lines[:shown]):
        row, column = index % rows, index // rows
        if index == shown - 1 and len(lines) > shown:
            painter.setFont(font)
            painter.setPen(QColor(theme.muted))
            painter.drawText(QRectF(8 + column * entry, top + 4 + row * LEGEND_ROW, entry, LEGEND_ROW),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             f"+ {len(lines) - shown + 1} more balls")
            break
        x = 8 + column * entry
        y = top + 4 + row * LEGEND_ROW
        middle = y + LEGEND_ROW / 2
        painter.setPen(QPen(QColor(palette.OUTLINE_COLOR if theme.name == "dark" else "#555555"), 1.5))
        painter.setBrush(QColor(line.color))
        painter.drawEllipse(QPointF(x + 9, middle), 7.5, 7.5)
        x += 24
        limit = 8 + (column + 1) * entry - 8
        if "legend" in annotations:
            painter.setFont(bold)
            painter.setPen(QColor(theme.foreground))
            metrics = QFontMetricsF(bold)
            name = metrics.elidedText(line.name, Qt.TextElideMode.ElideRight, max(0.0, (limit - x) * 0.4))
            painter.drawText(QRectF(x, y, max(0.0, limit - x), LEGEND_ROW),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
            x += metrics.horizontalAdvance(name) + 10
        if "badges" in annotations and line.regime:
            painter.setFont(badge_font)
            badge_width = QFontMetricsF(badge_font).horizontalAdvance(line.regime) + 16
            badge = QRectF(x, middle - 11, badge_width, 22)
            color = palette.regime_color(line.regime)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(color))
            painter.drawRoundedRect(badge, 6, 6)
            painter.setPen(QColor(palette.contrast_color(color)))
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, line.regime)
            x += badge_width + 10
        if "legend" in annotations:
            painter.setFont(font)
            painter.setPen(QColor(theme.muted))
            words = QFontMetricsF(font).elidedText(line.words, Qt.TextElideMode.ElideRight, max(0.0, limit - x))
            painter.drawText(QRectF(x, y, max(0.0, limit - x), LEGEND_ROW),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, words)
    painter.restore()
