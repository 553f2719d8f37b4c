"""The formula field: a large monospace line edit that can mark the column an error points at."""

from __future__ import annotations

from PyQt6.QtCore import QCoreApplication
from PyQt6.QtGui import QColor, QFont, QFontDatabase, QInputMethodEvent, QTextCharFormat, QTextFormat
from PyQt6.QtWidgets import QLineEdit, QWidget

#: Colours of a marked character: dark red ink on a pink box with a red wavy underline.
ERROR_INK = "#b00020"
ERROR_BACKGROUND = "#ffd0d6"


def formula_font(point_size: float = 15.0) -> QFont:
    """The system's fixed-pitch font at a size readable from the back of a lecture hall."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSizeF(point_size)
    return font


class FormulaField(QLineEdit):
    """A QLineEdit that can highlight one character (the column a FormulaError names).

    QLineEdit has no public API for per-character formats; its input-method path does: a
    ``QInputMethodEvent`` with an empty pre-edit and ``TextFormat`` attributes formats a range
    of the committed text without changing it. ``mark_column(None)`` clears the mark.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFont(formula_font())
        self.setClearButtonEnabled(True)
        self.setPlaceholderText("type f(x, y), e.g.  x^2 - y^2   or   a*x^2 + b*y^2")
        self._marked: int | None = None
        self.textChanged.connect(self._on_text_changed)

    @property
    def marked_column(self) -> int | None:
        """The 1-based column currently marked, or None."""
        return self._marked

    def mark_column(self, column: int | None) -> None:
        """Highlight the character at 1-based ``column`` (the last one if past the end); None clears."""
        text = self.text()
        if column is None or not text:
            self._marked = None
            self._send_formats([])
            return
        position = min(max(column, 1), len(text)) - 1
        self._marked = position + 1
        style = QTextCharFormat()
        style.setForeground(QColor(ERROR_INK))
        style.setBackground(QColor(ERROR_BACKGROUND))
        style.setFontWeight(QFont.Weight.Bold)
        style.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        style.setUnderlineColor(QColor(ERROR_INK))
        # Attribute starts are relative to the cursor; the value must be a QTextFormat (not the subclass).
        attribute = QInputMethodEvent.Attribute(QInputMethodEvent.AttributeType.TextFormat,
                                                position - self.cursorPosition(), 1, QTextFormat(style))
        self._send_formats([attribute])

    def move_cursor_to_column(self, column: int) -> None:
        """Put the text cursor before the character at 1-based ``column`` and focus the field."""
        self.setFocus()
        self.setCursorPosition(min(max(column - 1, 0), len(self.text())))

    def _send_formats(self, attributes: list[QInputMethodEvent.Attribute]) -> None:
        QCoreApplication.sendEvent(self, QInputMethodEvent("", attributes))

    def _on_text_changed(self, _text: str) -> None:
        # The mark belongs to the text that failed; once that text changes it points nowhere.
        if self._marked is not None:
            self.mark_column(None)
