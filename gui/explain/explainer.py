"""The explainer on screen: E opens a ball's next update part by part; Right and Left walk through it.

:func:`attach_explainer` installs it on any window with a contour map (the main window, the
presentation window); each window gets its own :class:`ExplainerController`, overlay and card, so
two maps attached to one SceneController each explain on their own.

Keys (window shortcuts, like the transport's, gui.transport):

    E / Simulation > Explain next step   open for the selected ball (E again closes)
    Right / Left                         next / previous part
    Home / End                           first / last part
    Right on the last part               take this step, and explain the next update
    Esc                                  close (Right steps the simulation again)
    Space                                close and play

While it is open the window's other actions on these keys (the transport's Right = step, a
presentation's Esc = leave) are switched off, and switched back on when it closes: Right walks the
parts and never steps the simulation behind the student's back.

Opening pauses a playing simulation first and says so; with no ball selected it selects ball 1; a
swarm is explained through its particle 0, and the card says that too. The explanation
(physics.explain.explain_next_step) is worked out on a worker thread (gui.workers): for a swarm it
replays the whole ball's update. A result made stale meanwhile (the simulation stepped, the balls or
the surface changed) is dropped and asked for again. While the card is open the map's own arrows
(gradient, step, velocity, eigenvectors) are hidden, so that only the explainer's arrows are on the
ball; closing shows them as the View menu has them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
from PyQt6.QtCore import QObject, Qt, pyqtSignal
from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import QWidget

from gui.explain.card import ExplainerCard
from gui.explain.keys import WalkingKeys
from gui.explain.overlay import ExplainerOverlay, Picture
from gui.explain.walk import eigen_signs, kind_words, parts_to_walk
from gui.screen_text import on_screen
from gui.workers import LatestOnlyRunner
from physics.explain import explain_next_step
from physics.explain.parts import Explanation, Part

#: The text of the menu entry (Simulation > Explain next step).
MENU_TEXT = "E&xplain next step"

HINT = "Right: next part · Left: back · Home/End · Esc closes"
LAST_HINT = "Right: take this step (and explain the next) · Left: back · Esc closes"

Explain = Callable[[object, int, int], Explanation]


class ExplainerController(QObject):
    """The explainer of one window's map (module docstring).

    Args:
        window: the window whose shortcuts it adds (E, and the walking keys while open).
        contour_map: the gui.views.contour_map.ContourMapView it draws on.
        controller: the SceneController (gui.controller_link.ControllerLink and its commands).
        explain: ``explain(simulation, ball, particle) -> Explanation`` (tests may pass their own).

    Signals:
        openedChanged(bool), partChanged(int): for a presentation window's status and tests.
    """

    openedChanged = pyqtSignal(bool)
    partChanged = pyqtSignal(int)

    def __init__(self, window: QWidget, contour_map, controller, explain: Explain | None = None):
        super().__init__(window)
        self.window = window
        self.map = contour_map
        self.controller = controller
        self._explain: Explain = explain or explain_next_step
        self.overlay = ExplainerOverlay(contour_map)
        self.card = ExplainerCard(window)
        self._open = False
        self._ball = -1
        self._explanation: Explanation | None = None
        self._parts: tuple[Part, ...] = ()
        self._index = 0
        self._pending = False
        self._expected: tuple | None = None
        self._notes: list[str] = []
        self._error = ""
        self._picture: Picture | None = None
        self._detached = False

        self.action = QAction(MENU_TEXT, window)
        self.action.setCheckable(True)
        self.action.setShortcut(QKeySequence("E"))
        self.action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        tip = "Take the selected ball's next update apart, part by part (E; Right and Left walk, Esc closes)"
        self.action.setToolTip(tip)
        self.action.setStatusTip(tip)
        self.action.triggered.connect(lambda _checked=False: self.toggle())
        window.addAction(self.action)
        self.keys = WalkingKeys(window, {
            "Right": self.next_part, "Left": self.previous_part, "Home": self.first_part, "End": self.last_part,
            "Esc": self.close, "Space": self._close_and_play})

        self._runner = LatestOnlyRunner("explain the next step", self)
        self._runner.succeeded.connect(self._on_explained)
        self._runner.failed.connect(self._on_failed)
        controller.stepped.connect(self._on_model_changed)
        controller.ballsChanged.connect(self._on_model_changed)
        controller.surfaceChanged.connect(self._on_model_changed)
        controller.playingChanged.connect(self._on_playing_changed)
        controller.selectionChanged.connect(self._on_selection_changed)
        contour_map.view_box.sigRangeChanged.connect(self._on_view_changed)
        contour_map.view_box.sigResized.connect(self._on_view_changed)

    # -- state ---------------------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self._open

    @property
    def busy(self) -> bool:
        """True while the explanation is being worked out."""
        return self._pending

    @property
    def ball(self) -> int:
        return self._ball

    @property
    def explanation(self) -> Explanation | None:
        return self._explanation

    @property
    def parts(self) -> tuple[Part, ...]:
        """The parts walked through (the explanation's, with the whole step last)."""
        return self._parts

    @property
    def index(self) -> int:
        return self._index

    @property
    def part(self) -> Part | None:
        return self._parts[self._index] if self._parts else None

    @property
    def picture(self) -> Picture | None:
        """What the overlay drew for the current part (factor, the arrow's ends, notes)."""
        return self._picture

    @property
    def error(self) -> str:
        return self._error

    # -- commands ------------------------------------------------------------------------------
    def toggle(self) -> None:
        if self._open:
            self.close()
        else:
            self.open()

    def open(self) -> None:
        """Open for the selected ball's next update (pausing, selecting ball 1 as needed)."""
        controller = self.controller
        balls = controller.balls
        if not balls:
            self._say("Add a ball first: the explainer takes a ball's next step apart.")
            self.action.setChecked(False)
            return
        notes = []
        if controller.playing:
            controller.pause()
            notes.append("Paused to explain the next step.")
        ball = controller.selected
        if not 0 <= ball < len(balls):
            ball = 0
            controller.select(0)
            notes.append(f"No ball was selected: explaining ball 1, {balls[0].name}.")
        self._notes = notes
        self._ball = ball
        self._open = True
        self.action.setChecked(True)
        self.keys.take(keep=(self.action,))
        self.overlay.hide_map_arrows(True)
        self._request()
        self.openedChanged.emit(True)

    def close(self) -> None:
        if not self._open:
            return
        self._open = False
        self._pending = False
        self._runner.cancel()
        self._explanation, self._parts, self._picture = None, (), None
        self._error = ""
        self.overlay.hide()
        self.card.hide()
        self.keys.give_back()
        self.overlay.hide_map_arrows(False)
        self.action.setChecked(False)
        self.openedChanged.emit(False)

    def detach(self) -> None:
        """Take the explainer off its window (the map is going away): closed, its keys and card removed,
        its items taken off the map, no longer listening to the controller. Safe to call twice."""
        if self._detached:
            return
        self._detached = True
        self.close()
        controller, view_box = self.controller, self.map.view_box
        for signal, slot in ((controller.stepped, self._on_model_changed),
                             (controller.ballsChanged, self._on_model_changed),
                             (controller.surfaceChanged, self._on_model_changed),
                             (controller.playingChanged, self._on_playing_changed),
                             (controller.selectionChanged, self._on_selection_changed),
                             (view_box.sigRangeChanged, self._on_view_changed),
                             (view_box.sigResized, self._on_view_changed)):
            try:
                signal.disconnect(slot)
            except (TypeError, RuntimeError):
                pass  # already gone with its object
        self.keys.remove()
        self.window.removeAction(self.action)
        self.action.deleteLater()
        self.overlay.remove()
        self.card.deleteLater()
        self.deleteLater()

    def set_scale(self, scale: float) -> None:
        """Draw everything ``scale`` times its normal size: the card's type, the arrows, markers and
        words on the map (a presentation's scale, its Ctrl + / Ctrl -)."""
        self.overlay.set_scale(scale)
        self.set_text_scale(scale)

    def set_text_scale(self, scale: float) -> None:
        """Make the card's type ``scale`` times its normal size."""
        self.card.set_text_scale(scale)
        if self._open and self._explanation is not None:
            self._render()
        elif self._open:
            self._place_card()

    def next_part(self) -> None:
        """Right: the next part; on the last part, take the step (and explain the next update)."""
        if self._pending or not self._parts:
            return
        if self._index < len(self._parts) - 1:
            self._show(self._index + 1)
        else:
            self.take_step()

    def previous_part(self) -> None:
        if not self._pending and self._parts and self._index > 0:
            self._show(self._index - 1)

    def first_part(self) -> None:
        if not self._pending and self._parts:
            self._show(0)

    def last_part(self) -> None:
        if not self._pending and self._parts:
            self._show(len(self._parts) - 1)

    def take_step(self) -> None:
        """Step the simulation once; the explainer stays open on the next update."""
        if self._pending or self._explanation is None:
            return
        self._notes = []
        self.controller.step_once()

    def _close_and_play(self) -> None:
        self.close()
        self.controller.toggle_play()

    # -- the explanation -----------------------------------------------------------------------
    def _request(self) -> None:
        simulation = self.controller.simulation
        ball = self._ball
        self._pending = True
        self._error = ""
        self._expected = (id(simulation), simulation.step_index, ball)
        explain = self._explain
        self._runner.submit(lambda: explain(simulation, ball, 0))
        self.overlay.hide()
        self.card.set_theme(self._theme())
        self.card.show_message(self._header(), "Working out the next step…", "", "Esc closes", self._notes)
        self._place_card()
        self.card.show()

    def _on_explained(self, _generation: int, explanation: object) -> None:
        if not self._open:
            return
        simulation = self.controller.simulation
        if (id(simulation), simulation.step_index, self._ball) != self._expected:
            self._request()   # made stale while it was worked out
            return
        self._pending = False
        assert isinstance(explanation, Explanation)
        self._explanation = explanation
        self._parts = parts_to_walk(explanation)
        self._show(0)

    def _on_failed(self, _generation: int, error: object) -> None:
        if not self._open:
            return
        self._pending = False
        self._explanation, self._parts, self._picture = None, (), None
        self._error = str(error)
        self.overlay.hide()
        self.card.show_message(self._header(), "This step cannot be explained", self._error, "Esc closes",
                               self._notes)
        self._place_card()

    def _show(self, index: int) -> None:
        self._index = index
        self._render()
        self.partChanged.emit(index)

    def _render(self) -> None:
        explanation = self._explanation
        if explanation is None or not self._parts:
            return
        parts = self._parts
        part = parts[self._index]
        view = replace(explanation, parts=parts)
        self._picture = picture = self.overlay.show_part(view, self._index, self._eigen_signs(part),
                                                         "particle 0" if self._is_swarm() else "")
        last = self._index == len(parts) - 1
        kind = kind_words(part, last)
        notes = list(self._notes)
        if explanation.particle == 0 and self._is_swarm():
            notes.append(f"A swarm: particle 0 of {self.controller.balls[self._ball].particles} is explained.")
        if part.scale_note:
            notes.append(f"Arrow: {part.scale_note}")
        notes += picture.notes
        self.card.set_theme(self._theme())
        # (The explainer's words are ASCII, for the command line too; on screen "lambda" is λ.)
        numbers = tuple((on_screen(str(label)), value) for label, value in part.numbers)
        squares = tuple((on_screen(str(label)), values) for label, values in part.squares)
        self.card.show_part(on_screen(self._header()), f"part {self._index + 1} of {len(parts)}",
                            on_screen(part.title), kind, on_screen(part.sentence), numbers, squares,
                            [on_screen(note) for note in notes], LAST_HINT if last else HINT)
        self._place_card()
        self.card.show()

    def _header(self) -> str:
        balls = self.controller.balls
        name = balls[self._ball].name if 0 <= self._ball < len(balls) else "ball"
        if self._explanation is None:
            return f"{name}: next step"
        title = self._explanation.title
        return title if name.lower() in title.lower() else f"{name} · {title}"

    def _is_swarm(self) -> bool:
        balls = self.controller.balls
        return 0 <= self._ball < len(balls) and balls[self._ball].particles > 1

    def _eigen_signs(self, part: Part) -> tuple[float, ...] | None:
        """The curvature's sign along ``part.directions`` (gui.explain.walk.eigen_signs) at the ball."""
        if part.directions is None:
            return None
        try:
            state = self.controller.state(self._ball)
        except (IndexError, KeyError):
            return None
        return eigen_signs(part.directions, state.eigenvalues[0], state.eigenvectors[0])

    def _theme(self) -> str:
        colour = self.map.plot_widget.backgroundBrush().color()
        return "light" if colour.lightnessF() > 0.5 else "dark"

    def _place_card(self) -> None:
        """The card where it hides least of the ball and the arrows (ExplainerCard.place_by_map)."""
        position = None
        if self._explanation is not None:
            position = np.asarray(self._explanation.position, dtype=float)
        else:
            try:
                position = self.controller.state(self._ball).positions[0]
            except (IndexError, KeyError):
                pass
        avoid = []
        if position is not None and np.isfinite(position).all():
            avoid.append(self.map.data_to_widget(float(position[0]), float(position[1])))
        self.card.place_by_map(self.map, self.window, avoid + self.overlay.widget_points())

    def _say(self, text: str) -> None:
        show_message = getattr(self.window, "show_message", None)
        if callable(show_message):
            show_message(text)

    # -- the model and the view changed --------------------------------------------------------
    def _on_model_changed(self, *_args) -> None:
        if not self._open:
            return
        if self.controller.playing:
            self.close()
            return
        balls = self.controller.balls
        if not balls:
            self.close()
            return
        if self._ball >= len(balls):
            self._ball = max(0, self.controller.selected)
        self._explanation, self._parts, self._picture = None, (), None
        self._request()

    def _on_playing_changed(self, playing: bool) -> None:
        if playing and self._open:
            self.close()

    def _on_selection_changed(self, index: int) -> None:
        if not self._open or index == self._ball:
            return
        if index < 0:
            self.close()
            return
        self._ball = index
        self._notes = []
        self._explanation, self._parts, self._picture = None, (), None
        self._request()

    def _on_view_changed(self, *_args) -> None:
        if not self._open:
            return
        if self._explanation is not None:
            self._render()
        else:
            self._place_card()


def attach_explainer(window: QWidget, contour_map, controller, explain: Explain | None = None) -> ExplainerController:
    """Install the explainer on ``window`` for its ``contour_map`` (see the module docstring).

    The returned controller's ``action`` (E) belongs in the window's Simulation menu.
    """
    return ExplainerController(window, contour_map, controller, explain)
