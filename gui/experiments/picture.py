"""What the experiment docks' pictures share: a widget showing a result, or words in its place.

A subclass holds ``result`` (None: nothing to show yet), says what stands in its place
(``empty_text``, in ``EMPTY_BACKGROUND`` / ``EMPTY_INK`` with ``EMPTY_MARGIN`` pixels around it)
and paints a result with ``paint_result``; the QPainter's set-up and ending are here.
"""

from __future__ import annotations

from PyQt6 import QtCore, QtGui, QtWidgets

#: The words in place of a result: centred, wrapped to the picture's width.
EMPTY_ALIGNMENT = int(QtCore.Qt.AlignmentFlag.AlignCenter | QtCore.Qt.TextFlag.TextWordWrap)


class ExperimentPicture(QtWidgets.QWidget):
    """A dock's picture of its experiment's ``result`` (see the module docstring)."""

    EMPTY_BACKGROUND = "#26282e"
    EMPTY_INK = "#c8c8c8"
    EMPTY_MARGIN = 0

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.result = None

    def empty_text(self) -> str:
        """The words shown while there is no result."""
        return "—"

    def paint_result(self, painter: QtGui.QPainter, rect: QtCore.QRectF) -> None:
        """Paint ``self.result`` into ``rect`` (the whole widget)."""
        raise NotImplementedError

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QtGui.QPainter(self)
        try:
            rect = QtCore.QRectF(self.rect())
            if self.result is None:
                margin = self.EMPTY_MARGIN
                painter.fillRect(rect, QtGui.QColor(self.EMPTY_BACKGROUND))
                painter.setPen(QtGui.QColor(self.EMPTY_INK))
                painter.drawText(rect.adjusted(margin, margin, -margin, -margin), EMPTY_ALIGNMENT, self.empty_text())
            else:
                self.paint_result(painter, rect)
        finally:
            painter.end()
