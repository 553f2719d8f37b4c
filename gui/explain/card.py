"""The explainer's card: "part 3 of 7", the part's title, its sentence and numbers, over a corner of the map.

A panel on the window, over a corner of the map's plotting area that hides neither the ball nor an
arrow when the map is large (a presentation), beside the map when it is small (the main window's
map shares the window with the 3D view), so it never hides what it explains. Its type is large enough
for a projector; its colours follow the map's background (dark card on the app's dark map, light
card on a light one), and its own opaque background keeps it readable over any colour of the map.
"""

from __future__ import annotations

import html

from PyQt6 import QtCore, QtGui, QtWidgets

from gui.explain.squares import MomentSquares
from gui.explain.words import number_text

#: Point sizes: the heading line, the part's title, its sentence and numbers, the notes and hint.
HEADER_POINTS = 12
TITLE_POINTS = 17
BODY_POINTS = 14
NOTE_POINTS = 12
#: The card's width: this fraction of the map, within [MIN_WIDTH, MAX_WIDTH] pixels.
WIDTH_FRACTION = 0.42
MIN_WIDTH = 320
MAX_WIDTH = 540
#: Pixels between the card and the edge of the plotting area.
MARGIN = 10
#: Fewest pixels beside the map that take the card (less, and it goes over a corner of the map).
MIN_BESIDE = 280
#: Largest share of the map's plotting area the card may cover when it sits over the map.
OVERLAY_SHARE = 0.3
#: How many measures of the card (content and size) are remembered.
MEASURES_KEPT = 64
#: Font scales tried, largest first, until the card's text fits its height.
FONT_SCALES = (1.0, 0.9, 0.8, 0.7)

THEMES = {
    "dark": {"background": "rgba(16, 16, 22, 236)", "border": "#6a6a6a", "text": "#f4f4f4",
             "muted": "#c8c8c8", "note": "#ffd54f", "hint": "#9be9ff"},
    "light": {"background": "rgba(255, 255, 255, 242)", "border": "#707070", "text": "#111111",
              "muted": "#3a3a3a", "note": "#7a4a00", "hint": "#004a7a"},
}


class ExplainerCard(QtWidgets.QFrame):
    """The card (see the module docstring); ``show_part`` and ``show_message`` fill it."""

    def __init__(self, parent: QtWidgets.QWidget):
        super().__init__(parent)
        self.setObjectName("explainerCard")
        self.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(6)
        top = QtWidgets.QHBoxLayout()
        self.header = self._label("explainerHeader", HEADER_POINTS)
        self.counter = self._label("explainerCounter", HEADER_POINTS, bold=True)
        self.counter.setAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignTop)
        self.counter.setWordWrap(False)
        self.header.setAlignment(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.header, 1)
        top.addWidget(self.counter, 0)
        layout.addLayout(top)
        self.title = self._label("explainerTitle", TITLE_POINTS, bold=True)
        self.kind = self._label("explainerKind", NOTE_POINTS)
        self.sentence = self._label("explainerSentence", BODY_POINTS)
        self.numbers = self._label("explainerNumbers", BODY_POINTS)
        self.numbers.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.squares = MomentSquares(self, point_size=NOTE_POINTS)
        self.notes = self._label("explainerNotes", NOTE_POINTS)
        self.hint = self._label("explainerHint", NOTE_POINTS, bold=True)
        for widget in (self.title, self.kind, self.sentence, self.numbers, self.squares, self.notes, self.hint):
            layout.addWidget(widget)
        self._font_scale = 1.0
        self._text_scale = 1.0
        self._measures: dict[tuple, tuple[int, float]] = {}
        self._content: tuple | None = None
        self._font_sizes = {label: (label.font().pointSizeF(), label.font().bold())
                            for label in self.findChildren(QtWidgets.QLabel)}
        self._theme = ""
        self.set_theme("dark")
        self.hide()

    def _label(self, name: str, points: int, bold: bool = False) -> QtWidgets.QLabel:
        label = QtWidgets.QLabel(self)
        label.setObjectName(name)
        label.setWordWrap(True)
        label.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.NoTextInteraction)
        font = QtGui.QFont(label.font())
        font.setPointSize(points)
        font.setBold(bold)
        label.setFont(font)
        return label

    # -- content -------------------------------------------------------------------------------
    def set_theme(self, name: str) -> None:
        """"dark" or "light": the card's colours."""
        if name == self._theme:
            return
        self._theme = name
        colours = THEMES[name]
        self.setStyleSheet(
            f"QFrame#explainerCard {{ background: {colours['background']}; border: 2px solid {colours['border']};"
            f" border-radius: 8px; }}"
            f" QLabel {{ color: {colours['text']}; background: transparent; }}"
            f" QLabel#explainerHeader, QLabel#explainerKind {{ color: {colours['muted']}; }}"
            f" QLabel#explainerNotes {{ color: {colours['note']}; }}"
            f" QLabel#explainerHint {{ color: {colours['hint']}; }}")
        self.squares.set_text_color(colours["text"])

    @property
    def theme(self) -> str:
        return self._theme

    def show_part(self, header: str, counter: str, title: str, kind: str, sentence: str,
                  numbers: tuple, squares: tuple, notes: list[str], hint: str) -> None:
        """Fill the card with one part (numbers: (label, value) pairs; squares: see MomentSquares)."""
        content = (header, counter, title, kind, sentence, repr(numbers), repr(squares), tuple(notes), hint)
        if content == self._content:
            return
        self._content = content
        self.header.setText(header)
        self.counter.setText(counter)
        self.title.setText(title)
        self.title.show()
        self.kind.setText(kind)
        self.kind.setVisible(bool(kind))
        self.sentence.setText(sentence)
        self.sentence.setVisible(bool(sentence))
        self.numbers.setText(_numbers_html(numbers))
        self.numbers.setVisible(bool(numbers))
        self.squares.set_rows(squares)
        self._set_notes(notes)
        self.hint.setText(hint)
        self.hint.setVisible(bool(hint))

    def show_message(self, header: str, title: str, text: str, hint: str, notes: list[str] = ()) -> None:
        """A card without a part: working it out, or why it cannot be explained."""
        self._content = (header, title, text, hint, tuple(notes))
        self.header.setText(header)
        self.counter.setText("")
        self.title.setText(title)
        self.title.setVisible(bool(title))
        self.kind.hide()
        self.sentence.setText(text)
        self.sentence.setVisible(bool(text))
        self.numbers.hide()
        self.squares.set_rows(())
        self._set_notes(list(notes))
        self.hint.setText(hint)
        self.hint.setVisible(bool(hint))

    def _set_notes(self, notes: list[str]) -> None:
        self.notes.setText("\n".join(notes))
        self.notes.setVisible(bool(notes))

    @property
    def text(self) -> str:
        """Everything the card says now, as plain text (for tests and tools)."""
        parts = [self.header.text(), self.counter.text()]
        for label in (self.title, self.kind, self.sentence, self.notes, self.hint):
            if not label.isHidden():
                parts.append(label.text())
        if not self.numbers.isHidden():
            parts.append(QtGui.QTextDocumentFragment.fromHtml(self.numbers.text()).toPlainText())
        return "\n".join(part for part in parts if part)

    # -- size and place ------------------------------------------------------------------------
    def fit(self, width: int, max_height: int) -> None:
        """Take ``width`` pixels and the height the text needs; if that is more than ``max_height``,
        the type is made smaller (down to 70 %) before anything is cut."""
        height, scale = self.measure(width, max_height)
        self._apply(width, min(height, max_height), scale)

    def measure(self, width: int, max_height: int) -> tuple[int, float]:
        """(height, font scale): the height the card needs at ``width``, with the type made smaller as
        far as need be to keep within ``max_height`` (taller than that if even 70 % does not fit).
        The size itself is not changed; a measure is remembered until the content changes (walking
        back and forth through the parts lays nothing out again)."""
        key = (self._content, width, max_height, self._text_scale)
        if key in self._measures:
            return self._measures[key]
        if len(self._measures) > MEASURES_KEPT:
            self._measures.clear()
        layout = self.layout()
        height, chosen = max_height, FONT_SCALES[-1]
        for scale in FONT_SCALES:
            self._scale_fonts(scale)
            layout.invalidate()
            height = layout.totalHeightForWidth(width) if layout.hasHeightForWidth() else self.sizeHint().height()
            chosen = scale
            if height <= max_height:
                break
        self._measures[key] = result = (int(height), chosen)
        return result

    def _apply(self, width: int, height: int, scale: float) -> None:
        self._scale_fonts(scale)
        if self.width() != width or self.height() != height:
            self.setFixedSize(width, height)

    def set_text_scale(self, scale: float) -> None:
        """The type's size, as a multiple of its normal size (for a presentation's Ctrl + / Ctrl -)."""
        self._text_scale = max(0.5, min(3.0, float(scale)))
        self._font_scale = -1.0   # apply at the next fit
        self._measures = {}

    def _scale_fonts(self, scale: float) -> None:
        if scale == self._font_scale:
            return
        self._font_scale = scale
        for label, (points, _bold) in self._font_sizes.items():
            font = QtGui.QFont(label.font())
            font.setPointSizeF(points * scale * self._text_scale)
            label.setFont(font)
        self.squares.set_point_size(round(NOTE_POINTS * scale * self._text_scale))

    def place(self, plot_area: QtCore.QRectF, map_rect: QtCore.QRectF, bounds: QtCore.QRectF,
              avoid: list[QtCore.QPointF]) -> str:
        """Put the card where it hides least; return where ("top-right", ..., "left of the map", ...).

        All rectangles and points are in the card's parent's pixels: ``plot_area`` the map's plotting
        area, ``map_rect`` the whole map, ``bounds`` where the card may go (the window), ``avoid`` the
        ball first (it must never be hidden) and then the ends of the arrows.

        In order: a corner of the plotting area when the card there hides neither the ball nor an
        arrow and covers at most OVERLAY_SHARE of the area; else beside the map when the window has
        MIN_BESIDE pixels there (the left first: in the app and a presentation that is the 3D view,
        the right the panels); else the corner that hides least, made shorter (its type smaller,
        down to 70 %) so as to stop short of the ball where it can.
        """
        least, most = MIN_WIDTH * self._text_scale, MAX_WIDTH * self._text_scale
        width = int(min(most, max(least, WIDTH_FRACTION * plot_area.width()), plot_area.width() - 2 * MARGIN))
        over_room = int(plot_area.height() - 2 * MARGIN)
        over_height, over_scale = self.measure(width, over_room)
        over_height = min(over_height, over_room)
        corners = self._corners(plot_area, width, over_height)
        costs = {name: _cost(rect, avoid) for name, rect in corners.items()}
        small = width * over_height <= OVERLAY_SHARE * plot_area.width() * plot_area.height()
        choice = min(costs, key=costs.get)   # dicts keep order: top-right first on a tie
        if small and costs[choice] == 0:
            self._apply(width, over_height, over_scale)
            self._move(corners[choice].topLeft())
            return choice
        left_room = map_rect.left() - bounds.left() - 2 * MARGIN
        right_room = bounds.right() - map_rect.right() - 2 * MARGIN
        if max(left_room, right_room) >= MIN_BESIDE:
            side = "left" if left_room >= MIN_BESIDE else "right"   # the left is the 3D view, the right panels
            beside = int(min(most, left_room if side == "left" else right_room))
            # As tall as the map if that holds it, else as tall as the window.
            height, scale = self.measure(beside, int(map_rect.height() - 2 * MARGIN))
            if height > map_rect.height() - 2 * MARGIN:
                height, scale = self.measure(beside, int(bounds.height() - 2 * MARGIN))
                height = min(height, int(bounds.height() - 2 * MARGIN))
            top = max(bounds.top() + MARGIN, min(map_rect.top() + MARGIN, bounds.bottom() - height - MARGIN))
            self._apply(beside, height, scale)
            left = map_rect.left() - beside - MARGIN if side == "left" else map_rect.right() + MARGIN
            self._move(QtCore.QPointF(left, top))
            return f"{side} of the map"
        # Over the map after all: in each corner, as tall as it may be without reaching the ball.
        best = None
        for name in corners:
            room = self._room_in_corner(name, plot_area, width, avoid[0] if avoid else None)
            height, scale = self.measure(width, room)
            height = min(height, over_room)
            rect = self._corners(plot_area, width, height)[name]
            key = (_cost(rect, avoid), -scale)
            if best is None or key < best[0]:
                best = (key, name, height, scale, rect)
        _key, choice, height, scale, rect = best
        self._apply(width, height, scale)
        self._move(rect.topLeft())
        return choice

    @staticmethod
    def _room_in_corner(name: str, area: QtCore.QRectF, width: int, ball: QtCore.QPointF | None) -> int:
        """How tall a card ``width`` wide in corner ``name`` of ``area`` may be and stop short of the ball."""
        full = int(area.height() - 2 * MARGIN)
        if ball is None:
            return full
        x_span = (area.right() - width - MARGIN, area.right()) if name.endswith("right") else \
                 (area.left(), area.left() + MARGIN + width)
        if not x_span[0] - 20 <= ball.x() <= x_span[1] + 20:
            return full
        gap = ball.y() - area.top() if name.startswith("top") else area.bottom() - ball.y()
        return int(max(120, min(full, gap - MARGIN - 24)))

    def place_by_map(self, contour_map, window: QtWidgets.QWidget, avoid: list[QtCore.QPoint]) -> str:
        """:meth:`place` for a ContourMapView on ``window`` (the card's parent); ``avoid`` in pixels of
        the map's plot widget (``contour_map.data_to_widget``), the ball first."""
        plot_widget = contour_map.plot_widget

        def to_window(point) -> QtCore.QPointF:
            return QtCore.QPointF(plot_widget.mapTo(window, QtCore.QPoint(int(point.x()), int(point.y()))))

        scene_rect = plot_widget.mapFromScene(contour_map.view_box.sceneBoundingRect()).boundingRect()
        plot_area = QtCore.QRectF(to_window(scene_rect.topLeft()), to_window(scene_rect.bottomRight()))
        map_rect = QtCore.QRectF(QtCore.QPointF(contour_map.mapTo(window, QtCore.QPoint(0, 0))),
                                 QtCore.QSizeF(contour_map.size()))
        return self.place(plot_area, map_rect, QtCore.QRectF(window.rect()), [to_window(p) for p in avoid])

    @staticmethod
    def _corners(area: QtCore.QRectF, w: int, h: int) -> dict[str, QtCore.QRectF]:
        right, bottom = area.right() - w - MARGIN, area.bottom() - h - MARGIN
        left, top = area.left() + MARGIN, area.top() + MARGIN
        return {name: QtCore.QRectF(x, y, w, h) for name, (x, y) in (
            ("top-right", (right, top)), ("bottom-right", (right, bottom)),
            ("top-left", (left, top)), ("bottom-left", (left, bottom)))}

    def _move(self, corner: QtCore.QPointF) -> None:
        self.move(int(max(0, corner.x())), int(max(0, corner.y())))
        self.raise_()


def _cost(rect: QtCore.QRectF, avoid: list[QtCore.QPointF]) -> float:
    """How much a card at ``rect`` hides: 100 for the ball (the first point), 1 for each other point."""
    grown = rect.adjusted(-14, -14, 14, 14)
    return sum((100.0 if rank == 0 else 1.0) for rank, point in enumerate(avoid)
               if grown.contains(QtCore.QPointF(point)))


def _numbers_html(numbers: tuple) -> str:
    """The (label, value) pairs as a two-column table (labels left, values right-aligned)."""
    rows = "".join(
        f"<tr><td style='padding-right:14px'>{html.escape(str(label))}</td>"
        f"<td align='right' style='white-space:nowrap'><b>{html.escape(number_text(value))}</b></td></tr>"
        for label, value in numbers)
    return f"<table cellspacing='0' cellpadding='1'>{rows}</table>"
