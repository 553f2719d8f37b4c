"""The live what-if preview's Qt side: previews computed off the UI thread, latest wins.

:class:`WhatIfPreview` (one per controller, its child: :meth:`WhatIfPreview.of`) takes requests
from the editors and the map while a slider or a start is dragged, ``preview(index, spec,
label)``, and announces each result as ``ghostChanged(Ghost | None)``; the map draws it
(gui.views.ghost_path). The UI thread only captures the request (physics.preview.what_if:
microseconds) and draws; the stepping runs on one private pool thread:

- **Latest wins.** At most one request runs and at most one waits; a new request replaces the
  waiting one, so a drag never queues stale work. A result is shown if it is newer than the one
  shown (not only if it is the newest: at 60 slider moves a second every request is superseded
  before it ends, and the ghost must still move).
- **Long previews report as they go.** A preview reports its path so far every
  ``physics.preview.REPORT_SECONDS`` (40 ms) and gives up at such a report when a newer request
  waits, so a drag redraws at least 20 times a second even where 300 steps of a line-search method
  take longer; the last request of a drag runs to its end.
- **The ghost goes** on ``end()`` (release: the editor commits the value, one change, one
  restart), on ``cancel()`` (Esc), and when the balls, the surface or the scene change.

While a preview is shown and the simulation steps, a ghost that continues the ball from where it
is follows it (re-requested, coalesced like a drag).

:class:`EscapeCancels` is the key filter a drag installs on the application while it lasts: Esc
cancels the drag (and nothing else sees that Esc: presentation mode's Esc does not also fire).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PyQt6.QtCore import QEvent, QObject, QRunnable, Qt, QThreadPool, pyqtSignal
from PyQt6.QtGui import QKeyEvent
from PyQt6.QtWidgets import QApplication

from physics.balls import BallSpec
from physics.preview import PREVIEW_STEPS, Preview, PreviewRequest, run_preview, what_if
from surfaces.errors import DownhillError


@dataclass(frozen=True)
class Ghost:
    """A preview to draw: the path, the ball's colour and the words of its label.

    Attributes:
        preview: physics.preview.Preview (path (k, 2), reason, complete, ...).
        color: the ball's "#rrggbb".
        label: what was changed, as the label shows it ("lr 0.05", "start (1.2, -0.3)").
        generation: the request it answers (newer is larger).
    """

    preview: Preview
    color: str
    label: str
    generation: int


class _Signals(QObject):
    result = pyqtSignal(int, object)    # (generation, Preview), partial or complete
    failed = pyqtSignal(int, object)    # (generation, DownhillError)
    finished = pyqtSignal(int)


class _PreviewJob(QRunnable):
    def __init__(self, generation: int, request: PreviewRequest, keep_going: Callable[[int], bool]):
        super().__init__()
        self.generation = generation
        self.request = request
        self.keep_going = keep_going
        self.signals = _Signals()
        self.setAutoDelete(False)

    def run(self) -> None:
        generation = self.generation

        def report(partial: Preview) -> bool:
            self.signals.result.emit(generation, partial)
            return self.keep_going(generation)

        try:
            preview = run_preview(self.request, report=report)
        except DownhillError as error:
            self.signals.failed.emit(generation, error)
        except Exception as error:  # noqa: BLE001 - a preview that breaks is a missing ghost, not a crash
            self.signals.failed.emit(generation, DownhillError(f"could not preview ({type(error).__name__})"))
        else:
            self.signals.result.emit(generation, preview)
        finally:
            self.signals.finished.emit(generation)


class WhatIfPreview(QObject):
    """Ghost previews of a ball under dragged settings (see the module docstring).

    Signals:
        ghostChanged(Ghost | None): a new path to draw, or None: the ghost goes.
    """

    ghostChanged = pyqtSignal(object)

    def __init__(self, controller: Any, steps: int = PREVIEW_STEPS):
        super().__init__(controller if isinstance(controller, QObject) else None)
        self.controller = controller
        self.steps = int(steps)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._generation = 0          # the newest request
        self._shown = 0               # the generation of the ghost on screen (0: none)
        self._running: _PreviewJob | None = None
        self._waiting: _PreviewJob | None = None
        self._retired: list[_PreviewJob] = []
        self._wanted: tuple[int, BallSpec, str] | None = None  # what is being previewed now
        self._ghost: Ghost | None = None
        #: Ghosts announced since the object was made (the benchmark's redraw count).
        self.redraws = 0
        for name in ("ballsChanged", "surfaceChanged", "sceneChanged"):
            signal = getattr(controller, name, None)
            if signal is not None:
                signal.connect(self._on_model_changed)
        stepped = getattr(controller, "stepped", None)
        if stepped is not None:
            stepped.connect(self._on_stepped)

    @classmethod
    def of(cls, controller: Any) -> WhatIfPreview:
        """The controller's preview (made on first use, a child of the controller)."""
        existing = controller.findChild(cls) if isinstance(controller, QObject) else None
        if existing is None:
            existing = getattr(controller, "_what_if_preview", None)
        if existing is None:
            existing = cls(controller)
            if not isinstance(controller, QObject):
                controller._what_if_preview = existing
        return existing

    # -- commands ---------------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        """Whether a drag is previewing (a ghost is shown or being computed)."""
        return self._wanted is not None

    @property
    def ghost(self) -> Ghost | None:
        """The ghost on screen, or None."""
        return self._ghost

    def preview(self, index: int, ball: BallSpec, label: str) -> None:
        """Preview ball ``index`` under the settings ``ball`` (``label`` says what changed; for a
        swarm, which is previewed as one particle from its start, the label says so)."""
        if ball.particles > 1:
            label = f"{label} (one particle)"
        self._wanted = (int(index), ball, label)
        self._submit()

    def end(self) -> None:
        """The drag ended (its value is committed, or it changed nothing): the ghost goes."""
        self._stop()

    def cancel(self) -> None:
        """The drag was cancelled (Esc): the ghost goes."""
        self._stop()

    def wait(self, milliseconds: int = -1) -> bool:
        """Block until the worker is idle (for tests, benchmarks and shutdown)."""
        return self._pool.waitForDone(milliseconds)

    # -- the worker -------------------------------------------------------------------------------
    def _submit(self) -> None:
        wanted = self._wanted
        if wanted is None:
            return
        index, ball, _ = wanted
        simulation = getattr(self.controller, "simulation", None)
        if simulation is None or not 0 <= index < len(simulation.balls):
            return
        try:
            request = what_if(simulation, index, ball, self.steps)
        except DownhillError:
            return  # (settings that cannot run: the editors do not offer them)
        self._generation += 1
        job = _PreviewJob(self._generation, request, self._keep_going)
        color, label = ball.color, wanted[2]
        job.signals.result.connect(lambda generation, preview: self._on_result(generation, preview, color, label))
        job.signals.failed.connect(self._on_failed)
        job.signals.finished.connect(self._on_finished)
        if self._running is None:
            self._start(job)
        else:
            self._waiting = job

    def _keep_going(self, generation: int) -> bool:
        # Read on the worker thread: the newest generation (an int read is atomic under the GIL).
        return generation == self._generation

    def _start(self, job: _PreviewJob) -> None:
        self._running = job
        self._pool.start(job)

    def _on_result(self, generation: int, preview: Preview, color: str, label: str) -> None:
        if self._wanted is None or generation < self._shown or preview.index != self._wanted[0]:
            return
        self._shown = generation
        self._ghost = Ghost(preview, color, label, generation)
        self.redraws += 1
        self.ghostChanged.emit(self._ghost)

    def _on_failed(self, generation: int, _error: object) -> None:
        if generation == self._generation and self._ghost is not None:
            self._ghost = None
            self.ghostChanged.emit(None)

    def _on_finished(self, generation: int) -> None:
        if self._running is not None and self._running.generation == generation:
            # (kept one more round: its run() may still be returning on the pool thread)
            self._retired = [self._running]
            self._running = None
        if self._waiting is not None:
            job, self._waiting = self._waiting, None
            self._start(job)

    def _stop(self) -> None:
        self._wanted = None
        self._waiting = None
        self._generation += 1      # whatever still runs is stale
        self._shown = self._generation
        if self._ghost is not None:
            self._ghost = None
            self.ghostChanged.emit(None)

    def _on_model_changed(self, *_args: object) -> None:
        self._stop()

    def _on_stepped(self) -> None:
        # A ghost that continues the ball from where it is follows it as it moves.
        if self._wanted is not None and self._ghost is not None and not self._ghost.preview.from_start:
            self._submit()


class EscapeCancels(QObject):
    """While installed (on the application), Esc calls ``cancel()`` and goes no further.

    ``install()`` at a drag's start, ``remove()`` at its end; a second install is harmless.
    """

    def __init__(self, cancel: Callable[[], None], parent: QObject | None = None):
        super().__init__(parent)
        self._cancel = cancel
        self._installed = False

    def install(self) -> None:
        app = QApplication.instance()
        if app is not None and not self._installed:
            app.installEventFilter(self)
            self._installed = True

    def remove(self) -> None:
        app = QApplication.instance()
        if app is not None and self._installed:
            app.removeEventFilter(self)
            self._installed = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        kind = event.type()
        if kind in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress) and isinstance(event, QKeyEvent) \
                and event.key() == Qt.Key.Key_Escape:
            event.accept()
            if kind == QEvent.Type.KeyPress and not event.isAutoRepeat():
                self.remove()
                self._cancel()
            return True
        return False
