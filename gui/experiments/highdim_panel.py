"""The High-dimensional dock: why a descent meets saddles, not minima, in many dimensions.

Experiments > High-dimensional picture shows this dock (a row of gui.window.docks.PANELS) and
computes physics.experiments.landscape_stats (kind ``highdim``) on a worker thread
(gui.experiments.runner: progress bar, Cancel, latest wins) from the scene's seed, with the dock's
settings: the largest n, the matrices sampled per n, the landscape's dimensions and its Newton
starts. The two plots (gui.experiments.highdim_paint) fill the dock, side by side when it is wide,
stacked when narrow or tall; "Show" picks one of them alone (large, for a narrow dock). The result
does not depend on the surface; the settings are saved in the scene
(Scene.experiments) so a saved scene reopens with the picture (from the cache in this session).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PyQt6 import QtCore, QtGui, QtWidgets

from gui.experiments.dock_base import ExperimentDock
from gui.experiments.highdim_cli import DEFAULT_TITLE, write_highdim_figure
from gui.experiments.highdim_paint import NARROW, VIEWS, paint_highdim
from gui.experiments.picture import ExperimentPicture
from gui.experiments.runner import ExperimentRunner
from physics.experiments import landscape_stats as stats
from physics.experiments.base import ExperimentSpec, make_spec
from surfaces.errors import DownhillError

#: Milliseconds a change waits for the next before the picture is recomputed.
DEBOUNCE_MS = 300
#: Each plot's height when the two are stacked in a narrow dock (logical pixels).
STACKED_HEIGHT = 400
#: The sample counts offered (matrices per n).
SAMPLE_CHOICES = (100_000, 500_000, 2_000_000, 10_000_000, 50_000_000)


class HighDimPicture(ExperimentPicture):
    """The two plots, painted (a placeholder line until a result arrives)."""

    EMPTY_BACKGROUND, EMPTY_INK = "#ffffff", "#404040"

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.which = "both"
        self.message = "Experiments > High-dimensional picture computes it."
        self.setMinimumSize(300, 300)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Expanding)

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        """Tall enough for two stacked plots when narrow and showing both (the scroll area scrolls)."""
        stacked = self.which == "both" and self.width() < NARROW
        height = 2 * STACKED_HEIGHT if stacked else 300
        if self.minimumHeight() != height:
            self.setMinimumHeight(height)

    def set_result(self, result: object, message: str = "") -> None:
        self.result, self.message = result, message
        self.update()

    def empty_text(self) -> str:
        return self.message

    def paint_result(self, painter: QtGui.QPainter, rect: QtCore.QRectF) -> None:
        paint_highdim(painter, rect, self.result, font_size=max(8.5, min(11.0, rect.height() / 55)), which=self.which)


class HighDimPanel(ExperimentDock, QtWidgets.QWidget):
    """The dock's widget (module docstring).

    Attributes:
        runner: the background runner; spec: the experiment shown (None: off); result: its result.
        active: whether the experiment is on.
    """

    KIND = stats.NAME
    SAVE_ONLY_CHANGES = True  # (a scene already holding this picture is not marked changed)

    resultShown = QtCore.pyqtSignal(object)

    def __init__(self, controller: Any, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.active = False
        self.spec: ExperimentSpec | None = None
        self.result = None
        self._seed: int | None = None
        self._started = 0.0
        self.runner = ExperimentRunner(self)
        self._build()
        self._wire_runner(DEBOUNCE_MS)
        controller.sceneChanged.connect(self._on_scene_changed)

    # -- construction --------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        heading = QtWidgets.QLabel("Random Hessians are almost never positive definite, and at the critical "
                                   "points of a random landscape the share of downhill directions rises with "
                                   "the loss: in many dimensions a descent meets saddles, not minima.")
        heading.setWordWrap(True)
        layout.addWidget(heading)
        form = QtWidgets.QGridLayout()
        self.n_box = self._spin(2, stats.MAX_N, stats.DEFAULT_N_MAX, "largest Hessian size n")
        self.samples_box = QtWidgets.QComboBox()
        for count in SAMPLE_CHOICES:
            self.samples_box.addItem(f"{count:,}".replace(",", " "), count)
        self.samples_box.setCurrentIndex(SAMPLE_CHOICES.index(stats.DEFAULT_SAMPLES))
        self.samples_box.setToolTip("random symmetric matrices sampled for each n")
        self.samples_box.currentIndexChanged.connect(lambda _i: self._schedule())
        self.dim_box = self._spin(2, stats.MAX_DIM, stats.DEFAULT_DIM, "dimensions of the random landscape")
        self.starts_box = self._spin(10, 5000, stats.DEFAULT_STARTS, "Newton starts on the random landscape")
        for column, (words, box) in enumerate((("Largest n", self.n_box), ("Samples per n", self.samples_box),
                                               ("Landscape dimensions", self.dim_box),
                                               ("Newton starts", self.starts_box))):
            form.addWidget(QtWidgets.QLabel(words), column // 2, (column % 2) * 2)
            form.addWidget(box, column // 2, (column % 2) * 2 + 1)
        self.view_box = QtWidgets.QComboBox()
        for key, words in VIEWS:
            self.view_box.addItem(words, key)
        self.view_box.setToolTip("both plots (stacked in a narrow dock), or one of them large")
        self.view_box.currentIndexChanged.connect(self._on_view_changed)
        form.addWidget(QtWidgets.QLabel("Show"), 2, 0)
        form.addWidget(self.view_box, 2, 1)
        layout.addLayout(form)
        self._add_progress_row(layout)
        self.picture = HighDimPicture()
        # In a narrow dock the two plots stack, each STACKED_HEIGHT tall: the picture scrolls.
        self.scroll = QtWidgets.QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(self.picture)
        layout.addWidget(self.scroll, 1)

    # -- commands ------------------------------------------------------------------------------
    def figure_title(self) -> str:
        """The command's default title (the picture does not depend on the surface)."""
        return DEFAULT_TITLE

    def _write_figure(self, target: Path, size: tuple[int, int], title: str) -> Path:
        """Export figure…: the same writer as ``python main.py highdim --out``."""
        return write_highdim_figure(self.result, target, size, title)

    def start(self) -> None:
        """Turn the experiment on (Experiments > High-dimensional picture) and compute it."""
        self.active = True
        self.recompute()

    def stop(self) -> None:
        """Turn it off: no run, nothing saved in the scene."""
        self.active = False
        self._debounce.stop()
        self.runner.cancel()
        self.spec = self.result = None
        self.picture.set_result(None, "Turned off.")
        self.status.setText("")
        self._save()

    def settings(self) -> dict[str, int]:
        """The dock's settings (raw: validated by make_spec)."""
        return {"n_max": self.n_box.value(), "samples": int(self.samples_box.currentData()),
                "dim": self.dim_box.value(), "starts": self.starts_box.value()}

    def recompute(self) -> None:
        """Compute the picture for the dock's settings and the scene's seed now."""
        if not self.active:
            return
        self._debounce.stop()
        try:
            spec = make_spec(stats.NAME, self.settings(), "highdim")
        except DownhillError as error:
            self.status.setText(str(error))
            return
        seed = int(self.controller.seed)
        if spec == self.spec and seed == self._seed and self.result is not None:
            return
        self.spec, self._seed, self.result = spec, seed, None
        self._started = time.monotonic()
        self.status.setText("Computing…")
        self.picture.set_result(None, "Computing…")
        self.runner.submit(spec, self.controller.surface, None, seed)
        self._save()

    def adopt(self, spec: ExperimentSpec) -> None:
        """Show a saved experiment (a scene's): its settings in the boxes, then compute or recall it."""
        settings = spec.settings_dict()
        self.n_box.blockSignals(True)
        self.n_box.setValue(int(settings["n_max"]))
        self.n_box.blockSignals(False)
        self.samples_box.blockSignals(True)
        index = self.samples_box.findData(int(settings["samples"]))
        if index < 0:  # a count the menu does not offer: offered for this scene
            self.samples_box.addItem(f"{int(settings['samples']):,}".replace(",", " "), int(settings["samples"]))
            index = self.samples_box.count() - 1
        self.samples_box.setCurrentIndex(index)
        self.samples_box.blockSignals(False)
        for box, key in ((self.dim_box, "dim"), (self.starts_box, "starts")):
            box.blockSignals(True)
            box.setValue(int(settings[key]))
            box.blockSignals(False)
        self.active = True
        self.spec = None
        self.recompute()

    # -- internals -----------------------------------------------------------------------------
    def _on_view_changed(self, _index: int) -> None:
        self.picture.which = self.view_box.currentData()
        self.picture._fit()
        self.picture.update()

    def _schedule(self) -> None:
        if self.active:
            self._debounce.start()

    def _adopt_scene_specs(self, specs: tuple[ExperimentSpec, ...]) -> None:
        if specs[0] != self.spec or not self.active:  # (the picture shown already is not recomputed)
            self.adopt(specs[0])

    def _on_finished(self, spec: ExperimentSpec, result: object) -> None:
        self.result = result
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        census = result.census
        found = f"; {len(census.losses)} critical points" if census is not None else ""
        self.status.setText(f"Done in {time.monotonic() - self._started:.1f} s: "
                            f"{result.samples:,} matrices per n{found}.".replace(",", " "))
        self.picture.set_result(result)
        self.resultShown.emit(result)

    def _on_failed(self, spec: ExperimentSpec, message: str) -> None:
        super()._on_failed(spec, message)
        self.picture.set_result(None, message)
