"""The typeset formula, gradient and Hessian of the current surface.

:class:`MathGrid` paints a label ("∇f =") and a grid of typeset cells, with round brackets when
the grid is a vector or a matrix; a cell that could not be typeset shows its plain text, elided
to fit, with the whole expression as its tooltip. :class:`TypesetView` stacks the three grids
and fills them from :class:`gui.typeset.Typesetter`, which works off the UI thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from PyQt6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, pyqtSignal
from PyQt6.QtGui import QFontMetricsF, QPainter, QPainterPath, QPalette, QPen
from PyQt6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QToolTip, QWidget

from gui.typeset import MATH_POINT_SIZE, TypesetCell, TypesetItem, Typesetter, surface_items

#: Widest a plain-text cell is measured (logical pixels); the layout elides it further to fit.
MAX_TEXT_WIDTH = 4000.0
#: A typeset image shrinks to fit down to this scale; below it the entry is shown as elided text.
MIN_IMAGE_SCALE = 0.6
#: Narrowest width the grids are laid out for.
MIN_GRID_WIDTH = 200.0
COLUMN_GAP = 26.0
ROW_GAP = 8.0
LABEL_GAP = 10.0
BRACKET_WIDTH = 9.0
BRACKET_GAP = 5.0
MARGIN = 4.0

#: The labels, typeset like the entries.
LABELS = (TypesetItem("f(x,\\,y) =", "f(x, y) ="), TypesetItem("\\nabla f =", "∇f ="), TypesetItem("H =", "H ="))


class _Placed(NamedTuple):
    """A cell where it is drawn: ``text`` (elided) if it is drawn as text, else its image scaled to ``rect``."""

    rect: QRectF
    cell: TypesetCell
    text: str | None


class _Geometry(NamedTuple):
    placed: list[_Placed]
    label: _Placed
    grid: QRectF
    width: float
    height: float


class MathGrid(QWidget):
    """A label, then a ``rows`` x ``columns`` grid of typeset cells, bracketed if ``brackets``.

    The grid fits the width it is given: typeset images shrink (down to :data:`MIN_IMAGE_SCALE`),
    and beyond that an entry is drawn as plain text elided with "…" (the tooltip has it whole).
    """

    def __init__(self, rows: int, columns: int, brackets: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.rows = rows
        self.columns = columns
        self.brackets = brackets
        self.label: TypesetCell | None = None
        self.cells: list[TypesetCell] = []
        self._geometry: _Geometry | None = None
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        font = self.font()
        font.setPointSizeF(MATH_POINT_SIZE * 0.9)
        self.setFont(font)

    def set_cells(self, label: TypesetCell, cells: Sequence[TypesetCell]) -> None:
        """Show ``label`` and ``cells`` (row by row; rows * columns of them)."""
        if len(cells) != self.rows * self.columns:
            raise ValueError(f"expected {self.rows * self.columns} cells, got {len(cells)}")
        self.label = label
        self.cells = list(cells)
        self._geometry = None
        self.updateGeometry()
        self.update()

    @property
    def drawn_as_text(self) -> list[bool]:
        """For each cell, whether it is currently drawn as plain text (it did not fit or typeset)."""
        return [placed.text is not None for placed in self._current().placed]

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt override)
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt override)
        return int(self._layout(float(width)).height + 1)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        natural = self._layout(1e6)
        return QSize(int(natural.width + 1), int(natural.height + 1))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        narrow = self._layout(MIN_GRID_WIDTH)
        return QSize(int(min(narrow.width, MIN_GRID_WIDTH)), int(narrow.height + 1))

    def resizeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        self._geometry = None
        super().resizeEvent(event)

    def _current(self) -> _Geometry:
        if self._geometry is None or self._geometry.width > self.width() + 0.5:
            self._geometry = self._layout(float(max(self.width(), 1)))
        return self._geometry

    def _natural(self, cell: TypesetCell) -> tuple[float, float, float]:
        """(width, height, descent) of a cell at full size, in logical pixels."""
        if cell.image is not None:
            ratio = cell.image.devicePixelRatio()
            return cell.image.width() / ratio, cell.image.height() / ratio, cell.depth
        metrics = QFontMetricsF(self.font())
        return min(metrics.horizontalAdvance(cell.plain), MAX_TEXT_WIDTH), metrics.height(), metrics.descent()

    def _fit(self, cell: TypesetCell, budget: float) -> tuple[float, float, float, str | None]:
        """(width, height, descent, elided text or None) of a cell given ``budget`` pixels of width."""
        if cell.image is not None:
            width, height, descent = self._natural(cell)
            scale = min(1.0, budget / width) if width > 0 else 1.0
            if scale >= MIN_IMAGE_SCALE:
                return width * scale, height * scale, descent * scale, None
        metrics = QFontMetricsF(self.font())
        text = metrics.elidedText(cell.plain, Qt.TextElideMode.ElideRight, max(budget, 20.0))
        return metrics.horizontalAdvance(text), metrics.height(), metrics.descent(), text

    def _layout(self, width: float) -> _Geometry:
        """Place the cells within ``width``: columns centred, each row aligned on its baseline."""
        empty = _Placed(QRectF(), TypesetCell(None, ""), None)
        if self.label is None:
            return _Geometry([], empty, QRectF(), 0.0, 0.0)
        label_width, label_height, _ = self._natural(self.label)
        bracket = BRACKET_WIDTH + BRACKET_GAP if self.brackets else 0.0
        fixed = 2 * MARGIN + label_width + LABEL_GAP + 2 * bracket + COLUMN_GAP * (self.columns - 1)
        natural = [self._natural(cell) for cell in self.cells]
        natural_columns = [max(natural[r * self.columns + c][0] for r in range(self.rows)) for c in range(self.columns)]
        shrink = min(1.0, max(width - fixed, 40.0) / max(sum(natural_columns), 1.0))
        fitted = [self._fit(cell, natural_columns[i % self.columns] * shrink) for i, cell in enumerate(self.cells)]

        def at(r: int, c: int) -> tuple[float, float, float, str | None]:
            return fitted[r * self.columns + c]

        widths = [max(at(r, c)[0] for r in range(self.rows)) for c in range(self.columns)]
        ascents = [max(at(r, c)[1] - at(r, c)[2] for c in range(self.columns)) for r in range(self.rows)]
        descents = [max(at(r, c)[2] for c in range(self.columns)) for r in range(self.rows)]
        grid_height = sum(ascents) + sum(descents) + ROW_GAP * (self.rows - 1)
        grid_width = sum(widths) + COLUMN_GAP * (self.columns - 1)
        height = max(grid_height, label_height) + 2 * MARGIN
        top = (height - grid_height) / 2
        label = _Placed(QRectF(MARGIN, (height - label_height) / 2, label_width, label_height), self.label,
                        None if self.label.image is not None else self.label.plain)
        left = MARGIN + label_width + LABEL_GAP + bracket
        grid = QRectF(left - BRACKET_GAP, top - 2, grid_width + 2 * BRACKET_GAP, grid_height + 4)
        placed = []
        y = top
        for r in range(self.rows):
            x = left
            for c in range(self.columns):
                cell_width, cell_height, descent, text = at(r, c)
                baseline = y + ascents[r]
                rect = QRectF(x + (widths[c] - cell_width) / 2, baseline - (cell_height - descent), cell_width,
                              cell_height)
                placed.append(_Placed(rect, self.cells[r * self.columns + c], text))
                x += widths[c] + COLUMN_GAP
            y += ascents[r] + descents[r] + ROW_GAP
        return _Geometry(placed, label, grid, left + grid_width + bracket + MARGIN, height)

    def paintEvent(self, _event: QEvent) -> None:  # noqa: N802 (Qt override)
        if self.label is None:
            return
        geometry = self._current()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        ink = self.palette().color(QPalette.ColorRole.WindowText)
        painter.setPen(ink)
        metrics = QFontMetricsF(self.font())
        for placed in (geometry.label, *geometry.placed):
            if placed.text is None:
                painter.drawImage(placed.rect, placed.cell.image)
            else:
                painter.drawText(QPointF(placed.rect.left(), placed.rect.top() + metrics.ascent()), placed.text)
        if self.brackets:
            painter.setPen(QPen(ink, 1.6))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            grid = geometry.grid
            for side in (-1, 1):
                x_edge = grid.left() if side < 0 else grid.right()
                x_bulge = x_edge + side * BRACKET_WIDTH
                path = QPainterPath(QPointF(x_edge, grid.top()))
                path.quadTo(QPointF(x_bulge, grid.center().y()), QPointF(x_edge, grid.bottom()))
                painter.drawPath(path)
        painter.end()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and self.label is not None:
            position = QPointF(event.pos())
            for placed in self._current().placed:
                if placed.rect.adjusted(-4, -4, 4, 4).contains(position):
                    QToolTip.showText(event.globalPos(), _wrap(placed.cell.plain), self)
                    return True
            QToolTip.hideText()
            event.ignore()
            return True
        return super().event(event)


def _wrap(text: str, width: int = 100, limit: int = 1200) -> str:
    """A tooltip-sized version of a long plain-text expression."""
    if len(text) > limit:
        text = text[:limit - 1] + "…"
    return "\n".join(text[i:i + width] for i in range(0, len(text), width))


class TypesetView(QWidget):
    """f, grad f and H of the current surface, typeset (plain text where typesetting fails).

    Signals:
        typeset(): the grids show the newest surface.
    """

    typeset = pyqtSignal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.formula = MathGrid(1, 1, brackets=False)
        self.gradient = MathGrid(2, 1, brackets=True)
        self.hessian = MathGrid(2, 2, brackets=True)
        self.status = QLabel("")
        self.status.setStyleSheet("color: palette(mid);")
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(6)
        self._grid.setColumnStretch(2, 1)
        self.side_by_side: bool | None = None
        self._arrange(False)
        self._typesetter = Typesetter(self)
        self._typesetter.finished.connect(self._on_typeset)
        self._shown: tuple[str, str, str] | None = None

    @property
    def busy(self) -> bool:
        return self._typesetter.busy

    def show_surface(self, surface: object) -> None:
        """Typeset ``surface`` (in the background); nothing happens if its LaTeX is already shown."""
        key = (surface.latex, surface.gradient_latex, surface.hessian_latex)
        if key == self._shown:
            return
        self._shown = key
        self.status.setText("typesetting…")
        ink = self.palette().color(QPalette.ColorRole.WindowText).name()
        self._typesetter.request(lambda: [list(LABELS), *surface_items(surface)],
                                 scale=self.devicePixelRatioF(), color=ink)

    def wait(self, milliseconds: int = 10_000) -> bool:
        """Block until the background typesetting is done (tests, clip export)."""
        return self._typesetter.wait(milliseconds)

    def resizeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._arrange(self._fits_side_by_side())

    def _fits_side_by_side(self) -> bool:
        needed = self.gradient.sizeHint().width() + self.hessian.sizeHint().width() + self._grid.horizontalSpacing()
        return self.gradient.label is not None and needed <= self.width()

    def _arrange(self, side_by_side: bool) -> None:
        """∇f and H next to each other when both fit at full size, else one above the other."""
        if side_by_side == self.side_by_side:
            return
        self.side_by_side = side_by_side
        for widget in (self.formula, self.gradient, self.hessian, self.status):
            self._grid.removeWidget(widget)
        self._grid.addWidget(self.formula, 0, 0, 1, 3)
        if side_by_side:
            self._grid.addWidget(self.gradient, 1, 0)
            self._grid.addWidget(self.hessian, 1, 1)
            self._grid.addWidget(self.status, 2, 0, 1, 3)
            self._grid.setRowStretch(2, 0)
            self._grid.setRowStretch(3, 1)
        else:
            self._grid.addWidget(self.gradient, 1, 0, 1, 3)
            self._grid.addWidget(self.hessian, 2, 0, 1, 3)
            self._grid.addWidget(self.status, 3, 0, 1, 3)
            self._grid.setRowStretch(3, 0)
            self._grid.setRowStretch(4, 1)

    def _on_typeset(self, groups: list[list[TypesetCell]]) -> None:
        labels, formula, gradient, hessian = groups
        self.formula.set_cells(labels[0], formula)
        self.gradient.set_cells(labels[1], gradient)
        self.hessian.set_cells(labels[2], hessian)
        fallbacks = sum(cell.image is None for cell in (*formula, *gradient, *hessian))
        self.status.setText("long expressions are shown as plain text; hover to read them whole" if fallbacks else "")
        self._arrange(self._fits_side_by_side())
        self.typeset.emit()
