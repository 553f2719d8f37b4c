"""The Basins dock: the selected ball's basins of attraction, computed in the background, on the map
and side by side with a comparison optimiser.

Experiments > Basins of attraction shows this dock (a row of gui.window.docks.PANELS) and turns
the map layer on. The basin map is the selected ball's optimiser, hyper-parameters, noise sigma
and clip (physics.experiments.basins.settings_of_ball) on the live surface from the scene's seed,
with the dock's grid, steps and repeats. It is recomputed on a worker thread
(gui.experiments.runner: progress bar, Cancel, latest wins) when any of them change; the map shows
it as a layer (gui.experiments.basin_layer). "Compare with" runs a second optimiser with the same
lr (gradient descent, momentum 0.9, Nesterov, Adam, RMSProp): the two maps are drawn small side by
side in the dock (gui.experiments.basin_paint), each with its legend of shares.

Both are saved in the scene (Scene.experiments: the ball's map first, the comparison second), so a
saved scene reopens with them (from the cache when they were computed in this session).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PyQt6 import QtCore, QtGui, QtWidgets

from gui.experiments.basin_layer import BasinLayer, legend_html
from gui.experiments.basin_paint import paint_basin_map
from gui.experiments.basins_cli import write_basin_figure
from gui.experiments.dock_base import ExperimentDock
from gui.experiments.picture import ExperimentPicture
from gui.experiments.runner import ExperimentRunner
from physics.experiments import basins
from physics.experiments.base import ExperimentSpec, make_spec, surface_key
from surfaces.errors import DownhillError

#: The comparisons offered: (words, optimiser, hyper-parameters besides the ball's lr).
COMPARISONS: tuple[tuple[str, str, dict], ...] = (
    ("nothing", "", {}),
    ("gradient descent", "gd", {}),
    ("momentum 0.9", "sgd", {"momentum": 0.9}),
    ("Nesterov 0.9", "nesterov", {"momentum": 0.9}),
    ("Adam", "adam", {}),
    ("RMSProp", "rmsprop", {}),
)
#: Milliseconds a change waits for the next before the map is recomputed (typing, dragging a slider).
DEBOUNCE_MS = 250
PICTURE_STYLE = "background: #ffffff;"


class BasinPicture(ExperimentPicture):
    """A small basin map painted by gui.experiments.basin_paint (no legend: the label under it has it)."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = ""
        self.setMinimumSize(160, 170)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Expanding)

    def set_result(self, result: object, title: str) -> None:
        self.result, self.title = result, title
        self.update()

    def empty_text(self) -> str:
        return self.title or "—"

    def paint_result(self, painter: QtGui.QPainter, rect: QtCore.QRectF) -> None:
        paint_basin_map(painter, rect, self.result, self.title, font_size=8.5, legend=False, caption=False)


class BasinsPanel(ExperimentDock, QtWidgets.QWidget):
    """The Basins dock's widget (see the module docstring).

    Attributes:
        runner, compare_runner: the two background runners (gui.experiments.runner).
        spec, compare_spec: the experiments shown (None: none).
        result, compare_result: their results once computed.
        layer: the map layer (after ``attach_map``).
    """

    KIND = basins.NAME
    FIGURE_HEADING = "Basins of attraction"

    resultShown = QtCore.pyqtSignal(object)

    def __init__(self, controller: Any, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.layer: BasinLayer | None = None
        self.active = False
        self.spec: ExperimentSpec | None = None
        self.compare_spec: ExperimentSpec | None = None
        self.result = None
        self.compare_result = None
        self._pinned: tuple | None = None  # the ball's dynamics a saved map was adopted with
        self._where: tuple | None = None  # (surface key, seed) of what is shown
        self._started = 0.0
        self.runner = ExperimentRunner(self)
        self.compare_runner = ExperimentRunner(self)
        self._build()
        self._wire_runner(DEBOUNCE_MS)
        self.compare_runner.finished.connect(self._on_compare_finished)
        self.compare_runner.failed.connect(lambda _spec, message: self.compare_legend.setText(message))
        for signal in (controller.ballsChanged, controller.selectionChanged, controller.surfaceChanged):
            signal.connect(self._on_model_changed)
        controller.sceneChanged.connect(self._on_scene_changed)
        application = QtCore.QCoreApplication.instance()
        if application is not None:  # a run still going as the app quits stops at its next chunk
            application.aboutToQuit.connect(self.shutdown)

    # -- construction --------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.heading = QtWidgets.QLabel("Where each start ends, for the selected ball's optimiser.")
        self.heading.setWordWrap(True)
        layout.addWidget(self.heading)
        form = QtWidgets.QFormLayout()
        self.grid_box = self._spin(10, basins.MAX_GRID, basins.DEFAULT_GRID, "starts along each side of the grid")
        self.steps_box = self._spin(10, basins.MAX_STEPS, basins.DEFAULT_STEPS, "steps from each start")
        self.repeats_box = self._spin(1, basins.MAX_REPEATS, basins.DEFAULT_REPEATS,
                                      "seeded runs per start when the ball has noise")
        form.addRow("Grid (N × N)", self.grid_box)
        form.addRow("Steps", self.steps_box)
        form.addRow("Repeats with noise", self.repeats_box)
        self.show_on_map = QtWidgets.QCheckBox("Show on the map")
        self.show_on_map.setChecked(True)
        self.show_on_map.toggled.connect(self._on_show_toggled)
        form.addRow(self.show_on_map)
        self.compare_box = QtWidgets.QComboBox()
        for words, _optimizer, _hyper in COMPARISONS:
            self.compare_box.addItem(words)
        self.compare_box.setToolTip("a second basin map beside the first: the same lr, another optimiser")
        self.compare_box.currentIndexChanged.connect(lambda _i: self._schedule())
        form.addRow("Compare with", self.compare_box)
        layout.addLayout(form)
        self._add_progress_row(layout)
        pictures = QtWidgets.QGridLayout()
        self.picture = BasinPicture()
        self.compare_picture = BasinPicture()
        self.legend = QtWidgets.QLabel("")
        self.compare_legend = QtWidgets.QLabel("")
        for column, (picture, legend) in enumerate(((self.picture, self.legend),
                                                     (self.compare_picture, self.compare_legend))):
            legend.setWordWrap(True)
            legend.setTextFormat(QtCore.Qt.TextFormat.RichText)
            legend.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop)
            pictures.addWidget(picture, 0, column)
            pictures.addWidget(legend, 1, column)
        self.compare_picture.hide()
        self.compare_legend.hide()
        layout.addLayout(pictures, 1)

    def attach_map(self, map_view: QtWidgets.QWidget) -> None:
        """Draw the basin map on ``map_view`` (a ContourMapView) as a layer."""
        self.layer = BasinLayer(map_view)
        if self.result is not None and self.active and self.show_on_map.isChecked():
            self.layer.show(self.result, self._title(self.spec))

    # -- commands ------------------------------------------------------------------------------
    def _write_figure(self, target: Path, size: tuple[int, int], title: str) -> Path:
        """Export figure…: the same writer as ``python main.py basins --out``."""
        return write_basin_figure(self.result, target, size, title, surface=self.controller.surface)

    def start(self) -> None:
        """Turn the experiment on (Experiments > Basins of attraction): compute the selected ball's map."""
        self.active = True
        self._pinned = None
        self.recompute()

    def stop(self) -> None:
        """Turn it off: no layer, no run, nothing saved in the scene."""
        self.active = False
        self.runner.cancel()
        self.compare_runner.cancel()
        self.spec = self.compare_spec = None
        self.result = self.compare_result = None
        if self.layer is not None:
            self.layer.clear()
        self.picture.set_result(None, "")
        self.compare_picture.set_result(None, "")
        self.legend.setText("")
        self.status.setText("")
        self._save()

    def cancel(self) -> None:
        """Stop the computation under way (Cancel)."""
        self.runner.cancel()
        self.compare_runner.cancel()

    def shutdown(self) -> None:
        """Cancel and wait for the runs (the app is quitting: their threads must end first)."""
        self.cancel()
        self.runner.wait(5_000)
        self.compare_runner.wait(5_000)

    def recompute(self) -> None:
        """Compute the map (and the comparison) for the selected ball and the dock's settings now."""
        if not self.active:
            return
        self._debounce.stop()
        if self._pinned is None:
            try:
                spec, compare = self._specs()
            except DownhillError as error:
                self.status.setText(str(error))
                return
        else:
            spec, compare = self.spec, self.compare_spec
        self._submit(spec, compare)

    def adopt(self, specs: tuple[ExperimentSpec, ...]) -> None:
        """Show saved basin experiments (a scene's): the first on the map, the second beside it. They
        stand until the selected ball's optimiser, hyper-parameters, noise or clip, or the dock's
        settings, change (then the ball's own map is computed)."""
        self.active = True
        spec, compare = specs[0], (specs[1] if len(specs) > 1 else None)
        settings = spec.settings_dict()
        for box, key in ((self.grid_box, "grid"), (self.steps_box, "steps"), (self.repeats_box, "repeats")):
            box.blockSignals(True)
            box.setValue(int(settings[key]))
            box.blockSignals(False)
        self.compare_box.blockSignals(True)
        self.compare_box.setCurrentIndex(self._comparison_index(compare))
        self.compare_box.blockSignals(False)
        self._pinned = self._ball_dynamics()
        self.spec = self.compare_spec = None
        self.result = self.compare_result = None
        self._submit(spec, compare)

    # -- internals -----------------------------------------------------------------------------
    def _submit(self, spec: ExperimentSpec | None, compare: ExperimentSpec | None) -> None:
        """Run what differs from what is shown (a cached result comes back at once)."""
        surface, seed = self.controller.surface, self.controller.seed
        where = (surface_key(surface), seed)
        if where != self._where:  # another surface or seed: what is shown no longer holds
            self._where = where
            self.result = self.compare_result = None
            if self.layer is not None:
                self.layer.clear()
        if spec != self.spec or self.result is None:
            self.spec = spec
            self.result = None
            if spec is None:
                self.runner.cancel()
                self.status.setText("Add a ball: its optimiser's basins are drawn.")
            else:
                self._started = time.monotonic()
                self.status.setText("Computing…")
                self.runner.submit(spec, surface, None, seed)
        if compare != self.compare_spec or (compare is not None and self.compare_result is None):
            self.compare_spec = compare
            self.compare_result = None
            shown = compare is not None
            self.compare_picture.setVisible(shown)
            self.compare_legend.setVisible(shown)
            if shown:
                self.compare_picture.set_result(None, "computing…")
                self.compare_runner.submit(compare, surface, None, seed)
            else:
                self.compare_runner.cancel()
        self._save()

    def _ball_dynamics(self) -> tuple | None:
        ball = self._ball()
        return None if ball is None else (ball.optimizer, ball.hyperparameters, ball.noise.sigma, ball.clip)

    def _specs(self) -> tuple[ExperimentSpec | None, ExperimentSpec | None]:
        ball = self._ball()
        if ball is None:
            return None, None
        sizes = {"grid": self.grid_box.value(), "steps": self.steps_box.value(), "repeats": self.repeats_box.value()}
        spec = make_spec(basins.NAME, basins.settings_of_ball(ball, **sizes), "basins")
        words, optimizer, hyper = COMPARISONS[self.compare_box.currentIndex()]
        if not optimizer:
            return spec, None
        extra = dict(hyper)
        lr = dict(ball.hyperparameters).get("lr", ball.settings().get("lr"))
        if lr is not None:
            extra["lr"] = lr
        compare = make_spec(basins.NAME, {"optimizer": optimizer, "hyperparameters": extra,
                                          "sigma": ball.noise.sigma, "clip": ball.clip, **sizes}, "basins")
        return spec, compare

    @staticmethod
    def _comparison_index(spec: ExperimentSpec | None) -> int:
        if spec is None:
            return 0
        settings = spec.settings_dict()
        for index, (_words, optimizer, hyper) in enumerate(COMPARISONS):
            given = dict(settings["hyperparameters"])
            if optimizer == settings["optimizer"] and all(given.get(k) == v for k, v in hyper.items()):
                return index
        return 0

    def _on_model_changed(self, *_args: object) -> None:
        if not self.active:
            return
        if self._pinned is not None and self._ball_dynamics() == self._pinned:
            self._submit(self.spec, self.compare_spec)  # the saved map stands (recomputed on a new surface)
            return
        self._pinned = None
        self._debounce.start()

    def _adopt_scene_specs(self, specs: tuple[ExperimentSpec, ...]) -> None:
        self.adopt(specs)  # (the map and its comparison)

    def _saved_specs(self) -> tuple[ExperimentSpec, ...]:
        return tuple(spec for spec in (self.spec, self.compare_spec) if spec is not None) if self.active else ()

    def _title(self, spec: ExperimentSpec | None) -> str:
        """"GD (gd)": the ball's name and optimiser for its map; "momentum 0.9" for the comparison."""
        if spec is None:
            return ""
        if spec == self.compare_spec and spec != self.spec:
            return COMPARISONS[self._comparison_index(spec)][0]
        ball = self._ball()
        optimizer = spec.settings_dict()["optimizer"]
        return f"{ball.name} ({optimizer})" if ball is not None and self._pinned is None else optimizer

    def _on_busy(self, busy: bool) -> None:
        self.cancel_button.setEnabled(busy)
        if not busy and self.progress.value() < self.progress.maximum() and self.result is None:
            self.progress.setValue(0)

    def _on_finished(self, spec: ExperimentSpec, result: object) -> None:
        self.result = result
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        seconds = time.monotonic() - self._started
        self.status.setText(f"Done: {len(result.xs) ** 2} starts in {seconds:.1f} s.")
        title = self._title(spec)
        self.picture.set_result(result, title)
        self.legend.setText(legend_html(result, title, heading=False))
        if self.layer is not None and self.show_on_map.isChecked():
            self.layer.show(result, title)
        self.resultShown.emit(result)

    def _on_compare_finished(self, spec: ExperimentSpec, result: object) -> None:
        self.compare_result = result
        title = self._title(spec)
        self.compare_picture.set_result(result, title)
        self.compare_legend.setText(legend_html(result, title, heading=False))

    def _on_show_toggled(self, shown: bool) -> None:
        if self.layer is None:
            return
        if shown and self.result is not None and self.active:
            self.layer.show(self.result, self._title(self.spec))
        else:
            self.layer.clear()
