"""What the four experiment docks (basins, stability, escape, high-dimensional picture) share: the
progress bar + Cancel row and status line, the runner's wiring, the spin boxes that reschedule a
run, and keeping the scene's list of experiments in step with the dock (saved in, restored from).

``ExperimentDock`` is a mixin placed before QtWidgets.QWidget in a panel's bases. The panel sets
``KIND`` (its experiment's registered name) and holds ``controller``, ``runner`` (an
ExperimentRunner), ``spec``, ``result``, ``active`` and ``picture``, and a ``recompute``; it
overrides a hook where its experiment differs (``_saved_specs``, ``_adopt_scene_specs``).
"""

from __future__ import annotations

from typing import Any

from PyQt6 import QtCore, QtWidgets

from physics.experiments.base import ExperimentSpec, with_kind


class ExperimentDock:
    """Mixin of the experiment panels (see the module docstring)."""

    #: The experiment's registered name (physics.experiments.<kind>.NAME).
    KIND = ""
    #: Whether the scene is told only when the dock's specs differ from what it holds.
    SAVE_ONLY_CHANGES = False

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
