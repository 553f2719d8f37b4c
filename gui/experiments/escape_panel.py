"""The Saddle escape dock: how long noise takes to push the selected ball's optimiser off a saddle.

Experiments > Saddle escape shows this dock (a row of gui.window.docks.PANELS) and starts the
experiment (physics.experiments.escape): from the chosen saddle's stable manifold, N seeded runs
per noise level, with the selected ball's optimiser and hyper-parameters on the live surface from
the scene's seed. It runs on a worker thread (gui.experiments.runner: progress bar, Cancel, latest
wins) and is recomputed when the ball, the surface or the dock's settings change. The figure
(gui.experiments.escape_paint) shows the escape-time histogram per sigma, the median against sigma
with the theory line, and where the runs went. The experiment is saved in the scene
(Scene.experiments), so a saved scene reopens with it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PyQt6 import QtCore, QtGui, QtWidgets

from gui.experiments.dock_base import ExperimentDock
from gui.experiments.escape_cli import write_escape_figure
from gui.experiments.escape_paint import paint_escape, sigma_text
from gui.experiments.picture import ExperimentPicture
from gui.experiments.runner import ExperimentRunner
from physics.experiments import escape
from physics.experiments.base import ExperimentSpec, make_spec, surface_key
from surfaces.errors import DownhillError

#: Milliseconds a change waits for the next before the experiment is recomputed.
DEBOUNCE_MS = 250
#: The docked panel's width when the experiment starts (pixels; at most a third of the window).
WIDTH = 480
#: The noise ranges offered (low, high): decades of sigma, gradient units.
RANGES: tuple[tuple[float, float], ...] = ((1e-8, 1e-1), (1e-6, 1e-1), (1e-4, 1.0), (1e-10, 1e-2))


class EscapePicture(ExperimentPicture):
    """The escape figure painted by gui.experiments.escape_paint (a message until there is a result)."""

    EMPTY_BACKGROUND, EMPTY_INK, EMPTY_MARGIN = "#ffffff", "#404040", 12

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.message = ""
        #: The level whose histogram a narrow (portrait) picture shows.
        self.selected = 0
        self.setMinimumSize(200, 640)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Expanding)

    def set_result(self, result: object, message: str = "") -> None:
        self.result, self.message = result, message
        self.update()

    def empty_text(self) -> str:
        return self.message or "—"

    def paint_result(self, painter: QtGui.QPainter, rect: QtCore.QRectF) -> None:
        paint_escape(painter, rect, self.result, "", font_size=9.5, caption=False, selected=self.selected)


class EscapePanel(ExperimentDock, QtWidgets.QWidget):
    """The Saddle escape dock's widget (see the module docstring).

    Attributes:
        runner: the background runner; spec: the experiment shown (None: none); result: its result.
    """

    KIND = escape.NAME
    FIGURE_HEADING = "Saddle escape"

    resultShown = QtCore.pyqtSignal(object)

    def __init__(self, controller: Any, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.active = False
        self.spec: ExperimentSpec | None = None
        self.result = None
        self._pinned: tuple | None = None  # the ball's dynamics a saved experiment was adopted with
        self._where: tuple | None = None
        self._started = 0.0
        self.runner = ExperimentRunner(self)
        self._build()
        self._wire_runner(DEBOUNCE_MS)
        for signal in (controller.ballsChanged, controller.selectionChanged, controller.surfaceChanged):
            signal.connect(self._on_model_changed)
        controller.criticalPointsChanged.connect(self._on_points)
        controller.sceneChanged.connect(self._on_scene_changed)
        self._on_points(controller.critical_points)

    # -- construction --------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.heading = QtWidgets.QLabel("How long noise takes to push the selected ball's optimiser off a saddle: "
                                        "many seeded runs per noise level σ, from the saddle's stable direction.")
        self.heading.setWordWrap(True)
        layout.addWidget(self.heading)
        form = QtWidgets.QFormLayout()
        self.saddle_box = QtWidgets.QComboBox()
        self.saddle_box.setToolTip("the saddle the runs start at (its number on the map)")
        self.saddle_box.currentIndexChanged.connect(lambda _i: self._schedule())
        form.addRow("Saddle", self.saddle_box)
        self.range_box = QtWidgets.QComboBox()
        for low, high in RANGES:
            self.range_box.addItem(f"σ from {low:g} to {high:g}", (low, high))
        self.range_box.setToolTip("the noise levels: log-spaced from the first to the last")
        self.range_box.currentIndexChanged.connect(lambda _i: self._schedule())
        form.addRow("Noise", self.range_box)
        self.levels_box = self._spin(1, escape.MAX_LEVELS, escape.DEFAULT_LEVELS, "noise levels (log-spaced)")
        self.runs_box = self._spin(10, 12_500, escape.DEFAULT_RUNS, "seeded runs per noise level")
        self.steps_box = self._spin(10, escape.MAX_STEPS, escape.DEFAULT_STEPS,
                                    "steps before a run that has not escaped counts as censored")
        sizes = QtWidgets.QHBoxLayout()
        sizes.addWidget(self.levels_box)
        runs_label = QtWidgets.QLabel("Runs per σ")
        runs_label.setBuddy(self.runs_box)
        sizes.addWidget(runs_label)
        sizes.addWidget(self.runs_box)
        form.addRow("Levels", sizes)
        form.addRow("Steps (K)", self.steps_box)
        layout.addLayout(form)
        self._add_progress_row(layout)
        view_row = QtWidgets.QHBoxLayout()
        self.level_box = QtWidgets.QComboBox()
        self.level_box.setToolTip("the noise level whose histogram a narrow dock shows (a wide one shows them all)")
        self.level_box.currentIndexChanged.connect(self._on_level)
        self.large_button = QtWidgets.QPushButton("Large view")
        self.large_button.setToolTip("float the dock as a large window: every histogram at once (again: back)")
        self.large_button.clicked.connect(self.toggle_large)
        view_row.addWidget(QtWidgets.QLabel("Histogram of"))
        view_row.addWidget(self.level_box, 1)
        view_row.addWidget(self.large_button)
        layout.addLayout(view_row)
        self.picture = EscapePicture()
        # A dock at the window's side is narrow and short: the figure keeps a readable height and scrolls.
        self.scroll = QtWidgets.QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(self.picture)
        layout.addWidget(self.scroll, 1)

    # -- commands ------------------------------------------------------------------------------
    def _write_figure(self, target: Path, size: tuple[int, int], title: str) -> Path:
        """Export figure…: the same writer as ``python main.py escape --out``."""
        return write_escape_figure(self.result, target, size, title)

    def start(self) -> None:
        """Turn the experiment on (Experiments > Saddle escape): compute it for the selected ball."""
        self.active = True
        self._pinned = None
        self._widen()
        self.recompute()

    def _widen(self) -> None:
        """Give the docked panel room for its figure (at least WIDTH pixels, or a third of the window)."""
        dock = self._dock()
        window = dock.parentWidget() if dock is not None else None
        if dock is None or dock.isFloating() or not isinstance(window, QtWidgets.QMainWindow):
            return
        wanted = min(WIDTH, window.width() // 3)
        if dock.width() < wanted:
            window.resizeDocks([dock], [wanted], QtCore.Qt.Orientation.Horizontal)

    def _dock(self) -> QtWidgets.QDockWidget | None:
        dock = self.parentWidget()
        while dock is not None and not isinstance(dock, QtWidgets.QDockWidget):
            dock = dock.parentWidget()
        return dock

    def stop(self) -> None:
        """Turn it off: no run, nothing saved in the scene."""
        self.active = False
        self.runner.cancel()
        self.spec = None
        self.result = None
        self.picture.set_result(None, "")
        self.status.setText("")
        self._save()

    def toggle_large(self) -> None:
        """Float the dock as a large window (every histogram side by side), or put it back."""
        dock = self._dock()
        if dock is None:
            return
        if dock.isFloating():
            dock.setFloating(False)
            self.large_button.setText("Large view")
            return
        dock.setFloating(True)
        screen = dock.screen().availableGeometry() if dock.screen() is not None else QtCore.QRect(0, 0, 1280, 800)
        width, height = min(1280, screen.width() - 40), min(820, screen.height() - 40)
        dock.setGeometry(screen.left() + (screen.width() - width) // 2, screen.top() + (screen.height() - height) // 2,
                         width, height)
        self.large_button.setText("Back in the window")

    def _on_level(self, index: int) -> None:
        self.picture.selected = max(index, 0)
        self.picture.update()

    def recompute(self) -> None:
        """Compute the experiment for the selected ball and the dock's settings now."""
        if not self.active:
            return
        self._debounce.stop()
        if self._pinned is None:
            try:
                spec = self._spec()
            except DownhillError as error:
                self.status.setText(str(error))
                return
        else:
            spec = self.spec
        self._submit(spec)

    def adopt(self, spec: ExperimentSpec) -> None:
        """Show a saved escape experiment (a scene's); it stands until the ball or the dock's settings change."""
        self.active = True
        settings = spec.settings_dict()
        for box, key in ((self.levels_box, "levels"), (self.runs_box, "runs"), (self.steps_box, "steps")):
            box.blockSignals(True)
            box.setValue(int(settings[key]))
            box.blockSignals(False)
        self.range_box.blockSignals(True)
        wanted = (settings["sigma_low"], settings["sigma_high"])
        if self.range_box.findData(wanted) < 0:
            self.range_box.addItem(f"σ from {wanted[0]:g} to {wanted[1]:g}", wanted)
        self.range_box.setCurrentIndex(self.range_box.findData(wanted))
        self.range_box.blockSignals(False)
        self._select_saddle(settings.get("saddle"))
        self._pinned = self._ball_dynamics()
        self.spec = None
        self.result = None
        self._submit(spec)

    # -- internals -----------------------------------------------------------------------------
    def _submit(self, spec: ExperimentSpec | None) -> None:
        surface, seed = self.controller.surface, self.controller.seed
        where = (surface_key(surface), seed)
        if where != self._where:
            self._where = where
            self.result = None
        if spec != self.spec or self.result is None:
            self.spec = spec
            self.result = None
            if spec is None:
                self.runner.cancel()
                self.picture.set_result(None, "Add a ball: its optimiser escapes the saddle.")
            else:
                self._started = time.monotonic()
                self.status.setText("Computing…")
                self.picture.set_result(None, "Computing…")
                self.runner.submit(spec, surface, None, seed)
        self._save()

    def _ball_dynamics(self) -> tuple | None:
        ball = self._ball()
        return None if ball is None else (ball.optimizer, ball.hyperparameters)

    def _spec(self) -> ExperimentSpec | None:
        ball = self._ball()
        if ball is None:
            return None
        low, high = self.range_box.currentData()
        sizes = {"sigma_low": low, "sigma_high": high, "levels": self.levels_box.value(),
                 "runs": self.runs_box.value(), "steps": self.steps_box.value(),
                 "saddle": self.saddle_box.currentData()}
        return make_spec(escape.NAME, escape.settings_of_ball(ball, **sizes), "escape")

    def _on_points(self, points: Any) -> None:
        """List the surface's saddles (numbered as on the map) in the Saddle box."""
        chosen = self.saddle_box.currentData()
        self.saddle_box.blockSignals(True)
        self.saddle_box.clear()
        self.saddle_box.addItem("the first saddle", None)
        for index, point in enumerate(points or ()):
            if point.kind == "saddle":
                self.saddle_box.addItem(f"saddle {index + 1} at ({point.x:.3g}, {point.y:.3g})", index + 1)
        found = self.saddle_box.findData(chosen)
        self.saddle_box.setCurrentIndex(max(found, 0))
        self.saddle_box.blockSignals(False)

    def _select_saddle(self, number: Any) -> None:
        self.saddle_box.blockSignals(True)
        found = self.saddle_box.findData(number)
        if found < 0 and number is not None:
            self.saddle_box.addItem(f"saddle {number}", number)
            found = self.saddle_box.count() - 1
        self.saddle_box.setCurrentIndex(max(found, 0))
        self.saddle_box.blockSignals(False)

    def _on_model_changed(self, *_args: object) -> None:
        if not self.active:
            return
        if self._pinned is not None and self._ball_dynamics() == self._pinned:
            self._submit(self.spec)
            return
        self._pinned = None
        self._debounce.start()

    def _on_finished(self, spec: ExperimentSpec, result: object) -> None:
        self.result = result
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        seconds = time.monotonic() - self._started
        runs = result.times.size
        censored = int(result.censored.sum())
        slope = result.measured_slope()
        words = f"Done: {runs} runs in {seconds:.1f} s; {censored} censored."
        if slope is not None and result.slope is not None:
            words += f" Slope: {slope:.3g} measured, {result.slope:.3g} in theory."
        elif slope is None:
            words += " Too few levels with a median to fit a slope."
        self.status.setText(words)
        labels = [f"σ {sigma_text(sigma)}" for sigma in result.sigmas]
        if [self.level_box.itemText(i) for i in range(self.level_box.count())] != labels:
            self.level_box.blockSignals(True)
            self.level_box.clear()
            self.level_box.addItems(labels)
            self.level_box.setCurrentIndex(0)
            self.level_box.blockSignals(False)
            self.picture.selected = 0
        self.picture.set_result(result)
        self.resultShown.emit(result)

    def _on_failed(self, spec: ExperimentSpec, message: str) -> None:
        super()._on_failed(spec, message)
        self.picture.set_result(None, message)
