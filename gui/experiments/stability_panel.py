"""The Stability dock: the selected ball's stability map over two hyper-parameters, computed in the
background; clicking a cell gives the ball that cell's settings.

Experiments > Stability map shows this dock (a row of gui.window.docks.PANELS). The map is the
selected ball's optimiser, other hyper-parameters, start, noise and clip
(physics.experiments.stability.settings_of_ball) on the live surface from the scene's seed, over
the dock's axes (lr x momentum by default; beta1, beta2, alpha, noise), grid and steps. It is
recomputed on a worker thread (gui.experiments.runner: progress bar, Cancel, latest wins) when
the surface, the start, the optimiser or the dock's settings change; giving the ball a cell's
settings (a click) changes none of them, so the map stays and its ring moves to the cell. The map
(gui.experiments.stability_paint) shows the regions in words, the theory line and a legend of
shares. It is saved in the scene (Scene.experiments) and reopens with it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PyQt6 import QtCore, QtGui, QtWidgets

from gui.experiments.dock_base import ExperimentDock
from gui.experiments.picture import ExperimentPicture
from gui.experiments.runner import ExperimentRunner
from gui.experiments.stability_cli import write_stability_figure
from gui.experiments.stability_paint import axis_label, cell_at_point, paint_stability_map
from physics.experiments import stability
from physics.experiments.base import ExperimentSpec, make_spec, surface_key
from surfaces.errors import DownhillError

#: Milliseconds a change waits for the next before the map is recomputed.
DEBOUNCE_MS = 250


class StabilityPicture(ExperimentPicture):
    """The map, painted by gui.experiments.stability_paint; a click on a cell emits ``cellClicked(i, j)``."""

    cellClicked = QtCore.pyqtSignal(int, int)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = ""
        self.marker: tuple[float, float] | None = None
        self.plot = QtCore.QRectF()
        self.setMinimumSize(320, 300)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)
        self.setCursor(QtCore.Qt.CursorShape.CrossCursor)

    def set_result(self, result: object, title: str, marker: tuple[float, float] | None = None) -> None:
        self.result, self.title, self.marker = result, title, marker
        self._layout_plot()
        self.update()

    def set_marker(self, marker: tuple[float, float] | None) -> None:
        self.marker = marker
        self.update()

    def _font_size(self) -> float:
        return max(8.0, min(11.0, self.height() / 45))

    def _layout_plot(self) -> None:
        """Where the cells are (what a click reads), as the painter lays them out at this size."""
        if self.result is None:
            self.plot = QtCore.QRectF()
            return
        image = QtGui.QImage(1, 1, QtGui.QImage.Format.Format_ARGB32)
        painter = QtGui.QPainter(image)
        try:
            painter.setClipRect(QtCore.QRectF(0, 0, 0, 0))
            self.plot = paint_stability_map(painter, QtCore.QRectF(self.rect()), self.result, self.title,
                                            font_size=self._font_size())
        finally:
            painter.end()

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._layout_plot()

    def empty_text(self) -> str:
        return self.title or "—"

    def paint_result(self, painter: QtGui.QPainter, rect: QtCore.QRectF) -> None:
        self.plot = paint_stability_map(painter, rect, self.result, self.title, font_size=self._font_size(),
                                        marker=self.marker)

    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 (Qt override)
        if self.result is None or event.button() != QtCore.Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        cell = cell_at_point(self.plot, self.result, event.position())
        if cell is not None:
            self.cellClicked.emit(*cell)
        return None

    def mouseMoveEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 (Qt override)
        if self.result is not None:
            cell = cell_at_point(self.plot, self.result, event.position())
            if cell is not None:
                i, j = cell
                r = self.result
                self.setToolTip(f"{r.x_param} {r.xs[i]:.4g}, {r.y_param} {r.ys[j]:.4g}: "
                                f"{stability.OUTCOMES[int(r.outcome[i, j])]} (click: give the ball these)")
            else:
                self.setToolTip("")
        super().mouseMoveEvent(event)


class StabilityPanel(ExperimentDock, QtWidgets.QWidget):
    """The Stability dock's widget (see the module docstring).

    Attributes:
        runner: the background runner; spec: the experiment shown (None: none); result: its result.
    """

    KIND = stability.NAME
    FIGURE_HEADING = "Stability map"

    resultShown = QtCore.pyqtSignal(object)

    def __init__(self, controller: Any, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.active = False
        self.spec: ExperimentSpec | None = None
        self.result = None
        self._pinned: tuple | None = None  # the ball's dynamics a saved map was adopted with
        self._where: tuple | None = None
        self._started = 0.0
        self.runner = ExperimentRunner(self)
        self._build()
        self._wire_runner(DEBOUNCE_MS)
        for signal in (controller.ballsChanged, controller.selectionChanged, controller.surfaceChanged):
            signal.connect(self._on_model_changed)
        controller.sceneChanged.connect(self._on_scene_changed)

    # -- construction --------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        heading = QtWidgets.QLabel("Which settings converge, oscillate or diverge from the selected ball's start. "
                                   "Click a cell to give the ball its settings.")
        heading.setWordWrap(True)
        layout.addWidget(heading)
        form = QtWidgets.QFormLayout()
        self.x_box = self._combo("the parameter along x")
        self.y_box = self._combo("the parameter along y")
        axes = QtWidgets.QHBoxLayout()
        axes.addWidget(self.x_box)
        axes.addWidget(QtWidgets.QLabel("×"))
        axes.addWidget(self.y_box)
        form.addRow("Axes", axes)
        self.grid_box = self._spin(4, stability.MAX_GRID, stability.DEFAULT_GRID, "settings along each side")
        self.steps_box = self._spin(10, stability.MAX_STEPS, stability.DEFAULT_STEPS, "steps of each run")
        form.addRow("Grid (N × N)", self.grid_box)
        form.addRow("Steps", self.steps_box)
        self.bound_box = QtWidgets.QComboBox()
        self.bound_box.addItem("at the target minimum", "minimum")
        self.bound_box.addItem("at the start", "start")
        self.bound_box.setToolTip("where the theory line's local quadratic (its λmax) is taken")
        self.bound_box.currentIndexChanged.connect(lambda _i: self._schedule())
        form.addRow("Theory line", self.bound_box)
        layout.addLayout(form)
        self._add_progress_row(layout)
        self.picture = StabilityPicture()
        self.picture.cellClicked.connect(self.apply_cell)
        layout.addWidget(self.picture, 1)

    def _combo(self, tip: str) -> QtWidgets.QComboBox:
        box = QtWidgets.QComboBox()
        box.setToolTip(tip)
        for param in stability.PARAMS:
            box.addItem(axis_label(param), param)
        box.currentIndexChanged.connect(lambda _i: self._on_axes_changed())
        return box

    # -- commands ------------------------------------------------------------------------------
    def _write_figure(self, target: Path, size: tuple[int, int], title: str) -> Path:
        """Export figure…: the same writer as ``python main.py stability --out``."""
        return write_stability_figure(self.result, target, size, title)

    def start(self) -> None:
        """Turn the experiment on (Experiments > Stability map): compute the selected ball's map."""
        self.active = True
        self._pinned = None
        self._axes_for_ball()
        self.recompute()

    def stop(self) -> None:
        """Turn it off: no run, nothing saved in the scene."""
        self.active = False
        self.runner.cancel()
        self.spec = None
        self.result = None
        self.picture.set_result(None, "")
        self.status.setText("")
        self._save()

    def recompute(self) -> None:
        """Compute the map for the selected ball and the dock's settings now."""
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

    def apply_cell(self, i: int, j: int) -> None:
        """Give the selected ball cell (i, j)'s settings (one change: the ball restarts)."""
        ball, index = self._ball(), self._ball_index()
        if self.result is None or ball is None:
            return
        values = self.result.cell_settings(i, j)
        try:
            self.controller.update_ball(index, stability.ball_with_cell(ball, values))
        except DownhillError as error:
            self.status.setText(str(error))
            return
        words = ", ".join(f"{name} {value:.4g}" for name, value in values.items())
        self.status.setText(f"{ball.name}: {words} ({stability.OUTCOMES[int(self.result.outcome[i, j])]} here).")

    def adopt(self, spec: ExperimentSpec) -> None:
        """Show a saved stability map (a scene's); it stands until the selected ball's dynamics or the
        dock's settings change."""
        self.active = True
        settings = spec.settings_dict()
        for box, key in ((self.grid_box, "grid"), (self.steps_box, "steps")):
            box.blockSignals(True)
            box.setValue(int(settings[key]))
            box.blockSignals(False)
        for box, key in ((self.x_box, "x_param"), (self.y_box, "y_param"), (self.bound_box, "bound_at")):
            box.blockSignals(True)
            box.setCurrentIndex(max(0, box.findData(settings[key])))
            box.blockSignals(False)
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
                self.picture.set_result(None, "no ball")
                self.status.setText("Add a ball: its optimiser's stability map is drawn.")
            else:
                self._started = time.monotonic()
                self.status.setText("Computing…")
                self.picture.set_result(None, "computing…")
                self.runner.submit(spec, surface, None, seed)
        else:
            self.picture.set_marker(self._marker())
        self._save()

    def _ball_dynamics(self) -> tuple | None:
        ball = self._ball()
        if ball is None:
            return None
        return (ball.optimizer, ball.start, ball.clip)

    def _axes_for_ball(self) -> None:
        """Default axes for the ball's optimiser (lr x momentum, beta1, alpha or noise) unless the dock's
        axes already suit it."""
        ball = self._ball()
        if ball is None:
            return
        try:
            make_spec(stability.NAME, self._raw_settings(ball), "stability")
            return
        except DownhillError:
            pass
        defaults = stability.settings_of_ball(ball)
        for box, key in ((self.x_box, "x_param"), (self.y_box, "y_param")):
            box.blockSignals(True)
            box.setCurrentIndex(max(0, box.findData(defaults[key])))
            box.blockSignals(False)

    def _raw_settings(self, ball: Any) -> dict:
        return stability.settings_of_ball(ball, x_param=self.x_box.currentData(), y_param=self.y_box.currentData(),
                                          grid=self.grid_box.value(), steps=self.steps_box.value(),
                                          bound_at=self.bound_box.currentData())

    def _spec(self) -> ExperimentSpec | None:
        ball = self._ball()
        if ball is None:
            return None
        return make_spec(stability.NAME, self._raw_settings(ball), "stability")

    def _marker(self) -> tuple[float, float] | None:
        ball = self._ball()
        if ball is None or self.result is None:
            return None
        try:
            return stability.ball_values(ball, self.result.x_param, self.result.y_param)
        except DownhillError:
            return None

    def _on_axes_changed(self) -> None:
        self._schedule()

    def _on_model_changed(self, *_args: object) -> None:
        if not self.active:
            return
        if self._pinned is not None and self._ball_dynamics() == self._pinned:
            self._submit(self.spec)
            return
        if self._pinned is None and self.result is not None:
            try:
                if self._spec() == self.spec:  # (a click gave the ball a cell's settings: the map stands)
                    self._submit(self.spec)
                    return
            except DownhillError:
                pass
        self._pinned = None
        self._axes_for_ball()
        self._debounce.start()

    def _title(self) -> str:
        ball = self._ball()
        optimizer = self.spec.settings_dict()["optimizer"] if self.spec is not None else ""
        if ball is None or self._pinned is not None:
            return optimizer
        if ball.optimizer == "gd" and optimizer == "momentum":
            return f"{ball.name} (gd: the μ = 0 row of heavy ball's map)"
        return f"{ball.name} ({optimizer})"

    def _on_finished(self, spec: ExperimentSpec, result: object) -> None:
        self.result = result
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        seconds = time.monotonic() - self._started
        self.status.setText(f"Done: {len(result.xs) ** 2} settings in {seconds:.1f} s. "
                            "Click a cell to give the ball its settings.")
        self.picture.set_result(result, self._title(), self._marker())
        self.resultShown.emit(result)

    def _on_failed(self, spec: ExperimentSpec, message: str) -> None:
        super()._on_failed(spec, message)
        self.picture.set_result(None, "")
