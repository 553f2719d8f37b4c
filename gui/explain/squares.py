"""Per-coordinate squares: a running moment's x and y sides drawn as squares (the card's inset).

AdaGrad, RMSProp and Adam keep a running average per coordinate (m, v, the sum of squares). Drawn
as a square per coordinate whose side is proportional to the value (scaled per row: the row's
larger coordinate fills its cell), the student sees at a glance which coordinate's average is large,
and so which coordinate's step the method shrinks. Each square has its coordinate and number under
it: the numbers, not the colour, carry the values.
"""

from __future__ import annotations

import numpy as np
from PyQt6 import QtCore, QtGui, QtWidgets

from gui import palette
from gui.explain.words import number_text

#: Side of a full square (pixels), at the card's base font.
CELL = 54


class MomentSquares(QtWidgets.QWidget):
    """Rows of two squares, one row per (label, (2,) values) pair; hidden when there are none."""

    def __init__(self, parent: QtWidgets.QWidget | None = None, point_size: int = 12,
                 text_color: str = "#f0f0f0"):
        super().__init__(parent)
        self._rows: tuple[tuple[str, np.ndarray], ...] = ()
        self._point_size = point_size
        self._text = QtGui.QColor(text_color)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Preferred, QtWidgets.QSizePolicy.Policy.Fixed)
        self.hide()

    def set_rows(self, rows: tuple[tuple[str, np.ndarray], ...]) -> None:
        self._rows = tuple((str(label), np.asarray(values, dtype=float).reshape(-1)[:2]) for label, values in rows)
        self.setFixedHeight(self._row_height() * len(self._rows))
        self.setVisible(bool(self._rows))
        self.update()

    def set_point_size(self, points: int) -> None:
        self._point_size = max(6, int(points))
        self.setFixedHeight(self._row_height() * len(self._rows))
        self.update()

    def set_text_color(self, color: str) -> None:
        self._text = QtGui.QColor(color)
        self.update()

    @property
    def rows(self) -> tuple[tuple[str, np.ndarray], ...]:
        return self._rows

    def sides(self) -> list[tuple[float, float]]:
        """Each row's two square sides in pixels (|value| / the row's largest |value| x CELL)."""
        out = []
        for _label, values in self._rows:
            magnitudes = np.abs(np.where(np.isfinite(values), values, 0.0))
            top = float(magnitudes.max()) if magnitudes.size else 0.0
            out.append(tuple(float(CELL * m / top) if top > 0 else 0.0 for m in magnitudes))
        return out

    def _font(self, bold: bool = False) -> QtGui.QFont:
        font = QtGui.QFont(self.font())
        font.setPointSize(self._point_size)
        font.setBold(bold)
        return font

    def _row_height(self) -> int:
        return CELL + QtGui.QFontMetrics(self._font()).height() + 10

    def sizeHint(self) -> QtCore.QSize:  # noqa: N802 (Qt naming)
        return QtCore.QSize(3 * (CELL + 90), self._row_height() * max(1, len(self._rows)))

    def paintEvent(self, _event: QtGui.QPaintEvent) -> None:  # noqa: N802 (Qt naming)
        painter = QtGui.QPainter(self)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        metrics = QtGui.QFontMetrics(self._font())
        label_width = max(110, self.width() - 2 * (CELL + 80))
        row_height = self._row_height()
        fill = QtGui.QColor(palette.STEP_COLOR)
        edge = QtGui.QPen(QtGui.QColor(palette.OUTLINE_COLOR), 2.0)
        frame = QtGui.QPen(self._text, 1.0, QtCore.Qt.PenStyle.DotLine)
        for row, ((label, values), sides) in enumerate(zip(self._rows, self.sides(), strict=True)):
            top = row * row_height
            painter.setFont(self._font(bold=True))
            painter.setPen(self._text)
            painter.drawText(QtCore.QRectF(0, top, label_width - 8, CELL), int(
                QtCore.Qt.AlignmentFlag.AlignVCenter | QtCore.Qt.TextFlag.TextWordWrap), label)
            painter.setFont(self._font())
            for column, (word, side) in enumerate(zip(("x", "y"), sides, strict=False)):
                left = label_width + column * (CELL + 80)
                cell = QtCore.QRectF(left, top, CELL, CELL)
                painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
                painter.setPen(frame)
                painter.drawRect(cell)     # the full cell: "as large as this row's largest"
                if side > 0:
                    square = QtCore.QRectF(0, 0, max(side, 2.0), max(side, 2.0))
                    square.moveCenter(cell.center())
                    painter.setPen(edge)
                    painter.setBrush(fill)
                    painter.drawRect(square)
                painter.setPen(self._text)
                text = f"{word}: {number_text(values[column])}" if column < len(values) else word
                painter.drawText(QtCore.QRectF(left - 30, top + CELL + 2, CELL + 60, metrics.height() + 4),
                                 int(QtCore.Qt.AlignmentFlag.AlignHCenter), text)
        painter.end()
