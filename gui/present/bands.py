"""What presentation mode draws around the views: the header, the lesson's caption, the ball badges.

- :class:`HeaderBand`: the title, the formula typeset and the step counter, painted by the
  export's own gui.export.annotations.paint_header, scaled.
- :class:`CaptionLabel`: the open lesson scene's story, word-wrapped under the header (a band of
  its own, or on a low screen the top of the panel column: it never covers the map, and it stays
  until the scene changes).
- :class:`BadgeBand`: one entry per ball, as the export's legend draws it (its fonts and badge
  colours) but laid out for a screen (names whole when they fit, one row when all fit): a swatch
  in the ball's marker shape, the ball's number (its 1-9 key) and name, its regime as a word on a coloured badge, its
  optimiser in words. The colour is never the only carrier: the shape matches the ball's marker
  on the map, and the number, the name and the regime word are written out.

Sizes: the export paints these at a 720p frame's sizes; ``scale`` multiplies them (logical pixels
per export pixel), which Ctrl + / Ctrl - change live.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from PyQt6.QtCore import QPointF, QRectF, QSize, Qt
from PyQt6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPaintEvent, QPen
from PyQt6.QtWidgets import QApplication, QLabel, QSizePolicy, QWidget

from gui import palette
from gui.export.annotations import (
    COUNTER_PIXELS,
    FORMULA_POINTS,
    HEADER_HEIGHT,
    LEGEND_PIXELS,
    LEGEND_ROW,
    BallLine,
    Theme,
    paint_header,
)
from gui.typeset import render_math
from gui.views.markers import shape_path

#: Annotations the bands draw (gui.export.annotations.ANNOTATIONS).
HEADER_ANNOTATIONS = frozenset({"title", "formula", "step"})
#: The caption's story is the window's body text (the application font) times this and the scale.
STORY_SHARE = 1.0


class HeaderBand(QWidget):
    """Title · f(x, y) = ... · step n, HEADER_HEIGHT x scale pixels tall."""

    def __init__(self, theme: Theme, parent: QWidget | None = None):
        super().__init__(parent)
        self.theme = theme
        self.scale = 1.0
        self.title = ""
        self.latex = ""
        self.formula = ""
        self.step = 0
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._fit()

    def set_scale(self, scale: float) -> None:
        self.scale = scale
        self._fit()

    def _fit(self) -> None:
        self.setFixedHeight(math.ceil(HEADER_HEIGHT * self.scale))
        self.update()

    def show_scene(self, title: str, latex: str, formula: str) -> None:
        self.title, self.latex, self.formula = title, latex, formula
        self.update()

    def show_step(self, step: int) -> None:
        if step != self.step:
            self.step = step
            self.update()

    def title_share(self) -> float:
        """The share of the header's width (less the counter's) the title may take: what the typeset formula
        leaves (it may shrink some), between 0.55 (the export's) and 0.85; a long title is shortened only then."""
        rendered = render_math(f"f(x, y) = {self.latex}", point_size=FORMULA_POINTS, scale=max(1.0, self.scale),
                               color=self.theme.foreground) if self.latex else None
        if rendered is None:
            return 0.55
        image = rendered[0]
        formula = image.width() / (image.devicePixelRatio() or 1.0)
        font = QFont()
        font.setPixelSize(COUNTER_PIXELS)
        total = self.width() / self.scale - 32 - QFontMetricsF(font).horizontalAdvance("step 000,000") - 20
        return min(0.85, max(0.55, (total - 0.7 * formula - 28) / max(1.0, total)))

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        painter.scale(self.scale, self.scale)
        paint_header(painter, self.width() / self.scale, self.theme, HEADER_ANNOTATIONS, self.title, self.latex,
                     self.formula, self.step, self.scale * self.devicePixelRatioF(), self.title_share())
        painter.end()


class CaptionLabel(QLabel):
    """The lesson scene's story under the header, wrapped, the body text's size x STORY_SHARE x scale."""

    def __init__(self, theme: Theme, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("presentCaption")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setContentsMargins(16, 0, 16, 8)
        self.set_theme(theme)
        self.set_scale(1.0)

    def set_theme(self, theme: Theme) -> None:
        self.setStyleSheet(f"QLabel#presentCaption {{ background: {theme.background}; color: {theme.foreground}; }}")

    def set_scale(self, scale: float) -> None:
        font = QFont(self.font())
        font.setPointSizeF(QApplication.font().pointSizeF() * STORY_SHARE * scale)
        self.setFont(font)


def badge_columns(widths: Sequence[float], width: float) -> int:
    """Columns of badges in ``width`` export pixels, for entries whose name and regime badge need
    ``widths`` (each with its swatch and BADGE_WORDS of optimiser words): one row when every entry fits a
    column that way, else the most columns that still hold every entry, never fewer than for two rows
    (the band must not eat the views: names are shortened then)."""
    count = len(widths)
    if not count:
        return 1
    widest = max(widths)
    least = math.ceil(count / 2)
    for columns in range(count, least - 1, -1):
        rows = math.ceil(count / columns)
        if columns > 1 and math.ceil(count / (columns - 1)) == rows:
            continue  # as many rows with fewer columns: the wider columns shorten less
        if widest + 2 * BADGE_GAP <= width / columns:
            return columns
    return max(1, least)


#: Logical pixels around and between a badge's parts, and the optimiser words an entry keeps at least.
BADGE_GAP = 10
BADGE_WORDS = 80


def _badge_fonts() -> tuple[QFont, QFont, QFont]:
    """Words, name (bold) and regime badge fonts, the export legend's (LEGEND_PIXELS)."""
    fonts = []
    for pixels, bold in ((LEGEND_PIXELS, False), (LEGEND_PIXELS, True), (LEGEND_PIXELS - 1, True)):
        font = QFont()
        font.setPixelSize(pixels)
        font.setBold(bold)
        fonts.append(font)
    return fonts[0], fonts[1], fonts[2]


def badge_widths(lines: Sequence[BallLine], words: float = BADGE_WORDS) -> list[float]:
    """Logical pixels each entry needs whole: swatch, name, regime badge and ``words`` pixels of words."""
    _words, bold, badge = _badge_fonts()
    name_metrics, badge_metrics = QFontMetricsF(bold), QFontMetricsF(badge)
    return [24 + name_metrics.horizontalAdvance(line.name) + BADGE_GAP
            + (badge_metrics.horizontalAdvance(line.regime) + 16 + BADGE_GAP if line.regime else 0) + words
            for line in lines]


class BadgeBand(QWidget):
    """Every ball's badge, in columns (one row when they fit); as tall as its rows need (none: hidden)."""

    def __init__(self, theme: Theme, lines: Callable[[], Sequence[BallLine]],
                 shapes: Callable[[], Sequence[str]] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.theme = theme
        self.scale = 1.0
        self._lines = lines
        self._shapes = shapes
        self._shown: list[BallLine] = []
        self._shown_shapes: list[str] = []
        self._widths: list[float] = []
        self.words = BADGE_WORDS  # optimiser words an entry needs room for (0 on a low screen: one row first)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_scale(self, scale: float) -> None:
        self.scale = scale
        self.refresh(force=True)

    def columns(self, width: float | None = None) -> int:
        logical = (self.width() if width is None else width) / self.scale
        return badge_columns(self._widths, logical)

    def rows(self, width: float | None = None) -> int:
        count = len(self._shown)
        return math.ceil(count / self.columns(width)) if count else 0

    def refresh(self, force: bool = False) -> None:
        """Read the balls again; repaint (and resize) only if what is shown changed."""
        lines = list(self._lines())
        shapes = list(self._shapes()) if self._shapes is not None else []
        if lines == self._shown and shapes == self._shown_shapes and not force:
            return
        self._shown, self._shown_shapes = lines, shapes
        self._widths = badge_widths(lines, self.words)
        self.setFixedHeight(math.ceil((self.rows() * LEGEND_ROW + 8) * self.scale) if lines else 0)
        self.update()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self.refresh(force=True)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt naming)
        return QSize(640, self.height())

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        lines = self._shown
        if not lines:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        painter.scale(self.scale, self.scale)
        width = self.width() / self.scale
        painter.fillRect(QRectF(0, 0, width, self.height() / self.scale), QColor(self.theme.background))
        columns = self.columns()
        rows = math.ceil(len(lines) / columns)
        column_width = (width - 16) / columns
        for index, line in enumerate(lines):
            column, row = index // rows, index % rows
            shape = self._shown_shapes[index] if index < len(self._shown_shapes) else "disc"
            self._paint_entry(painter, 8 + column * column_width, 4 + row * LEGEND_ROW, column_width - BADGE_GAP,
                              line, shape)
        painter.end()

    def _paint_entry(self, painter: QPainter, x: float, y: float, width: float, line: BallLine, shape: str) -> None:
        """One badge: swatch in the marker's shape, number and name, regime badge, optimiser words.

        The name is shortened only when it and the badge do not fit whole; the words take what is left."""
        words_font, bold, badge_font = _badge_fonts()
        limit = x + width
        middle = y + LEGEND_ROW / 2
        self._paint_swatch(painter, QPointF(x + 9, middle), line.color, shape)
        x += 24
        badge_width = QFontMetricsF(badge_font).horizontalAdvance(line.regime) + 16 if line.regime else 0.0
        painter.setFont(bold)
        painter.setPen(QColor(self.theme.foreground))
        metrics = QFontMetricsF(bold)
        room = limit - x - (badge_width + BADGE_GAP if badge_width else 0)
        name = metrics.elidedText(line.name, Qt.TextElideMode.ElideRight, max(0.0, room))
        painter.drawText(QRectF(x, y, max(0.0, room), LEGEND_ROW),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
        x += metrics.horizontalAdvance(name) + BADGE_GAP
        if badge_width:
            painter.setFont(badge_font)
            badge = QRectF(x, middle - 11, badge_width, 22)
            color = palette.regime_color(line.regime)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(color))
            painter.drawRoundedRect(badge, 6, 6)
            painter.setPen(QColor(palette.contrast_color(color)))
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, line.regime)
            x += badge_width + BADGE_GAP
        if limit - x > 100:  # (a word's first letters and "…" say nothing: no words then)
            painter.setFont(words_font)
            painter.setPen(QColor(self.theme.muted))
            words = QFontMetricsF(words_font).elidedText(line.words, Qt.TextElideMode.ElideRight, limit - x)
            painter.drawText(QRectF(x, y, limit - x, LEGEND_ROW),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, words)

    def _paint_swatch(self, painter: QPainter, centre: QPointF, color: str, shape: str) -> None:
        """The ball's marker shape (gui.views.markers), with the export legend's size and edge."""
        painter.setPen(QPen(QColor(palette.OUTLINE_COLOR if self.theme.name == "dark" else "#555555"), 1.5))
        painter.setBrush(QColor(color))
        if shape == "disc":
            painter.drawEllipse(centre, 7.5, 7.5)
        else:
            painter.drawPath(shape_path(shape, centre, 7.5))
