"""The cheat sheet (``?``) and the key hints that fade in the first time presentation mode opens.

Both are children laid over the presentation window, both read the one key table
(gui.present.keys). The hint line fades in, stays HINT_SECONDS and fades out; it is shown only on
the first presentation ever (remembered in AppSettings), afterwards the keys are one ``?`` away.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from PyQt6.QtCore import QEasingCurve, QPropertyAnimation, Qt, QTimer
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import QFrame, QGraphicsOpacityEffect, QLabel, QVBoxLayout, QWidget

from gui.export.annotations import Theme
from gui.present.keys import cheat_sheet_rows

#: Seconds the first-use hints stay before fading out, and the fades' milliseconds.
HINT_SECONDS = 6.0
FADE_MS = 600
#: Milliseconds between the shown hints' checks of where the map's bottom is.
FOLLOW_MS = 200
#: The hint line's words.
HINT_TEXT = "?  all keys  ·  Space / B  play  ·  →  step  ·  Page Down / Up  scenes  ·  Esc  leave"
#: Point sizes at scale 1 (the presentation's scale multiplies them).
SHEET_POINTS = 9.0
HINT_POINTS = 9.0


def _style(theme: Theme) -> str:
    return (f"background: {theme.background}; color: {theme.foreground}; border: 2px solid {theme.muted};"
            " border-radius: 10px; padding: 12px 20px;")


class CheatSheet(QFrame):
    """Every key of presentation mode, in two columns of a table, centred over the window."""

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setObjectName("presentCheatSheet")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.label)
        # Two columns of (keys, words) pairs: one column of 23 rows does not fit a 720-pixel screen.
        entries = cheat_sheet_rows()
        half = (len(entries) + 1) // 2

        def cells(entry: tuple[str, str] | None) -> str:
            if entry is None:
                return "<td></td><td></td>"
            keys, words = entry
            return (f"<td style='padding: 2px 20px 2px 0'><b>{html.escape(keys)}</b></td>"
                    f"<td style='padding: 2px 48px 2px 0'>{html.escape(words)}</td>")

        rows = "".join(f"<tr>{cells(entries[i])}{cells(entries[i + half] if i + half < len(entries) else None)}</tr>"
                       for i in range(half))
        self._table = f"<p style='font-weight: bold'>Keys of presentation mode</p><table cellspacing=0>{rows}</table>"
        self.note = ""
        self.label.setText(self._table)
        self.hide()

    def set_note(self, note: str) -> None:
        """A line under the keys about this screen (e.g. that a low one leaves the 3D view out); "" for none."""
        if note != self.note:
            self.note = note
            self.label.setText(self._table + (f"<p>{html.escape(note)}</p>" if note else ""))
            if self.isVisible():
                self.place()

    def restyle(self, theme: Theme, scale: float) -> None:
        self.label.setStyleSheet(f"QLabel {{ {_style(theme)} }}")
        self.points = SHEET_POINTS * scale
        if self.isVisible():  # (laying the table out costs tens of milliseconds: only when shown)
            self.place()

    def place(self) -> None:
        """Centred over the window, its type made smaller than ``points`` if need be to fit whole."""
        parent = self.parentWidget()
        font = QFont(self.label.font())
        font.setPointSizeF(getattr(self, "points", SHEET_POINTS))
        self.label.setFont(font)
        self.adjustSize()
        fit = min((parent.width() - 20) / max(1, self.sizeHint().width()),
                  (parent.height() - 20) / max(1, self.sizeHint().height()))
        if fit < 1.0:  # the table's size goes with its type's (paddings are a small part)
            font.setPointSizeF(font.pointSizeF() * fit * 0.95)
            self.label.setFont(font)
            self.adjustSize()
        width = min(self.sizeHint().width(), parent.width() - 20)
        height = min(self.sizeHint().height(), parent.height() - 20)
        self.setGeometry((parent.width() - width) // 2, (parent.height() - height) // 2, width, height)

    def toggle(self) -> None:
        self.setVisible(not self.isVisible())
        if self.isVisible():
            self.place()
            self.raise_()


class KeyHints(QLabel):
    """One line of the main keys over the bottom of the map (its x axis) that fades in, waits and fades out.

    ``bottom()`` says where the line's bottom may go (pixels from the parent's top).
    """

    def __init__(self, parent: QWidget, bottom: Callable[[], int]):
        super().__init__(HINT_TEXT, parent)
        self.bottom = bottom
        self.setObjectName("presentKeyHints")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.effect = QGraphicsOpacityEffect(self)
        self.effect.setOpacity(0.0)
        self.setGraphicsEffect(self.effect)
        self.fade = QPropertyAnimation(self.effect, b"opacity", self)
        self.fade.setDuration(FADE_MS)
        self.fade.setEasingCurve(QEasingCurve.Type.InOutQuad)
        self.fade.finished.connect(self._faded)
        self.wait = QTimer(self)
        self.wait.setSingleShot(True)
        self.wait.setInterval(round(HINT_SECONDS * 1000))
        self.wait.timeout.connect(self.fade_out)
        # While shown it follows the map's bottom: the legend under the map grows as the critical points arrive.
        self.follow = QTimer(self)
        self.follow.setInterval(FOLLOW_MS)
        self.follow.timeout.connect(self.place)
        self.hide()

    def restyle(self, theme: Theme, scale: float) -> None:
        self.setStyleSheet(f"QLabel {{ {_style(theme)} }}")
        font = QFont(self.font())
        font.setPointSizeF(HINT_POINTS * scale)
        self.setFont(font)
        if self.isVisible():
            self.place()

    def place(self) -> None:
        """Centred, its bottom at ``bottom()`` (pixels from the window's top: the map's bottom, over its x axis
        and never over the badges or the legend of a 1080-pixel screen's map)."""
        parent = self.parentWidget()
        bottom = self.bottom()
        self.ensurePolished()  # the style sheet's padding counted in the size
        self.adjustSize()
        # The text's own advance with the padding and border: the hint was cut at the left otherwise.
        wanted = max(self.sizeHint().width(), self.fontMetrics().horizontalAdvance(self.text()) + 2 * 20 + 8)
        width = min(wanted, parent.width() - 20)
        self.setGeometry((parent.width() - width) // 2, bottom - self.sizeHint().height() - 4,
                         width, self.sizeHint().height())

    def fade_in(self) -> None:
        self.place()
        self.show()
        self.raise_()
        self._animate(1.0)
        self.wait.start()
        self.follow.start()

    def fade_out(self) -> None:
        self._animate(0.0)

    def _animate(self, to: float) -> None:
        self.effect.setEnabled(True)
        self.fade.stop()
        self.fade.setStartValue(self.effect.opacity())
        self.fade.setEndValue(to)
        self.fade.start()

    def _faded(self) -> None:
        if self.effect.opacity() <= 0.01:
            self.hide()
            self.follow.stop()
        elif self.effect.opacity() >= 0.99:
            # Fully shown: drawn without the effect (its off-screen copy of the label lost the
            # label's left end in grabs).
            self.effect.setEnabled(False)
