"""Enter hands the keyboard back to the views: no editor keeps Space, Right and R to itself.

The transport's keys (gui.transport) are window shortcuts, but a focused spin box or text field
claims Space, R and the arrows for itself through Qt's ShortcutOverride, as it must to be typed
into. Left there after a value was entered, it swallowed the keys until the map was clicked. So
Enter in any editor of the window, once the editor has taken its value, gives the keyboard to the
views, as Enter in the formula field always did.
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtCore import QEvent, QObject, Qt, QTimer
from PyQt6.QtGui import QKeyEvent
from PyQt6.QtWidgets import QAbstractSlider, QAbstractSpinBox, QApplication, QLineEdit, QWidget

#: The editors whose Enter means "done": number fields, sliders and one-line text fields.
EDITORS = (QAbstractSpinBox, QAbstractSlider, QLineEdit)
ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class EnterHandsBack(QObject):
    """Enter in an editor inside ``window`` calls ``give_back`` (once the editor has handled it).

    It follows the keyboard focus (QApplication.focusChanged) and watches only the editor that
    has it: editors come and go with the balls, may sit in a floating dock (its own window to
    Qt), and a filter on the whole application would run for every event of every widget.
    """

    def __init__(self, window: QWidget, give_back: Callable[[], None]):
        super().__init__(window)
        self.window = window
        self.give_back = give_back
        self._pending = False
        self._watched: QWidget | None = None
        QApplication.instance().focusChanged.connect(self._on_focus_changed)

    def _on_focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if self._watched is not None:
            try:
                self._watched.removeEventFilter(self)
            except RuntimeError:
                pass  # the editor was deleted (a ball's form rebuilt)
            self._watched = None
        if new is not None and isinstance(new, EDITORS) and self._inside(new):
            new.installEventFilter(self)
            self._watched = new

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if (event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) and event.key() in ENTER_KEYS
                and not self._pending):
            # After the editor has handled Enter (taken and announced its value), not before.
            self._pending = True
            QTimer.singleShot(0, self._give_back)
        return False

    def _inside(self, widget: QWidget) -> bool:
        """Whether ``widget`` belongs to the window, docked or floating (a dialog does not)."""
        while widget is not None:
            if widget is self.window:
                return True
            if widget.isWindow() and not widget.inherits("QDockWidget"):
                return False
            widget = widget.parentWidget()
        return False

    def _give_back(self) -> None:
        self._pending = False
        self.give_back()
