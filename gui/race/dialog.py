"""Simulation > Race...: pick optimisers and starts, tune each lr on a worker thread, load the race.

The dialog gathers the race: which optimisers (checkboxes over the whole registry, physics.race's
DEFAULT_OPTIMIZERS ticked), the start (the selected ball's, or typed), a seeded spread of starts
(count and radius), K (the sweep's steps) and the gradient noise. "Tune and race" runs
physics.race.tune_learning_rates on a QThreadPool worker (gui.workers.LatestOnlyRunner) with a
progress bar; Cancel stops it within a chunk of steps. When the sweep is done, the race (one
ball per optimiser per start at its tuned lr, physics.race.race_balls) replaces the live
scene's balls, paused at step 0, and the finish board (gui.race.board) keeps the caption that says
which lr each got. The UI thread only builds widgets and values: the sweep never runs on it.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gui.controller_link import ControllerLink
from gui.workers import LatestOnlyRunner
from physics.balls import MAX_BALLS, MAX_COORDINATE
from physics.noise import NoiseSettings
from physics.optimizers.base import registry
from physics.race import (
    DEFAULT_OPTIMIZERS,
    TUNING_GRID,
    TUNING_STEPS,
    TuningCancelled,
    race_balls,
    short_name,
    spread_starts,
    tune_learning_rates,
    tuning_caption,
)
from physics.scenes import MAX_TEXT
from surfaces.errors import DownhillError

#: Milliseconds between two looks at the worker's progress.
PROGRESS_INTERVAL_MS = 100
ERROR_STYLE = "color: #ff8a80;"
#: The finish board's width as a race shows it (pixels).
BOARD_WIDTH = 460


@dataclasses.dataclass(frozen=True)
class PreparedRace:
    """A tuned race: the scene to load and the caption the board keeps."""

    scene: Any
    caption: str


class RaceDialog(QDialog):
    """The race's settings, the sweep's progress and Cancel (see the module docstring).

    Signals:
        raceReady(PreparedRace): emitted as the race scene is handed to the controller.
    """

    raceReady = pyqtSignal(object)

    def __init__(self, controller: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller: ControllerLink = controller
        self.setWindowTitle("Race")
        self._cancel_event = threading.Event()
        self._done = 0.0  # the worker's fraction done (written there, read here)
        self._request: tuple | None = None  # (starts, noise, steps) of the sweep under way
        self._runner = LatestOnlyRunner("tune the learning rates", self)
        self._runner.succeeded.connect(self._on_tuned)
        self._runner.failed.connect(self._on_failed)
        self._poll = QTimer(self)
        self._poll.setInterval(PROGRESS_INTERVAL_MS)
        self._poll.timeout.connect(lambda: self.progress.setValue(round(1000 * self._done)))

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Each optimiser's lr is tuned on this surface first (grid 1e-4..1, 13 points, judged "
                                "by the loss after K steps), then they race from the same start(s)."))
        chosen = QGroupBox("Optimisers")
        grid = QGridLayout(chosen)
        self.optimizer_boxes: dict[str, QCheckBox] = {}
        for number, (name, spec) in enumerate(registry().items()):
            box = QCheckBox(short_name(spec))
            box.setToolTip(f"{spec.display_name}: {spec.description}")
            box.setChecked(name in DEFAULT_OPTIMIZERS)
            grid.addWidget(box, number // 3, number % 3)
            self.optimizer_boxes[name] = box
        layout.addWidget(chosen)

        form = QFormLayout()
        balls, selected = controller.balls, controller.selected
        start = balls[selected].start if 0 <= selected < len(balls) else (0.0, 0.0)
        self.use_selected = QRadioButton(f"the selected ball's start ({start[0]:.4g}, {start[1]:.4g})")
        self.use_selected.setEnabled(0 <= selected < len(balls))
        self.use_typed = QRadioButton("at")
        (self.use_selected if self.use_selected.isEnabled() else self.use_typed).setChecked(True)
        self.start_x, self.start_y = (self._coordinate(value) for value in start)
        typed = QHBoxLayout()
        for widget in (self.use_typed, QLabel("x"), self.start_x, QLabel("y"), self.start_y):
            typed.addWidget(widget)
        typed.addStretch(1)
        where = QVBoxLayout()
        where.addWidget(self.use_selected)
        where.addLayout(typed)
        form.addRow("Start", where)
        self.starts = QSpinBox()
        self.starts.setRange(1, MAX_BALLS)
        self.starts.setToolTip("1: one start; N: the start and N-1 seeded points within the radius")
        self.radius = QDoubleSpinBox()
        self.radius.setRange(0.0, 1000.0)
        self.radius.setDecimals(3)
        self.radius.setValue(0.5)
        spread = QHBoxLayout()
        for widget in (self.starts, QLabel("within radius"), self.radius):
            spread.addWidget(widget)
        spread.addStretch(1)
        form.addRow("Starts", spread)
        self.tune_steps = QSpinBox()
        self.tune_steps.setRange(10, 5000)
        self.tune_steps.setValue(TUNING_STEPS)
        self.tune_steps.setToolTip("K: each learning rate runs this many steps; the lowest loss then wins")
        form.addRow("Sweep steps K", self.tune_steps)
        self.noise = QDoubleSpinBox()
        self.noise.setRange(0.0, 1000.0)
        self.noise.setDecimals(4)
        self.noise.setValue(balls[selected].noise.sigma if 0 <= selected < len(balls) else 0.0)
        self.noise.setToolTip("std of Gaussian gradient noise: the same for the sweep and the race")
        form.addRow("Gradient noise σ", self.noise)
        layout.addLayout(form)

        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.run_button = QPushButton("Tune and race")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.start_tuning)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        layout.addLayout(buttons)

    @staticmethod
    def _coordinate(value: float) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(-MAX_COORDINATE, MAX_COORDINATE)
        box.setDecimals(4)
        box.setValue(float(value))
        return box

    # -- state -----------------------------------------------------------------------------------
    @property
    def tuning(self) -> bool:
        """Whether a sweep is under way."""
        return self._request is not None

    def chosen_optimizers(self) -> list[str]:
        return [name for name, box in self.optimizer_boxes.items() if box.isChecked()]

    def start(self) -> tuple[float, float]:
        if self.use_selected.isChecked():
            balls, selected = self.controller.balls, self.controller.selected
            if 0 <= selected < len(balls):
                return balls[selected].start
        return (self.start_x.value(), self.start_y.value())

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(ERROR_STYLE if error else "")

    # -- commands --------------------------------------------------------------------------------
    def start_tuning(self) -> None:
        """Check the settings and start the sweep on the worker (a message says what is wrong)."""
        if self.tuning:
            return
        names = self.chosen_optimizers()
        if not names:
            self._say("Tick at least one optimiser.", error=True)
            return
        if len(names) * self.starts.value() > MAX_BALLS:
            self._say(f"{len(names)} optimisers × {self.starts.value()} starts make "
                      f"{len(names) * self.starts.value()} balls; a scene holds at most {MAX_BALLS}.", error=True)
            return
        surface = self.controller.surface
        seed = self.controller.seed
        try:
            starts = spread_starts(surface, self.start(), self.starts.value(), self.radius.value(), seed)
        except DownhillError as error:
            self._say(f"Start: {error}", error=True)
            return
        noise = NoiseSettings(sigma=self.noise.value())
        steps = self.tune_steps.value()
        self._request = (starts, noise, steps)
        self._cancel_event.clear()
        self._done = 0.0
        cancel = self._cancel_event

        def progress(fraction: float) -> None:
            self._done = fraction

        self._runner.submit(lambda: tune_learning_rates(surface, names, starts, noise=noise, seed=seed, steps=steps,
                                                        progress=progress, cancelled=cancel.is_set))
        self.progress.setValue(0)
        self._poll.start()
        self.run_button.setEnabled(False)
        self._say(f"Tuning {len(names)} optimisers: {steps} steps for each lr of the grid…")

    def cancel(self) -> None:
        """Stop the sweep (the dialog stays), or close the dialog when nothing runs."""
        if not self.tuning:
            self.reject()
            return
        self._cancel_event.set()
        self._runner.cancel()
        self._finish()
        self._say("Cancelled: the scene is unchanged.")

    def reject(self) -> None:
        if self.tuning:
            self._cancel_event.set()
            self._runner.cancel()
            self._finish()
        super().reject()

    def _finish(self) -> None:
        self._request = None
        self._poll.stop()
        self.run_button.setEnabled(True)

    def _on_failed(self, _generation: int, error: object) -> None:
        self._finish()
        if isinstance(error, TuningCancelled):
            return
        self._say(f"Could not tune: {error}", error=True)

    def _on_tuned(self, _generation: int, tunings: object) -> None:
        if self._request is None:
            return
        starts, noise, steps = self._request
        self._finish()
        self.progress.setValue(1000)
        caption = tuning_caption(tunings, TUNING_GRID, steps, len(starts))
        live = self.controller.current_scene()
        surface = self.controller.surface
        title = f"Race on {surface.name or ' '.join(surface.text.split())}"[:200]
        # The note is what the status bar shows as the scene opens (at most MAX_TEXT["note"] characters).
        note = caption if len(caption) <= MAX_TEXT["note"] else "A fair race: each optimiser's lr was tuned here first"
        scene = dataclasses.replace(live, title=title, description=caption, note=note,
                                    balls=race_balls(tunings, starts, noise))
        race = PreparedRace(scene, caption)
        self.raceReady.emit(race)
        self.controller.pause()
        self.controller.load_scene(scene)
        self.accept()


def open_race_dialog(window: Any) -> RaceDialog:
    """Simulation > Race...: the dialog over ``window``; the race it makes shows on the window's board."""
    dialog = RaceDialog(window.controller, window)
    board = getattr(window, "race_board", None)
    if board is not None:
        dock = getattr(window, "race_dock", None)

        def show(race: PreparedRace) -> None:
            board.expect_race(race.scene, race.caption)
            if dock is not None and not dock.isVisible():
                dock.show()
                if not dock.isFloating():  # room for the names, the numbers and the regime words
                    window.resizeDocks([dock], [BOARD_WIDTH], Qt.Orientation.Horizontal)
            if dock is not None:
                dock.raise_()

        dialog.raceReady.connect(show)
    window._race_dialog = dialog  # (kept while open: a dialog with no reference would be collected)
    dialog.open()
    return dialog
