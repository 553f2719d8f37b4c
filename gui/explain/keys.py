"""The explainer's walking keys on one window: taken while it is open, given back when it closes.

The transport's Right steps the simulation, a presentation's Esc leaves it; while the explainer is
open those keys walk its parts instead. Two enabled window shortcuts on one key would be ambiguous
(Qt then runs neither), so :meth:`WalkingKeys.take` switches off the window's other enabled actions
on these keys and switches the explainer's on; :meth:`WalkingKeys.give_back` undoes exactly that.
Which actions it finds is read from the window (``findChildren(QAction)``), so it works on any window
(the main window, a presentation) without knowing its transport.
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtCore import QObject, Qt
from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import QWidget


class WalkingKeys(QObject):
    """One disabled window shortcut per key of ``slots`` ({"Right": callable, ...}) on ``window``."""

    def __init__(self, window: QWidget, slots: dict[str, Callable[[], None]]):
        super().__init__(window)
        self.window = window
        self.actions: dict[str, QAction] = {}
        for key, slot in slots.items():
            action = QAction(f"Explainer: {key}", window)
            action.setShortcut(QKeySequence(key))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.setEnabled(False)
            action.triggered.connect(lambda _checked=False, s=slot: s())
            window.addAction(action)
            self.actions[key] = action
        self._lent: list[QAction] = []

    def take(self, keep: tuple[QAction, ...] = ()) -> None:
        """Switch off the window's other enabled actions on these keys (not ``keep``); switch ours on."""
        ours = set(self.actions.values()) | set(keep)
        wanted = {QKeySequence(key).toString() for key in self.actions}
        self._lent = []
        for action in self.window.findChildren(QAction):
            if action in ours or not action.isEnabled():
                continue
            if any(sequence.toString() in wanted for sequence in action.shortcuts()):
                action.setEnabled(False)
                self._lent.append(action)
        for action in self.actions.values():
            action.setEnabled(True)

    def give_back(self) -> None:
        """Ours off, the actions taken on again."""
        for action in self.actions.values():
            action.setEnabled(False)
        for action in self._lent:
            try:
                action.setEnabled(True)
            except RuntimeError:
                pass  # deleted meanwhile (a menu rebuilt)
        self._lent = []

    def remove(self) -> None:
        """Take our actions off the window (the explainer is detached)."""
        self.give_back()
        for action in self.actions.values():
            self.window.removeAction(action)
            action.deleteLater()
        self.actions = {}
