"""The stage's split: the views, then the panels, each a fixed share of the width."""

from __future__ import annotations

from PyQt6.QtGui import QResizeEvent
from PyQt6.QtWidgets import QBoxLayout, QWidget


class ShareBox(QWidget):
    """Two layouts one after the other, the second taking ``share`` of the length, whatever their contents ask.

    (The views' and panels' size hints grow with their text; a box layout's stretch factors then
    stop deciding, so the split is made here by hand.)
    """

    def __init__(self, first: QBoxLayout, second: QBoxLayout | None, share: float, vertical: bool):
        super().__init__()
        self.parts = [QWidget(self), QWidget(self)]
        self.parts[0].setLayout(first)
        if second is not None:
            self.parts[1].setLayout(second)
        else:
            self.parts[1].hide()
        self.share = share if second is not None else 0.0
        self.vertical = vertical
        self.gap = 6

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        margin = 6
        width, height = self.width() - 2 * margin, self.height() - margin
        length = height if self.vertical else width
        second = round(self.share * length) if self.share else 0
        first = length - second - (self.gap if second else 0)
        if self.vertical:
            self.parts[0].setGeometry(margin, 0, width, first)
            self.parts[1].setGeometry(margin, first + self.gap, width, second)
        else:
            self.parts[0].setGeometry(margin, 0, first, height)
            self.parts[1].setGeometry(margin + first + self.gap, 0, second, height)
