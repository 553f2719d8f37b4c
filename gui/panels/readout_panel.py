"""Live read-outs, one row per visible ball: where it is, how high, how steep, how curved, and what it is doing.

Two lines per ball. The first: the ball (colour swatch and name; a swarm says its size and that
the values are its means), position (x, y), loss, gradient norm, λ_min and λ_max (signed). The
second, across the whole width so the words are never cut short in a narrow dock: the regime as a
badge in the regime's colour (gui.palette) carrying physics' own words, ``BallState.regime_detail``:
"saddle: curvature -1.0 and +2.0", "plateau: gradient 1e-4 but loss still 0.9", ... The numbers
are the last row of the ball's history (the same series the plots draw), the words its state.

The table always fits its dock's width, never cut off on the right: columns are as wide as their
texts (numbers measured with equal-width digits, so changing digits do not move them), the font
shrinks from TABLE_POINT_SIZE towards MIN_POINT_SIZE as the dock narrows, and columns are left
out so that a ball's name shows whole: the position first (the map shows where the ball is), then
the gradient norm and λ_min (the badge says in words what they say in numbers). Only at the
smallest font is a long name elided (its tooltip has it whole).

The layout converges by construction: everything is fitted to the table's width less a vertical
scroll bar's, whether or not one shows (``available_width``), so the rows' heights, which decide
whether the scroll bar shows, never depend on it; only the last, empty column follows the
viewport's width.

Built for a lecture hall: a large font, a few significant digits (gui.panels.numbers). Cheap:
an update re-formats the numbers and sets only the cell texts that changed (nothing is rebuilt,
and the cells live in C++ items so painting runs no Python per cell); columns only ever widen while the
balls stay the same, so numbers do not make the table jitter; and while the simulation runs it
updates at most ``UPDATE_INTERVAL_S`` apart (ten times a second is as fast as anyone reads), in
the handling of a frame's ``stepped`` (the histories are fresh in the processor's caches then; a
timer shows the last state once stepping stops). Selecting a row selects the ball.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PyQt6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QRect, QRectF, QSize, Qt, QTimer
from PyQt6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QStandardItem, QStandardItemModel
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gui.controller_link import ControllerLink
from gui.palette import contrast_color, regime_color, swatch_icon
from gui.panels import plot_style
from gui.panels.numbers import format_number, format_pair

#: Least seconds between two read-out updates while the simulation runs (every sixth 16 ms frame).
UPDATE_INTERVAL_S = 0.09
#: A state no frame followed (a single step, the end of a run) is shown this long after it was due.
CATCH_UP_DELAY_S = 0.02

#: The last, unnamed column only fills the width (the badge line spans it too).
COLUMNS = ("Ball", "(x, y)", "Loss", "‖∇f‖", "λmin", "λmax", "")
BALL, POSITION, LOSS, GRADIENT, LAMBDA_MIN, LAMBDA_MAX, FILLER = range(len(COLUMNS))
#: Columns left out, in this order, while the table does not fit at the smallest font.
DROP_ORDER = (POSITION, GRADIENT, LAMBDA_MIN)
#: Not a column: the regime text, shown on the ball's second line.
REGIME = len(COLUMNS)
_NUMERIC = (POSITION, LOSS, GRADIENT, LAMBDA_MIN, LAMBDA_MAX)
#: Pixels of padding added to a column's widest text (Qt keeps 3 on each side of a cell's text).
COLUMN_PADDING = 12
#: Pixels around a badge, and between its edge and its words.
BADGE_MARGIN = 3
BADGE_PADDING = 12
#: Pixels a badge's words must leave free to count as fitting on one line (text measured in whole
#: pixels may be a fraction wider when drawn, and would then be elided).
BADGE_SLACK = 4
#: The most of the table's width a ball's name may take (longer names are elided; the tooltip has them).
MAX_NAME_SHARE = 0.6
#: The least room (in average characters) a ball's name keeps beside its colour swatch.
MIN_NAME_CHARACTERS = 4
#: Every character a formatted number may hold (gui.panels.numbers).
NUMBER_CHARACTERS = "0123456789.e+\u2212(), —∞"
DIGITS = "0123456789"
_DIGITS_AS_ZERO = str.maketrans(DIGITS, "0" * len(DIGITS))
#: Kinds of text the table measures (ReadoutPanel._text_width).
NAME, TITLE, NUMBER = range(3)
#: The smallest font the table shrinks to in a narrow dock (points).
MIN_POINT_SIZE = 10
#: Down to this font size only the position may be left out; below it, ‖∇f‖ and λmin (which the
#: badge says in words) give way before a ball's name is cut. Names are elided (up to their share)
#: only at MIN_POINT_SIZE, with every column that may go gone.
ELIDE_NAMES_BELOW = 13
#: Row height in lines of the table font.
ROW_HEIGHT = 1.6
HEADER_COLOR = "#262a31"
#: Side of a ball's colour swatch in its row (pixels; Qt's small icon size).
SWATCH_PIXELS = 16
SELECTED_COLOR = "#3a4150"


class ReadoutModel(QStandardItemModel):
    """Two table rows per ball: its numbers (row 2b), its regime badge (row 2b + 1, column 0).

    A QStandardItemModel: the texts live in C++ items, so painting the table calls no Python per
    cell (a Python model's ``data()`` would be asked some ten roles per cell per paint: milliseconds).
    ``set_rows`` takes one entry per ball, ``(ball_index, color, texts (8 str: the columns, then
    the regime text), regime, tooltip)``, and sets only the texts that changed.
    """

    def __init__(self, parent: Any = None):
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(list(COLUMNS))
        self._rows: list[tuple[int, str, tuple[str, ...], str, str]] = []

    def balls(self) -> list[int]:
        return [entry[0] for entry in self._rows]

    def row_of_ball(self, ball: int) -> int:
        """The ball's entry number (its first table row is twice that), or -1."""
        return next((row for row, entry in enumerate(self._rows) if entry[0] == ball), -1)

    def text(self, row: int, column: int) -> str:
        return self._rows[row][2][column]

    def column_texts(self, column: int) -> list[str]:
        return [entry[2][column] for entry in self._rows]

    def set_rows(self, rows: list[tuple[int, str, tuple[str, ...], str, str]]) -> bool:
        """Show ``rows``; True if the set of balls changed (the rows were made anew)."""
        if [r[0] for r in rows] != self.balls():
            self.setRowCount(0)
            for entry in rows:
                self._append(entry)
            self._rows = rows
            return True
        changed = [number for number, (old, new) in enumerate(zip(self._rows, rows, strict=True)) if old != new]
        if changed:
            # The views hear of the new texts once, for the rows that changed, not once per cell.
            blocked = self.blockSignals(True)
            try:
                for number in changed:
                    self._update(number, self._rows[number], rows[number])
            finally:
                self.blockSignals(blocked)
            self.dataChanged.emit(self.index(2 * changed[0], 0), self.index(2 * changed[-1] + 1, len(COLUMNS) - 1))
        self._rows = rows
        return False

    def _append(self, entry: tuple[int, str, tuple[str, ...], str, str]) -> None:
        _ball, color, texts, regime, tooltip = entry
        numbers = []
        for column, text in enumerate(texts[:len(COLUMNS)]):
            item = QStandardItem(text)
            item.setEditable(False)
            if column in _NUMERIC:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            numbers.append(item)
        numbers[BALL].setData(swatch_icon(color, SWATCH_PIXELS, disc=False), Qt.ItemDataRole.DecorationRole)
        numbers[BALL].setToolTip(tooltip)
        badge = [QStandardItem() for _ in COLUMNS]
        for item in badge:
            item.setEditable(False)
        badge[0].setText(texts[REGIME])
        badge[0].setToolTip(texts[REGIME])
        badge[0].setData(regime, Qt.ItemDataRole.UserRole)
        self.appendRow(numbers)
        self.appendRow(badge)

    def _update(self, number: int, old: tuple, new: tuple) -> None:
        _ball, color, texts, regime, tooltip = new
        row = 2 * number
        for column in range(len(COLUMNS)):
            if texts[column] != old[2][column]:
                self.item(row, column).setText(texts[column])
        name = self.item(row, BALL)
        if color != old[1]:
            name.setData(swatch_icon(color, SWATCH_PIXELS, disc=False), Qt.ItemDataRole.DecorationRole)
        if tooltip != old[4]:
            name.setToolTip(tooltip)
        badge = self.item(row + 1, 0)
        if texts[REGIME] != old[2][REGIME]:
            badge.setText(texts[REGIME])
            badge.setToolTip(texts[REGIME])
        if regime != old[3]:
            badge.setData(regime, Qt.ItemDataRole.UserRole)


class RegimeBadgeDelegate(QStyledItemDelegate):
    """Paints the regime cell as a rounded badge in the regime's colour, text in black or white for contrast.

    Words too long for one line wrap (the panel makes such rows as tall as they need); a row
    too short for them (never, once the panel has fitted it) elides them (the tooltip holds them all).
    """

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self._bold: tuple[str, QFont] = ("", QFont())

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        regime = index.data(Qt.ItemDataRole.UserRole)
        if not isinstance(regime, str) or not regime:
            super().paint(painter, option, index)
            return
        text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        painter.save()
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.highlight())
        fill = QColor(regime_color(regime))
        rect = QRectF(option.rect).adjusted(BADGE_MARGIN, BADGE_MARGIN, -BADGE_MARGIN, -BADGE_MARGIN)
        key = option.font.key()
        if key != self._bold[0]:
            bold = QFont(option.font)
            bold.setBold(True)
            self._bold = (key, bold)
        painter.setFont(self._bold[1])
        metrics = painter.fontMetrics()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        radius = min(rect.height(), metrics.height() * ROW_HEIGHT) / 2.5
        painter.drawRoundedRect(rect, radius, radius)
        painter.setPen(QColor(contrast_color(fill.name())))
        inner = rect.adjusted(BADGE_PADDING, 0, -BADGE_PADDING, 0)
        if metrics.horizontalAdvance(text) <= inner.width() - BADGE_SLACK or rect.height() < 2 * metrics.lineSpacing():
            elided = metrics.elidedText(text, Qt.TextElideMode.ElideRight, int(inner.width()))
            painter.drawText(inner, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), elided)
        else:
            painter.drawText(inner, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft
                                        | Qt.TextFlag.TextWordWrap), text)
        painter.restore()


class ReadoutPanel(QWidget):
    """A table of live read-outs per visible ball (see the module docstring)."""

    def __init__(self, controller: ControllerLink, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.last_update_seconds = 0.0
        self._last_update = 0.0
        self._stale = True

        self.model = ReadoutModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        # Set on the badge rows only (in refresh): the number rows keep Qt's own C++ delegate.
        self._badge_delegate = RegimeBadgeDelegate(self.table)
        self._point_size = 0
        self._metrics_cache: dict[int, tuple[QFontMetrics, QFontMetrics, dict[str, int]]] = {}
        self._hidden: set[int] = set()
        self._fitted: tuple | None = None   # what the columns were last fitted to (_fit_key)
        self._text_widths: dict[tuple[int, int, str], int] = {}
        self._line_counts: dict[tuple[int, str, int], int] = {}
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setMinimumSectionSize(1)  # the filler may be narrow (it is sized in _stretch_filler)
        rows = self.table.verticalHeader()
        rows.hide()
        # Fixed row heights: sizing rows to their contents would ask every cell's size at each update.
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self._set_point_size(plot_style.TABLE_POINT_SIZE)
        self.table.setIconSize(QSize(18, 18))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setFrameShape(QFrame.Shape.NoFrame)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.installEventFilter(self)
        self.table.viewport().installEventFilter(self)
        # Colours by palette, not style sheet: a style sheet makes every cell paint through the slow
        # style-sheet style (measured: ~10x the paint time of the table).
        palette = self.table.palette()
        for role, color in ((QPalette.ColorRole.Base, plot_style.BACKGROUND), (QPalette.ColorRole.Window, HEADER_COLOR),
                            (QPalette.ColorRole.Button, HEADER_COLOR), (QPalette.ColorRole.Text, plot_style.FOREGROUND),
                            (QPalette.ColorRole.WindowText, plot_style.FOREGROUND),
                            (QPalette.ColorRole.ButtonText, plot_style.FOREGROUND),
                            (QPalette.ColorRole.Highlight, SELECTED_COLOR),
                            (QPalette.ColorRole.HighlightedText, plot_style.FOREGROUND)):
            palette.setColor(role, QColor(color))
        self.table.setPalette(palette)
        header.setPalette(palette)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.refresh)
        self.table.selectionModel().selectionChanged.connect(self._on_row_selected)

        controller.stepped.connect(self._on_stepped)
        controller.ballsChanged.connect(self.refresh)
        # Bound methods, not lambdas: a panel deleted before the controller (presentation mode builds
        # and drops its own) is then disconnected by Qt instead of called.
        controller.sceneChanged.connect(self._refresh_for)
        controller.surfaceChanged.connect(self._refresh_for)
        controller.selectionChanged.connect(self._show_selection)
        self.refresh()

    def _on_stepped(self) -> None:
        wait = UPDATE_INTERVAL_S - (time.perf_counter() - self._last_update)
        if wait <= 0:
            self.refresh()
        elif not self._timer.isActive():
            # While playing, a frame comes first and updates (and stops this timer).
            self._timer.start(int((wait + CATCH_UP_DELAY_S) * 1000) + 1)

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def _refresh_for(self, _value: object) -> None:
        """refresh() on a signal that carries a value (a new scene, a new surface)."""
        self.refresh()

    def refresh(self) -> None:
        """Re-read every visible ball now and update the cells whose text changed."""
        if not self.isVisible():
            self._stale = True
            return
        started = time.perf_counter()
        self._stale = False
        self._timer.stop()
        rows = []
        for index, ball in enumerate(self.controller.balls):
            if ball.visible:
                rows.append(self._row(index, ball))
        reset = self.model.set_rows(rows)
        if reset:
            self.table.clearSpans()
            for row in range(len(rows)):
                self.table.setSpan(2 * row + 1, 0, 1, len(COLUMNS))
                self.table.setItemDelegateForRow(2 * row + 1, self._badge_delegate)
        self._fit_columns(shrink=reset)
        self._show_selection(self.controller.selected)
        self._last_update = time.perf_counter()
        self.last_update_seconds = self._last_update - started

    def _row(self, index: int, ball: Any) -> tuple[int, str, tuple[str, ...], str, str]:
        history = self.controller.history(index)
        state = self.controller.state(index)
        particles = ball.particles
        name = ball.name if particles == 1 else f"{ball.name} (mean of {particles})"
        tooltip = f"{ball.name}: {ball.optimizer}" + (f", a swarm of {particles} particles; numbers are means"
                                                      if particles > 1 else "")
        if history is None or len(history.steps) == 0 or state is None:
            return index, ball.color, (name, "", "", "", "", "", "", ""), "", tooltip
        x, y = history.positions[-1]
        texts = (
            name,
            format_pair(x, y),
            format_number(history.loss[-1]),
            format_number(history.gradient_norm[-1], digits=2),
            format_number(history.lambda_min[-1], signed=True),
            format_number(history.lambda_max[-1], signed=True),
            "",
            state.regime_detail or state.regime,
        )
        return index, ball.color, texts, state.regime, tooltip

    def _set_point_size(self, size: int) -> None:
        if size == self._point_size:
            return
        self._point_size = size
        font = QFont(self.table.font())
        font.setPointSize(size)
        self.table.setFont(font)
        bold = QFont(font)
        bold.setBold(True)
        self.table.horizontalHeader().setFont(bold)
        self.table.verticalHeader().setDefaultSectionSize(int(QFontMetrics(font).height() * ROW_HEIGHT))

    def _metrics(self, size: int) -> tuple[QFontMetrics, QFontMetrics, dict[str, int]]:
        """(regular, bold) font metrics at ``size`` points, and the advance of each character a number
        uses, every digit counted as wide as the widest (so 0.0123 and 0.0987 take the same room)."""
        known = self._metrics_cache.get(size)
        if known is None:
            font = QFont(self.table.font())
            font.setPointSize(size)
            bold = QFont(font)
            bold.setBold(True)
            metrics = QFontMetrics(font)
            advances = {c: metrics.horizontalAdvance(c) for c in NUMBER_CHARACTERS}
            digit = max(advances[c] for c in DIGITS)
            advances.update(dict.fromkeys(DIGITS, digit))
            known = self._metrics_cache[size] = (metrics, QFontMetrics(bold), advances)
        return known

    def _column_widths(self, size: int, texts: list[tuple[int, set[str]]] | None = None) -> list[int]:
        """Pixels each column needs for its widest text at font size ``size`` (the filler: 0).

        ``texts``: what :meth:`_column_texts` gives (when asked for several sizes, made once).
        """
        widths = []
        for (kind, keys), title in zip(texts or self._column_texts(), COLUMNS[:-1], strict=True):
            text_width = max((self._text_width(size, kind, key) for key in keys), default=0)
            if kind == NAME:
                text_width += self.table.iconSize().width() + 8
            widths.append(max(text_width, self._text_width(size, TITLE, title)) + COLUMN_PADDING)
        return [*widths, 0]

    def _column_texts(self) -> list[tuple[int, set[str]]]:
        """Per column but the filler: the kind of its texts and the texts to measure, numbers by their
        shape (every digit a 0: digits are measured as wide as the widest), each shape once."""
        columns = []
        for column in range(len(COLUMNS) - 1):
            texts = self.model.column_texts(column)
            if column == BALL:
                columns.append((NAME, set(texts)))
            else:
                columns.append((NUMBER, {text.translate(_DIGITS_AS_ZERO) for text in texts}))
        return columns

    def _text_width(self, size: int, kind: int, text: str) -> int:
        """Pixels ``text`` takes at font ``size``: a ball's NAME, a column's TITLE (bold), or a NUMBER's
        shape (every digit a 0, counted as wide as the widest digit).

        Remembered: the fit asks at every update, and the texts (the numbers' shapes) rarely change.
        """
        key = (size, kind, text)
        width = self._text_widths.get(key)
        if width is None:
            metrics, bold_metrics, advances = self._metrics(size)
            if kind == NUMBER:
                widest = max(advances.values())
                width = sum(advances.get(c, widest) for c in text)
            else:
                width = (bold_metrics if kind == TITLE else metrics).horizontalAdvance(text)
            if len(self._text_widths) > 4096:
                self._text_widths.clear()
            self._text_widths[key] = width
        return width

    def _name_limits(self, size: int, available: int) -> tuple[int, int]:
        """(least, most) pixels the ball column may take: the swatch and a few letters, and its share."""
        metrics = self._metrics(size)[0]
        least = self.table.iconSize().width() + 8 + MIN_NAME_CHARACTERS * metrics.averageCharWidth() + COLUMN_PADDING
        return least, max(least, int(available * MAX_NAME_SHARE))

    def _layout_for(self, size: int, available: int,
                    texts: list[tuple[int, set[str]]] | None = None) -> tuple[list[int], set[int]] | None:
        """Column widths and the columns left out at font ``size`` so the table fits ``available`` pixels,
        or None if at this size it would have to leave out more than the position (try a smaller font)."""
        widths = self._column_widths(size, texts)
        least, most = self._name_limits(size, available)
        name = min(widths[BALL], most)
        least = min(least, name)

        def others(hidden: set[int]) -> int:
            return sum(width for column, width in enumerate(widths) if column != BALL and column not in hidden)

        # The whole name (up to its share) must fit, leaving out columns and then shrinking the font
        # before it is cut: "gradi…" tells a class nothing. Only at the smallest font is it elided,
        # and then only the columns it needs to keep a few letters are left out.
        hidden = self._columns_left_out(others, name, size >= ELIDE_NAMES_BELOW, available)
        if hidden is None or others(hidden) + name > available:
            if size > MIN_POINT_SIZE:
                return None
            hidden = self._columns_left_out(others, least, False, available) or set(DROP_ORDER)
        widths[BALL] = max(least, min(name, available - others(hidden)))  # a long name gives way (elided)
        return widths, hidden

    @staticmethod
    def _columns_left_out(others: Callable[[set[int]], int], name: int, position_only: bool,
                          available: int) -> set[int] | None:
        """The fewest columns, in DROP_ORDER, to leave out so that ``name`` pixels fit beside the rest
        (``others(hidden)``: their width); None if that would leave out more than the position
        while ``position_only``. All of DROP_ORDER if even that is not enough."""
        hidden: set[int] = set()
        for column in DROP_ORDER:
            if others(hidden) + name <= available:
                return hidden
            if column != POSITION and position_only:
                return None
            hidden.add(column)
        return hidden

    def _fit_columns(self, shrink: bool) -> None:
        """Fit the columns to their texts and the table to its dock, never scrolling sideways (module docstring).

        The largest font from TABLE_POINT_SIZE down to MIN_POINT_SIZE with which every column but
        the position fits is used; the position is shown if it fits too. Columns only widen
        between changes of the balls, so changing numbers do not make the table jitter.

        The fit reads the table's own width less a vertical scroll bar's, whether the scroll bar
        shows or not (:meth:`available_width`). Fitting changes row heights, which may show or hide
        the scroll bar; were the fit to read the viewport's width, that would change the room it
        fits to, which changes the badges' heights, which hides or shows the scroll bar again: a
        loop that ran thousands of times per step in a three-ball scene at some dock widths.
        """
        key = self._fit_key()
        if not shrink and key == self._fitted:
            # Nothing the fit reads changed (the numbers changed, not the room they need): only
            # the badges' words may have.
            self._fit_badges()
            return
        self._fit_columns_to(self.available_width(), shrink)
        self._fitted = self._fit_key()

    def available_width(self) -> int:
        """Pixels the columns and the badges are fitted to: the table's width inside its frame less
        the room of a vertical scroll bar, kept free even while none shows (so that showing one
        never changes the fit, which decides whether one shows)."""
        table = self.table
        bar = table.verticalScrollBar()
        extent = table.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, bar)
        return max(1, table.width() - 2 * table.frameWidth() - extent)

    def _fit_key(self) -> tuple:
        """Everything the fit of the columns depends on: the room, the columns' sizes (not the filler's,
        which Qt stretches to the viewport), the font and the columns hidden, and the texts as measured
        (numbers by their shape: 0.0123 and 0.0987 need the same room)."""
        header = self.table.horizontalHeader()
        return (self.available_width(), self._point_size, tuple(sorted(self._hidden)),
                tuple(header.sectionSize(column) for column in range(FILLER)),
                tuple(tuple(sorted(texts)) for _kind, texts in self._column_texts()))

    def _fit_columns_to(self, available: int, shrink: bool) -> None:
        layout = None
        texts = self._column_texts()
        for size in range(plot_style.TABLE_POINT_SIZE, MIN_POINT_SIZE - 1, -1):
            layout = self._layout_for(size, available - 1, texts)  # (the filler keeps at least one pixel)
            if layout is not None:
                break
        widths, hidden = layout
        shrink = shrink or size != self._point_size or hidden != self._hidden
        self._set_point_size(size)
        self._hidden = hidden
        header = self.table.horizontalHeader()
        for column, width in enumerate(widths[:-1]):
            if self.table.isColumnHidden(column) != (column in hidden):
                self.table.setColumnHidden(column, column in hidden)
            if shrink or width > header.sectionSize(column) or column == BALL:
                header.resizeSection(column, width)
        # Widened columns may now overflow: give the excess back from the widest number columns' slack.
        used = sum(header.sectionSize(c) for c in range(FILLER) if c not in hidden)
        if used > available:
            for column in range(FILLER):
                if column not in hidden and column != BALL:
                    header.resizeSection(column, widths[column])
        self._stretch_filler()
        self._fit_badges()

    def _stretch_filler(self) -> None:
        """The filler takes exactly what the columns leave of the viewport (the scroll bar's room too
        while none shows), so the badge lines end at the right edge. Only the filler follows the
        viewport's width: nothing that decides the rows' heights does."""
        header = self.table.horizontalHeader()
        used = sum(header.sectionSize(c) for c in range(FILLER) if not self.table.isColumnHidden(c))
        width = max(1, self.table.viewport().width() - used)
        if header.sectionSize(FILLER) != width:
            header.resizeSection(FILLER, width)

    @property
    def hidden_columns(self) -> set[int]:
        """The columns left out now to fit the dock."""
        return set(self._hidden)

    def _fit_badges(self) -> None:
        """A badge row is as many lines tall as its words need, wrapped at the table's width."""
        rows = self.table.verticalHeader()
        line = rows.defaultSectionSize()
        _metrics, bold_metrics, _ = self._metrics(self._point_size)
        room = self.available_width() - 2 * (BADGE_MARGIN + BADGE_PADDING) - BADGE_SLACK
        for entry, text in enumerate(self.model.column_texts(REGIME)):
            lines = self._badge_lines(bold_metrics, text, room)
            height = line + (lines - 1) * bold_metrics.lineSpacing()
            if rows.sectionSize(2 * entry + 1) != height:
                rows.resizeSection(2 * entry + 1, height)

    def _badge_lines(self, metrics: QFontMetrics, text: str, room: int) -> int:
        """How many lines ``text`` takes wrapped at ``room`` pixels (remembered: the words change rarely)."""
        key = (metrics.lineSpacing(), text, room)
        lines = self._line_counts.get(key)
        if lines is None:
            if metrics.horizontalAdvance(text) <= room:
                lines = 1
            else:
                box = metrics.boundingRect(QRect(0, 0, max(room, 1), 100_000), int(Qt.TextFlag.TextWordWrap), text)
                lines = max(1, round(box.height() / metrics.lineSpacing()))
            if len(self._line_counts) > 256:
                self._line_counts.clear()
            self._line_counts[key] = lines
        return lines

    def eventFilter(self, watched: Any, event: Any) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Resize:
            if watched is self.table:
                # The table's own width, which no scroll bar changes (available_width).
                self._fit_columns(shrink=True)
            elif watched is self.table.viewport():
                # A scroll bar shown or hidden: the filler follows, nothing else.
                self._stretch_filler()
        return super().eventFilter(watched, event)

    # -- selection -----------------------------------------------------------------------------
    def _on_row_selected(self, *_args: Any) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            ball = self.model.balls()[rows[0].row() // 2]
            if ball != self.controller.selected:
                self.controller.select(ball)

    def _show_selection(self, ball: int) -> None:
        entry = self.model.row_of_ball(ball) if ball is not None and ball >= 0 else -1
        row = 2 * entry if entry >= 0 else -1
        selection = self.table.selectionModel()
        current = selection.selectedRows()
        if row < 0:
            if current:
                selection.clearSelection()
            return
        if current and current[0].row() == row:
            return
        selection.select(self.model.index(row, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
                         | QItemSelectionModel.SelectionFlag.Rows)

    # -- reading the panel (tests) ---------------------------------------------------------------
    def text(self, ball: int, column: int) -> str | None:
        """The text shown for ball ``ball`` in ``column`` (or REGIME), or None if the ball has no row."""
        row = self.model.row_of_ball(ball)
        return self.model.text(row, column) if row >= 0 else None
