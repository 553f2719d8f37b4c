"""The presets gallery: the preset surfaces and scenes, searchable, each with its teaching note.

A teacher types a word ("saddle", "plateau", "Rosenbrock") into the filter; the lists keep the
presets whose title, name, note, description or formula contain every typed word. Activating a
surface (double-click, Enter or the Load button) calls ``controller.load_preset`` with its name: the
controller brings the preset with its own domain and moves the balls to its suggested starts.
Activating a scene calls ``controller.load_scene`` with it.

:func:`presets_menu` builds the same catalogue as a menu (the formula editor's Presets button).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence

from PyQt6.QtCore import QModelIndex, QRectF, QSize, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPalette, QTextOption
from PyQt6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QScrollArea,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gui.controller_link import EditorLink
from gui.screen_text import on_screen
from physics.preset_scenes import PRESET_SCENES
from surfaces.errors import DownhillError
from surfaces.presets import PRESETS

#: Item data roles: the preset's name, its title and its one-line note (painted by the delegate).
NAME_ROLE = Qt.ItemDataRole.UserRole
TITLE_ROLE = Qt.ItemDataRole.UserRole + 1
NOTE_ROLE = Qt.ItemDataRole.UserRole + 2
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 3
#: Lines of the selected entry's details shown under the lists (more scroll).
DETAILS_LINES = 4


def matches(query: str, haystack: str) -> bool:
    """True when every word of ``query`` occurs in ``haystack`` (case-insensitive)."""
    text = haystack.casefold()
    return all(word in text for word in query.casefold().split())


def presets_menu(controller: EditorLink, parent: QWidget | None = None) -> QMenu:
    """A menu of the preset surfaces (title; the teaching note as tooltip) that loads the chosen one."""
    menu = QMenu("Preset surfaces", parent)
    menu.setToolTipsVisible(True)
    for name, preset in PRESETS.items():
        action = menu.addAction(preset.title)
        action.setToolTip(preset.note)
        action.setStatusTip(preset.note)
        action.setData(name)
        action.triggered.connect(lambda _checked=False, n=name: controller.load_preset(n))
    return menu


class TwoLineDelegate(QStyledItemDelegate):
    """Paints an item as its title in bold and, below, its note wrapped in a muted colour."""

    PADDING = 6.0

    def _fonts(self, option: QStyleOptionViewItem) -> tuple[QFont, QFont]:
        title = QFont(option.font)
        title.setBold(True)
        title.setPointSizeF(option.font.pointSizeF() * 1.1)
        return title, QFont(option.font)

    def _text_width(self, option: QStyleOptionViewItem) -> float:
        view = self.parent()
        width = view.viewport().width() if view is not None else option.rect.width()
        return max(80.0, width - 2 * self.PADDING)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802 (Qt override)
        title_font, note_font = self._fonts(option)
        width = self._text_width(option)
        flags = int(Qt.TextFlag.TextWordWrap)
        title = QFontMetricsF(title_font).boundingRect(QRectF(0, 0, width, 10_000), flags, index.data(TITLE_ROLE) or "")
        note = QFontMetricsF(note_font).boundingRect(QRectF(0, 0, width, 10_000), flags, index.data(NOTE_ROLE) or "")
        return QSize(int(width), int(title.height() + note.height() + 3 * self.PADDING))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        painter.save()
        style = option.widget.style() if option.widget is not None else None
        if style is not None:
            # Background and selection highlight as the platform draws them, without the text.
            blank = QStyleOptionViewItem(option)
            self.initStyleOption(blank, index)
            blank.text = ""
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, blank, painter, option.widget)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        ink = palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        muted = ink if selected else _blend(ink, palette.color(QPalette.ColorRole.Base), 0.7)
        title_font, note_font = self._fonts(option)
        rect = QRectF(option.rect).adjusted(self.PADDING, self.PADDING, -self.PADDING, -self.PADDING)
        wrap = QTextOption()
        wrap.setWrapMode(QTextOption.WrapMode.WordWrap)
        flags = int(Qt.TextFlag.TextWordWrap)
        title = index.data(TITLE_ROLE) or ""
        title_height = QFontMetricsF(title_font).boundingRect(QRectF(0, 0, rect.width(), 10_000), flags, title).height()
        painter.setFont(title_font)
        painter.setPen(ink)
        painter.drawText(QRectF(rect.left(), rect.top(), rect.width(), title_height), title, wrap)
        painter.setFont(note_font)
        painter.setPen(muted)
        painter.drawText(QRectF(rect.left(), rect.top() + title_height + self.PADDING / 2, rect.width(),
                                rect.height() - title_height), index.data(NOTE_ROLE) or "", wrap)
        painter.restore()


class _CatalogueList(QListWidget):
    """A list of catalogue entries drawn by :class:`TwoLineDelegate` that re-wraps on resize."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setItemDelegate(TwoLineDelegate(self))
        self.setWordWrap(True)
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setUniformItemSizes(False)
        self.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.setAlternatingRowColors(True)

    def add_entry(self, name: str, title: str, note: str, tooltip: str, search: str) -> QListWidgetItem:
        item = QListWidgetItem(title)
        item.setData(NAME_ROLE, name)
        item.setData(TITLE_ROLE, title)
        item.setData(NOTE_ROLE, note)
        item.setData(SEARCH_ROLE, search)
        item.setToolTip(tooltip)
        self.addItem(item)
        return item

    def resizeEvent(self, event: object) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self.scheduleDelayedItemsLayout()  # heights depend on the width (wrapped notes)

    def visible_names(self) -> list[str]:
        return [self.item(i).data(NAME_ROLE) for i in range(self.count()) if not self.item(i).isHidden()]


def _blend(first: QColor, second: QColor, weight: float) -> QColor:
    """``weight`` of ``first`` and the rest of ``second``: a muted ink that still reads when projected."""
    return QColor.fromRgbF(*(weight * a + (1 - weight) * b for a, b in zip(first.getRgbF()[:3], second.getRgbF()[:3],
                                                                          strict=True)))


def _tooltip(title: str, paragraphs: Iterable[str]) -> str:
    body = "".join(f"<p style='margin: 3px 0'>{html.escape(p)}</p>" for p in paragraphs if p)
    return f"<b>{html.escape(title)}</b>{body}"


class PresetsGallery(QWidget):
    """Searchable lists of the preset surfaces and the preset scenes.

    Signals:
        loaded(str): the name of the preset surface or scene that was just sent to the controller.
    """

    loaded = pyqtSignal(str)

    def __init__(self, controller: EditorLink, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        #: Asked before a preset scene replaces the live one; False leaves it (the window sets its
        #: Save / Discard / Cancel question on unsaved changes here).
        self.may_replace_scene: Callable[[], bool] = lambda: True

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search: saddle, plateau, ravine, Rosenbrock…")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("search the presets")
        self.search.textChanged.connect(self.set_filter)

        self.surfaces = _CatalogueList()
        self.surfaces.setAccessibleName("preset surfaces")
        for name, preset in PRESETS.items():
            paragraphs = (preset.description, f"f(x, y) = {preset.formula}", _domain_text(preset.domain),
                          _starts_text(preset.starts))
            self.surfaces.add_entry(name, preset.title, preset.note, _tooltip(preset.title, paragraphs),
                                    " ".join((name, preset.title, preset.note, preset.description, preset.formula)))
        self.surfaces.itemActivated.connect(self._load_surface_item)

        self.scenes = _CatalogueList()
        self.scenes.setAccessibleName("preset scenes")
        for name, scene in PRESET_SCENES.items():
            title, note, description = _scene_words(name, scene)
            # Searchable as written on screen (λ_max) and as typed on a keyboard (lambda_max).
            words = (name, title, note, description, scene.title, scene.note, scene.description)
            self.scenes.add_entry(name, title, note, _tooltip(title, (description,)), " ".join(words))
        self.scenes.itemActivated.connect(self._load_scene_item)

        self.tabs = QTabWidget()
        self.tabs.addTab(self.surfaces, f"Surfaces ({self.surfaces.count()})")
        self.tabs.addTab(self.scenes, f"Scenes ({self.scenes.count()})")
        self.tabs.currentChanged.connect(lambda _index: self._update_details())

        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        # The details scroll beyond a few lines, so that the list above keeps room for several entries.
        self.details_scroll = QScrollArea()
        self.details_scroll.setWidget(self.details)
        self.details_scroll.setWidgetResizable(True)
        self.details_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.details_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.details_scroll.setFixedHeight(self.details.fontMetrics().lineSpacing() * DETAILS_LINES + 6)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020;")
        self.message.hide()
        self.load_button = QPushButton("Load")
        self.load_button.setDefault(True)
        self.load_button.setToolTip("Load the selected preset (or double-click it)")
        self.load_button.clicked.connect(self.load_current)
        for view in (self.surfaces, self.scenes):
            view.currentItemChanged.connect(lambda *_: self._update_details())

        search_row = QHBoxLayout()
        search_row.addWidget(self.search, 1)
        search_row.addWidget(self.load_button)
        layout = QVBoxLayout(self)
        layout.addLayout(search_row)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.details_scroll)
        layout.addWidget(self.message)
        for view in (self.surfaces, self.scenes):
            view.setCurrentRow(0)
        self._update_details()

    def set_filter(self, query: str) -> None:
        """Show only entries matching every word of ``query``; the tab titles count the matches."""
        for index, view in enumerate((self.surfaces, self.scenes)):
            shown = 0
            for row in range(view.count()):
                item = view.item(row)
                hidden = not matches(query, item.data(SEARCH_ROLE))
                item.setHidden(hidden)
                shown += not hidden
            label = "Surfaces" if view is self.surfaces else "Scenes"
            total = view.count()
            self.tabs.setTabText(index, f"{label} ({shown})" if shown == total else f"{label} ({shown} of {total})")
            current = view.currentItem()
            if current is None or current.isHidden():
                visible = next((view.item(r) for r in range(view.count()) if not view.item(r).isHidden()), None)
                view.setCurrentItem(visible)
        if query and self.tabs.currentWidget().visible_names() == [] and self._other_list().visible_names():
            self.tabs.setCurrentWidget(self._other_list())
        self._update_details()

    def load_current(self) -> None:
        """Load the entry selected in the current tab."""
        view = self.tabs.currentWidget()
        item = view.currentItem()
        if item is None or item.isHidden():
            return
        if view is self.surfaces:
            self._load_surface_item(item)
        else:
            self._load_scene_item(item)

    def load_surface(self, name: str) -> None:
        self.message.hide()
        try:
            self.controller.load_preset(name)
        except DownhillError as error:
            self.message.setText(str(error))
            self.message.show()
            return
        self.loaded.emit(name)

    def load_scene(self, name: str) -> None:
        self.message.hide()
        if not self.may_replace_scene():
            return
        try:
            self.controller.load_scene(PRESET_SCENES[name])
        except DownhillError as error:
            self.message.setText(str(error))
            self.message.show()
            return
        self.loaded.emit(name)

    def _other_list(self) -> _CatalogueList:
        return self.scenes if self.tabs.currentWidget() is self.surfaces else self.surfaces

    def _load_surface_item(self, item: QListWidgetItem) -> None:
        self.load_surface(item.data(NAME_ROLE))

    def _load_scene_item(self, item: QListWidgetItem) -> None:
        self.load_scene(item.data(NAME_ROLE))

    def _update_details(self) -> None:
        view = self.tabs.currentWidget()
        item = view.currentItem() if view is not None else None
        if item is None or item.isHidden():
            self.details.setText("<i>Nothing matches the search.</i>" if self.search.text() else "")
            self.load_button.setEnabled(False)
            return
        self.load_button.setEnabled(True)
        self.details.setText(item.toolTip())


def _domain_text(domain: object) -> str:
    try:
        xmin, xmax, ymin, ymax = domain.as_tuple()
    except AttributeError:
        return ""
    return f"Shown on x in [{xmin:g}, {xmax:g}], y in [{ymin:g}, {ymax:g}]."


def _starts_text(starts: Sequence[Sequence[float]]) -> str:
    if not starts:
        return ""
    points = ", ".join(f"({x:g}, {y:g})" for x, y in starts)
    return f"Loading it puts the balls at the suggested starts {points}."


def _scene_words(name: str, scene: object) -> tuple[str, str, str]:
    """(title, note, description) of a preset scene as shown (λ for "lambda"); the name stands in
    for a missing title."""
    title = scene.title or name.replace("-", " ").capitalize()
    return on_screen(title), on_screen(scene.note), on_screen(scene.description)
