"""The offer to restart every ball when one joins a run already under way, so a race stays fair.

A ball added at step 40 starts at step 0 of its own while the others are 40 steps ahead: compared
side by side (the map, the loss and step panels) the race is unfair, and a teacher who forgot to
press R first draws the wrong conclusion. Restarting on their behalf would throw away a run they
may have wanted to keep (a ball dropped late on purpose), so the window offers it instead: a
button "Restart all from step 0" appears in the status bar, never in the way (no dialog), and
goes away once every ball is back at step 0 or a scene is loaded. R does the same.
"""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from gui.controller_link import ControllerLink


class RestartOffer(QWidget):
    """"n steps ahead · [Restart all from step 0]", shown while a late ball lags behind the others.

    Signals:
        restartRequested: the button was clicked.
    """

    restartRequested = pyqtSignal()

    def __init__(self, controller: ControllerLink, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.label = QLabel()
        self.button = QPushButton("Restart all from step 0")
        self.button.setObjectName("restartAllButton")
        self.button.setToolTip("Every ball back to its start, so they all run the same number of steps (R)")
        # Clicking must not take the keyboard from the views (Space would then press the button).
        self.button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.button.clicked.connect(self._on_clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 6, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.button)
        self._count = len(controller.balls)
        self.hide()
        controller.ballsChanged.connect(self._on_balls_changed)
        controller.sceneChanged.connect(self._on_scene_changed)
        controller.stepped.connect(self._on_stepped)

    def _on_balls_changed(self) -> None:
        count = len(self.controller.balls)
        added = count > self._count
        self._count = count
        steps = self.controller.step_index
        if added and steps > 0:
            self.label.setText(f"The new ball joined at step {steps}, the others at step 0 ·")
            self.show()

    def _on_scene_changed(self, _scene: object) -> None:
        self._count = len(self.controller.balls)
        self.hide()

    def _on_stepped(self) -> None:
        if self.isVisible() and self.controller.step_index == 0:
            self.hide()  # reset (R, a new formula): every ball is at step 0 again

    def _on_clicked(self) -> None:
        self.hide()
        self.restartRequested.emit()
