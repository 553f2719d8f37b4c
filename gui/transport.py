"""The transport: play/pause, single step, reset, speed and seed, as actions, keys and a toolbar.

The keys work wherever the focus is in the window (the map, the 3D view, a slider, a list,
a floating dock) because the actions are window shortcuts. A text field is the exception, on
purpose: QLineEdit and the spin boxes claim printable keys and the arrows through Qt's
ShortcutOverride, so Space types a space in the formula field and + types a plus sign.

    Space   play / pause          Right   one step          R   reset to the starts
    + (=)   faster                -       slower
"""

from __future__ import annotations

from PyQt6.QtCore import QObject, Qt
from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import QInputDialog, QLabel, QStyle, QToolBar, QToolButton, QWidget

#: The key bindings, shown in Help > Keyboard shortcuts.
SHORTCUTS = (
    ("Space", "play or pause the balls"),
    ("Right arrow", "advance every ball by one step"),
    ("R", "reset every ball to its start"),
    ("+  (or =)", "faster: more steps per frame"),
    ("-", "slower: fewer steps per frame"),
    ("Click on the map", "drop a new ball there"),
    ("Shift + click on the map", "move the selected ball's start there"),
    ("Drag a start point", "move that ball's start; it runs again from there"),
    ("Ctrl+O / Ctrl+S", "open / save a scene"),
    ("Page Down / Page Up", "next / previous scene of the open lesson (Lessons menu; not in a text field)"),
    ("E", "explain the selected ball's next step part by part (E again or Esc closes)"),
    ("Right / Left (explaining)", "next / previous part; Right on the last part takes the step"),
    ("Home / End (explaining)", "first / last part"),
)


class Transport(QObject):
    """The transport actions of one window, wired to a SceneController."""

    def __init__(self, controller, window: QWidget):
        super().__init__(window)
        self.controller = controller
        self.window = window
        style = window.style()
        self.play = self._action("&Play", ["Space"], "Play or pause the balls (Space)",
                                 style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay))
        self.play.setCheckable(True)
        self.play.triggered.connect(self._on_play_triggered)
        self.step = self._action("&Step", ["Right"], "Advance every ball by one step (Right arrow)",
                                 style.standardIcon(QStyle.StandardPixmap.SP_MediaSkipForward))
        self.step.triggered.connect(controller.step_once)
        self.reset = self._action("&Reset", ["R"], "Every ball back to its start (R)",
                                  style.standardIcon(QStyle.StandardPixmap.SP_MediaSkipBackward))
        self.reset.triggered.connect(controller.reset)
        self.faster = self._action("&Faster", ["+", "Shift++", "=", "Ctrl++"], "More simulation steps per frame (+)",
                                   style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekForward))
        self.faster.triggered.connect(controller.faster)
        self.slower = self._action("S&lower", ["-", "Ctrl+-"], "Fewer simulation steps per frame (-)",
                                   style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekBackward))
        self.slower.triggered.connect(controller.slower)
        self.seed = self._action("S&eed…", [], "Choose the random seed of the noise (the run restarts)")
        self.seed.triggered.connect(self.ask_seed)

        self.speed_label = QLabel()
        self.speed_label.setToolTip("Simulation steps per animation frame (+ and - change it)")
        self.speed_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        _fix_width(self.speed_label, "1000 steps/frame")
        self.step_label = QLabel()
        self.step_label.setToolTip("Steps taken since the start")
        _fix_width(self.step_label, "step 200,000")

        controller.playingChanged.connect(self._show_playing)
        controller.speedChanged.connect(self._show_speed)
        controller.stepped.connect(self._show_step)
        self._show_playing(controller.playing)
        self._show_speed(controller.speed)
        self._show_step()

    @property
    def actions(self) -> tuple[QAction, ...]:
        return (self.play, self.step, self.reset, self.faster, self.slower, self.seed)

    def toolbar(self) -> QToolBar:
        """A toolbar with the transport buttons, labelled, and the speed and step read-outs."""
        bar = QToolBar("Transport", self.window)
        bar.setObjectName("transportToolbar")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        bar.setMovable(False)
        bar.addAction(self.play)
        bar.addAction(self.step)
        bar.addAction(self.reset)
        bar.addSeparator()
        bar.addAction(self.slower)
        bar.addWidget(self.speed_label)
        bar.addAction(self.faster)
        bar.addSeparator()
        bar.addWidget(self.step_label)
        for action in (self.play, self.step, self.reset, self.slower, self.faster):
            button = bar.widgetForAction(action)
            if isinstance(button, QToolButton):
                button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Space must not "click" a focused button
        return bar

    def ask_seed(self) -> None:
        seed, accepted = QInputDialog.getInt(self.window, "Seed", "Random seed of the noise (the run restarts):",
                                             self.controller.seed, 0, 2**31 - 1)
        if accepted:
            self.controller.set_seed(seed)

    def _action(self, text: str, keys: list[str], tip: str, icon=None) -> QAction:
        action = QAction(text, self.window)
        if icon is not None:
            action.setIcon(icon)
        action.setShortcuts([QKeySequence(key) for key in keys])
        # Window-wide (floating docks count as part of the window); text fields still win.
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        self.window.addAction(action)
        return action

    def _on_play_triggered(self, _checked: bool) -> None:
        self.controller.toggle_play()
        self._show_playing(self.controller.playing)

    def _show_playing(self, playing: bool) -> None:
        style = self.window.style()
        self.play.setChecked(playing)
        self.play.setText("&Pause" if playing else "&Play")
        self.play.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaPause if playing
                                             else QStyle.StandardPixmap.SP_MediaPlay))

    def _show_speed(self, speed: int) -> None:
        _set_text(self.speed_label, f"{speed} step{'s' if speed != 1 else ''}/frame")

    def _show_step(self) -> None:
        _set_text(self.step_label, f"step {self.controller.step_index:,}")


def _fix_width(label: QLabel, widest: str) -> None:
    """Give ``label`` a fixed size that holds ``widest``.

    The step count changes every frame; a label of fixed size does not ask the toolbar (and
    through it the whole window) to lay itself out again each time its text changes.
    """
    metrics = label.fontMetrics()
    label.setFixedSize(metrics.horizontalAdvance(widest) + 12, metrics.height() + 8)


def _set_text(label: QLabel, text: str) -> None:
    if label.text() != text:
        label.setText(text)
