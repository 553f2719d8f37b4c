"""What presentation mode draws around the views: the header, the lesson's caption, the ball badges.

- :class:`HeaderBand`: the title, the formula typeset and the step counter, painted by the
  export's own gui.export.annotations.paint_header, scaled.
- :class:`CaptionLabel`: the open lesson scene's story, word-wrapped under the header (a band of
  its own: it never covers the map, and it stays until the scene changes).
- :class:`BadgeBand`: one entry per ball, painted by paint_legend: a swatch in the ball's marker
  shape, the ball's number (its 1-9 key) and name, its regime as a word on a coloured badge, its
  optimiser in words. The colour is never the only carrier: the shape matches the ball's marker
  on the map, and the number, the name and the regime word are written out.

Sizes: the export paints these at a 720p frame's sizes; ``scale`` multiplies them (logical pixels
per export pixel), which Ctrl + / Ctrl - change live.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from PyQt6.QtCore import QPointF, QSize, Qt
from PyQt6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen
from PyQt6.QtWidgets import QApplication, QLabel, QSizePolicy, QWidget

from gui import palette
from gui.export.annotations import HEADER_HEIGHT, LEGEND_ROW, BallLine, Theme, paint_header, paint_legend
from gui.views.markers import shape_path

#: Annotations the bands draw (gui.export.annotations.ANNOTATIONS).
HEADER_ANNOTATIONS = frozenset({"title", "formula", "step"})
LEGEND_ANNOTATIONS = frozenset({"legend", "badges"})
#: Narrowest a badge column is (export pixels): a name, a regime badge and a few words.
BADGE_COLUMN = 460
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

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        painter.scale(self.scale, self.scale)
        paint_header(painter, self.width() / self.scale, self.theme, HEADER_ANNOTATIONS, self.title, self.latex,
                     self.formula, self.step, self.scale * self.devicePixelRatioF())
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


def badge_columns(balls: int, width: float) -> int:
    """Columns of badges for ``balls`` balls in ``width`` export pixels: as many as fit (but enough for two
    rows at most, the band must not eat the views), never more than balls."""
    return max(1, min(balls, max(int(width // BADGE_COLUMN), math.ceil(balls / 2))))


class BadgeBand(QWidget):
    """Every ball's badge, in columns; as tall as its rows need (none: hidden)."""

    def __init__(self, theme: Theme, lines: Callable[[], Sequence[BallLine]],
                 shapes: Callable[[], Sequence[str]] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.theme = theme
        self.scale = 1.0
        self._lines = lines
        self._shapes = shapes
        self._shown: list[BallLine] = []
        self._shown_shapes: list[str] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_scale(self, scale: float) -> None:
        self.scale = scale
        self.refresh(force=True)

    def rows(self, width: float | None = None) -> int:
        count = len(self._shown)
        if not count:
            return 0
        logical = (self.width() if width is None else width) / self.scale
        return math.ceil(count / badge_columns(count, logical))

    def refresh(self, force: bool = False) -> None:
        """Read the balls again; repaint (and resize) only if what is shown changed."""
        lines = list(self._lines())
        shapes = list(self._shapes()) if self._shapes is not None else []
        if lines == self._shown and shapes == self._shown_shapes and not force:
            return
        self._shown, self._shown_shapes = lines, shapes
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
        painter.scale(self.scale, self.scale)
        width = self.width() / self.scale
        columns = badge_columns(len(lines), width)
        rows = math.ceil(len(lines) / columns)
        column_width = width / columns
        for column in range(columns):
            chunk = lines[column * rows:(column + 1) * rows]
            if not chunk:
                break
            painter.save()
            painter.translate(column * column_width, 0)
            # paint_legend lays a band of one column out when the width holds one entry only.
            paint_legend(painter, 0.0, column_width, self.theme, LEGEND_ANNOTATIONS, chunk)
            for row, line in enumerate(chunk):
                index = column * rows + row
                if index < len(self._shown_shapes):
                    self._paint_swatch(painter, row, line.color, self._shown_shapes[index])
            painter.restore()
        painter.end()

    def _paint_swatch(self, painter: QPainter, row: int, color: str, shape: str) -> None:
        """The ball's marker shape over paint_legend's round swatch (same place, size and edge)."""
        if shape == "disc":
            return
        centre = QPointF(8 + 9, 4 + row * LEGEND_ROW + LEGEND_ROW / 2)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(self.theme.background))
        painter.drawEllipse(centre, 9.5, 9.5)
        painter.setPen(QPen(QColor(palette.OUTLINE_COLOR if self.theme.name == "dark" else "#555555"), 1.5))
        painter.setBrush(QColor(color))
        painter.drawPath(shape_path(shape, centre, 7.5))
