"""The ball list: add, duplicate, remove, rename, recolour and hide balls, and edit the selected one.

Each row shows the ball's colour, its name (edit in place: double-click, F2 or Rename), a check
box for whether it is drawn, and, in grey on the right, its method. Below the list,
:class:`~gui.editors.ball_form.BallForm` edits the selected ball. Every change is a command to
the controller (``add_ball``, ``duplicate_ball``, ``remove_ball``, ``update_ball``, ``select``)
with a new frozen ``BallSpec``; the list redraws from ``controller.balls`` when the controller
announces ``ballsChanged``, so it always shows what the simulation holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PyQt6.QtCore import QModelIndex, QRect, QSize, Qt
from PyQt6.QtGui import QColor, QIcon, QPainter, QPalette
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QColorDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.controller_link import EditorLink
from gui.editors.ball_form import BallForm
from gui.palette import swatch_icon
from gui.what_if import WhatIfPreview
from physics.optimizers.base import get_optimizer
from surfaces.errors import DownhillError

SUMMARY_ROLE = Qt.ItemDataRole.UserRole + 10
SWATCH_SIZE = 18
#: Rows the ball list shows before it scrolls: the settings form below needs the height more.
MAX_LIST_ROWS = 4


def swatch(color: str, size: int = SWATCH_SIZE) -> QIcon:
    """A filled disc of ``color`` with a dark rim, the same when its row is selected (gui.palette)."""
    return swatch_icon(color, size)


def summary(ball: object) -> str:
    """A few words on the ball's method: "Adam, σ 0.1, 500 particles"."""
    try:
        words = [get_optimizer(ball.optimizer).display_name]
    except DownhillError:
        words = [ball.optimizer]
    if ball.noise.batch_size is not None:
        words.append(f"batch {ball.noise.batch_size}")
    if ball.noise.sigma > 0:
        words.append(f"σ {ball.noise.sigma:g}")
    if ball.particles > 1:
        words.append(f"{ball.particles:,} particles")
    if ball.clip is not None:
        words.append(f"clip {ball.clip:g}")
    return ", ".join(words)


class _BallDelegate(QStyledItemDelegate):
    """The standard row (check box, swatch, editable name) plus the method summary on the right."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        super().paint(painter, option, index)
        text = index.data(SUMMARY_ROLE)
        if not text:
            return
        styled = QStyleOptionViewItem(option)
        self.initStyleOption(styled, index)
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        name_rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, styled, widget)
        name_width = option.fontMetrics.horizontalAdvance(index.data(Qt.ItemDataRole.DisplayRole) or "")
        room = QRect(option.rect)
        room.setLeft(name_rect.left() + name_width + 24)
        room.setRight(option.rect.right() - 8)
        if room.width() < 40:
            return
        painter.save()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.PlaceholderText
        painter.setPen(option.palette.color(role))
        elided = option.fontMetrics.elidedText(text, Qt.TextElideMode.ElideRight, room.width())
        painter.drawText(room, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), elided)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802 (Qt override)
        size = super().sizeHint(option, index)
        return QSize(size.width(), max(size.height(), SWATCH_SIZE + 12))


class _BallListView(QListWidget):
    """The list, as tall as its rows (2 to MAX_LIST_ROWS of them; it scrolls beyond), so the form gets the rest."""

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        row = self.sizeHintForRow(0) if self.count() else SWATCH_SIZE + 12
        rows = min(max(self.count(), 2), MAX_LIST_ROWS)
        return QSize(super().sizeHint().width(), rows * row + 2 * self.frameWidth() + 2)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        row = self.sizeHintForRow(0) if self.count() else SWATCH_SIZE + 12
        return QSize(super().minimumSizeHint().width(), 2 * row + 2 * self.frameWidth() + 2)


class BallListEditor(QWidget):
    """The list of balls with its buttons, and the form of the selected ball.

    Attributes:
        pick_color: the colour chooser, ``(initial QColor, parent, title) -> QColor`` (invalid if
            cancelled); QColorDialog.getColor unless replaced (tests replace it).
    """

    def __init__(self, controller: EditorLink, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.pick_color: Callable[[QColor, QWidget, str], QColor] = QColorDialog.getColor
        self._refreshing = False

        self.list = _BallListView()
        self.list.setAccessibleName("balls")
        self.list.setItemDelegate(_BallDelegate(self.list))
        self.list.setIconSize(QSize(SWATCH_SIZE, SWATCH_SIZE))
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                  | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setToolTip("Tick a ball to show it, untick to hide it; double-click a name to rename it")
        self.list.currentRowChanged.connect(self._on_row)
        self.list.itemChanged.connect(self._on_item_changed)

        self.add_button = _button("Add", "Add a ball like the selected one, at the centre of the view", self.add)
        self.duplicate_button = _button("Duplicate", "Add a copy of the selected ball", self.duplicate)
        self.remove_button = _button("Remove", "Remove the selected ball", self.remove)
        self.rename_button = _button("Rename", "Rename the selected ball (or double-click its name)", self.rename)
        self.color_button = _button("Colour…", "Choose the selected ball's colour", self.recolour)
        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        for button in (self.add_button, self.duplicate_button, self.remove_button, self.rename_button,
                       self.color_button):
            buttons.addWidget(button, 1)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020; font-weight: bold;")
        self.message.hide()

        # Only when no ball is selected: otherwise the highlighted row above says whose settings these are.
        self.heading = QLabel("Select a ball to edit its settings")
        self.heading.setStyleSheet("color: palette(placeholder-text);")

        self.form = BallForm()
        self.form.specEdited.connect(self._on_spec_edited)
        # A dragged slider previews the ball under the value being tried (gui.what_if); release commits.
        self.form.specPreviewed.connect(self._on_spec_previewed)
        self.form.previewEnded.connect(lambda: WhatIfPreview.of(self.controller).end())
        self.form_scroll = QScrollArea()
        self.form_scroll.setWidget(self.form)
        self.form_scroll.setWidgetResizable(True)
        self.form_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.form_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.list, 1)
        top_layout.addLayout(buttons)
        top_layout.addWidget(self.message)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(self.heading)
        bottom_layout.addWidget(self.form_scroll, 1)
        self.splitter = splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        splitter.setStretchFactor(0, 0)  # the list is as tall as its balls; the form gets the rest
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        self._top = top
        self._rows_fitted = -1
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

        controller.ballsChanged.connect(self._refresh)
        controller.selectionChanged.connect(lambda _index: self._refresh())
        controller.surfaceChanged.connect(self.form.set_surface)
        self.form.set_surface(controller.surface)
        self._refresh()

    # -- commands -----------------------------------------------------------------------------

    @property
    def selected(self) -> int:
        return self.controller.selected

    def add(self) -> None:
        self._command(self.controller.add_ball)

    def duplicate(self) -> None:
        if self.selected >= 0:
            self._command(self.controller.duplicate_ball, self.selected)

    def remove(self) -> None:
        if self.selected >= 0:
            self._command(self.controller.remove_ball, self.selected)

    def rename(self) -> None:
        item = self.list.item(self.selected) if self.selected >= 0 else None
        if item is not None:
            self.list.setCurrentItem(item)
            self.list.editItem(item)

    def recolour(self) -> None:
        index = self.selected
        if index < 0:
            return
        ball = self.controller.balls[index]
        color = self.pick_color(QColor(ball.color), self, f"Colour of {ball.name}")
        if color is not None and color.isValid():
            self._command(self.controller.update_ball, index, replace(ball, color=color.name()))

    def set_visible(self, index: int, visible: bool) -> None:
        ball = self.controller.balls[index]
        if ball.visible != visible:
            self._command(self.controller.update_ball, index, replace(ball, visible=visible))

    # -- reactions ----------------------------------------------------------------------------

    def _command(self, command: Callable[..., object], *arguments: object) -> bool:
        """Run a controller command; a DownhillError is shown under the list instead of raised.

        Returns:
            whether the command was accepted.
        """
        try:
            command(*arguments)
        except DownhillError as error:
            self.message.setText(str(error))
            self.message.show()
            return False
        self.message.hide()
        return True

    def _refresh(self) -> None:
        """Redraw the list and the form from the controller."""
        balls = self.controller.balls
        selected = self.selected
        self._refreshing = True
        try:
            while self.list.count() > len(balls):
                self.list.takeItem(self.list.count() - 1)
            for index, ball in enumerate(balls):
                item = self.list.item(index)
                if item is None:
                    item = QListWidgetItem()
                    item.setFlags(Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
                                  | Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsUserCheckable)
                    self.list.addItem(item)
                _show_ball(item, ball)
            self.list.setCurrentRow(selected if 0 <= selected < len(balls) else -1)
        finally:
            self._refreshing = False
        self.list.updateGeometry()
        if len(balls) != self._rows_fitted:
            self._fit_list()
        has_ball = 0 <= selected < len(balls)
        for button in (self.duplicate_button, self.remove_button, self.rename_button, self.color_button):
            button.setEnabled(has_ball)
        ball = balls[selected] if has_ball else None
        self.heading.setVisible(ball is None)
        self.form.set_ball(ball)

    def _fit_list(self) -> None:
        """Make the list as tall as its rows again (a ball was added or removed); the form gets the rest.

        Only when the number of balls changes: a height the teacher dragged the splitter to stays.
        """
        sizes = self.splitter.sizes()
        total = sum(sizes)
        if total <= 0:
            return  # not laid out yet: the size hints decide
        self._rows_fitted = self.list.count()
        wanted = self._top.sizeHint().height()
        self.splitter.setSizes([wanted, max(total - wanted, 0)])

    def resizeEvent(self, event: object) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        if self._rows_fitted < 0:
            self._fit_list()

    def _on_row(self, row: int) -> None:
        if not self._refreshing and row != self.selected:
            self.controller.select(row)

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        if self._refreshing:
            return
        index = self.list.row(item)
        balls = self.controller.balls
        if not 0 <= index < len(balls):
            return
        ball = balls[index]
        visible = item.checkState() == Qt.CheckState.Checked
        name = item.text().strip()
        if visible != ball.visible:
            self.set_visible(index, visible)
        elif name != ball.name:
            if not name:
                self._refresh()  # an empty name is not a name: put the old one back
                return
            self._command(self.controller.update_ball, index, replace(ball, name=name))
            self._refresh()

    def _on_spec_previewed(self, spec: object, label: str) -> None:
        if self.selected >= 0:
            WhatIfPreview.of(self.controller).preview(self.selected, spec, label)

    def _on_spec_edited(self, spec: object) -> None:
        index = self.selected
        if index >= 0 and not self._command(self.controller.update_ball, index, spec):
            self.form.set_ball(self.controller.balls[index])  # refused: show what is live


def _show_ball(item: QListWidgetItem, ball: object) -> None:
    item.setText(ball.name)
    item.setIcon(swatch(ball.color))
    item.setCheckState(Qt.CheckState.Checked if ball.visible else Qt.CheckState.Unchecked)
    item.setData(SUMMARY_ROLE, summary(ball))
    font = item.font()
    font.setItalic(not ball.visible)
    item.setFont(font)
    item.setToolTip(f"{ball.name}: {summary(ball)}, starts at ({ball.start[0]:g}, {ball.start[1]:g})"
                    + ("" if ball.visible else " — hidden"))


def _button(text: str, tooltip: str, slot: Callable[[], None]) -> QToolButton:
    # Tool buttons: push buttons are at least 80 px wide in most styles, too wide for five in a dock.
    button = QToolButton()
    button.setText(text)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    button.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
    button.setToolTip(tooltip)
    button.clicked.connect(slot)
    return button
