"""What the four experiment docks (basins, stability, escape, high-dimensional picture) share: the
progress bar + Cancel row and status line, the runner's wiring, the spin boxes that reschedule a
run, and keeping the scene's list of experiments in step with the dock (saved in, restored from).

``ExperimentDock`` is a mixin placed before QtWidgets.QWidget in a panel's bases. The panel sets
``KIND`` (its experiment's registered name) and holds ``controller``, ``runner`` (an
ExperimentRunner), ``spec``, ``result``, ``active`` and ``picture``, and a ``recompute``; it
overrides a hook where its experiment differs (``_saved_specs``, ``_adopt_scene_specs``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from PyQt6 import QtCore, QtWidgets

from physics.experiments.base import ExperimentSpec, with_kind
from surfaces.errors import DownhillError

#: The figure's size in logical pixels (width, height) when exported from a dock.
EXPORT_SIZE = (1600, 1000)
#: The export dialog's filters, by suffix (the figures the experiment commands write).
EXPORT_FILTERS = {".png": "PNG image (*.png)", ".svg": "SVG vector (*.svg)", ".pdf": "PDF vector (*.pdf)"}


class ExperimentDock:
    """Mixin of the experiment panels (see the module docstring)."""

    #: The experiment's registered name (physics.experiments.<kind>.NAME).
    KIND = ""
    #: Whether the scene is told only when the dock's specs differ from what it holds.
    SAVE_ONLY_CHANGES = False
    #: The figure's heading before ": <surface>", as the experiment's command titles it by default.
    FIGURE_HEADING = ""

    # -- construction --------------------------------------------------------------------------
    def _wire_runner(self, debounce_ms: int) -> None:
        """Make ``_debounce`` (single shot, ``debounce_ms`` milliseconds, then ``recompute``: a burst of
        changes makes one run) and connect ``runner``'s signals to the progress row, the status line
        and the panel's ``_on_finished`` / ``_on_failed``."""
        self._debounce = QtCore.QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(debounce_ms)
        self._debounce.timeout.connect(self.recompute)
        self.runner.progressed.connect(self._on_progress)
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(self._on_failed)
        self.runner.cancelled.connect(lambda: self.status.setText("Cancelled."))
        self.runner.busyChanged.connect(self._on_busy)
        for signal in (self.runner.finished, self.runner.failed, self.runner.cancelled, self.runner.busyChanged):
            signal.connect(lambda *_args: self._sync_export_button())

    def _add_progress_row(self, layout: QtWidgets.QBoxLayout) -> None:
        """Add the progress bar with its Cancel button, and the status line under them, to ``layout``."""
        progress_row = QtWidgets.QHBoxLayout()
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        self.export_button = QtWidgets.QPushButton("Export figure…")
        self.export_button.setToolTip("Save this figure as PNG, SVG or PDF (as the experiment's command writes it)")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self.choose_export_file)
        progress_row.addWidget(self.export_button)
        layout.addLayout(progress_row)
        self.status = QtWidgets.QLabel("")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)

    def _spin(self, low: int, high: int, value: int, tip: str) -> QtWidgets.QSpinBox:
        """A spin box from ``low`` to ``high`` whose change (on Enter or the arrows, not each key)
        schedules a new run."""
        box = QtWidgets.QSpinBox()
        box.setRange(low, high)
        box.setValue(value)
        box.setToolTip(tip)
        box.setKeyboardTracking(False)
        box.valueChanged.connect(lambda _v: self._schedule())
        return box

    # -- the selected ball ---------------------------------------------------------------------
    def _ball_index(self) -> int:
        """The index of the ball the experiment follows: the selected one, else the first; -1 when none."""
        balls, selected = self.controller.balls, self.controller.selected
        if not balls:
            return -1
        return selected if 0 <= selected < len(balls) else 0

    def _ball(self) -> Any:
        """The ball the experiment follows (see ``_ball_index``), or None when there is none."""
        index = self._ball_index()
        return None if index < 0 else self.controller.balls[index]

    # -- running -------------------------------------------------------------------------------
    def cancel(self) -> None:
        """Stop the computation under way (Cancel)."""
        self.runner.cancel()

    def _schedule(self) -> None:
        if self.active:
            self._pinned = None  # a setting changed: the ball's dynamics are the dock's again
            self._debounce.start()

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)

    def _on_busy(self, busy: bool) -> None:
        self.cancel_button.setEnabled(busy)
        if not busy and self.result is None:
            self.progress.setValue(0)

    def _on_failed(self, _spec: ExperimentSpec, message: str) -> None:
        self.status.setText(message)
        self.progress.setValue(0)

    # -- the figure ----------------------------------------------------------------------------
    def _sync_export_button(self) -> None:
        button = getattr(self, "export_button", None)
        if button is not None:
            button.setEnabled(self.result is not None)

    def figure_title(self) -> str:
        """The exported figure's title: ``FIGURE_HEADING: <surface's name or formula>``, as the command's."""
        surface = getattr(self.controller, "surface", None)
        name = (getattr(surface, "name", "") or getattr(surface, "text", "")) if surface is not None else ""
        return f"{self.FIGURE_HEADING}: {name}" if name else self.FIGURE_HEADING

    def default_export_name(self) -> str:
        """"<kind>-<surface>.png", the surface's name made safe for a file name."""
        surface = getattr(self.controller, "surface", None)
        name = getattr(surface, "name", "") if surface is not None else ""
        slug = re.sub(r"[^A-Za-z0-9]+", "-", name or "").strip("-").lower()
        return f"{self.KIND}-{slug}.png" if slug else f"{self.KIND}.png"

    def _write_figure(self, target: Path, size: tuple[int, int], title: str) -> Path:
        """Write ``self.result``'s figure through the experiment command's own writer (the panel's)."""
        raise NotImplementedError

    def choose_export_file(self) -> None:
        """Export figure…: ask for a file (PNG, SVG or PDF), then ``export_figure`` it."""
        path, chosen = QtWidgets.QFileDialog.getSaveFileName(
            self, "Export figure", self.default_export_name(), ";;".join(EXPORT_FILTERS.values()))
        if path:
            if Path(path).suffix.lower() not in EXPORT_FILTERS:
                path += next((suffix for suffix, text in EXPORT_FILTERS.items() if text == chosen), ".png")
            self.export_figure(path)

    def export_figure(self, path: str | Path, size: tuple[int, int] = EXPORT_SIZE) -> bool:
        """Write the result's figure to ``path`` (.png, .svg or .pdf) at ``size`` logical pixels with the
        painter and writer the experiment's command uses; the status line says where, or why not (one
        line: nothing raises). True when written."""
        target = Path(path)
        if self.result is None:
            self.status.setText("Nothing to export yet: the experiment has no result.")
            return False
        if target.suffix.lower() not in EXPORT_FILTERS:
            self.status.setText(f"Cannot export to {target.name}: the file must end in .png, .svg or .pdf.")
            return False
        try:
            self._write_figure(target, size, self.figure_title())
        except (DownhillError, OSError, ValueError) as error:
            self.status.setText(f"Figure not saved: {str(error).splitlines()[0] if str(error) else error!r}")
            return False
        self.status.setText(f"Figure saved: {target}")
        return True

    # -- the scene -----------------------------------------------------------------------------
    def restore_from(self, scene: Any) -> None:
        """Show the experiment ``scene`` holds (a scene opened, or the one the window opened with)."""
        self._on_scene_changed(scene)

    def _on_scene_changed(self, scene: Any) -> None:
        specs = tuple(spec for spec in getattr(scene, "experiments", ()) if spec.kind == self.KIND)
        if specs:
            self._adopt_scene_specs(specs)
            self.shown_by_scene()
        elif self.active:
            self.stop()

    def _adopt_scene_specs(self, specs: tuple[ExperimentSpec, ...]) -> None:
        """Take up the scene's experiments of this kind (non-empty): by default the first."""
        self.adopt(specs[0])

    def shown_by_scene(self) -> None:
        """Hook for the window: show the dock when a scene brings this experiment (set by attach)."""

    def _saved_specs(self) -> tuple[ExperimentSpec, ...]:
        """The specs the scene should hold for this kind: the one shown while the dock is on."""
        return (self.spec,) if self.active and self.spec is not None else ()

    def _save(self) -> None:
        session = getattr(self.controller, "session", None)
        if session is None or not hasattr(session, "set_experiments"):
            return
        updated = with_kind(session.scene.experiments, self.KIND, self._saved_specs())
        if not self.SAVE_ONLY_CHANGES or updated != session.scene.experiments:
            session.set_experiments(updated)
