"""Two label-and-field pairs side by side: the compact form layout of the dock editors.

A dock at the side of the window is wide enough for two short fields in a row ("lr [0.1]
momentum [0.9]") but not tall enough for one field a row: on a 1600 x 900 projector a one-column
form of a ball's settings showed the optimiser and its learning rate, and hid the rest.
:class:`FieldGrid` puts pairs in two columns, left then right, and lets a pair that needs the
width (two numbers, a long name) take a whole row. Groups of rows are set apart by a gap, not
by group boxes, whose frames and titles cost a third of the height.
"""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QGridLayout, QLabel, QLayout, QWidget

#: Pixels between the left pair and the right pair.
COLUMN_GAP = 14
#: Narrowest label column (pixels), so that grids one under the other line their fields up.
LABEL_WIDTH = 64
#: Height of the gap between groups of rows (pixels).
GROUP_GAP = 8


class FieldGrid(QGridLayout):
    """Rows of two (label, field) pairs; ``add_pair(..., wide=True)`` gives a pair a whole row.

    Grid columns: 0 label, 1 field, 2 gap, 3 label, 4 field; the fields share the spare width.
    Any widget can take a whole row with :meth:`add_row`; :meth:`add_gap` sets groups of rows apart.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setContentsMargins(0, 0, 0, 0)
        self.setHorizontalSpacing(6)
        self.setVerticalSpacing(5)
        self.setColumnMinimumWidth(0, LABEL_WIDTH)
        self.setColumnMinimumWidth(2, COLUMN_GAP)
        self.setColumnMinimumWidth(3, LABEL_WIDTH)
        self.setColumnStretch(1, 1)
        self.setColumnStretch(4, 1)
        self._row = 0
        self._column = 0  # 0: the next pair goes on the left; 1: on the right

    @property
    def half_row_open(self) -> bool:
        """Whether the last pair went on the left, leaving the right half of its row free."""
        return self._column == 1

    def add_pair(self, label: QWidget | str, field: QWidget | QLayout, wide: bool = False) -> QWidget:
        """Place ``label`` and ``field`` in the next free half row (a whole row if ``wide``); return the label."""
        if isinstance(label, str):
            label = QLabel(label)
        if wide and self._column == 1:
            self._next_row()
        first = 0 if self._column == 0 else 3
        self.addWidget(label, self._row, first, Qt.AlignmentFlag.AlignVCenter)
        span = 4 if wide else 1
        if isinstance(field, QLayout):
            self.addLayout(field, self._row, first + 1, 1, span)
        else:
            self.addWidget(field, self._row, first + 1, 1, span)
        if wide or self._column == 1:
            self._next_row()
        else:
            self._column = 1
        return label

    def add_row(self, widget: QWidget | QLayout) -> None:
        """``widget`` across the whole width, on a row of its own."""
        if self._column == 1:
            self._next_row()
        if isinstance(widget, QLayout):
            self.addLayout(widget, self._row, 0, 1, 5)
        else:
            self.addWidget(widget, self._row, 0, 1, 5)
        self._next_row()

    def add_gap(self, height: int = GROUP_GAP) -> None:
        """Empty space before the next row: sets the rows above apart from those below."""
        if self._column == 1:
            self._next_row()
        self.setRowMinimumHeight(self._row, height)
        self._next_row()

    def clear(self) -> None:
        """Remove and delete every widget of the grid (a form regenerated for another optimiser)."""
        _delete_items(self)
        for row in range(self.rowCount()):
            self.setRowMinimumHeight(row, 0)
        self._row = 0
        self._column = 0

    def _next_row(self) -> None:
        self._row += 1
        self._column = 0


def _delete_items(layout: QLayout) -> None:
    """Take every item out of ``layout``; its widgets and nested layouts are deleted."""
    while layout.count():
        item = layout.takeAt(0)
        if item.widget() is not None:
            item.widget().hide()
            item.widget().deleteLater()
        elif item.layout() is not None:
            _delete_items(item.layout())
            item.layout().deleteLater()
