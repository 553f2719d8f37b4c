"""The finish board: the race's balls ranked live, under the caption that says how each lr was tuned.

A dock panel (gui.window.docks.PANELS, "Race"). Its top line stays for the whole race: "lr tuned
for each on this surface (grid 1e-4..1, 13 points, loss after 200 steps): GD 0.464,
Adam 0.215, ..." (physics.race.tuning_caption); under it, where the finish line lies, then one row
per ball: rank, ball (colour swatch and name), steps to reach the line, loss now, regime now. The
rules (the line, the ranking) are physics.race's: this widget only shows them.

It ranks any scene's balls; a scene that is not a tuned race says so in the caption. Cheap: the
rows are recomputed at most UPDATE_INTERVAL_MS apart while the simulation steps (a single-shot
timer started by ``stepped``, so the last state always shows), each history is scanned only past
the rows already seen (physics.race.FinishBoard), and cells are set in place, never rebuilt.
"""

from __future__ import annotations

import math

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtGui import QColor, QFont
from PyQt6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from gui.controller_link import ControllerLink
from gui.palette import regime_color, swatch_icon
from gui.panels import plot_style
from gui.panels.numbers import format_number
from physics.race import CAPTION_OPENING, FINISH_FRACTION, BoardRow, FinishBoard, finish_level

#: Least milliseconds between two updates of the rows while the race runs (four a second).
UPDATE_INTERVAL_MS = 250
COLUMNS = ("#", "Ball", "Steps", "Loss", "Regime")
#: The headers' tooltips: what each column holds.
COLUMN_TIPS = ("rank: reached first (fewest steps), then the others by their loss now, the diverging last",
               "the ball: its optimiser and tuned lr", "steps to reach the finish line (— : not yet)",
               "the loss now", "what the ball is doing now")
RANK, BALL, STEPS, LOSS, REGIME = range(len(COLUMNS))
#: The caption stands out from the dock like the views' notes: light text on a dark band.
CAPTION_STYLE = "QLabel { background: #26282e; color: #f0f0f0; padding: 4px 6px; border-radius: 3px; }"
TABLE_STYLE = (f"QTableWidget {{ background: {plot_style.BACKGROUND}; color: {plot_style.FOREGROUND}; "
               "gridline-color: #33363d; } QHeaderView::section { background: #26282e; color: #e8e8e8; "
               "border: 0; padding: 2px 4px; }")
#: The rows' font (points): smaller than the read-outs', as a race has up to 32 rows.
TABLE_POINT_SIZE = 12
#: What the caption says when the scene is not a race made by Simulation > Race...
NOT_A_RACE = "Not a tuned race: Simulation > Race… tunes each optimiser's lr on this surface first."


class FinishBoardPanel(QWidget):
    """The finish board of the live scene (see the module docstring).

    Attributes:
        caption: the label that keeps the tuning line.
        finish: the label that says where the finish line lies.
        table: one row per ball, in rank order.
        rows: the last BoardRows shown (physics.race.BoardRow).
    """

    def __init__(self, controller: ControllerLink, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.rows: list[BoardRow] = []
        self._board = FinishBoard()
        self._race_scene: object | None = None  # the scene the caption belongs to
        self._race_caption = ""
        self._floor: float | None = None  # the simulation's floor when the scene opened (fixed for the race)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 4, 2, 4)
        self.caption = QLabel(NOT_A_RACE)
        self.caption.setWordWrap(True)
        caption_font = QFont(self.font())
        caption_font.setPointSize(plot_style.LEGEND_POINT_SIZE + 1)
        caption_font.setBold(True)
        self.caption.setFont(caption_font)
        self.caption.setStyleSheet(CAPTION_STYLE)
        self.finish = QLabel("")
        self.finish.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        for column, tip in enumerate(COLUMN_TIPS):
            self.table.horizontalHeaderItem(column).setToolTip(tip)
        # Dark like the plots, where the regimes' colours (gui.palette) are made to read.
        self.table.setStyleSheet(TABLE_STYLE)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        table_font = QFont(self.font())
        table_font.setPointSize(TABLE_POINT_SIZE)
        self.table.setFont(table_font)
        header = self.table.horizontalHeader()
        # Fixed widths for the numbers (digits changing every update never move a column); the name stretches.
        digits = self.table.fontMetrics()
        for column, sample in ((RANK, "32"), (STEPS, "10000"), (LOSS, "2.4e−100"), (REGIME, "oscillating")):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            self.table.setColumnWidth(column, max(digits.horizontalAdvance(sample),
                                                  digits.horizontalAdvance(COLUMNS[column])) + 10)
        header.setSectionResizeMode(BALL, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.caption)
        layout.addWidget(self.finish)
        layout.addWidget(self.table, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(UPDATE_INTERVAL_MS)
        self._timer.timeout.connect(self.refresh)
        controller.stepped.connect(self._schedule)
        controller.ballsChanged.connect(self._restart)
        controller.criticalPointsChanged.connect(self._restart)
        controller.sceneChanged.connect(self._on_scene)
        controller.surfaceChanged.connect(self._on_surface)
        self._on_scene(None)

    # -- what the dialog tells -------------------------------------------------------------------
    def expect_race(self, scene: object, caption: str) -> None:
        """The race ``scene`` is on its way (loaded in the background); when it opens, keep ``caption``."""
        self._race_scene = scene
        self._race_caption = caption

    # -- updates ------------------------------------------------------------------------------------
    def _on_scene(self, scene: object) -> None:
        if scene is None or scene != self._race_scene:
            # A race saved and opened again (a file, a lesson) carries its caption as its description.
            description = getattr(scene, "description", "")
            self._race_scene = scene if description.startswith(CAPTION_OPENING) else None
            self._race_caption = description if self._race_scene is not None else ""
        self.caption.setText(self._race_caption or NOT_A_RACE)
        self._on_surface(None)

    def _on_surface(self, _surface: object) -> None:
        self._floor = None
        self._restart()

    def _restart(self, *_args: object) -> None:
        self._board.clear()
        self._schedule()

    def _schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def refresh(self) -> None:
        """Rank the balls now and show them (the timer calls it; tests may too)."""
        controller = self.controller
        balls = controller.balls
        if self._floor is None:
            self._floor = controller.simulation.floor
        level = finish_level(controller.critical_points, self._floor)
        self.finish.setText(f"Finish: f ≤ f_min + {FINISH_FRACTION:g} × (f(start) − f_min); f_min = {level.words}")
        histories = [controller.history(index) for index in range(len(balls))]
        self.rows = self._board.rows([ball.name for ball in balls], histories, level.value)
        table = self.table
        if table.rowCount() != len(self.rows):
            table.setRowCount(len(self.rows))
            for row in range(len(self.rows)):
                for column in range(len(COLUMNS)):
                    item = QTableWidgetItem()
                    if column != BALL:
                        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    table.setItem(row, column, item)
        for place, entry in enumerate(self.rows):
            ball = balls[entry.ball]
            self._set(place, RANK, str(entry.rank))
            name = table.item(place, BALL)
            if name.text() != entry.name or name.data(Qt.ItemDataRole.UserRole) != ball.color:
                name.setText(entry.name)
                name.setToolTip(entry.name)
                name.setIcon(swatch_icon(ball.color))
                name.setData(Qt.ItemDataRole.UserRole, ball.color)
            self._set(place, STEPS, "—" if entry.steps is None else str(entry.steps))
            self._set(place, LOSS, format_number(entry.loss) if math.isfinite(entry.loss) else "—")
            regime = table.item(place, REGIME)
            if regime.text() != entry.regime:
                regime.setText(entry.regime)
                regime.setForeground(QColor(regime_color(entry.regime)))

    def _set(self, row: int, column: int, text: str) -> None:
        item = self.table.item(row, column)
        if item.text() != text:
            item.setText(text)
